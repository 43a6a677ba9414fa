"""Majority rules and the decision of a ballot (pure, integer arithmetic only).

Notation: Y, N, A = yes, no, abstain; V = Y + N, the votes cast; P = present; M = the whole
membership (electorate snapshot). A weighted ballot counts weight, a one-member-one-vote ballot
counts members (heads), a double majority counts both. Every threshold is a comparison of integer
cross-products (3 x Y >= 2 x V), never a division, and every result carries the comparison as text.

Two rules hold for every majority (UN GA r.95; RONR): a tie (Y = N) never adopts, and nothing is
adopted when no votes are cast (V = 0). More generally a proposal is adopted only with more yes
than no, which the thresholds of one half or more imply and the lower fractions a rule set may
choose for ``share_of_total_weight`` do not (docs/procedures.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from assembly.assemblies.rules import (
    DoubleMajority,
    MajorityOfMembership,
    MajorityOfMembersPresent,
    MajorityRule,
    QuorumRule,
    ShareOfTotalWeight,
    SimpleMajorityOfVotesCast,
    TwoThirdsOfVotesCast,
)
from assembly.ballots.rules.quorum import quorum_met
from assembly.ballots.rules.tally import Counts, Tally

__all__ = (
    "Base",
    "Decision",
    "MajorityResult",
    "Outcome",
    "Unit",
    "apply_majority",
    "decide",
    "double_majority",
    "majority_kind",
    "majority_of_members_present",
    "majority_of_membership",
    "share_of_total_weight",
    "simple_majority_of_votes_cast",
    "two_thirds_of_votes_cast",
)

Unit = Literal["heads", "weight", "heads_and_weight"]
"""What the rule counted: members (heads), weight, or both (double majority)."""
Base = Literal["votes_cast", "present", "membership"]
"""What the yes votes were compared with: V = Y + N, P, or M."""
Outcome = Literal["adopted", "rejected", "no_quorum"]

_LABELS = {
    "simple_majority_of_votes_cast": "simple majority of votes cast",
    "two_thirds_of_votes_cast": "two-thirds of votes cast",
    "majority_of_members_present": "majority of members present",
    "majority_of_membership": "majority of the membership",
    "share_of_total_weight": "share of total weight",
    "double_majority": "double majority",
}


@dataclass(frozen=True, slots=True)
class MajorityResult:
    """A majority rule applied to a tally."""

    rule: str
    """The rule's ``kind`` in the rule set (``two_thirds_of_votes_cast``, ...)."""
    adopted: bool
    reason: str
    """``majority_reached``, ``majority_not_reached``, ``tie`` or ``no_votes_cast``."""
    unit: Unit
    base: Base
    base_heads: int | None
    """The base in members (double majority and one-member-one-vote ballots), else None."""
    base_weight: int | None
    """The base in weight (double majority and weighted ballots), else None."""
    arithmetic: str
    """E.g. ``two-thirds of votes cast, by members (yes 60, no 30, abstain 10; cast 90): 3 x 60 = 180
    >= 2 x 90 = 180, adopted``."""


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of a closed ballot: quorum to decide, then the majority (what a tally stores)."""

    outcome: Outcome
    adopted: bool
    reason: str
    """The majority's reason, or ``no_quorum`` when the quorum to decide is not met."""
    rule: str
    unit: Unit
    base: Base
    base_heads: int | None
    base_weight: int | None
    arithmetic: str
    """The comparison that decided the outcome: the majority's, or the quorum's when it is not met."""
    majority_arithmetic: str
    """The majority's comparison, also when the quorum failed (for the record; it decided nothing)."""
    quorum_met: bool
    quorum_kind: str
    quorum_arithmetic: str
    tally: Tally


def majority_kind(rule: MajorityRule) -> str:
    """The ``kind`` tag of a majority rule, as in the rule-set document."""
    return str(type(rule).__struct_config__.tag)


