"""Fixtures of the motions service tests: a ``Hall`` (an open assembly with a chair and three seated delegations)
that brings motions to any state through the services, committing each step as the API would."""

from __future__ import annotations

import itertools
import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.assemblies import services as assemblies
from assembly.assemblies.models import AssemblyRoleKind, BodyKind, DelegateRole
from assembly.core.security import Principal
from assembly.db import Database
from assembly.members.models import Member, MemberKind, WorldRegion
from assembly.motions import services
from assembly.motions.rules import OperationInput, ParagraphInput
from tests.helpers import make_user

_keys = itertools.count(1)
TEXT = [ParagraphInput(None, "preambular", "Recalling the New Urban Agenda,"),
        ParagraphInput(None, "operative", "Calls on local governments to publish their climate budgets;"),
        ParagraphInput(None, "operative", "Invites the secretariat to report every year;"),
        ParagraphInput(None, "operative", "Decides to remain seized of the matter.")]


class Hall:
    """An open assembly, its chair, and delegations A (sponsor), B (co-sponsor) and C, each with its head."""

    def __init__(self, session: AsyncSession, database: Database) -> None:
        self.session = session
        self.database = database
        self.assembly_id = uuid.uuid4()
        self.chair = Principal(user_id=uuid.uuid4(), is_admin=False)
        self.heads: list[Principal] = []
        self.delegations: list[uuid.UUID] = []

    async def setup(self) -> Hall:
        """Create everything and commit."""
        admin = Principal(user_id=(await make_user(self.session, is_admin=True)).id, is_admin=True)
        details = await assemblies.create_assembly(
            self.session, admin, name="World Council", body_kind=BodyKind.WORLD_COUNCIL,
            starts_on=date(2026, 10, 12), ends_on=date(2026, 10, 14), venue=None, rules=None)
        self.assembly_id = details.assembly.id
        self.chair = Principal(user_id=(await make_user(self.session)).id, is_admin=False)
        await assemblies.assign_role(self.session, admin, self.assembly_id, user_id=self.chair.user_id,
                                     role=AssemblyRoleKind.CHAIR)
        for _ in range(3):
            number = next(_keys)
            member = Member(key=f"I-{number:05d}-{uuid.uuid4().hex[:6]}", name=f"City {number}",
                            kind=MemberKind.LOCAL_GOVERNMENT, country="FR", region=WorldRegion.EUROPE,
                            fees_paid_through=2025)
            self.session.add(member)
            await self.session.flush()
            view = await assemblies.register_delegation(self.session, admin, self.assembly_id, member_id=member.id)
            delegation_id = view.assessment.delegation.id
            await assemblies.accept_credentials(self.session, admin, delegation_id)
            head = await make_user(self.session)
            await assemblies.replace_delegates(self.session, admin, delegation_id,
                                               delegates=[(head.id, DelegateRole.HEAD)], designated_voter_user_id=None)
            self.heads.append(Principal(user_id=head.id, is_admin=False))
            self.delegations.append(delegation_id)
        await assemblies.open_assembly(self.session, admin, self.assembly_id)
        await self.session.commit()
        return self

    async def draft(self) -> uuid.UUID:
        """A draft by A."""
        view = await services.create_motion(self.session, self.heads[0], self.assembly_id, title="Climate finance",
                                            rationale=None, paragraphs=TEXT)
        await self.session.commit()
        return view.motion.id

    async def debated(self) -> uuid.UUID:
        """A motion by A, co-sponsored by B, submitted, admitted, under debate."""
        motion_id = await self.draft()
        await services.invite_cosponsor(self.session, self.heads[0], motion_id, delegation_id=self.delegations[1])
        await services.answer_invitation(self.session, self.heads[1], motion_id, delegation_id=self.delegations[1],
                                         accept=True)
        await services.submit_motion(self.session, self.heads[0], motion_id)
        await services.admit_motion(self.session, self.chair, motion_id)
        await services.open_debate(self.session, self.chair, motion_id)
        await self.session.commit()
        return motion_id

    async def table(self, motion_id: uuid.UUID, *operations: OperationInput, parent: uuid.UUID | None = None,
                    by: int = 2, admit: bool = True) -> uuid.UUID:
        """An amendment by delegation ``by`` (C by default), admitted by default."""
        view = await services.table_amendment(self.session, self.heads[by], motion_id,
                                              motion_version=None if parent else 1, parent_amendment_id=parent,
                                              rationale=None, operations=list(operations))
        if admit:
            await services.admit_amendment(self.session, self.chair, view.amendment.id)
        await self.session.commit()
        return view.amendment.id

    async def order(self, motion_id: uuid.UUID, *amendment_ids: uuid.UUID) -> None:
        """The chair's voting order."""
        await services.set_voting_order(self.session, self.chair, motion_id, amendment_ids=list(amendment_ids),
                                        reason=None)
        await self.session.commit()

    async def motion(self, motion_id: uuid.UUID) -> services.MotionView:
        """The motion as the chair reads it, fresh."""
        self.session.expire_all()
        return await services.get_motion(self.session, self.chair, motion_id)

    async def amendments(self, motion_id: uuid.UUID) -> dict[int, Any]:
        """The motion's amendments by number."""
        return {item.amendment.number: item.amendment for item in (await self.motion(motion_id)).amendments}


@pytest.fixture
async def hall(session: AsyncSession, database: Database) -> Hall:
    """The assembly hall, set up and committed."""
    return await Hall(session, database).setup()
