"""The workflows of motions, amendments and the parts of a division, as explicit transition tables.

Each row names a command, the states it may start from, the states it may lead to and who may give
it. Services ask :func:`motion_transition_refusal` (and its siblings) before they change a status;
a command from any other state is refused with 409 ``motion_wrong_state`` (``amendment_wrong_state``,
``part_wrong_state``). docs/motions.md prints the same tables (a unit test keeps them in step).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from assembly.assemblies.rules import Refusal
from assembly.live.rules import AUDIENCE_CHAIR, AUDIENCE_PUBLIC, delegation_audience

__all__ = (
    "AMENDMENT_WORKFLOW",
    "DEFAULT_SUPPORT_THRESHOLD",
    "MOTION_WORKFLOW",
    "PART_WORKFLOW",
    "Transition",
    "Visibility",
    "amendment_transition_refusal",
    "can_see_motion",
    "event_audience",
    "motion_transition_refusal",
    "motion_visibility",
    "part_transition_refusal",
    "submission_refusal",
    "support_threshold",
)

Actor = Literal["sponsor", "chair", "any delegation", "ballot", "system"]


@dataclass(frozen=True, slots=True)
class Transition:
    """One row of a transition table."""

    command: str
    sources: tuple[str, ...]
    targets: tuple[str, ...]
    actor: Actor
    rule: str
    """What the row implements, in the words of the rules of procedure."""


MOTION_WORKFLOW: tuple[Transition, ...] = (
    Transition("revise", ("draft", "submitted"), ("draft", "submitted"), "sponsor",
               "the sponsor changes the text before admission; every change is a new version"),
    Transition("submit", ("draft",), ("submitted",), "sponsor",
               "tabled once the sponsor and accepted co-sponsors reach the support threshold"),
    Transition("withdraw", ("draft", "submitted", "admitted", "under_debate", "consensus_call"), ("withdrawn",),
               "sponsor", "the sponsor withdraws it before the vote on it has begun (cf. UN GA r.80)"),
    Transition("admit", ("submitted",), ("admitted",), "chair", "the chair admits the motion"),
    Transition("rule_out_of_order", ("submitted",), ("out_of_order",), "chair",
               "the chair rules the motion out of order, with a reason"),
    Transition("open_debate", ("admitted",), ("under_debate",), "chair", "the chair opens the debate"),
    Transition("call_consensus", ("under_debate",), ("consensus_call",), "chair",
               "the chair asks whether there is any objection to adoption without a vote"),
    Transition("adopt_by_consensus", ("consensus_call",), ("adopted",), "chair",
               "no objection was recorded: the chair declares the motion adopted by consensus"),
    Transition("object", ("consensus_call",), ("under_debate", "draft"), "any delegation",
               "an objection sends the motion back for a vote (under_debate) or to drafting (draft)"),
    Transition("open_vote", ("under_debate",), ("voting",), "ballot",
               "a ballot opens on the motion once its amendments are decided and consolidated (UN GA r.90)"),
    Transition("close_vote", ("voting",), ("adopted", "rejected"), "ballot", "the ballot's result"),
    Transition("no_decision", ("voting",), ("under_debate",), "ballot",
               "the ballot took no decision (no quorum to decide): the motion is back on the floor, to be voted again"),
    Transition("resolve", ("under_debate",), ("adopted", "rejected"), "chair",
               "the chair declares the result of a vote taken by hand"),
    Transition("fall", ("under_debate",), ("rejected",), "system",
               "no operative paragraph is left after the parts rejected on a division: the motion falls (UN GA r.89)"),
)
"""The motion workflow: draft -> submitted -> admitted | out_of_order -> under_debate -> voting -> decided."""

AMENDMENT_WORKFLOW: tuple[Transition, ...] = (
    Transition("admit", ("submitted",), ("admitted",), "chair", "the chair admits the amendment"),
    Transition("rule_out_of_order", ("submitted",), ("out_of_order",), "chair",
               "the chair rules the amendment out of order, with a reason"),
    Transition("withdraw", ("submitted", "admitted"), ("withdrawn",), "sponsor",
               "withdrawn by its sponsor before voting on it has begun"),
    Transition("open_vote", ("admitted",), ("voting",), "ballot",
               "a ballot opens on the amendment next in the chair's voting order (UN GA r.90)"),
    Transition("close_vote", ("voting",), ("adopted", "rejected"), "ballot", "the ballot's result"),
    Transition("no_decision", ("voting",), ("admitted",), "ballot",
               "the ballot took no decision (no quorum to decide): the amendment waits to be voted again"),
    Transition("resolve", ("admitted",), ("adopted", "rejected"), "chair",
               "the chair declares the result of a vote taken by hand, in the voting order"),
    Transition("lapse", ("submitted", "admitted"), ("lapsed",), "system",
               "moot after the adoption of a conflicting amendment, or its parent or motion left the floor"),
)
"""The amendment workflow: submitted -> admitted | out_of_order -> voting -> adopted | rejected; lapsed."""

PART_WORKFLOW: tuple[Transition, ...] = (
    Transition("open_vote", ("pending",), ("voting",), "ballot", "a ballot opens on the next part (UN GA r.89)"),
    Transition("close_vote", ("voting",), ("adopted", "rejected"), "ballot", "the ballot's result"),
    Transition("no_decision", ("voting",), ("pending",), "ballot",
               "the ballot took no decision (no quorum to decide): the part waits to be voted again"),
    Transition("resolve", ("pending",), ("adopted", "rejected"), "chair",
               "the chair declares the result of a vote taken by hand"),
)
"""The parts of a divided motion: pending -> voting -> adopted | rejected."""


def _index(table: tuple[Transition, ...]) -> Mapping[str, Transition]:
    return {row.command: row for row in table}


_MOTION = _index(MOTION_WORKFLOW)
_AMENDMENT = _index(AMENDMENT_WORKFLOW)
_PART = _index(PART_WORKFLOW)


def _refusal(table: Mapping[str, Transition], what: str, status: str, command: str,
             target: str | None) -> Refusal | None:
    row = table[command]
    if target is not None and target not in row.targets:
        msg = f"{command} cannot lead a {what} to {target}"
        raise ValueError(msg)
    if status not in row.sources:
        allowed = ", ".join(row.sources)
        return Refusal(f"{what}_wrong_state",
                       f"the {what} is {status}; {command.replace('_', ' ')} needs it to be {allowed}")
    return None


def motion_transition_refusal(status: str, command: str, target: str | None = None) -> Refusal | None:
    """None when ``command`` may move a motion in ``status`` (to ``target``); else 409 ``motion_wrong_state``."""
    return _refusal(_MOTION, "motion", status, command, target)


def amendment_transition_refusal(status: str, command: str, target: str | None = None) -> Refusal | None:
    """None when ``command`` may move an amendment in ``status``; else 409 ``amendment_wrong_state``."""
    return _refusal(_AMENDMENT, "amendment", status, command, target)


def part_transition_refusal(status: str, command: str, target: str | None = None) -> Refusal | None:
    """None when ``command`` may move a part in ``status``; else 409 ``part_wrong_state``."""
    return _refusal(_PART, "part", status, command, target)


# -- Support threshold -------------------------------------------------------------------------------

DEFAULT_SUPPORT_THRESHOLD = 2
"""Delegations that must support a motion before it can be submitted: the sponsor and one more.

