"""Use cases of the chair on a motion: admit or rule out of order, open the debate, consensus and
objections, resolve by hand, divide the question and resolve its parts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.assemblies.models import Delegation
from assembly.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from assembly.core.security import Principal
from assembly.motions.models import Motion, MotionPart, MotionStatus, PartStatus, Resolution
from assembly.motions.rules import (
    clean_line,
    division_refusal,
    motion_transition_refusal,
    motion_vote_refusal,
    paragraphs_in_text_order,
    part_is_operative,
    part_transition_refusal,
    part_vote_refusal,
)
from assembly.motions.services._common import (
    MotionState,
    amendment_label,
    caller_in,
    load_state,
    lock_motion,
    now,
    paragraphs_of,
    raise_refusal,
    record,
    refuse_if_closed,
    require_chair,
    require_visible,
)
from assembly.motions.services.drafting import lapse_undecided
from assembly.motions.services.outcomes import decide_motion, decide_part

__all__ = (
    "admit_motion",
    "adopt_by_consensus",
    "call_consensus",
    "divide_motion",
    "motion_vote_problem",
    "next_pending_part",
    "open_debate",
    "part_problem",
    "record_objection",
    "resolve_motion",
    "resolve_part",
    "rule_motion_out_of_order",
)


def _reason(raw: str | None, *, required: str | None = None) -> str | None:
    why = clean_line(raw) if raw else ""
    if not why and required:
        raise InvalidInput.for_field("reason", required, code="reason_required")
    return why or None


async def _chair_command(session: AsyncSession, principal: Principal, motion_id: uuid.UUID) -> Motion:
    """Lock the motion; the caller must chair its assembly (403) and may not act on a draft it cannot see (404)."""
    motion = await lock_motion(session, motion_id)
    await require_chair(session, principal, motion.assembly_id)
    await require_visible(session, await caller_in(session, principal, motion.assembly_id), motion)
    await refuse_if_closed(session, motion.assembly_id)
    return motion


async def _move(session: AsyncSession, principal: Principal | None, motion: Motion, *, command: str,
                target: MotionStatus, kind: str, reason: str | None = None,
                extra: dict[str, object] | None = None) -> Motion:
    refusal = motion_transition_refusal(str(motion.status), command, str(target))
    if refusal:
        raise_refusal(refusal)
    previous = str(motion.status)
    motion.status = target
    if reason is not None:
        motion.status_reason = reason
    await session.flush()
    await record(session, motion, kind, principal, payload={"from_status": previous, "reason": reason,
                                                            **(extra or {})}, data={"status": str(target)})
    return motion


async def admit_motion(session: AsyncSession, principal: Principal, motion_id: uuid.UUID) -> Motion:
    """submitted -> admitted: from now on everyone sees it."""
    motion = await _chair_command(session, principal, motion_id)
    refusal = motion_transition_refusal(str(motion.status), "admit", "admitted")
    if refusal:
        raise_refusal(refusal)
    motion.admitted_at = motion.admitted_at or now()
    return await _move(session, principal, motion, command="admit", target=MotionStatus.ADMITTED,
                       kind="motion.admitted")


async def rule_motion_out_of_order(session: AsyncSession, principal: Principal, motion_id: uuid.UUID, *,
                                   reason: str) -> Motion:
    """submitted -> out_of_order, with the chair's reason (422 ``reason_required`` when blank)."""
    motion = await _chair_command(session, principal, motion_id)
    why = _reason(reason, required="say why the motion is out of order")
    return await _move(session, principal, motion, command="rule_out_of_order", target=MotionStatus.OUT_OF_ORDER,
                       kind="motion.ruled_out_of_order", reason=why)


async def open_debate(session: AsyncSession, principal: Principal, motion_id: uuid.UUID) -> Motion:
    """admitted -> under_debate."""
    motion = await _chair_command(session, principal, motion_id)
    return await _move(session, principal, motion, command="open_debate", target=MotionStatus.UNDER_DEBATE,
                       kind="motion.debate_opened")


def motion_vote_problem(state: MotionState) -> None:
    """Raise 409 ``not_votable`` unless the motion may now be decided as a whole (docs/motions.md)."""
    refusal = motion_vote_refusal(
        status=str(state.motion.status),
        pending_amendments=[amendment_label(a) for a in state.undecided()],
        unapplied_adopted=[amendment_label(a) for a in state.unapplied_adopted()],
        pending_parts=[p.number for p in state.parts if p.status in {PartStatus.PENDING, PartStatus.VOTING}],
    )
    if refusal:
        raise_refusal(refusal)


