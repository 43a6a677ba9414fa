"""Fixtures of the ballots service tests: a ``BallotWorld`` that seats delegations (in bulk when there
are hundreds), runs ballots through the services as the API would (one session and one commit per
command), and reads back what the database holds."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import msgspec
import pytest
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.accounts.models import User
from assembly.assemblies import services as assemblies
from assembly.assemblies.models import (
    AssemblyRoleKind,
    BodyKind,
    CredentialsStatus,
    DelegateRole,
    Delegation,
    DelegationMember,
)
from assembly.assemblies.rules import MajorityRule, RuleSet
from assembly.ballots import services as ballots
from assembly.ballots.models import BallotSubjectKind
from assembly.core.errors import AssemblyError
from assembly.core.security import Principal
from assembly.db import Database
from assembly.members.models import Member, MemberKind, MemberStatus, WorldRegion
from tests.helpers import TEST_PASSWORD_HASH, make_user

_numbers = itertools.count(1)
T = TypeVar("T")
TABLES = ("ballot", "ballot_right", "vote", "vote_change", "ballot_turnout", "ballot_result", "audit_event",
          "live_event", "proxy", "delegation")
"""What a refused command must leave exactly as it was."""


@dataclass(frozen=True, slots=True)
class Seat:
    """A delegation and the person who casts its votes (its head)."""

    delegation_id: uuid.UUID
    member_id: uuid.UUID
    voter: Principal


class BallotWorld:
    """Builds assemblies, delegations and ballots through the services, on this test's database."""

    def __init__(self, session: AsyncSession, database: Database, admin: Principal, chair: Principal) -> None:
        self.session = session
        self.database = database
        self.admin = admin
        self.chair = chair

    # -- Assemblies and delegations ---------------------------------------------------------------

    async def assembly(self, rules: dict[str, Any] | None = None, *, open_it: bool = True) -> uuid.UUID:
        """An assembly (open unless ``open_it`` is False) whose chair is ``self.chair``."""
        details = await assemblies.create_assembly(
            self.session, self.admin, name="World Council", body_kind=BodyKind.WORLD_COUNCIL,
            starts_on=date(2026, 10, 12), ends_on=date(2026, 10, 14), venue=None,
            rules=msgspec.convert(rules, RuleSet) if rules is not None else None,
        )
        assembly_id = details.assembly.id
        await assemblies.assign_role(self.session, self.admin, assembly_id, user_id=self.chair.user_id,
                                     role=AssemblyRoleKind.CHAIR)
        if open_it:
            await assemblies.open_assembly(self.session, self.admin, assembly_id)
        await self.session.commit()
        return assembly_id

    async def principal(self) -> Principal:
        """A new user, as a caller."""
        user = await make_user(self.session)
        return Principal(user_id=user.id, is_admin=False)

    async def seats(
        self,
        assembly_id: uuid.UUID,
        count: int,
        *,
        categories: Sequence[str] | None = None,
        checked_in: bool = True,
        accepted: bool = True,
        **member: Any,
    ) -> list[Seat]:
        """``count`` accredited delegations, each with a head who votes, inserted in bulk.

        ``categories`` gives the i-th member's membership category (for category-table weights).
        """
        now = datetime.now(UTC)
        users, members, delegations, people, seats = [], [], [], [], []
        for index in range(count):
            number = next(_numbers)
            user_id, member_id, delegation_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
            users.append({"id": user_id, "email": f"voter-{number}-{user_id.hex[:8]}@example.org",
                          "full_name": f"Voter {number}", "password_hash": TEST_PASSWORD_HASH, "is_admin": False,
                          "is_active": True})
            values: dict[str, Any] = {
                "id": member_id, "key": f"B-{number:06d}-{member_id.hex[:6]}", "name": f"City {number:06d}",
                "kind": MemberKind.LOCAL_GOVERNMENT, "country": "FR", "region": WorldRegion.EUROPE,
                "population": 100_000, "membership_category": categories[index] if categories else "A",
                "fees_paid_through": 2025, "status": MemberStatus.ACTIVE, "section": None,
            }
            values.update(member)
            members.append(values)
            delegations.append({
                "id": delegation_id, "assembly_id": assembly_id, "member_id": member_id,
                "credentials_status": CredentialsStatus.ACCEPTED if accepted else CredentialsStatus.SUBMITTED,
                "credentials_reason": None, "credentials_decided_by_user_id": None,
                "credentials_decided_at": now if accepted else None, "designated_voter_user_id": None,
                "checked_in": checked_in,
            })
            people.append({"delegation_id": delegation_id, "assembly_id": assembly_id, "user_id": user_id,
                           "role": DelegateRole.HEAD})
            seats.append(Seat(delegation_id, member_id, Principal(user_id=user_id, is_admin=False)))
        await self.session.execute(insert(User), users)
        await self.session.execute(insert(Member), members)
        await self.session.execute(insert(Delegation), delegations)
        await self.session.execute(insert(DelegationMember), people)
        await self.session.commit()
        return seats

    async def seat(self, assembly_id: uuid.UUID, **options: Any) -> Seat:
        """One delegation (see :meth:`seats`)."""
        return (await self.seats(assembly_id, 1, **options))[0]

    async def proxy(self, grantor: Seat, holder: Seat, *, ballot_id: uuid.UUID | None = None) -> uuid.UUID:
        """Delegation ``grantor`` gives its vote to ``holder`` (for the assembly, or one ballot)."""
        proxy = await assemblies.grant_proxy(self.session, self.admin, grantor.delegation_id,
                                             holder_delegation_id=holder.delegation_id, ballot_id=ballot_id)
        await self.session.commit()
        return proxy.id

    # -- Ballots -----------------------------------------------------------------------------------

    async def ballot(
        self,
        assembly_id: uuid.UUID,
        *,
        subject_kind: BallotSubjectKind = BallotSubjectKind.PROCEDURAL,
        subject_id: uuid.UUID | None = None,
        question: str = "Shall the meeting be adjourned?",
        weighted: bool = False,
        secret: bool = False,
        majority: dict[str, Any] | None = None,
        candidates: Sequence[str] | None = None,
        seats: int | None = None,
        k_anonymity: int = 5,
        open_it: bool = True,
    ) -> uuid.UUID:
        """A ballot created by the chair (and opened unless ``open_it`` is False)."""
        async with self.database.sessionmaker() as session:
            view = await ballots.create_ballot(
                session, self.chair, assembly_id, subject_kind=subject_kind, subject_id=subject_id,
                question=question, weighted=weighted, secret=secret,
                majority=msgspec.convert(majority, MajorityRule) if majority is not None else None,  # type: ignore[arg-type]
                candidates=[ballots.Candidate(key, f"Candidate {key}") for key in candidates]
                if candidates is not None else None,
                seats=seats, k_anonymity=k_anonymity,
            )
            await session.commit()
        ballot_id = view.ballot.id
        if open_it:
            await self.open(ballot_id)
        return ballot_id

    async def open(self, ballot_id: uuid.UUID) -> ballots.BallotView:
        """The chair opens the ballot (committed)."""
        return await self.run(lambda s: ballots.open_ballot(s, self.chair, ballot_id))

    async def close(self, ballot_id: uuid.UUID) -> ballots.BallotView:
        """The chair closes the ballot (committed)."""
        return await self.run(lambda s: ballots.close_ballot(s, self.chair, ballot_id))

    async def cast(self, voter: Seat | Principal, ballot_id: uuid.UUID, choice: str | None = "yes",
                   **options: Any) -> ballots.CastResult:
        """``voter`` casts (committed): by default ``choice`` for every right their delegation holds."""
        principal = voter.voter if isinstance(voter, Seat) else voter
        if "votes" in options:
            choice = None
        return await self.run(lambda s: ballots.cast_votes(s, principal, ballot_id, choice=choice, **options))

    async def run(self, command: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run one command in its own session and commit it, as a request would."""
        async with self.database.sessionmaker() as session:
            result = await command(session)
            await session.commit()
            return result

    async def refused(self, command: Callable[[AsyncSession], Awaitable[object]]) -> AssemblyError:
        """Run a command that must be refused; check that nothing at all changed; return the error."""
        before = await self.state()
        async with self.database.sessionmaker() as session:
            with pytest.raises(AssemblyError) as caught:
                await command(session)
            await session.rollback()
        assert await self.state() == before, "a refused command changed the database"
        return caught.value

    async def state(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of the tables a ballot command may touch, read on a fresh connection."""
        async with self.database.engine.connect() as connection:
            out: dict[str, list[tuple[Any, ...]]] = {}
            for table in TABLES:
                order = "stream_id, seq" if table == "live_event" else (
                    "ballot_id, shard" if table == "ballot_turnout" else "id")
                rows = await connection.execute(text(f"SELECT * FROM {table} ORDER BY {order}"))
                out[table] = [tuple(row) for row in rows]
            return out

    async def scalar(self, sql: str, **params: Any) -> Any:
        """One value, read on a fresh connection."""
        async with self.database.engine.connect() as connection:
            return (await connection.execute(text(sql), params)).scalar()

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        """Rows, read on a fresh connection."""
        async with self.database.engine.connect() as connection:
            return list((await connection.execute(text(sql), params)).all())

    async def events(self, kind: str, ballot_id: uuid.UUID | None = None) -> list[dict[str, Any]]:
        """Payloads of the audit events of ``kind`` (about ``ballot_id`` when given), oldest first."""
        condition = " AND subject_id = :ballot_id" if ballot_id else ""
        rows = await self.rows(f"SELECT payload FROM audit_event WHERE kind = :kind{condition} ORDER BY id",
                               kind=kind, ballot_id=ballot_id)
        return [row[0] for row in rows]


@pytest.fixture
async def world(session: AsyncSession, database: Database) -> BallotWorld:
    """A world with a secretariat administrator and a chair."""
    admin = await make_user(session, is_admin=True)
    chair = await make_user(session, full_name="The Chair")
    return BallotWorld(session, database, Principal(user_id=admin.id, is_admin=True),
                       Principal(user_id=chair.id, is_admin=False))
