"""Properties of the ballot rules over generated electorates (hypothesis)."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from hypothesis import given
from hypothesis import strategies as st

from assembly.assemblies.rules import (
    DoubleMajority,
    FractionOfMembers,
    FractionOfWeight,
    MajorityOfMembers,
    MajorityOfMembership,
    MajorityOfMembersPresent,
    MajorityRule,
    QuorumRule,
    QuorumThreshold,
    ShareOfTotalWeight,
    SimpleMajorityOfVotesCast,
    TwoThirdsOfVotesCast,
)
from assembly.ballots.rules import (
    Counts,
    Tally,
    Vote,
    VoteChange,
    apply_majority,
    count_votes,
    decide,
    draw_lots,
    effective_votes,
    several_seats_result,
    single_seat_first_ballot,
    validate_split,
)

Status = Literal["absent", "present", "yes", "no", "abstain"]


@dataclass(frozen=True)
class Right:
    weight: int
    status: Status


def tally_of(rights: list[Right], *, weighted: bool) -> Tally:
    voting = [Vote.whole(r.status, r.weight) for r in rights if r.status in ("yes", "no", "abstain")]
    counted = count_votes(voting)
    present = [r for r in rights if r.status != "absent"]
    return Tally(counted.heads, counted.weight, len(present), sum(r.weight for r in present),
                 len(rights), sum(r.weight for r in rights), weighted=weighted)


rights_st = st.lists(
    st.builds(Right, st.integers(1, 50), st.sampled_from(["absent", "present", "yes", "no", "abstain"])),
    max_size=30,
)


@st.composite
def fractions_st(draw: st.DrawFn) -> tuple[int, int]:
    denominator = draw(st.integers(1, 20))
    return draw(st.integers(1, denominator)), denominator


@st.composite
def rules_st(draw: st.DrawFn) -> MajorityRule:
    kind = draw(st.sampled_from(range(6)))
    if kind == 0:
        return SimpleMajorityOfVotesCast()
    if kind == 1:
        return TwoThirdsOfVotesCast()
    if kind == 2:
        return MajorityOfMembersPresent()
    if kind == 3:
        return MajorityOfMembership()
    if kind == 4:
        n, d = draw(fractions_st())
        return ShareOfTotalWeight(numerator=n, denominator=d)
    (mn, md), (wn, wd) = draw(fractions_st()), draw(fractions_st())
    blocking = draw(st.none() | st.integers(1, 10))
    return DoubleMajority(members_numerator=mn, members_denominator=md, weight_numerator=wn, weight_denominator=wd,
                          blocking_minority_members=blocking)


@st.composite
def thresholds_st(draw: st.DrawFn) -> QuorumThreshold:
    kind = draw(st.sampled_from(range(3)))
    if kind == 0:
        return MajorityOfMembers()
    n, d = draw(fractions_st())
    return FractionOfMembers(numerator=n, denominator=d) if kind == 1 else FractionOfWeight(numerator=n, denominator=d)


def at_least(part: int, whole: int, share: Fraction) -> bool:
    """part/whole >= share, by division (an oracle independent of the cross-products)."""
    return share <= 0 if whole == 0 else Fraction(part, whole) >= share


def oracle(rule: MajorityRule, t: Tally) -> bool:
    """docs/procedures.md, section "Majority rules", restated with fractions."""
    if isinstance(rule, DoubleMajority):
        h, w = t.heads, t.weight
        members = h.yes > h.no and at_least(h.yes, t.membership_heads,
                                            Fraction(rule.members_numerator, rule.members_denominator))
        weight = w.yes > w.no and at_least(w.yes, t.membership_weight,
                                           Fraction(rule.weight_numerator, rule.weight_denominator))
        clause = rule.blocking_minority_members is not None and (
            t.membership_heads - h.yes < rule.blocking_minority_members)
        return members and (weight or clause)
    c = t.weight if t.weighted else t.heads
    present = t.present_weight if t.weighted else t.present_heads
    membership = t.membership_weight if t.weighted else t.membership_heads
    if c.yes <= c.no:  # a tie, nothing cast, or more no than yes: never adopted
        return False
    if isinstance(rule, SimpleMajorityOfVotesCast):
        return True
    if isinstance(rule, TwoThirdsOfVotesCast):
        return Fraction(c.yes, c.cast) >= Fraction(2, 3)
    if isinstance(rule, MajorityOfMembersPresent):
        return Fraction(c.yes, present) > Fraction(1, 2)
    if isinstance(rule, MajorityOfMembership):
        return Fraction(c.yes, membership) > Fraction(1, 2)
    assert isinstance(rule, ShareOfTotalWeight)
    return Fraction(c.yes, membership) >= Fraction(rule.numerator, rule.denominator)


@given(rights_st, rules_st(), st.booleans())
def test_every_rule_agrees_with_its_formula(rights: list[Right], rule: MajorityRule, weighted: bool) -> None:
    tally = tally_of(rights, weighted=weighted)
    result = apply_majority(rule, tally)
    assert result.adopted is oracle(rule, tally)
    assert result.arithmetic.endswith("adopted" if result.adopted else "rejected")
    assert (result.reason == "majority_reached") is result.adopted


@given(rights_st, rules_st(), st.booleans())
def test_a_tie_never_adopts(rights: list[Right], rule: MajorityRule, weighted: bool) -> None:
    tally = tally_of(rights, weighted=weighted)
    deciding = [tally.heads] if isinstance(rule, DoubleMajority) else [tally.weight if weighted else tally.heads]
    if any(c.yes == c.no for c in deciding):
        assert not apply_majority(rule, tally).adopted


@given(rights_st, rules_st(), st.booleans(), thresholds_st(), st.data())
def test_one_more_yes_never_turns_adopted_into_rejected(
    rights: list[Right], rule: MajorityRule, weighted: bool, threshold: QuorumThreshold, data: st.DataObject
) -> None:
    not_yes = [i for i, r in enumerate(rights) if r.status != "yes"]
    if not not_yes:
        return
    index = data.draw(st.sampled_from(not_yes))
    changed = [*rights]
    changed[index] = Right(rights[index].weight, "yes")
    quorum = QuorumRule(to_decide=threshold)
    before = decide(rule, tally_of(rights, weighted=weighted), quorum)
    after = decide(rule, tally_of(changed, weighted=weighted), quorum)
    if before.adopted:
        assert after.adopted
    if before.quorum_met:
        assert after.quorum_met


@given(rights_st, rules_st())
def test_one_member_one_vote_equals_weighted_with_all_weights_one(rights: list[Right], rule: MajorityRule) -> None:
    ones = [Right(1, r.status) for r in rights]
    weighted, unweighted = tally_of(ones, weighted=True), tally_of(ones, weighted=False)
    assert apply_majority(rule, weighted).adopted is apply_majority(rule, unweighted).adopted


@given(st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=8, unique=True), st.binary(min_size=1),
       st.data())
def test_a_lot_is_a_reproducible_permutation(candidates: list[str], seed: bytes, data: st.DataObject) -> None:
    places = data.draw(st.integers(1, len(candidates)))
    draw = draw_lots(candidates, seed, places=places)
    shuffled = data.draw(st.permutations(candidates))
    assert draw_lots(shuffled, seed, places=places) == draw
    order = [c for c, _ in draw.order]
    assert sorted(order) == sorted(candidates)
    assert draw.drawn == tuple(order[:places])
    assert order == sorted(candidates, key=lambda c: hashlib.sha256(seed + c.encode()).hexdigest())


@given(st.lists(st.tuples(st.sampled_from("abcde"), st.sampled_from(["yes", "no", "abstain"])), max_size=40),
       st.randoms(use_true_random=False))
def test_the_last_change_counts_whatever_the_input_order(
    records: list[tuple[str, str]], rnd: random.Random
) -> None:
    changes = [VoteChange(i, right, choice) for i, (right, choice) in enumerate(records)]
    expected: dict[str, str] = {}
    for right, choice in records:
        expected[right] = choice
    shuffled = [*changes]
    rnd.shuffle(shuffled)
    assert effective_votes(shuffled) == expected


@st.composite
def votes_st(draw: st.DrawFn) -> Vote:
    """A whole vote for one option, or a split of the weight between yes and no."""
    weight = draw(st.integers(1, 100))
    if draw(st.booleans()):
        return Vote.whole(draw(st.sampled_from(["yes", "no", "abstain"])), weight)
    yes = draw(st.integers(0, weight))
    return Vote(weight, {"yes": yes, "no": weight - yes})


@given(st.lists(votes_st(), max_size=30))
def test_counting_keeps_every_vote_and_every_weight(votes: list[Vote]) -> None:
    counted = count_votes(votes)
    assert counted.heads.total + counted.split_heads == len(votes)
    assert counted.weight.total == sum(v.weight for v in votes)
    assert counted.weight == Counts(
        sum(v.parts.get("yes", 0) for v in votes),
        sum(v.parts.get("no", 0) for v in votes),
        sum(v.parts.get("abstain", 0) for v in votes),
    )


@given(st.integers(1, 1000), st.dictionaries(st.sampled_from(["yes", "no", "abstain", "x"]), st.integers(-5, 1000)))
def test_a_split_is_valid_exactly_when_its_parts_are_good_and_add_up(weight: int, parts: dict[str, int]) -> None:
    valid = all(o != "x" and p >= 0 for o, p in parts.items()) and sum(parts.values()) == weight
    problems = validate_split(weight, parts, options=("yes", "no", "abstain"), allowed=True)
    assert (problems == []) is valid


@given(st.dictionaries(st.sampled_from("abcdefgh"), st.integers(0, 20), min_size=1), st.integers(1, 5),
       st.binary(min_size=1, max_size=8))
def test_several_seats_go_to_the_most_voted(votes: dict[str, int], seats: int, seed: bytes) -> None:
    result = several_seats_result(votes, seats=seats, seed=seed)
    with_votes = [c for c, v in votes.items() if v > 0]
    assert len(result.elected) == min(seats, len(with_votes))
    losers = [votes[c] for c in with_votes if c not in result.elected]
    if result.elected and losers:
        assert min(votes[c] for c in result.elected) >= max(losers)
    assert (result.lot is not None) == (
        bool(losers) and min(votes[c] for c in result.elected) == max(losers))


@given(st.dictionaries(st.sampled_from("abcdef"), st.integers(0, 50), min_size=1), st.integers(0, 50))
def test_single_seat_needs_more_than_half_of_the_valid_votes(votes: dict[str, int], blank: int) -> None:
    result = single_seat_first_ballot(votes, blank=blank)
    valid = sum(votes.values())
    top = max(votes.values())
    assert bool(result.elected) is (2 * top > valid)
    if result.elected:
        assert votes[result.elected[0]] == top
