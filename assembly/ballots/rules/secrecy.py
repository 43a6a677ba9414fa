"""Secret weighted ballots: weights that would identify voters (pure).

In a weighted ballot the weight counts are published. If only one delegation (or very few) holds a
given weight, the counts can reveal how it voted: with weights 1021/321/121/71 any published
yes weight names the voters. So a secret weighted ballot is refused at opening unless every weight
in its electorate is held by at least k rights (k-anonymity of weight classes), k set by the
operator (settings).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import NamedTuple

__all__ = ("WeightClass", "secret_weighted_ballot_refusal", "weight_classes", "weight_classes_too_small")


class WeightClass(NamedTuple):
    """The rights of an electorate that hold one weight."""

    weight: int
    holders: int


def weight_classes(weights: Iterable[int]) -> list[WeightClass]:
    """Group the weights of an electorate: each distinct weight with its number of holders, by weight."""
    counter: Counter[int] = Counter()
    for weight in weights:
        if not isinstance(weight, int) or isinstance(weight, bool) or weight < 1:
            raise ValueError(f"a voting weight is an integer >= 1, got {weight!r}")
        counter[weight] += 1
    return [WeightClass(weight, holders) for weight, holders in sorted(counter.items())]


def weight_classes_too_small(weights: Iterable[int], k: int) -> list[WeightClass]:
    """The weight classes held by fewer than ``k`` rights (empty: the secret ballot may open).

    k = 1 never refuses; k = 2 refuses any weight held by a single right.
    """
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise ValueError("k must be an integer >= 1")
    return [c for c in weight_classes(weights) if c.holders < k]


def secret_weighted_ballot_refusal(weights: Iterable[int], k: int) -> str | None:
    """Why a secret weighted ballot may not open, in words, or None when every class has k holders."""
    small = weight_classes_too_small(weights, k)
    if not small:
        return None
    listed = "; ".join(f"weight {c.weight} is held by {c.holders} right(s)" for c in small)
    return (f"a secret weighted ballot would let the published counts identify voters: {listed}; "
            f"each weight must be held by at least k = {k} rights (use a roll-call or an unweighted ballot)")
