"""Helpers shared by the ballot use cases: loading and locking a ballot, roles, refusals, subjects."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Literal, NoReturn

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.assemblies.models import AssemblyRoleKind
from assembly.assemblies.services import require_assembly_role
from assembly.ballots.checks import FieldProblem
from assembly.ballots.models import Ballot, BallotSubjectKind, BallotTurnout
from assembly.core.errors import Conflict, InvalidInput, NotFound
from assembly.core.security import Principal

__all__ = (
    "LOCK_NAMESPACE",
    "SUBJECT_KINDS",
    "ballot_gate",
    "ballot_lock_key",
    "load_ballot",
    "raise_problems",
    "read_turnout",
    "refuse_unless_open",
    "require_chair",
)

SUBJECT_KINDS = (BallotSubjectKind.MOTION, BallotSubjectKind.AMENDMENT, BallotSubjectKind.MOTION_PART)
"""Ballots whose subject lives in the motions domain (opening and closing notify it)."""


LOCK_NAMESPACE = 0x62616C
"""First key of the ballots' transaction-level advisory locks (the second is derived from the ballot id)."""


def ballot_lock_key(ballot_id: uuid.UUID) -> int:
    """The second advisory-lock key of a ballot: its id's last 32 bits, as a signed int4.

    Two ballots sharing a key (one chance in 2**32) only wait for each other; nothing else changes.
    """
    low = ballot_id.int & 0xFFFFFFFF
    return low - (1 << 32) if low >= 1 << 31 else low


def ballot_gate(ballot_id: uuid.UUID, *, exclusive: bool) -> ColumnElement[bool]:
    """A condition that first takes the ballot's advisory lock, shared (casts) or exclusive (open, close).

    Why both this and the row lock: a row locked FOR SHARE lets further FOR SHARE lockers in without
    queueing, so under a steady stream of casts a FOR UPDATE waiter (the chair closing) could wait
    until the voting stops. Advisory locks queue fairly: once the close asks for its exclusive lock,
    casts that arrive later wait behind it, and then find the ballot closed.
    """
    lock = func.pg_advisory_xact_lock if exclusive else func.pg_advisory_xact_lock_shared
    # A scalar subquery (an InitPlan, run before the row is read and locked); not EXISTS, whose select
    # list PostgreSQL drops without calling it.
    return select(lock(LOCK_NAMESPACE, ballot_lock_key(ballot_id))).scalar_subquery().is_not(None)


async def load_ballot(
    session: AsyncSession, ballot_id: uuid.UUID, *, lock: Literal["update", "share"] | None = None
) -> Ballot:
    """The ballot, optionally locked (FOR UPDATE to open or close it); 404 ``ballot_not_found``.

    ``update`` takes the ballot's exclusive advisory lock (:func:`ballot_gate`) before the row lock.
    ``populate_existing`` so that a ballot already in the session is re-read once the lock is held.
    """
    statement = select(Ballot).where(Ballot.id == ballot_id).execution_options(populate_existing=True)
    if lock == "update":
        statement = statement.where(ballot_gate(ballot_id, exclusive=True)).with_for_update()
    elif lock == "share":
        statement = statement.with_for_update(read=True)
    ballot = await session.scalar(statement)
    if ballot is None:
        raise NotFound(f"no ballot with id {ballot_id}", code="ballot_not_found")
    return ballot


async def require_chair(session: AsyncSession, actor: Principal, assembly_id: uuid.UUID) -> None:
    """The assembly's chair or the secretariat; else 403 ``assembly_role_required``."""
    await require_assembly_role(session, actor, assembly_id, [AssemblyRoleKind.CHAIR])


def refuse_unless_open(status: str) -> None:
    """Votes are cast only while the ballot is open: 409 ``ballot_not_open`` or ``ballot_closed``."""
    if status == "draft":
        raise Conflict("the ballot has not been opened yet", code="ballot_not_open")
    if status == "closed":
        raise Conflict("the ballot is closed: no vote is accepted after the close", code="ballot_closed")


def raise_problems(problems: Sequence[FieldProblem], *, code: str = "invalid_input") -> NoReturn:
    """422 naming every field of ``problems`` (at least one)."""
    errors = [{"field": p.field, "message": p.message} for p in problems]
    raise InvalidInput("; ".join(f"{e['field']}: {e['message']}" for e in errors), code=code, errors=errors)


async def read_turnout(session: AsyncSession, ballot_id: uuid.UUID) -> tuple[int, int]:
    """(rights that voted, their weight): the sum of the ballot's turnout shards, one query."""
    row = (await session.execute(
        select(func.coalesce(func.sum(BallotTurnout.rights), 0), func.coalesce(func.sum(BallotTurnout.weight), 0))
        .where(BallotTurnout.ballot_id == ballot_id)
    )).one()
    return int(row[0]), int(row[1])
