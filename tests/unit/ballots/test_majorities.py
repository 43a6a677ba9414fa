"""Majority rules at their boundaries, the worked examples of procedure.md section 2, and decide()."""

from __future__ import annotations

import pytest

from assembly.assemblies.rules import (
    DoubleMajority,
    FractionOfMembers,
    FractionOfWeight,
    MajorityOfMembers,
    MajorityOfMembership,
    MajorityOfMembersPresent,
    MajorityRule,
    QuorumRule,
    ShareOfTotalWeight,
    SimpleMajorityOfVotesCast,
    TwoThirdsOfVotesCast,
)
from assembly.ballots.rules import (
    Counts,
    Tally,
    Vote,
    apply_majority,
    count_votes,
    decide,
    double_majority,
    majority_kind,
    majority_of_members_present,
    majority_of_membership,
    share_of_total_weight,
    simple_majority_of_votes_cast,
    two_thirds_of_votes_cast,
)


def omov(yes: int, no: int, abstain: int = 0, *, present: int | None = None, membership: int | None = None) -> Tally:
    """One member one vote: every weight 1, so heads and weight counts agree."""
    counts = Counts(yes, no, abstain)
    present = counts.total if present is None else present
    membership = present if membership is None else membership
    return Tally(counts, counts, present, present, membership, membership, weighted=False)


def weighted(
    heads: tuple[int, int, int],
    weight: tuple[int, int, int],
    *,
    present: tuple[int, int] | None = None,
    membership: tuple[int, int] | None = None,
) -> Tally:
    h, w = Counts(*heads), Counts(*weight)
    present = (h.total, w.total) if present is None else present
    membership = present if membership is None else membership
    return Tally(h, w, present[0], present[1], membership[0], membership[1], weighted=True)


EU = DoubleMajority(members_numerator=55, members_denominator=100, weight_numerator=65, weight_denominator=100,
                    blocking_minority_members=4)


# -- simple majority of votes cast: Y > N ----------------------------------------------------------


@pytest.mark.parametrize(
    ("yes", "no", "abstain", "adopted", "reason"),
    [
        (51, 50, 0, True, "majority_reached"),  # one above
        (50, 50, 0, False, "tie"),  # a tie never adopts (r.95)
        (49, 50, 0, False, "majority_not_reached"),  # one below
        (1, 0, 99, True, "majority_reached"),  # abstentions are not votes cast (r.86)
        (0, 0, 100, False, "no_votes_cast"),  # all abstain
        (0, 0, 0, False, "no_votes_cast"),  # nobody voted
    ],
)
def test_simple_majority_boundaries(yes: int, no: int, abstain: int, adopted: bool, reason: str) -> None:
    result = simple_majority_of_votes_cast(omov(yes, no, abstain))
    assert (result.adopted, result.reason) == (adopted, reason)
    assert result.base == "votes_cast"
    assert result.base_heads == yes + no
    assert result.base_weight is None


def test_simple_majority_arithmetic_text() -> None:
    assert simple_majority_of_votes_cast(omov(50, 50, 3)).arithmetic == (
        "simple majority of votes cast, by members (yes 50, no 50, abstain 3; cast 100): "
        "yes 50 <= no 50 (a tie never adopts), rejected"
    )
    assert simple_majority_of_votes_cast(omov(0, 0, 7)).arithmetic == (
        "simple majority of votes cast, by members (yes 0, no 0, abstain 7; cast 0): "
        "yes 0 <= no 0 (no votes were cast), rejected"
    )


# -- two-thirds of votes cast: 3Y >= 2V ------------------------------------------------------------


