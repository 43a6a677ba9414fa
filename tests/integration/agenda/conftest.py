"""Fixtures of the agenda service tests: a ``Floor`` that seats an open sitting through the services."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.agenda import services
from assembly.agenda.models import AgendaItemKind
from assembly.assemblies import services as assemblies
from assembly.assemblies.models import AssemblyRoleKind, DelegateRole
from assembly.core.security import Principal
from assembly.db import Database
from tests.helpers import make_user
from tests.integration.assemblies.conftest import World


@dataclass
class Sitting:
    """An open assembly with a chair and delegations, each with one delegate (its head)."""

    assembly_id: uuid.UUID
    chair: Principal
    delegations: list[uuid.UUID] = field(default_factory=list)
    delegates: list[Principal] = field(default_factory=list)


class Floor(World):
    """The assemblies ``World`` plus sittings and agenda items, committed as the API would."""

    async def sitting(self, delegations: int = 2) -> Sitting:
        """An open assembly with a chair and ``delegations`` accredited delegations with a head each."""
        assembly_id = await self.assembly()
        chair = await self.principal()
        await assemblies.assign_role(self.session, self.admin, assembly_id, user_id=chair.user_id,
                                     role=AssemblyRoleKind.CHAIR)
        await self.session.commit()
        sitting = Sitting(assembly_id, chair)
        for _ in range(delegations):
            delegation_id = await self.delegation(assembly_id)
            head = await self.principal()
            await assemblies.replace_delegates(self.session, self.admin, delegation_id,
                                               delegates=[(head.user_id, DelegateRole.HEAD)],
                                               designated_voter_user_id=None)
            await self.session.commit()
            sitting.delegations.append(delegation_id)
            sitting.delegates.append(head)
        await assemblies.open_assembly(self.session, self.admin, assembly_id)
        await self.session.commit()
        return sitting

    async def item(self, sitting: Sitting, *, open_it: bool = False, title: str = "Debate") -> uuid.UUID:
        """A new agenda item (opened when ``open_it``)."""
        item = await services.create_item(self.session, sitting.chair, sitting.assembly_id,
                                          services.ItemFields(title=title, kind=AgendaItemKind.DEBATE))
        if open_it:
            await services.open_item(self.session, sitting.chair, item.id)
        await self.session.commit()
        return item.id

    async def colleague(self, sitting: Sitting, index: int = 0) -> Principal:
        """A second delegate of delegation ``index`` (beside its head)."""
        other = await self.principal()
        await assemblies.replace_delegates(
            self.session, self.admin, sitting.delegations[index],
            delegates=[(sitting.delegates[index].user_id, DelegateRole.HEAD), (other.user_id, DelegateRole.DELEGATE)],
            designated_voter_user_id=None)
        await self.session.commit()
        return other


@pytest.fixture
async def floor(session: AsyncSession, database: Database) -> Floor:
    """A floor with a secretariat administrator."""
    admin = await make_user(session, is_admin=True)
    return Floor(session, database, Principal(user_id=admin.id, is_admin=True))