async def call_consensus(session: AsyncSession, principal: Principal, motion_id: uuid.UUID) -> Motion:
    """under_debate -> consensus_call: the chair asks whether there is any objection to adoption without a vote.

    Only a motion that could be put to the vote may be (409 ``not_votable`` otherwise: amendments
    pending, not consolidated, parts of a division pending).
    """
    motion = await _chair_command(session, principal, motion_id)
    refusal = motion_transition_refusal(str(motion.status), "call_consensus", "consensus_call")
    if refusal:
        raise_refusal(refusal)
    motion_vote_problem(await load_state(session, motion))
    return await _move(session, principal, motion, command="call_consensus", target=MotionStatus.CONSENSUS_CALL,
                       kind="motion.consensus_called")


async def adopt_by_consensus(session: AsyncSession, principal: Principal, motion_id: uuid.UUID) -> Motion:
    """consensus_call -> adopted by consensus: no objection was recorded (an objection ends the call)."""
    motion = await _chair_command(session, principal, motion_id)
    refusal = motion_transition_refusal(str(motion.status), "adopt_by_consensus", "adopted")
    if refusal:
        raise_refusal(refusal)
    await decide_motion(session, await load_state(session, motion), adopted=True, resolution=Resolution.CONSENSUS,
                        reason="adopted by consensus: no objection was recorded", actor=principal,
                        command="adopt_by_consensus")
    return motion


async def record_objection(session: AsyncSession, principal: Principal, motion_id: uuid.UUID, *,
                           delegation_id: uuid.UUID | None, reason: str,
                           return_to: Literal["vote", "drafting"]) -> Motion:
    """An objection to adoption by consensus: the motion goes back for a vote or to drafting.

    A delegate objects for their own delegation; the chair (or the secretariat) records an objection
    made in the room for the delegation named in ``delegation_id``. Refused: no consensus call (409
    ``motion_wrong_state``), a delegate naming another delegation or a caller with no delegation and no
    chair role (403 ``not_your_delegation``), a delegation not of the assembly (422
    ``delegation_not_in_assembly``), a blank reason (422 ``reason_required``).
    """
    motion = await lock_motion(session, motion_id)
    caller = await caller_in(session, principal, motion.assembly_id)
    await require_visible(session, caller, motion)
    await refuse_if_closed(session, motion.assembly_id)
    objector = delegation_id or caller.delegation_id
    if objector is None or (objector != caller.delegation_id and not await _chairs(session, principal, motion)):
        raise Forbidden("a delegate objects for their own delegation; the chair may record one for any",
                        code="not_your_delegation")
    if objector != caller.delegation_id:
        await _require_delegation_of(session, motion, objector)
    why = _reason(reason, required="say why the delegation objects")
    target = MotionStatus.UNDER_DEBATE if return_to == "vote" else MotionStatus.DRAFT
    refusal = motion_transition_refusal(str(motion.status), "object", str(target))
    if refusal:
        raise_refusal(refusal)
    await _move(session, principal, motion, command="object", target=target, kind="motion.objection_recorded",
                reason=f"objection: {why}", extra={"delegation_id": str(objector), "return_to": return_to})
    if target == MotionStatus.DRAFT:
        await lapse_undecided(session, await load_state(session, motion), "the motion was sent back to drafting")
    return motion


async def _chairs(session: AsyncSession, principal: Principal, motion: Motion) -> bool:
    try:
        await require_chair(session, principal, motion.assembly_id)
    except Forbidden:
        return False
    return True


async def _require_delegation_of(session: AsyncSession, motion: Motion, delegation_id: uuid.UUID) -> None:
    found = await session.scalar(select(Delegation.id).where(Delegation.id == delegation_id,
                                                            Delegation.assembly_id == motion.assembly_id))
    if found is None:
        raise InvalidInput.for_field("delegation_id", "not a delegation of this motion's assembly",
                                     code="delegation_not_in_assembly")


