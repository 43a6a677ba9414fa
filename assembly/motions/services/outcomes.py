"""Applying decisions: amendments adopted or rejected (with the lapses that follow), parts of a division,
the motion itself, and consolidation of the adopted amendments into a new version.

These run under the motion's row lock, for the chair's commands and for the ballots domain alike.
"""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.assemblies.rules import Refusal
from assembly.core.errors import Conflict
from assembly.core.security import Principal
from assembly.motions.models import (
    Amendment,
    AmendmentStatus,
    MotionPart,
    MotionStatus,
    MotionVersion,
    PartStatus,
    Resolution,
    VersionKind,
)
from assembly.motions.rules import (
    after_division,
    amendment_transition_refusal,
    apply_amendments,
    canonical_operations,
    canonical_text,
    division_falls,
    lapses_after_adoption,
    motion_transition_refusal,
    part_transition_refusal,
    sha256_hex,
    touched_operations,
    touched_paragraphs,
)
from assembly.motions.services._common import (
    MotionState,
    amendment_label,
    effective_ops_of,
    load_state,
    lock_motion,
    make_version,
    now,
    operations_of,
    paragraphs_of,
    raise_refusal,
    record,
    refuse_if_closed,
    require_chair,
)
from assembly.positions.services import on_motion_adopted

__all__ = (
    "amendment_text_sha256",
    "consolidate",
    "decide_amendment",
    "decide_motion",
    "decide_part",
    "lapse",
    "part_text_sha256",
)


def amendment_text_sha256(state: MotionState, amendment: Amendment) -> str:
    """SHA-256 of the canonical text of the amendment as it stands (first degree: with adopted seconds)."""
    ops = effective_ops_of(state, amendment) if amendment.degree == 1 else operations_of(amendment)
    return sha256_hex(canonical_operations(ops))


def part_text_sha256(state: MotionState, part: MotionPart) -> str:
    """SHA-256 of the canonical text of a part: its paragraphs of the divided version, in text order."""
    by_id = {p.id: p for p in paragraphs_of(state.version)}
    return sha256_hex(canonical_text([by_id[pid].text for pid in part.paragraph_ids if pid in by_id]))


async def lapse(session: AsyncSession, state: MotionState, amendment: Amendment, reason: str) -> None:
    """The amendment lapses, with the reason recorded; its own pending second-degree amendments lapse too."""
    _check(amendment_transition_refusal(str(amendment.status), "lapse", "lapsed"))
    amendment.status = AmendmentStatus.LAPSED
    amendment.status_reason = reason
    await session.flush()
    await record(session, state.motion, "amendment.lapsed", None, subject_id=amendment.id,
                 payload={"amendment_id": str(amendment.id), "number": amendment.number, "reason": reason},
                 data={"amendment_id": str(amendment.id), "label": amendment_label(amendment), "status": "lapsed"})
    for child in state.children(amendment.id):
        if child.status in {AmendmentStatus.SUBMITTED, AmendmentStatus.ADMITTED}:
            await lapse(session, state, child, f"the amendment it amends, {amendment_label(amendment)}, lapsed")


def _check(refusal: Refusal | None) -> None:
    """Every status change goes through the transition tables of ``rules/workflow.py``."""
    if refusal is not None:
        raise_refusal(refusal)


async def _next_decided_seq(session: AsyncSession, motion_id: uuid.UUID) -> int:
    current = await session.scalar(select(func.max(Amendment.decided_seq)).where(Amendment.motion_id == motion_id))
    return int(current or 0) + 1


