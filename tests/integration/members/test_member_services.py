"""Member services on PostgreSQL: races settled by the constraint and row locks, imports in one transaction."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.accounts.models import User
from assembly.audit.models import AuditEvent
from assembly.core.errors import AssemblyError, Conflict, InvalidInput
from assembly.db import Database
from assembly.members import services
from assembly.members.models import Member, MemberStatus
from tests.helpers import make_user

HEADER = "key,name,kind,country,region,population"


def values(key: str = "ES-BCN", **overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"key": key, "name": "Barcelona", "kind": "metropolis", "country": "ES",
                            "region": "europe", "section": None, "population": 1_620_000,
                            "membership_category": None, "fees_paid_through": None}
    base.update(overrides)
    return base


def csv_file(keys: range, population: int = 100) -> bytes:
    return (HEADER + "\n" + "".join(f"K-{i:05d},City {i},local_government,FR,europe,{population}\n"
                                    for i in keys)).encode()


@pytest.fixture
async def actor(session: AsyncSession) -> User:
    return await make_user(session, is_admin=True)


async def count(database: Database, model: type[Member] | type[AuditEvent]) -> int:
    async with database.sessionmaker() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


async def _in_own_transaction(database: Database, work: Any) -> Any:
    async with database.sessionmaker() as session, session.begin():
        return await work(session)


async def test_two_creates_with_one_key_race_to_one_member_and_one_conflict(database: Database, actor: User) -> None:
    async def create(name: str) -> Any:
        return await _in_own_transaction(
            database, lambda s: services.create_member(s, actor_user_id=actor.id, values=values(name=name)))

    results = await asyncio.gather(create("First"), create("Second"), return_exceptions=True)
    conflicts = [r for r in results if isinstance(r, Conflict)]
    created = [r for r in results if isinstance(r, Member)]
    assert len(created) == 1, results
    assert len(conflicts) == 1, results
    assert conflicts[0].code == "member_key_taken"
    assert await count(database, Member) == 1
    assert await count(database, AuditEvent) == 1  # the refused create recorded nothing


async def test_two_suspensions_race_to_one_suspension_and_one_conflict(database: Database, actor: User) -> None:
    member = await _in_own_transaction(
        database, lambda s: services.create_member(s, actor_user_id=actor.id, values=values()))

    async def suspend() -> Any:
        return await _in_own_transaction(
            database, lambda s: services.suspend_member(s, actor_user_id=actor.id, member_id=member.id,
                                                        reason="Art 23"))

    results = await asyncio.gather(suspend(), suspend(), return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "Member"], results
    conflict = next(r for r in results if isinstance(r, AssemblyError))
    assert conflict.code == "member_already_suspended"
    async with database.sessionmaker() as session:
        stored = await session.get(Member, member.id)
        suspensions = await session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.kind == "member.suspended"))
    assert stored is not None
    assert stored.status is MemberStatus.SUSPENDED
    assert suspensions == 1


async def test_concurrent_imports_of_overlapping_files_both_finish_and_count_exactly(
    database: Database, actor: User
) -> None:
    async def import_file(data: bytes) -> services.ImportOutcome:
        outcome: services.ImportOutcome = await _in_own_transaction(
            database, lambda s: services.import_register(s, actor_user_id=actor.id, data=data))
        return outcome

    first, second = await asyncio.gather(
        import_file(csv_file(range(3000), population=1)),
        import_file(csv_file(range(1500, 4500), population=2)),
    )
    # The imports run one after the other (advisory lock), so the second sees every row of the first.
    assert first.created + second.created == 4500
    assert first.updated + second.updated == 1500
    assert {first.unchanged, second.unchanged} == {0}
    assert await count(database, Member) == 4500


async def test_a_refused_import_leaves_the_transaction_untouched(
    database: Database, session: AsyncSession, actor: User
) -> None:
    await services.import_register(session, actor_user_id=actor.id, data=csv_file(range(10)))
    await session.commit()
    bad = csv_file(range(5, 20)) + b"K-99999,,local_government,FR,europe,1\n"
    with pytest.raises(InvalidInput) as refused:
        await services.import_register(session, actor_user_id=actor.id, data=bad)
    assert refused.value.code == "csv_rows_invalid"
    assert refused.value.extra["errors"] == [{"row": 17, "column": "name", "message": "is required"}]
    await session.rollback()
    assert await count(database, Member) == 10


async def test_dry_run_counts_match_the_real_import_and_leave_the_session_usable(
    session: AsyncSession, actor: User
) -> None:
    await services.import_register(session, actor_user_id=actor.id, data=csv_file(range(100)))
    data = csv_file(range(50, 150), population=7)
    dry = await services.import_register(session, actor_user_id=actor.id, data=data, dry_run=True)
    real = await services.import_register(session, actor_user_id=actor.id, data=data)
    assert (dry.created, dry.updated, dry.unchanged) == (real.created, real.updated, real.unchanged) == (50, 50, 0)
    assert dry.dry_run
    assert not real.dry_run
    await session.flush()  # the sessions do not autoflush; the audit events wait for the commit otherwise
    events = (await session.scalars(select(AuditEvent.kind).where(AuditEvent.kind == "member.register_imported"))).all()
    assert len(events) == 2  # the two real imports; the dry run records nothing
    await session.commit()


async def test_replace_without_change_keeps_updated_at_and_records_nothing(
    session: AsyncSession, actor: User
) -> None:
    member = await services.create_member(session, actor_user_id=actor.id, values=values())
    await session.commit()
    stamp = member.updated_at
    editable = {k: v for k, v in values().items() if k != "key"}
    again = await services.replace_member(session, actor_user_id=actor.id, member_id=member.id, values=editable)
    await session.commit()
    assert again.updated_at == stamp
    kinds = (await session.scalars(select(AuditEvent.kind))).all()
    assert kinds == ["member.created"]


async def test_unknown_member_id_is_not_found(session: AsyncSession, actor: User) -> None:
    with pytest.raises(AssemblyError) as missing:
        await services.suspend_member(session, actor_user_id=actor.id, member_id=uuid.uuid4(), reason="x")
    assert (missing.value.status_code, missing.value.code) == (404, "member_not_found")
