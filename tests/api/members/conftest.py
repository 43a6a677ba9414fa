"""Fixtures of the member register API tests: callers, members, register files, database snapshots."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.audit.models import AuditEvent
from assembly.db import Database
from assembly.members.models import Member
from tests.helpers import bearer, make_user

PROBLEM = "application/problem+json"
CSV_HEADERS = {"content-type": "text/csv"}
REGISTER_HEADER = (
    "key,name,kind,country,region,section,population,membership_category,fees_paid_through,status"
)

Snapshot = tuple[list[tuple[Any, ...]], int]


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """Check the RFC 9457 shape, the status and the code; return the body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:assembly:problem:{code}"
    assert body["title"]
    assert body["detail"]
    assert body["instance"] == response.request.url.path
    return body


def error_fields(body: dict[str, Any]) -> set[str]:
    """The fields an invalid-input problem names."""
    return {error["field"] for error in body.get("errors", [])}


def member_json(key: str = "ES-BCN", **overrides: Any) -> dict[str, Any]:
    """A valid create body."""
    body: dict[str, Any] = {
        "key": key,
        "name": "Barcelona",
        "kind": "local_government",
        "country": "ES",
        "region": "europe",
        "section": "metropolitan",
        "population": 1_620_000,
        "membership_category": "A",
        "fees_paid_through": 2025,
    }
    body.update(overrides)
    return body


def register_row(index: int, **overrides: Any) -> str:
    """One valid CSV row for member ``M-<index>`` (fields overridable by column name)."""
    values: dict[str, Any] = {
        "key": f"M-{index:06d}",
        "name": f"Municipality {index}",
        "kind": "local_government",
        "country": ("ES", "FR", "BR", "KE", "JP", "US", "TR")[index % 7],
        "region": ("europe", "europe", "latin_america", "africa", "asia_pacific", "north_america",
                   "middle_east_west_asia")[index % 7],
        "section": "",
        "population": 1000 + index,
        "membership_category": "B",
        "fees_paid_through": 2024,
        "status": "active",
    }
    values.update(overrides)
    return ",".join(str(values[column]) for column in REGISTER_HEADER.split(","))


def register_csv(count: int, *, start: int = 0, line_end: str = "\n", **overrides: Any) -> bytes:
    """A register file of ``count`` valid rows."""
    lines = [REGISTER_HEADER, *(register_row(start + index, **overrides) for index in range(count))]
    return (line_end.join(lines) + line_end).encode()


@pytest.fixture
async def admin_headers(app: Litestar, session: AsyncSession) -> dict[str, str]:
    """A secretariat administrator's Authorization header."""
    return await bearer(app, await make_user(session, is_admin=True))


@pytest.fixture
async def user_headers(app: Litestar, session: AsyncSession) -> dict[str, str]:
    """An ordinary logged-in user's Authorization header (no admin right)."""
    return await bearer(app, await make_user(session, is_admin=False))


@pytest.fixture
def snapshot(database: Database) -> Callable[[], Awaitable[Snapshot]]:
    """Return a function giving every member row (all columns) and the number of audit events."""

    async def take() -> Snapshot:
        async with database.sessionmaker() as session:
            rows = (await session.execute(select(Member.__table__).order_by(Member.key))).all()
            events = await session.scalar(select(func.count()).select_from(AuditEvent)) or 0
        return [tuple(row) for row in rows], events

    return take


@pytest.fixture
def create_member(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> Callable[..., Awaitable[dict[str, Any]]]:
    """Return a function that registers a member through the API and gives its JSON."""

    async def create(key: str = "ES-BCN", **overrides: Any) -> dict[str, Any]:
        response = await client.post("/api/members", json=member_json(key, **overrides), headers=admin_headers)
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body

    return create


async def audit_events(database: Database, kind: str) -> Sequence[AuditEvent]:
    """The audit events of ``kind``, oldest first."""
    async with database.sessionmaker() as session:
        return (await session.scalars(select(AuditEvent).where(AuditEvent.kind == kind)
                                      .order_by(AuditEvent.recorded_at, AuditEvent.id))).all()
