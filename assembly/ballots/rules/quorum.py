"""Quorum: are enough members (or enough weight) present to debate, or to decide? (pure)

UN GA r.67 shape: one threshold to open the debate, another to take a decision, both in the
assembly's rule set (``quorum.to_debate``, ``quorum.to_decide``). Integer arithmetic only: a
fraction n/d is met when present x d >= n x membership, never by dividing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from assembly.assemblies.rules import (
    FractionOfMembers,
    FractionOfWeight,
    MajorityOfMembers,
    QuorumRule,
    QuorumThreshold,
)

__all__ = ("Purpose", "QuorumCheck", "quorum_kind", "quorum_met", "threshold_met")

Purpose = Literal["debate", "decide"]


@dataclass(frozen=True, slots=True)
class QuorumCheck:
    """Whether a quorum threshold is met, and the comparison that says so."""

    met: bool
    kind: str
    """The threshold's ``kind`` in the rule set (``majority_of_members``, ...)."""
    purpose: Purpose
    arithmetic: str
    """E.g. ``quorum to decide, majority of members: 2 x 51 = 102 > 100 members, met``."""


def quorum_kind(threshold: QuorumThreshold) -> str:
    """The ``kind`` tag of a quorum threshold, as in the rule-set document."""
    return str(type(threshold).__struct_config__.tag)


def threshold_met(
    threshold: QuorumThreshold,
    *,
    present_heads: int,
    present_weight: int,
    membership_heads: int,
    membership_weight: int,
    purpose: Purpose,
) -> QuorumCheck:
    """Apply one quorum threshold to the members (and weight) present.

    - ``majority_of_members`` (UN GA r.67, to decide): 2 x present > membership, counted in
      members (heads), whatever the weights;
    - ``fraction_of_members`` n/d (r.67, to debate: 1/3): present x d >= n x membership, in members;
    - ``fraction_of_weight`` n/d: present weight x d >= n x total weight of the membership.

    Nobody present never makes a quorum, even of an empty membership.
    """
    for name, value in (("present_heads", present_heads), ("present_weight", present_weight),
                        ("membership_heads", membership_heads), ("membership_weight", membership_weight)):
        if value < 0:
            raise ValueError(f"{name} must not be negative")
    if present_heads > membership_heads or present_weight > membership_weight:
        raise ValueError("more present than in the membership")
    kind = quorum_kind(threshold)
    if isinstance(threshold, MajorityOfMembers):
        met = 2 * present_heads > membership_heads
        relation = ">" if met else "<="
        comparison = (f"majority of members: 2 x {present_heads} present = {2 * present_heads} {relation} "
                      f"{membership_heads} members")
    elif isinstance(threshold, FractionOfMembers | FractionOfWeight):
        n, d = threshold.numerator, threshold.denominator
        if isinstance(threshold, FractionOfMembers):
            label, present, whole, unit = f"{n}/{d} of members", present_heads, membership_heads, "members"
        else:
            label, present, whole, unit = f"{n}/{d} of total weight", present_weight, membership_weight, "weight"
        met = present * d >= n * whole
        relation = ">=" if met else "<"
        comparison = (f"{label}: {unit} present {present} x {d} = {present * d} {relation} "
                      f"{n} x {whole} = {n * whole}")
    else:  # pragma: no cover - the union is closed; a new kind must be added here
        raise TypeError(f"unknown quorum threshold {threshold!r}")
    if present_heads == 0:
        met = False
        comparison += ", but nobody is present"
    return QuorumCheck(met, kind, purpose, f"quorum to {purpose}, {comparison}, {'met' if met else 'not met'}")


def quorum_met(
    rule: QuorumRule,
    *,
    present_heads: int,
    present_weight: int,
    membership_heads: int,
    membership_weight: int,
    purpose: Purpose,
) -> QuorumCheck:
    """Apply the rule set's quorum for ``purpose``: ``to_debate`` or ``to_decide`` (UN GA r.67)."""
    if purpose not in ("debate", "decide"):
        raise ValueError(f"purpose must be 'debate' or 'decide', got {purpose!r}")
    threshold = rule.to_debate if purpose == "debate" else rule.to_decide
    return threshold_met(
        threshold,
        present_heads=present_heads,
        present_weight=present_weight,
        membership_heads=membership_heads,
        membership_weight=membership_weight,
        purpose=purpose,
    )
