"""The demo seed: every capability that exists has something to show, and seeding twice changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.assemblies.models import Assembly, AssemblyStatus, Delegation, Proxy
from assembly.assemblies.services import assess_assembly, compute_voting_rights
from assembly.demo import DEMO_ASSEMBLY, DEMO_LOGINS, seed_demo
from assembly.members.models import Member
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


async def test_seeding_again_changes_nothing(settings: Settings, session: AsyncSession) -> None:
    await seed_demo(settings)
    counts = [await session.scalar(select(func.count()).select_from(t)) for t in (Member, Delegation, Proxy)]
    await seed_demo(settings)
    assert [await session.scalar(select(func.count()).select_from(t)) for t in (Member, Delegation, Proxy)] == counts
