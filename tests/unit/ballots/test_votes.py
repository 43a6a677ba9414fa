"""Counting votes, vote changes (the last recorded choice counts) and split votes."""

from __future__ import annotations

import uuid

import pytest

from assembly.assemblies.rules import DoubleMajority, MajorityRule, SimpleMajorityOfVotesCast, TwoThirdsOfVotesCast
from assembly.ballots.rules import (
    OPTIONS,
    SPLIT_CODES,
    Counts,
    Vote,
    VoteChange,
    count_votes,
    effective_votes,
    split_votes_permitted,
    validate_split,
)

EU = DoubleMajority(members_numerator=55, members_denominator=100, weight_numerator=65, weight_denominator=100,
                    blocking_minority_members=4)

# -- effective votes -------------------------------------------------------------------------------


def test_last_recorded_choice_of_each_right_counts() -> None:
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    changes = [
        VoteChange(1, a, "yes"),
        VoteChange(2, b, "no"),
        VoteChange(3, a, "no"),
        VoteChange(4, c, "abstain"),
        VoteChange(5, a, "abstain"),
        VoteChange(6, b, "yes"),
    ]
    assert effective_votes(changes) == {a: "abstain", b: "yes", c: "abstain"}
    assert list(effective_votes(changes)) == [c, a, b]  # in the order of the counting record
    assert effective_votes(reversed(changes)) == effective_votes(changes)  # the sequence decides, not the order


def test_no_votes_no_effective_votes() -> None:
    assert effective_votes([]) == {}


def test_duplicate_sequence_numbers_are_an_error() -> None:
    with pytest.raises(ValueError, match="sequence 2"):
        effective_votes([VoteChange(2, "a", "yes"), VoteChange(2, "b", "no")])


# -- counting --------------------------------------------------------------------------------------


def test_count_votes_in_heads_and_weight() -> None:
    counted = count_votes([
        Vote.whole("yes", 1021),
        Vote.whole("no", 321),
        Vote.whole("abstain", 121),
        Vote(71, {"yes": 40, "no": 31}),  # split: weight to both, a head to neither
        Vote(5, {"no": 5, "yes": 0}),  # a zero part is not a split
    ])
    assert counted.heads == Counts(1, 2, 1)
    assert counted.weight == Counts(1061, 357, 121)
    assert counted.split_heads == 1


def test_one_member_one_vote_counts_equal_heads_and_weight() -> None:
    counted = count_votes([Vote.whole(option) for option in ("yes", "yes", "no", "abstain")])
    assert counted.heads == counted.weight == Counts(2, 1, 1)
    assert counted.split_heads == 0


@pytest.mark.parametrize(
    ("weight", "parts", "message"),
    [
        (0, {"yes": 0}, "at least 1"),
        (3, {"yes": 2}, "add up to 2"),
        (3, {"maybe": 3}, "unknown option"),
        (3, {"yes": 4, "no": -1}, "non-negative"),
    ],
)
def test_malformed_votes_are_refused(weight: int, parts: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Vote(weight, parts)  # type: ignore[arg-type]


# -- split votes -----------------------------------------------------------------------------------


def test_valid_split() -> None:
    assert validate_split(10, {"yes": 6, "no": 3, "abstain": 1}, options=OPTIONS, allowed=True) == []
    assert validate_split(10, {"yes": 10}, options=OPTIONS, allowed=True) == []  # one part is a whole vote
    assert validate_split(10, {"yes": 10, "no": 0}, options=OPTIONS, allowed=True) == []


def test_split_refused_where_not_allowed() -> None:
    problems = validate_split(10, {"yes": 6, "no": 4}, options=OPTIONS, allowed=False)
    assert [(p.code, p.field) for p in problems] == [("split_votes_not_allowed", "split")]


@pytest.mark.parametrize(
    ("parts", "expected"),
    [
        ({"yes": 6, "no": 3}, [("split_sum_mismatch", "split")]),  # one short
        ({"yes": 6, "no": 5}, [("split_sum_mismatch", "split")]),  # one over
        ({}, [("split_sum_mismatch", "split")]),
        ({"yes": 11, "no": -1}, [("split_part_invalid", "split.no")]),  # sums right, but negative
        ({"yes": 5, "maybe": 5}, [("split_option_unknown", "split.maybe")]),
        ({"yes": True, "no": 9}, [("split_part_invalid", "split.yes")]),  # a boolean is not a number of votes
    ],
)
def test_bad_splits(parts: dict[str, int], expected: list[tuple[str, str]]) -> None:
    problems = validate_split(10, parts, options=OPTIONS, allowed=True)
    assert [(p.code, p.field) for p in problems] == expected
    assert all(p.code in SPLIT_CODES and p.message for p in problems)


def test_split_sum_message_names_both_numbers() -> None:
    (problem,) = validate_split(10, {"yes": 6, "no": 3}, options=OPTIONS, allowed=True)
    assert problem.message == "the parts add up to 9, not to the right's weight 10"


def test_split_between_candidates_uses_the_ballot_options() -> None:
    assert validate_split(5, {"cand-a": 3, "cand-b": 2}, options={"cand-a", "cand-b"}, allowed=True) == []
    (problem,) = validate_split(5, {"cand-a": 3, "yes": 2}, options={"cand-a", "cand-b"}, allowed=True)
    assert (problem.code, problem.field) == ("split_option_unknown", "split.yes")


@pytest.mark.parametrize(
    ("allowed", "weighted", "rule", "permitted"),
    [
        (True, True, SimpleMajorityOfVotesCast(), True),
        (False, True, SimpleMajorityOfVotesCast(), False),  # the rule set forbids it
        (True, False, TwoThirdsOfVotesCast(), False),  # one member one vote: nothing to divide
        (True, True, EU, False),  # a double majority counts members for or against
    ],
)
def test_when_splits_are_permitted(allowed: bool, weighted: bool, rule: MajorityRule, permitted: bool) -> None:
    assert split_votes_permitted(split_votes_allowed=allowed, weighted=weighted, rule=rule) is permitted
