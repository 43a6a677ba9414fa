"""The hooks the ballots domain calls when a ballot on a motion, an amendment or a part opens and closes.

Both run inside the ballots service's transaction, lock the motion row, and never commit. A retry
with the same ballot id is answered as the first call was (idempotent); another ballot on a subject
already being voted on is refused.
"""

from __future__ import annotations

import uuid
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.assemblies.rules import Refusal
from assembly.core.errors import Conflict, InvalidInput, NotFound
from assembly.motions.models import Amendment, AmendmentStatus, MotionPart, MotionStatus, PartStatus, Resolution
from assembly.motions.rules import (
    amendment_transition_refusal,
    motion_transition_refusal,
    part_transition_refusal,
)
from assembly.motions.services._common import (
    MotionState,
    amendment_label,
    load_state,
    lock_motion,
    raise_refusal,
    record,
    refuse_if_closed,
)
from assembly.motions.services.amendments import votable_amendment_refusal
from assembly.motions.services.chair import motion_vote_problem, part_problem
from assembly.motions.services.outcomes import (
    amendment_text_sha256,
    decide_amendment,
    decide_motion,
    decide_part,
    part_text_sha256,
)

__all__ = ("SubjectKind", "on_ballot_closed", "on_ballot_opened", "on_ballot_undecided")

SubjectKind = Literal["motion", "amendment", "motion_part"]


async def _motion_id_of(session: AsyncSession, subject_kind: str, subject_id: uuid.UUID) -> uuid.UUID:
    if subject_kind == "motion":
        return subject_id
    if subject_kind == "amendment":
        found = await session.scalar(select(Amendment.motion_id).where(Amendment.id == subject_id))
        if found is None:
            raise NotFound(f"no amendment with id {subject_id}", code="amendment_not_found")
        return found
    if subject_kind == "motion_part":
        found = await session.scalar(select(MotionPart.motion_id).where(MotionPart.id == subject_id))
        if found is None:
            raise NotFound(f"no part with id {subject_id}", code="part_not_found")
        return found
    raise InvalidInput.for_field("subject_kind", "must be motion, amendment or motion_part")


async def _state(session: AsyncSession, subject_kind: str, subject_id: uuid.UUID) -> MotionState:
    motion = await lock_motion(session, await _motion_id_of(session, subject_kind, subject_id))
    await refuse_if_closed(session, motion.assembly_id)
    return await load_state(session, motion)


def _check(refusal: Refusal | None) -> None:
    if refusal is not None:
        raise_refusal(refusal)


def _part(state: MotionState, part_id: uuid.UUID) -> MotionPart:
    return next(p for p in state.parts if p.id == part_id)


async def on_ballot_opened(session: AsyncSession, *, subject_kind: str, subject_id: uuid.UUID,
                           ballot_id: uuid.UUID) -> str:
    """Move the subject to voting and return the SHA-256 (hex) of the exact text voted on.

    - ``motion``: under debate, every amendment decided and consolidated, every part of a division
      decided; the digest is the current version's (its paragraphs, canonical text).
    - ``amendment``: admitted and next in the chair's voting order, the motion under debate, no other
      amendment being voted on; the digest is of its canonical operations (with adopted seconds).
    - ``motion_part``: the next pending part of the divided motion; the digest of its paragraphs.

    Raises 409 ``not_votable`` (the detail says why), 404 for an unknown subject. Calling again with
    the same ``ballot_id`` while the subject is voting returns the same digest.
    """
    state = await _state(session, subject_kind, subject_id)
    motion = state.motion
    if subject_kind == "motion":
        if motion.status == MotionStatus.VOTING and motion.ballot_id == ballot_id:
            return state.version.text_sha256
        motion_vote_problem(state)
        _check(motion_transition_refusal(str(motion.status), "open_vote", "voting"))
        previous = str(motion.status)
        motion.status, motion.ballot_id = MotionStatus.VOTING, ballot_id
        await session.flush()
        await record(session, motion, "motion.voting_opened", None, payload={
            "from_status": previous, "ballot_id": str(ballot_id), "version": motion.current_version,
            "text_sha256": state.version.text_sha256}, data={"status": "voting"})
        return state.version.text_sha256
    if subject_kind == "amendment":
        amendment = state.amendment(subject_id)
        digest = amendment_text_sha256(state, amendment)
        if amendment.status == AmendmentStatus.VOTING and amendment.ballot_id == ballot_id:
            return digest
        votable_amendment_refusal(state, amendment)
        _check(amendment_transition_refusal(str(amendment.status), "open_vote", "voting"))
        amendment.status, amendment.ballot_id = AmendmentStatus.VOTING, ballot_id
        await session.flush()
        await record(session, motion, "amendment.voting_opened", None, subject_id=amendment.id, payload={
            "amendment_id": str(amendment.id), "number": amendment.number, "ballot_id": str(ballot_id),
            "text_sha256": digest},
            data={"amendment_id": str(amendment.id), "label": amendment_label(amendment), "status": "voting"})
        return digest
    part = _part(state, subject_id)
    digest = part_text_sha256(state, part)
    if part.status == PartStatus.VOTING and part.ballot_id == ballot_id:
        return digest
    part_problem(state, part)
    _check(part_transition_refusal(str(part.status), "open_vote", "voting"))
    part.status, part.ballot_id = PartStatus.VOTING, ballot_id
    await session.flush()
    await record(session, motion, "motion_part.voting_opened", None, subject_id=part.id, payload={
        "part_id": str(part.id), "number": part.number, "ballot_id": str(ballot_id), "text_sha256": digest},
        data={"part_id": str(part.id), "number": part.number, "status": "voting"})
    return digest


