"""Reading ballots: a ballot with its result, lists, turnout, the electorate, the roll call, my rights.

What a secret ballot never shows: which right chose what. Its result has counts only; its roll call
is refused; a delegate's own view of its rights says whether each voted, not how.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.assemblies.models import Assembly, Delegation
from assembly.assemblies.services import delegation_of_user
from assembly.ballots.models import Ballot, BallotRight, BallotStatus, Vote
from assembly.ballots.services._common import load_ballot, read_turnout
from assembly.ballots.services.lifecycle import BallotView, view_ballot
from assembly.core.errors import Conflict, Forbidden, NotFound
from assembly.core.security import Principal
from assembly.members.models import Member

__all__ = (
    "ElectorateEntry",
    "MyRight",
    "MyRights",
    "RollCallEntry",
    "Turnout",
    "electorate_page",
    "get_ballot",
    "list_ballots",
    "my_rights",
    "roll_call_page",
    "turnout",
)


@dataclass(frozen=True, slots=True)
class Turnout:
    """How many rights have voted and their weight, against the electorate."""

    ballot_id: uuid.UUID
    status: BallotStatus
    electorate_rights: int
    electorate_weight: int
    voted: int
    voted_weight: int


@dataclass(frozen=True, slots=True)
class ElectorateEntry:
    """One row of a ballot's frozen electorate."""

    right: BallotRight
    member_name: str


@dataclass(frozen=True, slots=True)
class RollCallEntry:
    """One right of a closed roll-call ballot and how it voted (None: it did not vote)."""

    right: BallotRight
    member_name: str
    vote: Vote | None


@dataclass(frozen=True, slots=True)
class MyRight:
    """A right the caller's delegation holds, and whether it has voted."""

    right: BallotRight
    revision: int | None
    choice: str | None
    split: dict[str, int] | None


@dataclass(frozen=True, slots=True)
class MyRights:
    """The caller's delegation in one ballot."""

    ballot: Ballot
    delegation_id: uuid.UUID
    rights: list[MyRight]


async def get_ballot(session: AsyncSession, ballot_id: uuid.UUID) -> BallotView:
    """The ballot with its settings, turnout and (closed) result; 404 ``ballot_not_found``."""
    return await view_ballot(session, await load_ballot(session, ballot_id))


async def list_ballots(
    session: AsyncSession, assembly_id: uuid.UUID, *, status: BallotStatus | None, limit: int, offset: int
) -> tuple[list[Ballot], int]:
    """A page of an assembly's ballots, oldest first, and the total; 404 ``assembly_not_found``."""
    if await session.scalar(select(Assembly.id).where(Assembly.id == assembly_id)) is None:
        raise NotFound(f"no assembly with id {assembly_id}", code="assembly_not_found")
    condition = [Ballot.assembly_id == assembly_id]
    if status is not None:
        condition.append(Ballot.status == status)
    total = await session.scalar(select(func.count()).select_from(Ballot).where(*condition)) or 0
    items = (await session.scalars(select(Ballot).where(*condition).order_by(Ballot.id).limit(limit)
                                   .offset(offset))).all()
    return list(items), total


async def turnout(session: AsyncSession, ballot_id: uuid.UUID) -> Turnout:
    """Rights that have voted and their weight (public while the ballot is open; never who chose what)."""
    ballot = await load_ballot(session, ballot_id)
    voted, weight = await read_turnout(session, ballot.id)
    return Turnout(ballot.id, ballot.status, ballot.electorate_rights or 0, ballot.electorate_weight or 0, voted,
                   weight)


def _electorate_query(ballot_id: uuid.UUID) -> Select[BallotRight, str]:
    return (
        select(BallotRight, Member.name)
        .join(Delegation, Delegation.id == BallotRight.delegation_id)
        .join(Member, Member.id == Delegation.member_id)
        .where(BallotRight.ballot_id == ballot_id)
    )


async def electorate_page(session: AsyncSession, ballot_id: uuid.UUID, *, limit: int,
                          offset: int) -> tuple[Ballot, list[ElectorateEntry], int]:
    """A page of the frozen electorate in member-name order (every delegation, eligible or not).

    409 ``ballot_not_open`` for a draft (it has no electorate yet).
    """
    ballot = await load_ballot(session, ballot_id)
    if ballot.status == BallotStatus.DRAFT:
        raise Conflict("a draft ballot has no electorate yet: it is frozen when the ballot opens",
                       code="ballot_not_open")
    total = await session.scalar(select(func.count()).select_from(BallotRight)
                                 .where(BallotRight.ballot_id == ballot.id)) or 0
    rows = (await session.execute(_electorate_query(ballot.id).order_by(Member.name, BallotRight.delegation_id)
                                  .limit(limit).offset(offset))).all()
    return ballot, [ElectorateEntry(right, name) for right, name in rows], total


async def roll_call_page(session: AsyncSession, ballot_id: uuid.UUID, *, limit: int,
                         offset: int) -> tuple[Ballot, list[RollCallEntry], int]:
    """A page of a closed roll-call ballot's votes: each eligible right and its choice, in member-name order.

    409 ``ballot_secret`` (a secret ballot publishes counts only), ``ballot_not_closed``.
    """
    ballot = await load_ballot(session, ballot_id)
    if ballot.secret:
        raise Conflict("a secret ballot publishes its counts only, never who chose what", code="ballot_secret")
    if ballot.status != BallotStatus.CLOSED:
        raise Conflict("the roll call is published when the ballot closes", code="ballot_not_closed")
    condition = and_(BallotRight.ballot_id == ballot.id, BallotRight.eligible)
    total = await session.scalar(select(func.count()).select_from(BallotRight).where(condition)) or 0
    rows = (await session.execute(
        select(BallotRight, Member.name, Vote)
        .join(Delegation, Delegation.id == BallotRight.delegation_id)
        .join(Member, Member.id == Delegation.member_id)
        .outerjoin(Vote, and_(Vote.ballot_id == BallotRight.ballot_id, Vote.right_id == BallotRight.id))
        .where(condition)
        .order_by(Member.name, BallotRight.delegation_id)
        .limit(limit).offset(offset)
    )).all()
    return ballot, [RollCallEntry(right, name, vote) for right, name, vote in rows], total


async def my_rights(session: AsyncSession, actor: Principal, ballot_id: uuid.UUID) -> MyRights:
    """The rights the caller's delegation holds in the ballot and whether each has voted.

    The choice is shown back in a roll-call ballot only. 404 ``ballot_not_found``; 403 ``not_a_delegate``.
    """
    ballot = await load_ballot(session, ballot_id)
    seat = await delegation_of_user(session, ballot.assembly_id, actor.user_id)
    if seat is None:
        raise Forbidden("you sit in no delegation of this assembly", code="not_a_delegate")
    rows: Sequence[tuple[BallotRight, Vote | None]] = (await session.execute(
        select(BallotRight, Vote)
        .outerjoin(Vote, and_(Vote.ballot_id == BallotRight.ballot_id, Vote.right_id == BallotRight.id))
        .where(BallotRight.ballot_id == ballot.id, BallotRight.holder_delegation_id == seat.delegation_id,
               BallotRight.eligible)
        .order_by(BallotRight.kind, BallotRight.delegation_id)
    )).all()
    shown = not ballot.secret
    return MyRights(ballot, seat.delegation_id, [
        MyRight(right, vote.revision if vote else None, vote.choice if vote and shown else None,
                vote.split if vote and shown else None)
        for right, vote in rows
    ])