async def decide_amendment(session: AsyncSession, state: MotionState, amendment: Amendment, *, adopted: bool,
                           resolution: Resolution, reason: str | None, actor: Principal | None,
                           command: str) -> None:
    """Record the decision, then make moot what it makes moot.

    - A first-degree amendment decided: its second-degree amendments still pending lapse (they are
      voted before it; one left over no longer has anything to amend).
    - Adopted, first degree: every pending first-degree amendment that replaces or deletes one of
      the same paragraphs lapses ("moot", UN GA r.90).
    - Adopted, second degree: every pending second-degree amendment of the same parent that replaces
      or deletes one of the same operations lapses.
    """
    target = AmendmentStatus.ADOPTED if adopted else AmendmentStatus.REJECTED
    _check(amendment_transition_refusal(str(amendment.status), command, str(target)))
    amendment.status = target
    amendment.resolution = resolution
    amendment.decided_at = now()
    amendment.decided_seq = await _next_decided_seq(session, state.motion.id)
    amendment.status_reason = reason
    await session.flush()
    verb = "adopted" if adopted else "rejected"
    await record(session, state.motion, f"amendment.{verb}", actor, subject_id=amendment.id, payload={
        "amendment_id": str(amendment.id), "number": amendment.number, "degree": amendment.degree,
        "resolution": str(resolution), "ballot_id": str(amendment.ballot_id) if amendment.ballot_id else None,
        "reason": reason, "text_sha256": amendment_text_sha256(state, amendment)},
        data={"amendment_id": str(amendment.id), "label": amendment_label(amendment), "status": verb})
    label = amendment_label(amendment)
    if amendment.degree == 1:
        for child in state.children(amendment.id):
            if child.status in {AmendmentStatus.SUBMITTED, AmendmentStatus.ADMITTED}:
                await lapse(session, state, child, f"the amendment it amends, {label}, was {verb} before it")
        if adopted:
            pending = {a.id: touched_paragraphs(effective_ops_of(state, a)) for a in state.undecided(degree=1)
                       if a.id != amendment.id and a.status != AmendmentStatus.VOTING}
            moot = lapses_after_adoption(label, touched_paragraphs(effective_ops_of(state, amendment)), pending)
            for other_id, why in moot.items():
                await lapse(session, state, state.amendment(other_id), why)
    elif adopted:
        siblings = {a.id: touched_operations(operations_of(a)) for a in state.undecided(degree=2)
                    if a.parent_amendment_id == amendment.parent_amendment_id and a.id != amendment.id
                    and a.status != AmendmentStatus.VOTING}
        moot = lapses_after_adoption(label, touched_operations(operations_of(amendment)), siblings, "operation")
        for other_id, why in moot.items():
            await lapse(session, state, state.amendment(other_id), why)


async def decide_motion(session: AsyncSession, state: MotionState, *, adopted: bool, resolution: Resolution,
                        reason: str | None, actor: Principal | None, command: str) -> None:
    """The motion is adopted or rejected; recorded with the digest of the text decided.

    The one place a motion becomes adopted: an adopted motion is published as a position in the same
    transaction (positions domain: symbol, text, vote record, outbox rows for the webhooks).
    """
    motion = state.motion
    previous = str(motion.status)
    target = MotionStatus.ADOPTED if adopted else MotionStatus.REJECTED
    _check(motion_transition_refusal(previous, command, str(target)))
    motion.status = target
    motion.resolution = resolution
    motion.decided_at = now()
    motion.status_reason = reason
    await session.flush()
    verb = "adopted" if adopted else "rejected"
    await record(session, motion, f"motion.{verb}", actor, payload={
        "from_status": previous, "resolution": str(resolution), "version": motion.current_version,
        "text_sha256": state.version.text_sha256, "ballot_id": str(motion.ballot_id) if motion.ballot_id else None,
        "reason": reason}, data={"status": verb})
    if adopted:
        await on_motion_adopted(session, motion, state.version, actor_user_id=actor.user_id if actor else None)


