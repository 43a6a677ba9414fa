"""POST /api/auth/refresh: rotation, reuse detection revoking the family, and the race of two refreshes."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.accounts.models import LoginSession, RefreshToken, SessionRevokedReason, User
from assembly.accounts.rules import refresh_token_digest
from assembly.audit.models import AuditEvent
from assembly.settings import Settings
from tests.helpers import TEST_PASSWORD

LogIn = Callable[..., Awaitable[httpx.Response]]


def _auth(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


def _sid(access_token: str, settings: Settings) -> uuid.UUID:
    claims = jwt.decode(access_token, settings.secret_key, algorithms=["HS256"], audience=settings.jwt_audience)
    return uuid.UUID(claims["sid"])


async def _refresh(client: httpx.AsyncClient, token: str) -> httpx.Response:
    return await client.post("/api/auth/refresh", json={"refresh_token": token})


async def test_refresh_rotates_the_pair_within_the_session(
    log_in: LogIn, client: httpx.AsyncClient, member: User, settings: Settings, session: AsyncSession
) -> None:
    first = (await log_in(member.email)).json()
    response = await _refresh(client, first["refresh_token"])
    assert response.status_code == 200, response.text
    second = response.json()
    assert set(second) == {"access_token", "token_type", "expires_in", "refresh_token", "refresh_expires_in"}
    assert second["token_type"] == "bearer"
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert _sid(second["access_token"], settings) == _sid(first["access_token"], settings)

    old = await session.scalar(select(RefreshToken).where(
        RefreshToken.token_hash == refresh_token_digest(first["refresh_token"])))
    new = await session.scalar(select(RefreshToken).where(
        RefreshToken.token_hash == refresh_token_digest(second["refresh_token"])))
    assert old is not None
    assert new is not None
    assert old.used_at is not None
    assert old.replaced_by_id == new.id
    assert new.used_at is None
    # The stored value is a SHA-256, never the token.
    assert first["refresh_token"].encode() not in old.token_hash

    assert (await client.get("/api/users/me", headers=_auth(second["access_token"]))).status_code == 200
    third = await _refresh(client, second["refresh_token"])
    assert third.status_code == 200


async def test_reusing_a_spent_refresh_token_revokes_the_whole_family(
    log_in: LogIn, client: httpx.AsyncClient, member: User, settings: Settings, session: AsyncSession,
    problem: Any,
) -> None:
    first = (await log_in(member.email)).json()
    other_login = (await log_in(member.email)).json()  # another device: must survive
    second = (await _refresh(client, first["refresh_token"])).json()

    reused = await _refresh(client, first["refresh_token"])
    problem(reused, 401, "refresh_token_reused")

    sid = _sid(first["access_token"], settings)
    login = await session.get(LoginSession, sid)
    assert login is not None
    assert login.revoked_at is not None
    assert login.revoked_reason is SessionRevokedReason.REFRESH_TOKEN_REUSED
    # Every token of the family is dead: the newest refresh token and both access tokens.
    problem(await _refresh(client, second["refresh_token"]), 401, "session_revoked")
    for access in (first["access_token"], second["access_token"]):
        problem(await client.get("/api/users/me", headers=_auth(access)), 401, "unauthorized")
    # The other login session of the same account is untouched.
    assert (await client.get("/api/users/me", headers=_auth(other_login["access_token"]))).status_code == 200

    events = (await session.scalars(select(AuditEvent).where(AuditEvent.kind == "session.refresh_token_reused"))).all()
    assert len(events) == 1
    assert events[0].subject_id == sid
    assert events[0].payload == {"user_id": str(member.id), "session_was_active": True}
    recorded = json.dumps(events[0].payload)
    for secret in (first["refresh_token"], second["refresh_token"], TEST_PASSWORD):
        assert secret not in recorded


async def test_unknown_refresh_token_is_401_and_changes_nothing(
    client: httpx.AsyncClient, log_in: LogIn, member: User, problem: Any, snapshot: Any
) -> None:
    await log_in(member.email)
    before = await snapshot()
    problem(await _refresh(client, "not-a-token-we-issued"), 401, "invalid_refresh_token")
    assert await snapshot() == before


async def test_expired_refresh_token_is_401_and_changes_nothing(
    client: httpx.AsyncClient, log_in: LogIn, member: User, session: AsyncSession, problem: Any, snapshot: Any
) -> None:
    token = (await log_in(member.email)).json()["refresh_token"]
    await session.execute(update(RefreshToken).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    await session.commit()
    before = await snapshot()
    problem(await _refresh(client, token), 401, "refresh_token_expired")
    assert await snapshot() == before


async def test_refresh_after_logout_is_refused(
    client: httpx.AsyncClient, log_in: LogIn, member: User, problem: Any, snapshot: Any
) -> None:
    pair = (await log_in(member.email)).json()
    assert (await client.post("/api/auth/logout", headers=_auth(pair["access_token"]))).status_code == 204
    before = await snapshot()
    problem(await _refresh(client, pair["refresh_token"]), 401, "session_revoked")
    assert await snapshot() == before


async def test_refresh_of_a_deactivated_account_is_refused(
    client: httpx.AsyncClient, log_in: LogIn, member: User, session: AsyncSession, problem: Any, snapshot: Any
) -> None:
    pair = (await log_in(member.email)).json()
    # Even if a session were somehow still live, an inactive account gets no new tokens.
    await session.execute(update(User).where(User.id == member.id).values(is_active=False))
    await session.commit()
    before = await snapshot()
    problem(await _refresh(client, pair["refresh_token"]), 401, "session_revoked")
    assert await snapshot() == before


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, "missing required field `refresh_token`"),
        ({"refresh_token": ""}, "refresh_token"),
        ({"refresh_token": "x" * 129}, "refresh_token"),
        ({"refresh_token": "abc", "family": "x"}, "family"),
    ],
)
async def test_malformed_refresh_is_422(
    client: httpx.AsyncClient, problem: Any, snapshot: Any, body: dict[str, Any], expected: str
) -> None:
    before = await snapshot()
    response = problem(await client.post("/api/auth/refresh", json=body), 422, "invalid_input")
    assert expected in response["detail"]
    assert await snapshot() == before


async def test_two_concurrent_refreshes_with_one_token_have_exactly_one_winner(
    client: httpx.AsyncClient, log_in: LogIn, member: User, settings: Settings, session: AsyncSession,
    problem: Any,
) -> None:
    pair = (await log_in(member.email)).json()
    responses = await asyncio.gather(*(_refresh(client, pair["refresh_token"]) for _ in range(2)))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 401]
    loser = next(r for r in responses if r.status_code == 401)
    # The loser presented a spent token: indistinguishable from theft, so the family is revoked.
    problem(loser, 401, "refresh_token_reused")
    sid = _sid(pair["access_token"], settings)
    # Exactly one successor was issued: the family never forks.
    assert await session.scalar(select(func.count()).select_from(RefreshToken).where(
        RefreshToken.session_id == sid)) == 2
    assert await session.scalar(select(func.count()).select_from(RefreshToken).where(
        RefreshToken.session_id == sid, RefreshToken.used_at.is_not(None))) == 1
    assert await session.scalar(select(LoginSession.revoked_reason).where(LoginSession.id == sid)) is (
        SessionRevokedReason.REFRESH_TOKEN_REUSED
    )