@pytest.mark.parametrize(
    ("yes", "no", "abstain", "adopted", "reason"),
    [
        (60, 30, 10, True, "majority_reached"),  # exactly two-thirds: 180 >= 180
        (61, 30, 0, True, "majority_reached"),  # one above
        (59, 30, 0, False, "majority_not_reached"),  # one below: 177 < 178
        (2, 1, 0, True, "majority_reached"),  # yes exactly twice no (RONR)
        (1, 1, 0, False, "tie"),
        (1, 0, 1000, True, "majority_reached"),  # abstentions ignored
        (0, 0, 5, False, "no_votes_cast"),  # 0 >= 0 holds, but nothing was cast
    ],
)
def test_two_thirds_boundaries(yes: int, no: int, abstain: int, adopted: bool, reason: str) -> None:
    result = two_thirds_of_votes_cast(omov(yes, no, abstain))
    assert (result.adopted, result.reason) == (adopted, reason)


def test_two_thirds_arithmetic_is_the_issue_example() -> None:
    assert two_thirds_of_votes_cast(omov(60, 30, 10)).arithmetic == (
        "two-thirds of votes cast, by members (yes 60, no 30, abstain 10; cast 90): "
        "3 x 60 = 180 >= 2 x 90 = 180, adopted"
    )
    assert two_thirds_of_votes_cast(omov(59, 30)).arithmetic.endswith("3 x 59 = 177 < 2 x 89 = 178, rejected")
    assert two_thirds_of_votes_cast(omov(0, 0, 5)).arithmetic.endswith(
        "3 x 0 = 0 >= 2 x 0 = 0, but no votes were cast, rejected"
    )


# -- majority of members present: 2Y > P -----------------------------------------------------------


@pytest.mark.parametrize(
    ("yes", "no", "abstain", "present", "adopted", "reason"),
    [
        (51, 0, 0, 100, True, "majority_reached"),  # 102 > 100
        (50, 0, 0, 100, False, "majority_not_reached"),  # 100 > 100 fails: exactly half is not a majority
        (50, 49, 1, 100, False, "majority_not_reached"),  # the abstention counts against
        (50, 50, 0, 100, False, "tie"),
        (51, 10, 39, 100, True, "majority_reached"),
        (0, 0, 10, 10, False, "no_votes_cast"),
    ],
)
def test_majority_of_members_present_boundaries(
    yes: int, no: int, abstain: int, present: int, adopted: bool, reason: str
) -> None:
    result = majority_of_members_present(omov(yes, no, abstain, present=present, membership=200))
    assert (result.adopted, result.reason) == (adopted, reason)
    assert (result.base, result.base_heads) == ("present", present)


def test_present_but_not_voting_counts_as_no() -> None:
    # 51 yes of 101 present passes simple majority easily, but 2 x 51 = 102 > 101 only just.
    assert majority_of_members_present(omov(51, 0, 0, present=101)).adopted
    assert not majority_of_members_present(omov(51, 0, 0, present=102)).adopted


# -- majority of the membership: 2Y > M ------------------------------------------------------------


@pytest.mark.parametrize(
    ("yes", "membership", "adopted"),
    [(171, 342, False), (172, 342, True), (58, 116, False), (59, 116, True), (50, 99, True), (49, 99, False)],
)
def test_majority_of_membership_boundaries(yes: int, membership: int, adopted: bool) -> None:
    # World Council (342) and Executive Bureau (116): absent members count against.
    result = majority_of_membership(omov(yes, 0, 0, present=yes, membership=membership))
    assert result.adopted is adopted
    assert (result.base, result.base_heads) == ("membership", membership)
    relation = ">" if adopted else "<="
    assert result.arithmetic.endswith(f"2 x {yes} = {2 * yes} {relation} {membership} in the membership, "
                                      f"{'adopted' if adopted else 'rejected'}")


# -- share of total weight: Y*d >= n*M and Y > N ---------------------------------------------------


@pytest.mark.parametrize(
    ("yes", "no", "adopted", "reason"),
    [
        (700, 0, True, "majority_reached"),  # exactly 70 %: 7000 >= 7000
        (699, 0, False, "majority_not_reached"),  # one below
        (701, 299, True, "majority_reached"),
    ],
)
def test_share_of_total_weight_70_percent(yes: int, no: int, adopted: bool, reason: str) -> None:
    tally = weighted((yes, no, 0), (yes, no, 0), present=(yes + no, yes + no), membership=(1000, 1000))
    result = share_of_total_weight(tally, numerator=7, denominator=10)
    assert (result.adopted, result.reason) == (adopted, reason)
    assert (result.base, result.base_weight, result.unit) == ("membership", 1000, "weight")


