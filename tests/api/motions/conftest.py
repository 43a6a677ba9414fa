"""Fixtures of the motions API tests: an open assembly with a chair and three seated delegations, helpers to
bring a motion to any state through the API, problem-details checks and database snapshots."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.accounts.models import User
from assembly.assemblies import services as assemblies
from assembly.assemblies.models import AssemblyRoleKind, BodyKind, DelegateRole
from assembly.core.security import Principal
from assembly.db import Database
from assembly.members.models import Member, MemberKind, MemberStatus, WorldRegion
from tests.helpers import assert_problem, bearer, make_user

PROBLEM = "application/problem+json"
TABLES = ("motion", "motion_version", "motion_cosponsor", "amendment", "motion_part", "audit_event", "live_event")
PARAGRAPHS = [
    {"kind": "preambular", "text": "Recalling the New Urban Agenda,"},
    {"text": "Calls on local governments to publish their climate budgets;"},
    {"text": "Invites the secretariat to report to the <em>World Council</em> every year;"},
    {"text": "Decides to remain seized of the matter."},
]
_keys = itertools.count(1)


@dataclass
class Party:
    """A delegation of the assembly and its head, who acts for it."""

    delegation_id: str
    user: User
    headers: dict[str, str]
    name: str


class MotionApi:
    """Everything a motions API test needs, bound to this test's app and database."""

    def __init__(self, client: httpx.AsyncClient, app: Litestar, database: Database, session: AsyncSession) -> None:
        self.client = client
        self.app = app
        self.database = database
        self.session = session
        self.assembly_id = ""
        self.admin_headers: dict[str, str] = {}
        self.chair_headers: dict[str, str] = {}
        self.auditor_headers: dict[str, str] = {}
        self.stranger_headers: dict[str, str] = {}
        self.parties: list[Party] = []

    @property
    def a(self) -> Party:
        """The sponsoring delegation of the helpers' motions."""
        return self.parties[0]

    @property
    def b(self) -> Party:
        """The co-sponsor."""
        return self.parties[1]

    @property
    def c(self) -> Party:
        """A delegation with no part in the motion."""
        return self.parties[2]

    async def setup(self) -> MotionApi:
        """An open assembly with a chair, an auditor, three accredited delegations and a stranger."""
        admin = await make_user(self.session, is_admin=True, full_name="Secretariat")
        actor = Principal(user_id=admin.id, is_admin=True)
        details = await assemblies.create_assembly(
            self.session, actor, name="World Council 2026", body_kind=BodyKind.WORLD_COUNCIL,
            starts_on=date(2026, 10, 12), ends_on=date(2026, 10, 14), venue="Barcelona", rules=None)
        assembly_id = details.assembly.id
        chair = await make_user(self.session, full_name="Chair")
        auditor = await make_user(self.session, full_name="Auditor")
        stranger = await make_user(self.session, full_name="Observer")
        await assemblies.assign_role(self.session, actor, assembly_id, user_id=chair.id, role=AssemblyRoleKind.CHAIR)
        await assemblies.assign_role(self.session, actor, assembly_id, user_id=auditor.id,
                                     role=AssemblyRoleKind.AUDITOR)
        for city in ("Barcelona", "Durban", "Quito"):
            number = next(_keys)
            member = Member(key=f"M-{number:05d}-{uuid.uuid4().hex[:6]}", name=f"City of {city}",
                            kind=MemberKind.LOCAL_GOVERNMENT, country="ES", region=WorldRegion.EUROPE,
                            population=1_000_000, fees_paid_through=2025, status=MemberStatus.ACTIVE)
            self.session.add(member)
            await self.session.flush()
            view = await assemblies.register_delegation(self.session, actor, assembly_id, member_id=member.id)
            delegation_id = view.assessment.delegation.id
            await assemblies.accept_credentials(self.session, actor, delegation_id)
            head = await make_user(self.session, full_name=f"Head of {city}")
            await assemblies.replace_delegates(self.session, actor, delegation_id,
                                               delegates=[(head.id, DelegateRole.HEAD)], designated_voter_user_id=None)
            self.parties.append(Party(str(delegation_id), head, {}, f"City of {city}"))
        await assemblies.open_assembly(self.session, actor, assembly_id)
        await self.session.commit()
        self.assembly_id = str(assembly_id)
        self.admin_headers = await bearer(self.app, admin)
        self.chair_headers = await bearer(self.app, chair)
        self.auditor_headers = await bearer(self.app, auditor)
        self.stranger_headers = await bearer(self.app, stranger)
        for party in self.parties:
            party.headers = await bearer(self.app, party.user)
        return self

    # -- Requests -----------------------------------------------------------------------------------

    async def post(self, path: str, json: Any = None, headers: dict[str, str] | None = None) -> httpx.Response:
        """POST as ``headers`` (default: the chair)."""
        return await self.client.post(path, json=json, headers=headers if headers is not None else self.chair_headers)

    async def get(self, path: str, headers: dict[str, str] | None = None, **params: Any) -> httpx.Response:
        """GET as ``headers`` (default: the chair)."""
        return await self.client.get(path, params=params or None,
                                     headers=headers if headers is not None else self.chair_headers)

    async def ok(self, method: str, path: str, json: Any = None, headers: dict[str, str] | None = None,
                 status: int = 200) -> dict[str, Any]:
        """Send a request that must succeed with ``status``; return the JSON body."""
        response = await self.client.request(method, path, json=json,
                                             headers=headers if headers is not None else self.chair_headers)
        assert response.status_code == status, response.text
        body: dict[str, Any] = response.json()
        return body

    async def motion(self, motion_id: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
        """The motion detail."""
        return await self.ok("GET", f"/api/motions/{motion_id}", headers=headers)

    # -- Bringing a motion to a state ---------------------------------------------------------------

    async def draft(self, paragraphs: list[dict[str, Any]] | None = None, *, title: str = "Localizing climate finance",
                    party: Party | None = None, rationale: str | None = "Cities need budgets.") -> dict[str, Any]:
        """A draft by ``party`` (default: A)."""
        body: dict[str, Any] = {"title": title, "paragraphs": paragraphs or PARAGRAPHS}
        if rationale is not None:
            body["rationale"] = rationale
        return await self.ok("POST", f"/api/assemblies/{self.assembly_id}/motions", body, (party or self.a).headers,
                             status=201)

    async def cosponsor(self, motion_id: str, party: Party | None = None) -> None:
        """Invite ``party`` (default: B) and accept."""
        invited = party or self.b
        await self.ok("POST", f"/api/motions/{motion_id}/cosponsors", {"delegation_id": invited.delegation_id},
                      self.a.headers, status=201)
        await self.ok("POST", f"/api/motions/{motion_id}/cosponsors/{invited.delegation_id}/accept",
                      headers=invited.headers)

    async def submitted(self, paragraphs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """A motion by A, co-sponsored by B, submitted."""
        motion = await self.draft(paragraphs)
        await self.cosponsor(motion["id"])
        await self.ok("POST", f"/api/motions/{motion['id']}/submit", headers=self.a.headers)
        return motion

    async def admitted(self, paragraphs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Submitted and admitted by the chair."""
        motion = await self.submitted(paragraphs)
        await self.ok("POST", f"/api/motions/{motion['id']}/admit")
        return motion

    async def debated(self, paragraphs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        """Admitted and under debate; returns the detail."""
        motion = await self.admitted(paragraphs)
        await self.ok("POST", f"/api/motions/{motion['id']}/open-debate")
        return await self.motion(motion["id"])

    async def table(self, motion_id: str, operations: list[dict[str, Any]], *, version: int | None = 1,
                    parent: str | None = None, party: Party | None = None, admit: bool = True) -> dict[str, Any]:
        """Table an amendment (as C by default) and, by default, admit it."""
        body: dict[str, Any] = {"operations": operations}
        if parent is not None:
            body["parent_amendment_id"] = parent
        elif version is not None:
            body["motion_version"] = version
        amendment = await self.ok("POST", f"/api/motions/{motion_id}/amendments", body, (party or self.c).headers,
                                  status=201)
        if admit:
            amendment = await self.ok("POST", f"/api/amendments/{amendment['id']}/admit")
        return amendment

    async def order(self, motion_id: str, *amendment_ids: str) -> dict[str, Any]:
        """The chair's voting order."""
        return await self.ok("POST", f"/api/motions/{motion_id}/voting-order",
                             {"amendment_ids": list(amendment_ids), "reason": "furthest removed first"})

    async def resolve(self, amendment_id: str, *, adopted: bool) -> dict[str, Any]:
        """The chair declares a show of hands."""
        return await self.ok("POST", f"/api/amendments/{amendment_id}/resolve",
                             {"adopted": adopted, "reason": "show of hands"})

    # -- Checks -------------------------------------------------------------------------------------

    async def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of the motions tables, the audit events and the live events, read on a fresh connection."""
        async with self.database.engine.connect() as connection:
            return {
                table: [tuple(row) for row in await connection.execute(text(f"SELECT * FROM {table} ORDER BY 1, 2"))]
                for table in TABLES
            }

    async def events(self, kind: str) -> list[dict[str, Any]]:
        """Payloads of the audit events of ``kind``, oldest first."""
        async with self.database.engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT payload FROM audit_event WHERE kind = :kind ORDER BY id"), {"kind": kind})
            return [row[0] for row in rows]

    async def live(self, event_type: str) -> list[tuple[str, dict[str, Any]]]:
        """(audience, data) of the live events of ``event_type``, in stream order."""
        async with self.database.engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT audience, data FROM live_event WHERE type = :type ORDER BY seq"), {"type": event_type})
            return [(row[0], row[1]) for row in rows]

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
async def api(client: httpx.AsyncClient, app: Litestar, database: Database, session: AsyncSession) -> MotionApi:
    """The helper, with the assembly, its chair and three delegations ready."""
    return await MotionApi(client, app, database, session).setup()
