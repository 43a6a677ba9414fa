"""Fixtures of the ballots API tests: an open assembly with a chair, an auditor, an observer and seated
delegations (set up through the services), helpers to drive ballots through the API, problem-details
checks and database snapshots."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.accounts.models import User
from assembly.assemblies import services as assemblies
from assembly.assemblies.models import AssemblyRoleKind, BodyKind, DelegateRole
from assembly.assemblies.rules import RuleSet
from assembly.core.security import Principal
from assembly.db import Database
from assembly.members.models import Member, MemberKind, MemberStatus, WorldRegion
from tests.helpers import assert_problem, bearer, make_user

PROBLEM = "application/problem+json"
TABLES = ("ballot", "ballot_right", "vote", "vote_change", "ballot_turnout", "ballot_result", "audit_event",
          "live_event", "proxy")
_keys = itertools.count(1)


@dataclass
class Party:
    """A delegation of the assembly and its head, who casts its votes."""

    delegation_id: str
    user: User
    headers: dict[str, str]
    name: str


class BallotApi:
    """Everything a ballots API test needs, bound to this test's app and database."""

    def __init__(self, client: httpx.AsyncClient, app: Litestar, database: Database, session: AsyncSession) -> None:
        self.client = client
        self.app = app
        self.database = database
        self.session = session
        self.assembly_id = ""
        self.admin: Principal | None = None
        self.admin_headers: dict[str, str] = {}
        self.chair_headers: dict[str, str] = {}
        self.auditor_headers: dict[str, str] = {}
        self.observer_headers: dict[str, str] = {}
        self.parties: list[Party] = []

    async def setup(self, *, rules: dict[str, Any] | None = None, parties: int = 4,
                    categories: Sequence[str] | None = None, open_assembly: bool = True) -> BallotApi:
        """An assembly with a chair, an auditor, an observer and ``parties`` accredited, checked-in delegations."""
        admin = await make_user(self.session, is_admin=True, full_name="Secretariat")
        actor = Principal(user_id=admin.id, is_admin=True)
        self.admin = actor
        details = await assemblies.create_assembly(
            self.session, actor, name="World Council 2026", body_kind=BodyKind.WORLD_COUNCIL,
            starts_on=date(2026, 10, 12), ends_on=date(2026, 10, 14), venue="Barcelona",
            rules=msgspec.convert(rules, RuleSet) if rules is not None else None)
        assembly_id = details.assembly.id
        chair = await make_user(self.session, full_name="Chair")
        auditor = await make_user(self.session, full_name="Auditor")
        observer = await make_user(self.session, full_name="Observer")
        await assemblies.assign_role(self.session, actor, assembly_id, user_id=chair.id, role=AssemblyRoleKind.CHAIR)
        await assemblies.assign_role(self.session, actor, assembly_id, user_id=auditor.id,
                                     role=AssemblyRoleKind.AUDITOR)
        for index in range(parties):
            number = next(_keys)
            name = f"City {number:05d}"
            member = Member(key=f"BA-{number:05d}-{uuid.uuid4().hex[:6]}", name=name,
                            kind=MemberKind.LOCAL_GOVERNMENT, country="ES", region=WorldRegion.EUROPE,
                            population=1_000_000, fees_paid_through=2025, status=MemberStatus.ACTIVE,
                            membership_category=categories[index] if categories else "A")
            self.session.add(member)
            await self.session.flush()
            view = await assemblies.register_delegation(self.session, actor, assembly_id, member_id=member.id)
            delegation_id = view.assessment.delegation.id
            await assemblies.accept_credentials(self.session, actor, delegation_id)
            head = await make_user(self.session, full_name=f"Head of {name}")
            await assemblies.replace_delegates(self.session, actor, delegation_id,
                                               delegates=[(head.id, DelegateRole.HEAD)], designated_voter_user_id=None)
            await assemblies.check_in(self.session, actor, delegation_id)
            self.parties.append(Party(str(delegation_id), head, {}, name))
        if open_assembly:
            await assemblies.open_assembly(self.session, actor, assembly_id)
        await self.session.commit()
        self.assembly_id = str(assembly_id)
        self.admin_headers = await bearer(self.app, admin)
        self.chair_headers = await bearer(self.app, chair)
        self.auditor_headers = await bearer(self.app, auditor)
        self.observer_headers = await bearer(self.app, observer)
        for party in self.parties:
            party.headers = await bearer(self.app, party.user)
        return self

    async def proxy(self, grantor: Party, holder: Party) -> None:
        """``grantor`` gives its vote to ``holder`` for the assembly (through the API, as its head)."""
        await self.ok("POST", f"/api/delegations/{grantor.delegation_id}/proxies",
                      {"holder_delegation_id": holder.delegation_id}, grantor.headers, status=201)

    # -- Requests -----------------------------------------------------------------------------------

    async def ok(self, method: str, path: str, json: Any = None, headers: dict[str, str] | None = None,
                 status: int = 200) -> dict[str, Any]:
        """Send a request that must succeed with ``status`` (as the chair by default); return the JSON body."""
        response = await self.client.request(method, path, json=json,
                                             headers=headers if headers is not None else self.chair_headers)
        assert response.status_code == status, response.text
        body: dict[str, Any] = response.json()
        return body

    async def ballot(self, *, open_it: bool = True, **body: Any) -> dict[str, Any]:
        """A ballot created by the chair (opened unless ``open_it`` is False): a procedural question by default."""
        document: dict[str, Any] = {"subject_kind": "procedural", "question": "Shall the meeting be adjourned?"}
        document.update(body)
        created = await self.ok("POST", f"/api/assemblies/{self.assembly_id}/ballots", document, status=201)
        if open_it:
            return await self.ok("POST", f"/api/ballots/{created['id']}/open")
        return created

    async def cast(self, ballot_id: str, party: Party, body: dict[str, Any] | str) -> dict[str, Any]:
        """``party`` casts (a bare string: that choice for every right it holds); the receipt."""
        document = {"choice": body} if isinstance(body, str) else body
        return await self.ok("POST", f"/api/ballots/{ballot_id}/votes", document, party.headers)

    async def close(self, ballot_id: str) -> dict[str, Any]:
        """The chair closes the ballot; the ballot with its result."""
        return await self.ok("POST", f"/api/ballots/{ballot_id}/close")

    # -- Checks -------------------------------------------------------------------------------------

    async def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of the ballot tables, proxies, audit and live events, read on a fresh connection."""
        async with self.database.engine.connect() as connection:
            return {
                table: [tuple(row) for row in await connection.execute(text(f"SELECT * FROM {table} ORDER BY 1, 2"))]
                for table in TABLES
            }

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        """Rows, read on a fresh connection."""
        async with self.database.engine.connect() as connection:
            return list((await connection.execute(text(sql), params)).all())

    @staticmethod
    def problem(response: httpx.Response, status: int, code: str, *, field: str | None = None) -> dict[str, Any]:
        """Check an RFC 9457 body with this status and code (and naming ``field``); return it."""
        return assert_problem(response, status, code, field=field)

    async def refused(self, method: str, path: str, json: Any, headers: dict[str, str] | None, status: int, code: str,
                      *, field: str | None = None) -> dict[str, Any]:
        """Send a request that must be refused with ``status``/``code`` and change nothing at all."""
        before = await self.snapshot()
        response = await self.client.request(method, path, json=json,
                                             headers=headers if headers is not None else self.chair_headers)
        body = self.problem(response, status, code, field=field)
        assert await self.snapshot() == before, "a refused request changed the database"
        return body


@pytest.fixture
async def api(client: httpx.AsyncClient, app: Litestar, database: Database, session: AsyncSession) -> BallotApi:
    """The helper; each test calls ``await api.setup(...)`` with the rules and delegations it needs."""
    return BallotApi(client, app, database, session)