def test_share_of_total_weight_low_share_still_needs_more_yes_than_no() -> None:
    tally = weighted((4, 4, 0), (40, 40, 0), present=(8, 80), membership=(12, 120))
    tie = share_of_total_weight(tally, numerator=1, denominator=3)  # 120 >= 120 but Y = N
    assert (tie.adopted, tie.reason) == (False, "tie")
    assert tie.arithmetic.endswith("40 x 3 = 120 >= 1 x 120 = 120, but a tie never adopts, rejected")
    minority = share_of_total_weight(weighted((3, 5, 0), (30, 50, 0), present=(8, 80), membership=(12, 120)),
                                     numerator=1, denominator=4)
    assert (minority.adopted, minority.reason) == (False, "majority_not_reached")
    assert minority.arithmetic.endswith("but more no than yes, rejected")


def test_share_of_total_weight_of_nothing_is_not_adopted() -> None:
    result = share_of_total_weight(omov(0, 0, 0, membership=0), numerator=1, denominator=2)
    assert (result.adopted, result.reason) == (False, "no_votes_cast")


# -- weights versus heads: the IMF example (procedure.md 2.2) --------------------------------------


def imf_tally() -> Tally:
    # Member 1 (1021 votes) says no; members 2-4 (321 + 121 + 71 = 513) say yes.
    counted = count_votes([Vote.whole("no", 1021), Vote.whole("yes", 321), Vote.whole("yes", 121),
                           Vote.whole("yes", 71)])
    return Tally(counted.heads, counted.weight, 4, 1534, 4, 1534, weighted=True)


def test_imf_member_1_alone_outweighs_the_other_three() -> None:
    result = simple_majority_of_votes_cast(imf_tally())
    assert not result.adopted
    assert result.unit == "weight"
    assert result.arithmetic == (
        "simple majority of votes cast, by weight (yes 513, no 1021, abstain 0; cast 1534): "
        "yes 513 <= no 1021, rejected"
    )


def test_imf_counted_one_member_one_vote_passes_three_to_one() -> None:
    tally = imf_tally()
    unweighted = Tally(tally.heads, tally.heads, 4, 4, 4, 4, weighted=False)
    result = simple_majority_of_votes_cast(unweighted)
    assert result.adopted
    assert result.arithmetic.endswith("yes 3 > no 1, adopted")


@pytest.mark.parametrize(
    "rule",
    [SimpleMajorityOfVotesCast(), TwoThirdsOfVotesCast(), MajorityOfMembersPresent(), MajorityOfMembership(),
     ShareOfTotalWeight(numerator=1, denominator=2)],
)
def test_weighted_ballot_decides_on_weight_not_heads(rule: MajorityRule) -> None:
    # 3 of 4 members say yes but hold 513 of 1534 votes.
    assert apply_majority(rule, imf_tally()).adopted is False
    tally = imf_tally()
    assert apply_majority(rule, Tally(tally.heads, tally.heads, 4, 4, 4, 4, weighted=False)).adopted is True


# -- double majority: EU Council QMV (procedure.md 2.3) --------------------------------------------


def eu(yes_members: int, yes_pop: int, *, no_members: int | None = None, no_pop: int | None = None) -> Tally:
    """27 members holding a population of 1000 units; the members not voting yes vote no unless told."""
    no_members = 27 - yes_members if no_members is None else no_members
    no_pop = 1000 - yes_pop if no_pop is None else no_pop
    abstain_members, abstain_pop = 27 - yes_members - no_members, 1000 - yes_pop - no_pop
    return Tally(Counts(yes_members, no_members, abstain_members), Counts(yes_pop, no_pop, abstain_pop),
                 27, 1000, 27, 1000, weighted=False)


