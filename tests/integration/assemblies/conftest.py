"""Fixtures of the assemblies service tests: a ``World`` that builds assemblies and delegations through
the services, on this test's database."""

from __future__ import annotations

import itertools
import uuid
from datetime import date
from typing import Any

import msgspec
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.assemblies import services
from assembly.assemblies.models import BodyKind
from assembly.assemblies.rules import RuleSet
from assembly.core.security import Principal
from assembly.db import Database
from assembly.members.models import Member, MemberKind, MemberStatus, WorldRegion
from tests.helpers import make_user

_keys = itertools.count(1)


class World:
    """Builds what a service test needs, committing each step as the API would."""

    def __init__(self, session: AsyncSession, database: Database, admin: Principal) -> None:
        self.session = session
        self.database = database
        self.admin = admin

    async def principal(self, *, is_admin: bool = False) -> Principal:
        """A new user, as a caller."""
        user = await make_user(self.session, is_admin=is_admin)
        return Principal(user_id=user.id, is_admin=is_admin)

    async def member(self, **overrides: Any) -> Member:
        """A new voting member with fees paid through 2025 unless overridden."""
        number = next(_keys)
        values: dict[str, Any] = {
            "key": f"I-{number:05d}-{uuid.uuid4().hex[:6]}", "name": f"City {number:05d}",
            "kind": MemberKind.LOCAL_GOVERNMENT, "country": "FR", "region": WorldRegion.EUROPE,
            "population": 100_000, "membership_category": "A", "fees_paid_through": 2025,
            "status": MemberStatus.ACTIVE,
        }
        values.update(overrides)
        member = Member(**values)
        self.session.add(member)
        await self.session.commit()
        return member

    async def assembly(self, rules: dict[str, Any] | None = None) -> uuid.UUID:
        """A planned assembly starting 2026-10-12."""
        details = await services.create_assembly(
            self.session, self.admin, name="Executive Bureau", body_kind=BodyKind.EXECUTIVE_BUREAU,
            starts_on=date(2026, 10, 12), ends_on=date(2026, 10, 12), venue=None,
            rules=msgspec.convert(rules, RuleSet) if rules is not None else None,
        )
        await self.session.commit()
        return details.assembly.id

    async def delegation(self, assembly_id: uuid.UUID, *, accept: bool = True, **member: Any) -> uuid.UUID:
        """A delegation of a new member, accredited unless ``accept`` is False."""
        registered = await services.register_delegation(self.session, self.admin, assembly_id,
                                                        member_id=(await self.member(**member)).id)
        delegation_id = registered.assessment.delegation.id
        if accept:
            await services.accept_credentials(self.session, self.admin, delegation_id)
        await self.session.commit()
        return delegation_id


@pytest.fixture
async def world(session: AsyncSession, database: Database) -> World:
    """A world with a secretariat administrator."""
    admin = await make_user(session, is_admin=True)
    return World(session, database, Principal(user_id=admin.id, is_admin=True))
