"""Voting eligibility: computed from the facts, never typed in (pure, no I/O).

A delegation holds a vote when all of these hold, each failure giving one stable reason code:

``credentials_not_accepted``  its credentials were not accepted (submitted or rejected)
``member_suspended``          its member is suspended (UCLG Constitution Art 23)
``kind_not_voting``           its member's kind is not a voting kind (Art 36: associate, honorary)
``fees_in_arrears``           fees are not paid through the required year (Art 36; UN Charter Art 19)
``category_not_in_table``     the weighting scheme cannot weigh the member (category table, no default)
``zero_weight``               the weighting scheme gives the member no votes

A member in arrears may still be accredited and speak: arrears never block credentials, only the vote.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from assembly.assemblies.rules.rule_set import EligibilityRule
from assembly.assemblies.rules.weighting import Weight

__all__ = (
    "REASON_CODES",
    "Eligibility",
    "Reason",
    "assess_eligibility",
    "casting_problem",
    "fees_required_through",
)

REASON_CODES = (
    "credentials_not_accepted",
    "member_suspended",
    "kind_not_voting",
    "fees_in_arrears",
    "category_not_in_table",
    "zero_weight",
)
"""Every reason code, in the order reasons are listed."""


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a delegation holds no vote: a stable code and a sentence for people."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class Eligibility:
    """Whether a delegation holds a vote, and every reason it does not."""

    eligible: bool
    reasons: tuple[Reason, ...] = ()


def fees_required_through(rule: EligibilityRule, assembly_starts_on: date) -> int:
    """The last year fees must be paid through: starts_on.year - 1 - arrears_grace_years.

    UCLG Constitution Art 36: members "up to date with fees up until the year preceding the
    meeting" vote (grace 0). ``arrears_grace_years`` = 1 gives the UN Charter Art 19 shape (no vote
    once the arrears reach the two preceding full years).
    """
    return assembly_starts_on.year - 1 - rule.arrears_grace_years


def assess_eligibility(
    rule: EligibilityRule,
    *,
    assembly_starts_on: date,
    credentials_status: str,
    member_kind: str,
    member_status: str,
    fees_paid_through: int | None,
    weight: Weight | None = None,
) -> Eligibility:
    """Decide whether a delegation holds a vote and say every reason it does not (see module docstring).

    Args:
        rule: The assembly's eligibility rule.
        assembly_starts_on: First day of the assembly; the fees rule counts from its year.
        credentials_status: ``submitted``, ``accepted`` or ``rejected``.
        member_kind: The member's kind (a :class:`~assembly.members.models.MemberKind` value).
        member_status: ``active`` or ``suspended``.
        fees_paid_through: Last year the member's fees are paid for; None when never paid.
        weight: The delegation's weight, when known: a weighting problem or a zero weight is a reason.
    """
    reasons: list[Reason] = []
    if credentials_status != "accepted":
        reasons.append(Reason("credentials_not_accepted", f"credentials are {credentials_status}, not accepted"))
    if member_status == "suspended":
        reasons.append(Reason("member_suspended", "the member is suspended"))
    voting_kinds = {str(kind) for kind in rule.voting_member_kinds}
    if member_kind not in voting_kinds:
        reasons.append(Reason("kind_not_voting", f"members of kind {member_kind} do not vote in this assembly"))
    exempt = {str(kind) for kind in rule.fees_exempt_member_kinds}
    required = fees_required_through(rule, assembly_starts_on)
    if member_kind not in exempt and (fees_paid_through is None or fees_paid_through < required):
        paid = "no fees paid" if fees_paid_through is None else f"fees paid through {fees_paid_through}"
        reasons.append(Reason("fees_in_arrears", f"{paid}; this assembly requires fees paid through {required}"))
    if weight is not None:
        if weight.problem is not None:
            reasons.append(Reason(weight.problem, weight.derivation))
        elif weight.weight <= 0:
            reasons.append(Reason("zero_weight", f"the weighting scheme gives no votes: {weight.derivation}"))
    return Eligibility(eligible=not reasons, reasons=tuple(reasons))


def casting_problem(
    *,
    role: str,
    is_designated_voter: bool,
    delegate_present: bool,
    substitute_votes_only_when_delegate_absent: bool,
) -> str | None:
    """Say why a member of a delegation may not cast its vote, or None when they may (for ballots).

    The head and the designated voter cast the delegation's vote. A substitute casts it only as the
    designated voter and, under ``substitute_votes_only_when_delegate_absent`` (UCLG Constitution
    Art 36), only while no other delegate of the delegation is present; the ballot engineer supplies
    ``delegate_present``. Returns ``not_the_voter`` or ``substitute_while_delegate_present``.
    """
    if role != "head" and not is_designated_voter:
        return "not_the_voter"
    if role == "substitute" and substitute_votes_only_when_delegate_absent and delegate_present:
        return "substitute_while_delegate_present"
    return None
