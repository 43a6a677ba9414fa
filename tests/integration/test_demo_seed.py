"""The demo seed: every capability that exists has something to show, and seeding twice changes nothing."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.assemblies.models import Assembly, AssemblyStatus, Delegation, Proxy
from assembly.assemblies.services import assess_assembly, compute_voting_rights
from assembly.demo import DEMO_ASSEMBLY, DEMO_LOGINS, seed_demo
from assembly.members.models import Member
from assembly.positions.models import Position
from assembly.settings import Settings


async def test_seed_builds_an_open_assembly_with_delegations_and_a_proxy(
    settings: Settings, session: AsyncSession
) -> None:
    logins = await seed_demo(settings)
    assert logins == DEMO_LOGINS
    assembly = (await session.scalars(select(Assembly).where(Assembly.name == DEMO_ASSEMBLY))).one()
    assert assembly.status == AssemblyStatus.OPEN
    assessment = await assess_assembly(session, assembly.id)
    by_key = {item.member.key: item for item in assessment.delegations}
    assert by_key["ES-BCN"].eligibility.eligible
    assert not by_key["PT-LIS"].eligibility.eligible
    assert [r.code for r in by_key["PT-LIS"].eligibility.reasons] == ["fees_in_arrears"]
    rights = await compute_voting_rights(session, assembly.id)
    held_by_bogota = [r for r in rights if r.holder_delegation_id == by_key["CO-BOG"].delegation.id]
    assert sorted(r.kind for r in held_by_bogota) == ["own", "proxy"]


async def test_seed_publishes_an_adopted_position(settings: Settings, session: AsyncSession) -> None:
    await seed_demo(settings)
    position = (await session.scalars(select(Position))).one()
    assert position.symbol.startswith("UCLG/WC/")
    assert position.vote["method"] == "consensus"
    assert (position.sdgs, position.process, position.session) == (["11", "11.3", "13", "13.2"], "HLPF", "2027")


async def test_seeding_again_changes_nothing(settings: Settings, session: AsyncSession) -> None:
    await seed_demo(settings)
    tables = (Member, Delegation, Proxy, Position)
    counts = [await session.scalar(select(func.count()).select_from(t)) for t in tables]
    await seed_demo(settings)
    assert [await session.scalar(select(func.count()).select_from(t)) for t in tables] == counts


async def test_the_demo_ballot_is_in_a_signed_audit_log(settings: Settings, session: AsyncSession,
                                                        tmp_path: Path) -> None:
    from dataclasses import replace  # noqa: PLC0415

    from assembly.audit.models import LogCheckpoint, LogEntry, PendingEntry  # noqa: PLC0415
    from assembly.ballots.models import Ballot, BallotStatus  # noqa: PLC0415

    await seed_demo(replace(settings, sequencer=True, data_dir=str(tmp_path)))
    ballot = (await session.scalars(select(Ballot))).one()
    assert ballot.status == BallotStatus.CLOSED
    assert await session.scalar(select(func.count()).select_from(PendingEntry)) == 0
    size = await session.scalar(select(func.max(LogCheckpoint.tree_size)))
    assert size == await session.scalar(select(func.count()).select_from(LogEntry))
    kinds = [row for row in (await session.scalars(select(LogEntry.entry))).all() if b"ballot.vote_cast" in row]
    assert len(kinds) == 4, "three delegations voted, Bogota twice (its own right and Montreal's proxy)"
    assert (tmp_path / "audit-log.key").exists()