def _deciding(tally: Tally) -> tuple[Unit, Counts, int, int]:
    """Weighted ballots decide on weight, one-member-one-vote ballots on heads."""
    if tally.weighted:
        return "weight", tally.weight, tally.present_weight, tally.membership_weight
    return "heads", tally.heads, tally.present_heads, tally.membership_heads


def _unit_label(unit: Unit) -> str:
    return "by weight" if unit == "weight" else "by members"


def _counts_text(counts: Counts) -> str:
    return f"yes {counts.yes}, no {counts.no}, abstain {counts.abstain}"


def _guard(counts: Counts) -> tuple[str, str] | None:
    """Why a proposal cannot pass whatever the threshold: (reason, note), or None."""
    if counts.cast == 0:
        return "no_votes_cast", "no votes were cast"
    if counts.yes == counts.no:
        return "tie", "a tie never adopts"
    if counts.yes < counts.no:
        return "majority_not_reached", "more no than yes"
    return None


def _result(
    kind: str,
    tally: Tally,
    *,
    base: Base,
    threshold_met: bool,
    comparison: str,
    extra: str,
) -> MajorityResult:
    """Combine a single-unit threshold with the guard (tie, nothing cast, more no than yes)."""
    unit, counts, present, membership = _deciding(tally)
    guard = _guard(counts)
    adopted = threshold_met and guard is None
    note = ""
    if guard is not None and threshold_met:
        note = f", but {guard[1]}"
    elif guard is not None and guard[0] != "majority_not_reached":
        note = f" ({guard[1]})"
    reason = "majority_reached" if adopted else (guard[0] if guard else "majority_not_reached")
    base_value = {"votes_cast": counts.cast, "present": present, "membership": membership}[base]
    text = (f"{_LABELS[kind]}, {_unit_label(unit)} ({_counts_text(counts)}; {extra}): {comparison}{note}, "
            f"{'adopted' if adopted else 'rejected'}")
    return MajorityResult(
        rule=kind,
        adopted=adopted,
        reason=reason,
        unit=unit,
        base=base,
        base_heads=base_value if unit == "heads" else None,
        base_weight=base_value if unit == "weight" else None,
        arithmetic=text,
    )


def simple_majority_of_votes_cast(tally: Tally) -> MajorityResult:
    """Simple majority of votes cast: Y > N; abstentions are not votes cast.

    UCLG Constitution Art 38 (the default); UN GA r.85-86 ("present and voting"); RONR. A tie is
    lost (r.95).
    """
    _, counts, _, _ = _deciding(tally)
    met = counts.yes > counts.no
    comparison = f"yes {counts.yes} {'>' if met else '<='} no {counts.no}"
    return _result("simple_majority_of_votes_cast", tally, base="votes_cast", threshold_met=met,
                   comparison=comparison, extra=f"cast {counts.cast}")


def two_thirds_of_votes_cast(tally: Tally) -> MajorityResult:
    """Two-thirds of votes cast: 3 x Y >= 2 x V, V = Y + N; abstentions are not votes cast.

    UN GA r.83 (important questions), r.81, r.84; RONR (a two-thirds vote: yes at least twice no).
    """
    _, counts, _, _ = _deciding(tally)
    left, right = 3 * counts.yes, 2 * counts.cast
    met = left >= right
    comparison = f"3 x {counts.yes} = {left} {'>=' if met else '<'} 2 x {counts.cast} = {right}"
    return _result("two_thirds_of_votes_cast", tally, base="votes_cast", threshold_met=met,
                   comparison=comparison, extra=f"cast {counts.cast}")


def majority_of_members_present(tally: Tally) -> MajorityResult:
    """Majority of the members present: 2 x Y > P; an abstention (or not voting) counts as no (RONR).

    P is the weight present in a weighted ballot, the number of members present otherwise.
    """
    _, counts, present, _ = _deciding(tally)
    left = 2 * counts.yes
    met = left > present
    comparison = f"2 x {counts.yes} = {left} {'>' if met else '<='} {present} present"
    return _result("majority_of_members_present", tally, base="present", threshold_met=met,
                   comparison=comparison, extra=f"present {present}")