@pytest.mark.parametrize(
    ("yes_members", "yes_pop", "adopted"),
    [
        (15, 650, True),  # both thresholds exactly: 1500 >= 1485 and 65000 >= 65000
        (14, 900, False),  # 14 of 27 < 55 %: 1400 < 1485, whatever the population
        (15, 649, False),  # one population unit short; 12 members can block
        (26, 649, True),  # 1 member holding 35.1 % cannot block alone
        (24, 600, True),  # 3 members with 40 % of the population: fewer than 4 cannot block
        (23, 600, False),  # 4 members with 40 %: a blocking minority
    ],
)
def test_eu_qualified_majority(yes_members: int, yes_pop: int, adopted: bool) -> None:
    result = apply_majority(EU, eu(yes_members, yes_pop))
    assert result.adopted is adopted
    assert (result.unit, result.base, result.base_heads, result.base_weight) == (
        "heads_and_weight", "membership", 27, 1000)


def test_eu_blocking_minority_arithmetic() -> None:
    adopted = apply_majority(EU, eu(24, 600))
    assert adopted.arithmetic == (
        "double majority, by members and weight (members: yes 24, no 3, abstain 0; membership 27; "
        "weight: yes 600, no 400, abstain 0; membership 1000): members 24 x 100 = 2400 >= 55 x 27 = 1485, met; "
        "weight 600 x 100 = 60000 < 65 x 1000 = 65000, not met; members not voting yes 27 - 24 = 3 < 4, "
        "too few to block: weight deemed met; adopted"
    )
    rejected = apply_majority(EU, eu(23, 600))
    assert rejected.arithmetic.endswith("members not voting yes 27 - 23 = 4 >= 4, enough to block; rejected")
    assert rejected.reason == "majority_not_reached"


def test_eu_without_the_blocking_clause_three_members_block() -> None:
    rule = DoubleMajority(members_numerator=55, members_denominator=100, weight_numerator=65,
                          weight_denominator=100, blocking_minority_members=None)
    result = apply_majority(rule, eu(24, 600))
    assert not result.adopted
    assert "too few to block" not in result.arithmetic


def test_eu_abstention_counts_as_not_in_favour() -> None:
    # 15 yes (650), 12 abstain: adopted. 14 yes, 13 abstain: rejected, as if they had voted no.
    assert apply_majority(EU, eu(15, 650, no_members=0, no_pop=0)).adopted
    assert not apply_majority(EU, eu(14, 650, no_members=0, no_pop=0)).adopted


def test_double_majority_ties_never_adopt() -> None:
    half = DoubleMajority(members_numerator=1, members_denominator=2, weight_numerator=1, weight_denominator=2)
    members_tie = Tally(Counts(2, 2, 0), Counts(60, 40, 0), 4, 100, 4, 100, weighted=False)
    assert (apply_majority(half, members_tie).adopted, apply_majority(half, members_tie).reason) == (False, "tie")
    weight_tie = Tally(Counts(3, 1, 0), Counts(50, 50, 0), 4, 100, 4, 100, weighted=False)
    result = apply_majority(half, weight_tie)
    assert (result.adopted, result.reason) == (False, "tie")
    assert "weight 50 x 2 = 100 >= 1 x 100 = 100, but a tie never adopts, not met" in result.arithmetic
    nothing = Tally(Counts(0, 0, 4), Counts(0, 0, 100), 4, 100, 4, 100, weighted=False)
    assert apply_majority(EU, nothing).reason == "no_votes_cast"


def test_double_majority_refuses_split_votes() -> None:
    tally = weighted((1, 0, 0), (3, 2, 0), present=(2, 5), membership=(2, 5))
    tally = Tally(tally.heads, tally.weight, 2, 5, 2, 5, weighted=True, split_heads=1)
    with pytest.raises(ValueError, match="split votes"):
        apply_majority(EU, tally)


@pytest.mark.parametrize(("numerator", "denominator"), [(0, 2), (1, 0)])
def test_fractions_need_positive_terms(numerator: int, denominator: int) -> None:
    with pytest.raises(ValueError, match="fraction"):
        share_of_total_weight(omov(1, 0), numerator=numerator, denominator=denominator)
    with pytest.raises(ValueError, match="fraction"):
        double_majority(omov(1, 0), members_numerator=numerator, members_denominator=denominator,
                        weight_numerator=1, weight_denominator=2, blocking_minority_members=None)


