"""Secret weighted ballots: weight classes smaller than k are refused at opening."""

from __future__ import annotations

import pytest

from assembly.ballots.rules import (
    WeightClass,
    secret_weighted_ballot_refusal,
    weight_classes,
    weight_classes_too_small,
)


def test_weight_classes_are_grouped_and_sorted() -> None:
    assert weight_classes([3, 1, 3, 2, 1, 1]) == [WeightClass(1, 3), WeightClass(2, 1), WeightClass(3, 2)]
    assert weight_classes([]) == []


@pytest.mark.parametrize(
    ("weights", "k", "too_small"),
    [
        ([1, 1, 1, 2, 2, 2], 3, []),  # every class exactly k
        ([1, 1, 1, 2, 2], 3, [(2, 2)]),  # one class one below k
        ([1021, 321, 121, 71], 2, [(71, 1), (121, 1), (321, 1), (1021, 1)]),  # IMF example: all identifiable
        ([1021, 321, 121, 71], 1, []),  # k = 1 never refuses
        ([5] * 10, 10, []),
        ([5] * 10, 11, [(5, 10)]),
    ],
)
def test_classes_below_k(weights: list[int], k: int, too_small: list[tuple[int, int]]) -> None:
    assert weight_classes_too_small(weights, k) == too_small


def test_refusal_reason_names_each_small_class_and_k() -> None:
    assert secret_weighted_ballot_refusal([1, 1, 1, 2, 2, 2], 3) is None
    reason = secret_weighted_ballot_refusal([1, 1, 1, 2, 7], 3)
    assert reason == (
        "a secret weighted ballot would let the published counts identify voters: weight 2 is held by 1 right(s); "
        "weight 7 is held by 1 right(s); each weight must be held by at least k = 3 rights "
        "(use a roll-call or an unweighted ballot)"
    )


@pytest.mark.parametrize(("weights", "k", "message"), [([1], 0, "k must"), ([0], 2, "weight"), ([1], True, "k must")])
def test_bad_inputs(weights: list[int], k: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        weight_classes_too_small(weights, k)