def majority_of_membership(tally: Tally) -> MajorityResult:
    """Majority of the entire membership: 2 x Y > M; abstaining or absent counts as no (RONR).

    M is the total weight of the electorate in a weighted ballot, its number of members otherwise.
    """
    _, counts, _, membership = _deciding(tally)
    left = 2 * counts.yes
    met = left > membership
    comparison = f"2 x {counts.yes} = {left} {'>' if met else '<='} {membership} in the membership"
    return _result("majority_of_membership", tally, base="membership", threshold_met=met,
                   comparison=comparison, extra=f"membership {membership}")


def _check_fraction(numerator: int, denominator: int) -> None:
    if numerator < 1 or denominator < 1:
        raise ValueError(f"a fraction needs numerator and denominator >= 1, got {numerator}/{denominator}")


def share_of_total_weight(tally: Tally, *, numerator: int, denominator: int) -> MajorityResult:
    """A set share of the total voting power: Y x d >= n x M, and Y > N (IMF special majorities).

    M is the total weight of the electorate (its number of members in a one-member-one-vote
    ballot); abstaining or absent counts as no. The share is measured against total voting power,
    not votes cast (IMF Articles, 70 % and 85 % majorities).
    """
    _check_fraction(numerator, denominator)
    _, counts, _, membership = _deciding(tally)
    left, right = counts.yes * denominator, numerator * membership
    met = left >= right
    comparison = f"{counts.yes} x {denominator} = {left} {'>=' if met else '<'} {numerator} x {membership} = {right}"
    return _result("share_of_total_weight", tally, base="membership", threshold_met=met,
                   comparison=comparison, extra=f"membership {membership}, share {numerator}/{denominator}")


def double_majority(
    tally: Tally,
    *,
    members_numerator: int,
    members_denominator: int,
    weight_numerator: int,
    weight_denominator: int,
    blocking_minority_members: int | None,
) -> MajorityResult:
    """Double majority of members and of weight (or population), with a blocking-minority clause.

    EU Council qualified majority (TEU Art 16(4); TFEU Art 238) with 55/100, 65/100 and 4:
    adopted iff Yh x md >= mn x Mh and Yh > Nh, and (Yw x wd >= wn x Mw and Yw > Nw, or
    Mh - Yh < blocking_minority_members). Yh, Nh count members; Yw, Nw, Mw the weight (the
    population where the tally carries populations); Mh and Mw are the whole membership, so
    abstaining or absent counts as not in favour. Fewer members than the clause names cannot
    block, whatever weight they hold: the weight condition is then deemed met. Split votes are
    not counted here (a split member is neither for nor against): the service refuses them.
    """
    _check_fraction(members_numerator, members_denominator)
    _check_fraction(weight_numerator, weight_denominator)
    if tally.split_heads:
        raise ValueError("a double majority counts members for or against: split votes cannot be counted")
    heads, weight = tally.heads, tally.weight
    mh, mw = tally.membership_heads, tally.membership_weight

    members_left, members_right = heads.yes * members_denominator, members_numerator * mh
    members_test = members_left >= members_right
    members_text = (f"members {heads.yes} x {members_denominator} = {members_left} "
                    f"{'>=' if members_test else '<'} {members_numerator} x {mh} = {members_right}")
    members_guard = _guard(heads)
    if members_guard is not None:
        members_text += f", but {members_guard[1]}" if members_test else f" ({members_guard[1]})"
    members_met = members_test and members_guard is None
    members_text += ", met" if members_met else ", not met"

    weight_left, weight_right = weight.yes * weight_denominator, weight_numerator * mw
    weight_test = weight_left >= weight_right
    weight_text = (f"weight {weight.yes} x {weight_denominator} = {weight_left} "
                   f"{'>=' if weight_test else '<'} {weight_numerator} x {mw} = {weight_right}")
    weight_guard = _guard(weight) if weight_test else None
    if weight_guard is not None:
        weight_text += f", but {weight_guard[1]}"
    weight_met = weight_test and weight_guard is None
    weight_text += ", met" if weight_met else ", not met"

    clause_text = ""
    too_few_to_block = False
    if blocking_minority_members is not None:
        not_yes = mh - heads.yes
        too_few_to_block = not_yes < blocking_minority_members
        clause_text = (f"; members not voting yes {mh} - {heads.yes} = {not_yes} "
                       + (f"< {blocking_minority_members}, too few to block: weight deemed met"
                          if too_few_to_block else f">= {blocking_minority_members}, enough to block"))
    adopted = members_met and (weight_met or too_few_to_block)

    if adopted:
        reason = "majority_reached"
    elif members_guard is not None:
        reason = members_guard[0]
    elif members_met and weight_guard is not None:
        reason = weight_guard[0]
    else:
        reason = "majority_not_reached"
    text = (f"double majority, by members and weight (members: {_counts_text(heads)}; membership {mh}; "
            f"weight: {_counts_text(weight)}; membership {mw}): {members_text}; {weight_text}{clause_text}; "
            f"{'adopted' if adopted else 'rejected'}")
    return MajorityResult(
        rule="double_majority",
        adopted=adopted,
        reason=reason,
        unit="heads_and_weight",
        base="membership",
        base_heads=mh,
        base_weight=mw,
        arithmetic=text,
    )


