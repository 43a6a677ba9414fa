"""Fixtures of the assemblies API tests: an ``AssemblyApi`` helper with callers, members, assemblies,
delegations, problem-details checks and database snapshots."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.accounts.models import User
from assembly.db import Database
from assembly.members.models import Member, MemberKind, MemberStatus, WorldRegion
from tests.helpers import assert_problem, bearer, make_user

PROBLEM = "application/problem+json"
_TABLES = ("assembly", "assembly_rule_set", "assembly_role", "delegation", "delegation_member",
           "attendance_event", "proxy", "audit_event")
_keys = itertools.count(1)


class AssemblyApi:
    """Everything an assemblies API test needs, bound to this test's app and database."""

    def __init__(self, client: httpx.AsyncClient, app: Litestar, database: Database, session: AsyncSession,
                 admin: User, admin_headers: dict[str, str]) -> None:
        self.client = client
        self.app = app
        self.database = database
        self.session = session
        self.admin = admin
        self.admin_headers = admin_headers

    async def user(self, *, is_admin: bool = False, full_name: str = "Test User") -> tuple[User, dict[str, str]]:
        """A new user and their Authorization header."""
        user = await make_user(self.session, is_admin=is_admin, full_name=full_name)
        return user, await bearer(self.app, user)

    async def member(self, **overrides: Any) -> Member:
        """A new member: a local government with fees paid through 2025 unless overridden."""
        number = next(_keys)
        values: dict[str, Any] = {
            "key": f"T-{number:05d}-{uuid.uuid4().hex[:6]}",
            "name": f"Municipality {number:05d}",
            "kind": MemberKind.LOCAL_GOVERNMENT,
            "country": "ES",
            "region": WorldRegion.EUROPE,
            "population": 500_000,
            "membership_category": "B",
            "fees_paid_through": 2025,
            "status": MemberStatus.ACTIVE,
        }
        values.update(overrides)
        member = Member(**values)
        self.session.add(member)
        await self.session.commit()
        return member

    async def assembly(self, *, rules: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
        """Create an assembly through the API (starts 2026-10-12) and return its JSON."""
        body: dict[str, Any] = {
            "name": "World Council 2026, Barcelona",
            "body_kind": "world_council",
            "starts_on": "2026-10-12",
            "ends_on": "2026-10-14",
            "venue": "Barcelona",
        }
        if rules is not None:
            body["rules"] = rules
        body.update(overrides)
        response = await self.client.post("/api/assemblies", json=body, headers=self.admin_headers)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def delegation(self, assembly_id: str, member: Member | None = None, *, accept: bool = True,
                         **member_overrides: Any) -> dict[str, Any]:
        """Register (and by default accredit) a delegation of ``member`` (a new one if None)."""
        member = member or await self.member(**member_overrides)
        response = await self.client.post(f"/api/assemblies/{assembly_id}/delegations",
                                          json={"member_id": str(member.id)}, headers=self.admin_headers)
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        if accept:
            response = await self.client.post(f"/api/delegations/{body['id']}/credentials/accept",
                                              headers=self.admin_headers)
            assert response.status_code == 200, response.text
            body = response.json()
        return body

    async def seat(self, delegation_id: str, role: str = "head", *,
                   designated: bool = False) -> tuple[User, dict[str, str]]:
        """A new user made ``role`` of the delegation (alone in it), with their header."""
        user, headers = await self.user()
        voter = str(user.id) if designated else None
        response = await self.client.put(
            f"/api/delegations/{delegation_id}/delegates",
            json={"delegates": [{"user_id": str(user.id), "role": role}], "designated_voter_user_id": voter},
            headers=self.admin_headers,
        )
        assert response.status_code == 200, response.text
        return user, headers

    async def open(self, assembly_id: str) -> None:
        """Open the assembly."""
        response = await self.client.post(f"/api/assemblies/{assembly_id}/open", headers=self.admin_headers)
        assert response.status_code == 200, response.text

    async def close(self, assembly_id: str) -> None:
        """Open (if planned) and close the assembly."""
        current = (await self.client.get(f"/api/assemblies/{assembly_id}", headers=self.admin_headers)).json()
        if current["status"] == "planned":
            await self.open(assembly_id)
        response = await self.client.post(f"/api/assemblies/{assembly_id}/close", headers=self.admin_headers)
        assert response.status_code == 200, response.text

    async def state(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of the assemblies tables and the audit events, read on a fresh connection."""
        async with self.database.engine.connect() as connection:
            return {
                table: [tuple(row) for row in await connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))]
                for table in _TABLES
            }

    async def events(self, kind: str) -> list[dict[str, Any]]:
        """Payloads of the audit events of ``kind``, oldest first."""
        async with self.database.engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT payload FROM audit_event WHERE kind = :kind ORDER BY id"), {"kind": kind})
            return [row[0] for row in rows]

    @staticmethod
    def problem(response: httpx.Response, status: int, code: str, *, field: str | None = None) -> dict[str, Any]:
        """Check an RFC 9457 body with this status and code (and naming ``field``); return it."""
        return assert_problem(response, status, code, field=field)


@pytest.fixture
async def api(client: httpx.AsyncClient, app: Litestar, database: Database, session: AsyncSession) -> AssemblyApi:
    """The helper, with a secretariat administrator ready."""
    admin = await make_user(session, is_admin=True, full_name="Secretariat")
    return AssemblyApi(client, app, database, session, admin, await bearer(app, admin))