def _mismatch(what: str, status: str, ballot_id: uuid.UUID) -> Conflict:
    return Conflict(f"the {what} is {status}, not being voted on in ballot {ballot_id}", code="ballot_mismatch")


async def on_ballot_closed(session: AsyncSession, *, subject_kind: str, subject_id: uuid.UUID,
                           ballot_id: uuid.UUID, adopted: bool) -> None:
    """Apply a ballot's outcome to its subject (which must be voting in that ballot: else 409 ``ballot_mismatch``).

    An amendment adopted makes the pending amendments that conflict with it lapse, each with its
    reason; a part decided may end the division (UN GA r.89: when every operative part falls, the
    motion falls); a motion is adopted or rejected.
    """
    state = await _state(session, subject_kind, subject_id)
    motion = state.motion
    if subject_kind == "motion":
        if motion.status != MotionStatus.VOTING or motion.ballot_id != ballot_id:
            raise _mismatch("motion", str(motion.status), ballot_id)
        await decide_motion(session, state, adopted=adopted, resolution=Resolution.BALLOT, reason=None, actor=None,
                            command="close_vote")
        return
    if subject_kind == "amendment":
        amendment = state.amendment(subject_id)
        if amendment.status != AmendmentStatus.VOTING or amendment.ballot_id != ballot_id:
            raise _mismatch("amendment", str(amendment.status), ballot_id)
        await decide_amendment(session, state, amendment, adopted=adopted, resolution=Resolution.BALLOT, reason=None,
                               actor=None, command="close_vote")
        return
    part = _part(state, subject_id)
    if part.status != PartStatus.VOTING or part.ballot_id != ballot_id:
        raise _mismatch("part", str(part.status), ballot_id)
    await decide_part(session, state, part, adopted=adopted, resolution=Resolution.BALLOT, reason=None, actor=None,
                      command="close_vote")


async def on_ballot_undecided(session: AsyncSession, *, subject_kind: str, subject_id: uuid.UUID,
                              ballot_id: uuid.UUID, reason: str) -> None:
    """A ballot closed without a decision (no quorum to decide): the subject goes back to be voted again.

    A motion returns under debate, an amendment to admitted, a part to pending, each without its
    ballot, so that a re-vote (a new ballot) can open on it; recorded with the ballot's reason. The
    subject must be voting in that ballot (409 ``ballot_mismatch``).
    """
    state = await _state(session, subject_kind, subject_id)
    motion = state.motion
    payload = {"ballot_id": str(ballot_id), "reason": reason}
    if subject_kind == "motion":
        if motion.status != MotionStatus.VOTING or motion.ballot_id != ballot_id:
            raise _mismatch("motion", str(motion.status), ballot_id)
        _check(motion_transition_refusal(str(motion.status), "no_decision", "under_debate"))
        motion.status, motion.ballot_id = MotionStatus.UNDER_DEBATE, None
        await session.flush()
        await record(session, motion, "motion.vote_undecided", None, payload=payload,
                     data={"status": "under_debate"})
        return
    if subject_kind == "amendment":
        amendment = state.amendment(subject_id)
        if amendment.status != AmendmentStatus.VOTING or amendment.ballot_id != ballot_id:
            raise _mismatch("amendment", str(amendment.status), ballot_id)
        _check(amendment_transition_refusal(str(amendment.status), "no_decision", "admitted"))
        amendment.status, amendment.ballot_id = AmendmentStatus.ADMITTED, None
        await session.flush()
        await record(session, motion, "amendment.vote_undecided", None, subject_id=amendment.id,
                     payload={"amendment_id": str(amendment.id), **payload},
                     data={"amendment_id": str(amendment.id), "label": amendment_label(amendment),
                           "status": "admitted"})
        return
    part = _part(state, subject_id)
    if part.status != PartStatus.VOTING or part.ballot_id != ballot_id:
        raise _mismatch("part", str(part.status), ballot_id)
    _check(part_transition_refusal(str(part.status), "no_decision", "pending"))
    part.status, part.ballot_id = PartStatus.PENDING, None
    await session.flush()
    await record(session, motion, "motion_part.vote_undecided", None, subject_id=part.id,
                 payload={"part_id": str(part.id), "number": part.number, **payload},
                 data={"part_id": str(part.id), "number": part.number, "status": "pending"})