# -- the dispatcher and the decision ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "kind"),
    [
        (SimpleMajorityOfVotesCast(), "simple_majority_of_votes_cast"),
        (TwoThirdsOfVotesCast(), "two_thirds_of_votes_cast"),
        (MajorityOfMembersPresent(), "majority_of_members_present"),
        (MajorityOfMembership(), "majority_of_membership"),
        (ShareOfTotalWeight(numerator=2, denominator=3), "share_of_total_weight"),
        (EU, "double_majority"),
    ],
)
def test_each_kind_is_dispatched_to_its_rule(rule: MajorityRule, kind: str) -> None:
    assert majority_kind(rule) == kind
    assert apply_majority(rule, omov(20, 5, 2)).rule == kind


def test_decide_with_quorum_met() -> None:
    decision = decide(TwoThirdsOfVotesCast(), omov(60, 30, 10, membership=150), QuorumRule())
    assert (decision.outcome, decision.adopted, decision.reason) == ("adopted", True, "majority_reached")
    assert decision.quorum_met
    assert decision.quorum_kind == "majority_of_members"
    assert decision.quorum_arithmetic == (
        "quorum to decide, majority of members: 2 x 100 present = 200 > 150 members, met"
    )
    assert decision.arithmetic == decision.majority_arithmetic
    assert decision.arithmetic.endswith("3 x 60 = 180 >= 2 x 90 = 180, adopted")
    assert decision.tally.heads == Counts(60, 30, 10)


def test_decide_without_quorum_takes_no_decision() -> None:
    # 100 of 200 present: exactly half is no majority of the members (r.67).
    decision = decide(SimpleMajorityOfVotesCast(), omov(90, 10, 0, membership=200), QuorumRule())
    assert (decision.outcome, decision.adopted, decision.reason, decision.quorum_met) == (
        "no_quorum", False, "no_quorum", False)
    assert decision.arithmetic == (
        "no decision: quorum to decide, majority of members: 2 x 100 present = 200 <= 200 members, not met"
    )
    assert decision.majority_arithmetic.endswith("yes 90 > no 10, adopted")  # kept for the record only


def test_decide_uses_the_threshold_to_decide_not_to_debate() -> None:
    rule = QuorumRule(to_debate=FractionOfMembers(numerator=1, denominator=3),
                      to_decide=FractionOfWeight(numerator=1, denominator=2))
    tally = weighted((2, 0, 0), (50, 0, 0), present=(2, 50), membership=(10, 100))
    decision = decide(SimpleMajorityOfVotesCast(), tally, rule)
    assert decision.quorum_met  # 2 of 10 members (< 1/3) but half of the weight
    assert decision.quorum_kind == "fraction_of_weight"
    assert decide(SimpleMajorityOfVotesCast(), tally, QuorumRule(to_decide=MajorityOfMembers())).outcome == (
        "no_quorum")


# -- the tally's own invariants --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"present_heads": 2}, "present"),  # 3 voted, 2 present
        ({"membership_heads": 2, "present_heads": 3}, "membership"),
        ({"present_weight": 2}, "weight voting"),
        ({"membership_weight": 2}, "membership"),
        ({"split_heads": 1}, "only a weighted ballot"),
        ({"present_heads": -1}, "non-negative"),
    ],
)
def test_inconsistent_tallies_are_refused(kwargs: dict[str, int], message: str) -> None:
    fields = {"heads": Counts(2, 1, 0), "weight": Counts(2, 1, 0), "present_heads": 3, "present_weight": 3,
              "membership_heads": 5, "membership_weight": 5, "weighted": False} | kwargs
    with pytest.raises(ValueError, match=message):
        Tally(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [-1, True, 1.0])
def test_counts_are_non_negative_integers(value: object) -> None:
    with pytest.raises(ValueError, match="non-negative integer"):
        Counts(value, 0, 0)  # type: ignore[arg-type]