def apply_majority(rule: MajorityRule, tally: Tally) -> MajorityResult:
    """Apply the majority rule of the rule set (or of the ballot) to a tally."""
    if isinstance(rule, SimpleMajorityOfVotesCast):
        return simple_majority_of_votes_cast(tally)
    if isinstance(rule, TwoThirdsOfVotesCast):
        return two_thirds_of_votes_cast(tally)
    if isinstance(rule, MajorityOfMembersPresent):
        return majority_of_members_present(tally)
    if isinstance(rule, MajorityOfMembership):
        return majority_of_membership(tally)
    if isinstance(rule, ShareOfTotalWeight):
        return share_of_total_weight(tally, numerator=rule.numerator, denominator=rule.denominator)
    if isinstance(rule, DoubleMajority):
        return double_majority(
            tally,
            members_numerator=rule.members_numerator,
            members_denominator=rule.members_denominator,
            weight_numerator=rule.weight_numerator,
            weight_denominator=rule.weight_denominator,
            blocking_minority_members=rule.blocking_minority_members,
        )
    raise TypeError(f"unknown majority rule {rule!r}")  # pragma: no cover - the union is closed


def decide(rule: MajorityRule, tally: Tally, quorum: QuorumRule) -> Decision:
    """Decide a closed ballot: the quorum to decide (UN GA r.67), then the majority rule.

    Without the quorum to decide no decision is taken (outcome ``no_quorum``, not ``rejected``):
    the proposal was neither adopted nor lost. The majority is still computed and kept in
    ``majority_arithmetic`` for the record.
    """
    majority = apply_majority(rule, tally)
    check = quorum_met(
        quorum,
        present_heads=tally.present_heads,
        present_weight=tally.present_weight,
        membership_heads=tally.membership_heads,
        membership_weight=tally.membership_weight,
        purpose="decide",
    )
    if check.met:
        outcome: Outcome = "adopted" if majority.adopted else "rejected"
        reason, arithmetic = majority.reason, majority.arithmetic
    else:
        outcome, reason, arithmetic = "no_quorum", "no_quorum", f"no decision: {check.arithmetic}"
    return Decision(
        outcome=outcome,
        adopted=outcome == "adopted",
        reason=reason,
        rule=majority.rule,
        unit=majority.unit,
        base=majority.base,
        base_heads=majority.base_heads,
        base_weight=majority.base_weight,
        arithmetic=arithmetic,
        majority_arithmetic=majority.arithmetic,
        quorum_met=check.met,
        quorum_kind=check.kind,
        quorum_arithmetic=check.arithmetic,
        tally=tally,
    )
