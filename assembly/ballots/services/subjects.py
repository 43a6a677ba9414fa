"""The motions domain's side of a ballot: the subject moves to voting at opening, takes the outcome at close.

``assembly.motions.services`` exposes ``on_ballot_opened`` (checks the subject may be voted on now,
moves it to voting, returns the SHA-256 of the exact text voted on; 409 ``not_votable``) and
``on_ballot_closed`` (adopted or rejected) or ``on_ballot_undecided`` (no quorum to decide: back to be
voted again). Procedural questions and elections have no subject.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.motions.models import Amendment, Motion, MotionPart
from assembly.motions.services import on_ballot_closed, on_ballot_opened, on_ballot_undecided

__all__ = ("subject_assembly", "subject_closed", "subject_opened")


async def subject_assembly(session: AsyncSession, *, subject_kind: str, subject_id: uuid.UUID) -> uuid.UUID | None:
    """The assembly a motion, amendment or motion part belongs to; None when there is no such subject."""
    if subject_kind == "motion":
        statement = select(Motion.assembly_id).where(Motion.id == subject_id)
    elif subject_kind == "amendment":
        statement = select(Amendment.assembly_id).where(Amendment.id == subject_id)
    else:
        statement = (select(Motion.assembly_id).join(MotionPart, MotionPart.motion_id == Motion.id)
                     .where(MotionPart.id == subject_id))
    return await session.scalar(statement)


async def subject_opened(session: AsyncSession, *, subject_kind: str, subject_id: uuid.UUID,
                         ballot_id: uuid.UUID) -> str:
    """Move the subject to voting and return the SHA-256 (hex) of its text; 409 ``not_votable``."""
    return await on_ballot_opened(session, subject_kind=subject_kind, subject_id=subject_id, ballot_id=ballot_id)


async def subject_closed(session: AsyncSession, *, subject_kind: str, subject_id: uuid.UUID, ballot_id: uuid.UUID,
                         adopted: bool | None, reason: str) -> None:
    """Give the subject the outcome: adopted, rejected, or (``None``: no decision) back to be voted again."""
    if adopted is None:
        await on_ballot_undecided(session, subject_kind=subject_kind, subject_id=subject_id, ballot_id=ballot_id,
                                  reason=reason)
        return
    await on_ballot_closed(session, subject_kind=subject_kind, subject_id=subject_id, ballot_id=ballot_id,
                           adopted=adopted)