async def decide_part(session: AsyncSession, state: MotionState, part: MotionPart, *, adopted: bool,
                      resolution: Resolution, reason: str | None, actor: Principal | None, command: str) -> None:
    """Record a part's result; when the last part is decided, apply UN GA r.89.

    If no operative paragraph is left once the rejected parts are removed (or nothing at all), the
    motion falls (rejected, by division). Otherwise, when some parts were rejected, their paragraphs
    are removed in a new version (kind ``division``), which is then voted on as a whole.
    """
    target = PartStatus.ADOPTED if adopted else PartStatus.REJECTED
    _check(part_transition_refusal(str(part.status), command, str(target)))
    part.status = target
    part.resolution = resolution
    part.status_reason = reason
    await session.flush()
    verb = "adopted" if adopted else "rejected"
    await record(session, state.motion, f"motion_part.{verb}", actor, subject_id=part.id, payload={
        "part_id": str(part.id), "number": part.number, "operative": part.operative,
        "resolution": str(resolution), "ballot_id": str(part.ballot_id) if part.ballot_id else None,
        "reason": reason}, data={"part_id": str(part.id), "number": part.number, "status": verb})
    if any(p.status in {PartStatus.PENDING, PartStatus.VOTING} for p in state.parts):
        return
    paragraphs = paragraphs_of(state.version)
    rejected = [(p.number, p.paragraph_ids) for p in state.parts if p.status == PartStatus.REJECTED]
    kept, lineage = after_division(paragraphs, rejected, based_on=state.version.number)
    if division_falls(paragraphs, kept):
        await decide_motion(session, state, adopted=False, resolution=Resolution.DIVISION,
                            reason="every operative part was rejected on the division (UN GA r.89)", actor=actor,
                            command="fall")
        return
    if not rejected:
        return
    motion = state.motion
    number = motion.current_version + 1
    version = make_version(motion, number=number, kind=VersionKind.DIVISION, title=state.version.title,
                           rationale=state.version.rationale, paragraphs=kept, based_on=state.version.number,
                           lineage={**lineage, "parts": [{"number": p.number, "status": str(p.status)}
                                                         for p in state.parts]}, actor=actor)
    session.add(version)
    motion.current_version = number
    await session.flush()
    state.version = version
    await record(session, motion, "motion.division_applied", actor, payload={
        "version": number, "based_on": version.based_on, "text_sha256": version.text_sha256,
        "rejected_parts": [n for n, _ in rejected]}, data={"version": number})


async def consolidate(session: AsyncSession, motion_id: uuid.UUID, *, actor: Principal | None = None
                      ) -> MotionVersion:
    """Apply every adopted amendment not yet in the text: a new version with lineage (docs/motions.md).

    The chair's command (``actor`` given: it must chair the assembly) or the system's. Refused: the
    motion not under debate (409 ``motion_wrong_state``), amendments still pending (409
    ``amendments_pending``), nothing adopted since the last consolidation (409 ``nothing_to_consolidate``).
    Adopted amendments are applied in the order they were adopted, each first-degree one as amended
    by its adopted second-degree ones; new paragraphs get the next paragraph ids.
    """
    motion = await lock_motion(session, motion_id)
    if actor is not None:
        await require_chair(session, actor, motion.assembly_id)
    await refuse_if_closed(session, motion.assembly_id)
    if motion.status != MotionStatus.UNDER_DEBATE:
        raise Conflict(f"the motion is {motion.status}; it is consolidated while under debate",
                       code="motion_wrong_state")
    state = await load_state(session, motion)
    pending = state.undecided()
    if pending:
        raise Conflict("amendments are still to be decided: " + ", ".join(amendment_label(a) for a in pending),
                       code="amendments_pending")
    adopted = state.unapplied_adopted()
    if not adopted:
        raise Conflict("no adopted amendment is waiting to be consolidated", code="nothing_to_consolidate")
    stale = [amendment_label(a) for a in adopted if a.target_version != motion.current_version]
    if stale:
        raise Conflict(f"amendments {', '.join(stale)} target an earlier version", code="version_outdated")
    result = apply_amendments(paragraphs_of(state.version), [effective_ops_of(state, a) for a in adopted],
                              based_on=motion.current_version, next_paragraph_number=motion.next_paragraph_number)
    if not result.paragraphs:
        raise Conflict("the adopted amendments together delete every paragraph", code="consolidation_empty")
    number = motion.current_version + 1
    version = make_version(motion, number=number, kind=VersionKind.CONSOLIDATION, title=state.version.title,
                           rationale=state.version.rationale, paragraphs=result.paragraphs,
                           based_on=motion.current_version, lineage=result.lineage, actor=actor)
    session.add(version)
    motion.current_version = number
    motion.next_paragraph_number = result.next_paragraph_number
    await session.flush()
    for amendment in adopted:
        amendment.applied_in_version = number
    await session.flush()
    await record(session, motion, "motion.consolidated", actor, payload={
        "version": number, "based_on": version.based_on, "text_sha256": version.text_sha256,
        "amendments": [{"amendment_id": str(a.id), "number": a.number} for a in adopted]},
        data={"version": number})
    return version
