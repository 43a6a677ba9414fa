"""POST /api/auth/logout and POST /api/auth/password: revocation of sessions and their tokens."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.accounts.models import LoginSession, SessionRevokedReason, User
from assembly.accounts.rules import ACCOUNT_THROTTLE
from assembly.audit.models import AuditEvent
from tests.helpers import TEST_PASSWORD

LogIn = Callable[..., Awaitable[httpx.Response]]
NEW_PASSWORD = "a brand new passphrase 2026"


def _auth(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


async def _change(client: httpx.AsyncClient, access_token: str | None, current: str, new: str) -> httpx.Response:
    headers = _auth(access_token) if access_token else {}
    return await client.post("/api/auth/password", json={"current_password": current, "new_password": new},
                             headers=headers)


async def test_logout_ends_only_the_current_session(
    client: httpx.AsyncClient, log_in: LogIn, member: User, problem: Any
) -> None:
    here = (await log_in(member.email)).json()
    elsewhere = (await log_in(member.email)).json()
    response = await client.post("/api/auth/logout", headers=_auth(here["access_token"]))
    assert response.status_code == 204
    assert response.content == b""
    problem(await client.get("/api/users/me", headers=_auth(here["access_token"])), 401, "unauthorized")
    problem(await client.post("/api/auth/refresh", json={"refresh_token": here["refresh_token"]}), 401,
            "session_revoked")
    assert (await client.get("/api/users/me", headers=_auth(elsewhere["access_token"]))).status_code == 200


async def test_logout_records_the_reason(
    client: httpx.AsyncClient, log_in: LogIn, member: User, session: AsyncSession
) -> None:
    pair = (await log_in(member.email)).json()
    await client.post("/api/auth/logout", headers=_auth(pair["access_token"]))
    reasons = (await session.scalars(select(LoginSession.revoked_reason))).all()
    assert reasons == [SessionRevokedReason.LOGOUT]


async def test_logout_needs_a_live_token(
    client: httpx.AsyncClient, log_in: LogIn, member: User, problem: Any, snapshot: Any
) -> None:
    pair = (await log_in(member.email)).json()
    await client.post("/api/auth/logout", headers=_auth(pair["access_token"]))
    before = await snapshot()
    problem(await client.post("/api/auth/logout"), 401, "unauthorized")
    problem(await client.post("/api/auth/logout", headers=_auth(pair["access_token"])), 401, "unauthorized")
    assert await snapshot() == before


async def test_password_change_revokes_every_session(
    client: httpx.AsyncClient, log_in: LogIn, member: User, session: AsyncSession, problem: Any
) -> None:
    one = (await log_in(member.email)).json()
    two = (await log_in(member.email)).json()
    response = await _change(client, one["access_token"], TEST_PASSWORD, NEW_PASSWORD)
    assert response.status_code == 204, response.text

    for pair in (one, two):
        problem(await client.get("/api/users/me", headers=_auth(pair["access_token"])), 401, "unauthorized")
        problem(await client.post("/api/auth/refresh", json={"refresh_token": pair["refresh_token"]}), 401,
                "session_revoked")
    reasons = (await session.scalars(select(LoginSession.revoked_reason))).all()
    assert reasons == [SessionRevokedReason.PASSWORD_CHANGED] * 2
    problem(await log_in(member.email), 401, "invalid_credentials")
    assert (await log_in(member.email, NEW_PASSWORD)).status_code == 200

    event = await session.scalar(select(AuditEvent).where(AuditEvent.kind == "user.password_changed"))
    assert event is not None
    assert event.subject_id == member.id
    assert event.actor_user_id == member.id
    assert event.payload == {"sessions_revoked": 2}
    recorded = json.dumps(event.payload)
    assert TEST_PASSWORD not in recorded
    assert NEW_PASSWORD not in recorded


async def test_wrong_current_password_is_refused_and_counted(
    client: httpx.AsyncClient, log_in: LogIn, member: User, problem: Any, snapshot: Any
) -> None:
    pair = (await log_in(member.email)).json()
    before = await snapshot()
    response = await _change(client, pair["access_token"], "not my password at all", NEW_PASSWORD)
    problem(response, 422, "wrong_current_password", field="current_password")
    after = await snapshot()
    assert {k: v for k, v in after.items() if k != "login_throttle"} == {
        k: v for k, v in before.items() if k != "login_throttle"
    }
    assert [(key, failures) for key, failures, _ in after["login_throttle"]] == [(f"account:{member.email}", 1)]


async def test_password_change_is_throttled_with_the_account(
    client: httpx.AsyncClient, log_in: LogIn, member: User, problem: Any, snapshot: Any
) -> None:
    pair = (await log_in(member.email)).json()
    for _ in range(ACCOUNT_THROTTLE.max_failures):
        await _change(client, pair["access_token"], "not my password at all", NEW_PASSWORD)
    before = await snapshot()
    response = await _change(client, pair["access_token"], TEST_PASSWORD, NEW_PASSWORD)
    problem(response, 429, "throttled")
    assert int(response.headers["retry-after"]) > 0
    assert await snapshot() == before


@pytest.mark.parametrize(
    ("new_password", "message"),
    [
        ("short", "at least 12 characters"),
        ("            ", "must not be blank"),
        ("aaaaaaaaaaaaaaaa", "one character repeated"),
        ("Delegate@Example.org", "must not be the e-mail address"),
        (TEST_PASSWORD, "must differ from the current password"),
    ],
)
async def test_new_password_must_meet_the_policy(
    client: httpx.AsyncClient, log_in: LogIn, member: User, problem: Any, snapshot: Any,
    new_password: str, message: str,
) -> None:
    pair = (await log_in(member.email)).json()
    before = await snapshot()
    response = await _change(client, pair["access_token"], TEST_PASSWORD, new_password)
    body = problem(response, 422, "invalid_input", field="new_password")
    assert message in body["detail"]
    assert await snapshot() == before


async def test_password_change_body_is_validated(
    client: httpx.AsyncClient, log_in: LogIn, member: User, problem: Any, snapshot: Any
) -> None:
    pair = (await log_in(member.email)).json()
    before = await snapshot()
    too_long = await _change(client, pair["access_token"], TEST_PASSWORD, "x" * 257)
    problem(too_long, 422, "invalid_input", field="new_password")
    missing = await client.post("/api/auth/password", json={"new_password": NEW_PASSWORD},
                                headers=_auth(pair["access_token"]))
    assert "current_password" in problem(missing, 422, "invalid_input")["detail"]
    assert await snapshot() == before


async def test_password_change_needs_a_token(client: httpx.AsyncClient, problem: Any, snapshot: Any) -> None:
    before = await snapshot()
    problem(await _change(client, None, TEST_PASSWORD, NEW_PASSWORD), 401, "unauthorized")
    assert await snapshot() == before