The assemblies' rule set has no field for it yet; this default follows the seconding requirement of
Robert's Rules (RONR 4:9: a main motion needs a second), the seconder being an accepted co-sponsor.
"""


def support_threshold(rules: object) -> int:
    """The support threshold of an assembly's rules: their ``motion_support_threshold`` if they have one.

    The rule set (``assembly.assemblies.rules.RuleSet``) defines no such field today, so this returns
    :data:`DEFAULT_SUPPORT_THRESHOLD`; when the field is added, it is used without change here.
    """
    value = getattr(rules, "motion_support_threshold", None)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return value
    return DEFAULT_SUPPORT_THRESHOLD


def submission_refusal(supporters: int, threshold: int) -> Refusal | None:
    """A motion is submitted only when the sponsor plus its accepted co-sponsors reach the threshold."""
    if supporters < threshold:
        return Refusal("support_below_threshold",
                       f"the motion has the support of {supporters} delegation(s) (the sponsor and accepted "
                       f"co-sponsors); {threshold} are needed to submit it")
    return None


# -- Who sees a motion -------------------------------------------------------------------------------

Visibility = Literal["sponsors", "chair", "public"]


def motion_visibility(status: str, *, submitted: bool, admitted: bool) -> Visibility:
    """Who may read a motion: a draft its sponsors; once submitted the chair too; once admitted everyone.

    A ruling out of order is public (the chair's ruling is made in the open). A motion withdrawn or
    sent back to drafting keeps the widest visibility it ever had.
    """
    if admitted or status == "out_of_order":
        return "public"
    if submitted:
        return "chair"
    return "sponsors"


def can_see_motion(visibility: Visibility, *, is_sponsor: bool, is_chair: bool) -> bool:
    """Sponsors (sponsor and invited or accepted co-sponsors) always; chairs, auditors and the secretariat
    from submission; every logged-in user once public."""
    if visibility == "public":
        return True
    if visibility == "chair":
        return is_sponsor or is_chair
    return is_sponsor


def event_audience(visibility: Visibility, sponsor_delegation_id: uuid.UUID) -> str:
    """The live-event audience of a motion: its sponsoring delegation, the chair, or the public."""
    if visibility == "public":
        return AUDIENCE_PUBLIC
    if visibility == "chair":
        return AUDIENCE_CHAIR
    return delegation_audience(sponsor_delegation_id)