async def resolve_motion(session: AsyncSession, principal: Principal, motion_id: uuid.UUID, *, adopted: bool,
                         reason: str) -> Motion:
    """The chair declares the result of a vote on the whole motion taken by hand (before ballots exist).

    Refused: not under debate (409 ``motion_wrong_state``), amendments or parts pending or not
    consolidated (409 ``not_votable``), a blank reason (422 ``reason_required``).
    """
    motion = await _chair_command(session, principal, motion_id)
    refusal = motion_transition_refusal(str(motion.status), "resolve")
    if refusal:
        raise_refusal(refusal)
    state = await load_state(session, motion)
    motion_vote_problem(state)
    why = _reason(reason, required="state the result as declared (e.g. the show of hands)")
    await decide_motion(session, state, adopted=adopted, resolution=Resolution.CHAIR, reason=why, actor=principal,
                        command="resolve")
    return motion


async def divide_motion(session: AsyncSession, principal: Principal, motion_id: uuid.UUID, *,
                        parts: Sequence[Sequence[str]], reason: str | None) -> MotionState:
    """Division of the question (UN GA r.89): the chair splits the current text into parts voted separately.

    The motion must be under debate with every amendment decided and consolidated (409
    ``not_divisible``) and not divided before (409 ``already_divided``); each part names paragraphs
    of the current version, none twice (422 ``unknown_paragraph``, ``paragraph_in_two_parts``).
    Paragraphs in no part stay in the text voted on as a whole.
    """
    motion = await _chair_command(session, principal, motion_id)
    if motion.status != MotionStatus.UNDER_DEBATE:
        raise Conflict(f"the motion is {motion.status}; the question is divided while it is under debate",
                       code="motion_wrong_state")
    if motion.divided_version is not None:
        raise Conflict(f"the question was already divided (version {motion.divided_version})",
                       code="already_divided")
    state = await load_state(session, motion)
    pending = [amendment_label(a) for a in state.undecided()] + [amendment_label(a) for a in state.unapplied_adopted()]
    if pending:
        raise Conflict("decide and consolidate the amendments before dividing the question: " + ", ".join(pending),
                       code="not_divisible")
    paragraphs = paragraphs_of(state.version)
    refusal = division_refusal(parts, paragraphs)
    if refusal:
        raise_refusal(refusal)
    motion.divided_version = motion.current_version
    for number, ids in enumerate(parts, start=1):
        ordered = paragraphs_in_text_order(ids, paragraphs)
        session.add(MotionPart(motion_id=motion.id, number=number, paragraph_ids=ordered,
                               operative=part_is_operative(ordered, paragraphs), status=PartStatus.PENDING))
    await session.flush()
    state = await load_state(session, motion)
    await record(session, motion, "motion.divided", principal, payload={
        "version": motion.current_version, "reason": _reason(reason),
        "parts": [{"number": p.number, "paragraph_ids": list(p.paragraph_ids), "operative": p.operative}
                  for p in state.parts]}, data={"parts": len(state.parts)})
    return state


def next_pending_part(state: MotionState) -> int | None:
    """The number of the first part not yet decided."""
    return next((p.number for p in state.parts if p.status == PartStatus.PENDING), None)


def part_problem(state: MotionState, part: MotionPart) -> None:
    """Raise 409 ``not_votable`` unless ``part`` is the next part to vote on."""
    voting = next((p.number for p in state.parts if p.status == PartStatus.VOTING), None)
    refusal = part_vote_refusal(part.number, motion_status=str(state.motion.status), status=str(part.status),
                                voting_now=voting, next_pending=next_pending_part(state))
    if refusal:
        raise_refusal(refusal)


async def resolve_part(session: AsyncSession, principal: Principal, part_id: uuid.UUID, *, adopted: bool,
                       reason: str) -> MotionState:
    """The chair declares the result of a vote by hand on the next part of a divided motion.

    Refused: not pending (409 ``part_wrong_state``), not the next part (409 ``not_votable``), a blank
    reason (422 ``reason_required``). When the last part is decided, UN GA r.89 applies
    (:func:`~assembly.motions.services.outcomes.decide_part`).
    """
    motion_id = await session.scalar(select(MotionPart.motion_id).where(MotionPart.id == part_id))
    if motion_id is None:
        raise NotFound(f"no part with id {part_id}", code="part_not_found")
    motion = await _chair_command(session, principal, motion_id)
    state = await load_state(session, motion)
    part = next(p for p in state.parts if p.id == part_id)
    refusal = part_transition_refusal(str(part.status), "resolve")
    if refusal:
        raise_refusal(refusal)
    part_problem(state, part)
    why = _reason(reason, required="state the result as declared (e.g. the show of hands)")
    await decide_part(session, state, part, adopted=adopted, resolution=Resolution.CHAIR, reason=why, actor=principal,
                      command="resolve")
    return state
