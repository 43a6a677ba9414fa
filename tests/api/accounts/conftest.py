"""Fixtures of the accounts API tests: users of each role, their tokens, problem and state checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.accounts.models import User
from assembly.db import Database
from tests.helpers import TEST_PASSWORD, bearer, make_user

PROBLEM = "application/problem+json"

ProblemCheck = Callable[..., dict[str, Any]]
Snapshot = Callable[[], Awaitable[dict[str, list[tuple[Any, ...]]]]]


def _assert_problem(
    response: httpx.Response, status: int, code: str, *, field: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:assembly:problem:{code}"
    assert body["title"]
    assert body["detail"]
    assert body["instance"] == response.request.url.path
    assert body["request_id"] == response.headers["x-request-id"]
    if field is not None:
        assert field in [error["field"] for error in body["errors"]], body
    return body


@pytest.fixture
def problem() -> ProblemCheck:
    """``problem(response, status, code, field=...)``: check an RFC 9457 body and return it."""
    return _assert_problem


@pytest.fixture
def snapshot(database: Database) -> Snapshot:
    """Read every accounts table and the audit events, to prove a refused request changed nothing."""

    queries = {
        "user_account": "SELECT id, email, full_name, password_hash, is_admin, is_active, updated_at "
        "FROM user_account ORDER BY id",
        "login_session": "SELECT id, user_id, last_used_at, revoked_at, revoked_reason FROM login_session ORDER BY id",
        "refresh_token": "SELECT id, session_id, used_at, replaced_by_id, expires_at FROM refresh_token ORDER BY id",
        "login_throttle": "SELECT key, failures, window_started_at FROM login_throttle ORDER BY key",
        "audit_event": "SELECT id, kind FROM audit_event ORDER BY id",
    }

    async def take() -> dict[str, list[tuple[Any, ...]]]:
        async with database.sessionmaker() as fresh:
            return {name: [tuple(row) for row in await fresh.execute(text(sql))] for name, sql in queries.items()}

    return take


@pytest.fixture
async def admin(session: AsyncSession) -> User:
    """A secretariat administrator (password ``TEST_PASSWORD``)."""
    return await make_user(session, email="admin@example.org", full_name="Ada Admin", is_admin=True)


@pytest.fixture
async def member(session: AsyncSession) -> User:
    """A user with no global role (a chair, auditor or delegate elsewhere; password ``TEST_PASSWORD``)."""
    return await make_user(session, email="delegate@example.org", full_name="Dora Delegate")


@pytest.fixture
async def admin_headers(app: Litestar, admin: User) -> dict[str, str]:
    return await bearer(app, admin)


@pytest.fixture
async def member_headers(app: Litestar, member: User) -> dict[str, str]:
    return await bearer(app, member)


@pytest.fixture
def log_in(client: httpx.AsyncClient) -> Callable[..., Awaitable[httpx.Response]]:
    """``await log_in(email, password=TEST_PASSWORD)``: POST /api/auth/login."""

    async def post(email: str, password: str = TEST_PASSWORD, **kwargs: Any) -> httpx.Response:
        return await client.post("/api/auth/login", json={"email": email, "password": password}, **kwargs)

    return post
