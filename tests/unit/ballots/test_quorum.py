"""Quorum thresholds to debate and to decide (UN GA r.67 shape) at their boundaries."""

from __future__ import annotations

import pytest

from assembly.assemblies.rules import FractionOfMembers, FractionOfWeight, MajorityOfMembers, QuorumRule
from assembly.ballots.rules import quorum_met, threshold_met

UN = QuorumRule()  # to debate: 1/3 of members; to decide: a majority of members


def check(rule: QuorumRule, present: int, membership: int, purpose: str, *, present_weight: int | None = None,
          membership_weight: int | None = None) -> bool:
    return quorum_met(
        rule,
        present_heads=present,
        present_weight=present if present_weight is None else present_weight,
        membership_heads=membership,
        membership_weight=membership if membership_weight is None else membership_weight,
        purpose=purpose,  # type: ignore[arg-type]
    ).met


@pytest.mark.parametrize(
    ("present", "membership", "met"),
    [(114, 342, True), (113, 342, False), (34, 100, True), (33, 100, False), (1, 3, True), (1, 4, False)],
)
def test_un_r67_debate_needs_a_third_rounded_up(present: int, membership: int, met: bool) -> None:
    assert check(UN, present, membership, "debate") is met


@pytest.mark.parametrize(
    ("present", "membership", "met"),
    [(172, 342, True), (171, 342, False), (51, 100, True), (50, 100, False), (50, 99, True), (49, 99, False)],
)
def test_un_r67_decide_needs_more_than_half(present: int, membership: int, met: bool) -> None:
    assert check(UN, present, membership, "decide") is met


def test_arithmetic_texts() -> None:
    debate = quorum_met(UN, present_heads=33, present_weight=33, membership_heads=100, membership_weight=100,
                        purpose="debate")
    assert debate.arithmetic == (
        "quorum to debate, 1/3 of members: members present 33 x 3 = 99 < 1 x 100 = 100, not met"
    )
    assert (debate.kind, debate.purpose) == ("fraction_of_members", "debate")
    decide = quorum_met(UN, present_heads=51, present_weight=51, membership_heads=100, membership_weight=100,
                        purpose="decide")
    assert decide.arithmetic == "quorum to decide, majority of members: 2 x 51 present = 102 > 100 members, met"


def test_fraction_of_weight_counts_weight_not_members() -> None:
    rule = QuorumRule(to_debate=FractionOfWeight(numerator=1, denominator=2),
                      to_decide=FractionOfWeight(numerator=2, denominator=3))
    # member 1 of the IMF example alone: 1 of 4 members, 1021 of 1534 votes.
    assert check(rule, 1, 4, "debate", present_weight=1021, membership_weight=1534)
    assert not check(rule, 1, 4, "decide", present_weight=1021, membership_weight=1534)  # 3063 < 3068
    assert check(rule, 1, 4, "decide", present_weight=1023, membership_weight=1534)  # 3069 >= 3068
    assert not check(rule, 3, 4, "debate", present_weight=513, membership_weight=1534)  # 3 of 4 members, 1/3 weight


def test_fraction_of_members_exactly_at_the_threshold_is_met() -> None:
    rule = QuorumRule(to_decide=FractionOfMembers(numerator=2, denominator=3))
    assert check(rule, 228, 342, "decide")  # 684 >= 684
    assert not check(rule, 227, 342, "decide")


@pytest.mark.parametrize(
    "threshold",
    [MajorityOfMembers(), FractionOfMembers(numerator=1, denominator=3), FractionOfWeight(numerator=1, denominator=3)],
)
def test_nobody_present_is_never_a_quorum(threshold: MajorityOfMembers | FractionOfMembers | FractionOfWeight) -> None:
    result = threshold_met(threshold, present_heads=0, present_weight=0, membership_heads=0, membership_weight=0,
                           purpose="decide")
    assert not result.met
    assert result.arithmetic.endswith(", but nobody is present, not met")


@pytest.mark.parametrize(
    ("present", "membership", "message"),
    [(5, 4, "more present"), (-1, 4, "negative")],
)
def test_impossible_attendance_is_refused(present: int, membership: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check(UN, present, membership, "decide")


def test_unknown_purpose_is_refused() -> None:
    with pytest.raises(ValueError, match="purpose"):
        check(UN, 1, 2, "vote")
