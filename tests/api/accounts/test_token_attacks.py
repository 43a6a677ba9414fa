"""Forged, stale and revoked access tokens: each one is 401 and identifies nobody."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from litestar import Litestar
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.accounts.models import User
from assembly.settings import Settings
from tests.helpers import bearer, make_user

LogIn = Callable[..., Awaitable[httpx.Response]]


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


async def _claims(app: Litestar, user: User, settings: Settings) -> dict[str, Any]:
    """The claims of a genuine access token for ``user`` (with a live session)."""
    token = (await bearer(app, user))["Authorization"].split(" ", 1)[1]
    claims: dict[str, Any] = jwt.decode(token, settings.secret_key, algorithms=["HS256"],
                                        audience=settings.jwt_audience)
    return claims


def _sign(claims: dict[str, Any], settings: Settings, *, key: str | None = None) -> dict[str, str]:
    token = jwt.encode(claims, key or settings.secret_key, algorithm="HS256")
    return {"Authorization": f"Bearer {token}"}


async def _me(client: httpx.AsyncClient, headers: dict[str, str]) -> httpx.Response:
    return await client.get("/api/users/me", headers=headers)


async def test_genuine_token_is_accepted(
    client: httpx.AsyncClient, app: Litestar, member: User, settings: Settings
) -> None:
    # The control: the same construction as the forgeries below, unmodified, works.
    assert (await _me(client, _sign(await _claims(app, member, settings), settings))).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer not.a.jwt"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ],
    ids=["no-header", "empty", "no-token", "garbage", "basic"],
)
async def test_missing_or_malformed_token_is_401(
    client: httpx.AsyncClient, problem: Any, headers: dict[str, str]
) -> None:
    problem(await _me(client, headers), 401, "unauthorized")


@pytest.mark.parametrize(
    "forge",
    [
        "expired",
        "wrong_signature",
        "alg_none",
        "wrong_issuer",
        "wrong_audience",
        "no_sid",
        "unknown_sid",
        "sid_of_another_user",
        "sid_not_a_uuid",
        "sub_not_a_uuid",
        "no_jti",
        "no_exp",
        "hs512",
    ],
)
async def test_forged_token_is_401(
    client: httpx.AsyncClient, app: Litestar, member: User, settings: Settings, session: AsyncSession,
    problem: Any, forge: str,
) -> None:
    claims = await _claims(app, member, settings)
    headers: dict[str, str]
    match forge:
        case "expired":
            past = datetime.now(UTC) - timedelta(minutes=1)
            headers = _sign({**claims, "exp": int(past.timestamp()), "iat": int(past.timestamp()) - 60}, settings)
        case "wrong_signature":
            headers = _sign(claims, settings, key="another-secret-key-that-is-long-enough-32")
        case "alg_none":
            unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
            headers = {"Authorization": f"Bearer {unsigned}"}
        case "wrong_issuer":
            headers = _sign({**claims, "iss": "someone-else"}, settings)
        case "wrong_audience":
            headers = _sign({**claims, "aud": "another-api"}, settings)
        case "no_sid":
            headers = _sign({k: v for k, v in claims.items() if k != "sid"}, settings)
        case "unknown_sid":
            headers = _sign({**claims, "sid": str(uuid.uuid4())}, settings)
        case "sid_of_another_user":
            other = await make_user(session, email="other@example.org")
            headers = _sign({**claims, "sid": (await _claims(app, other, settings))["sid"]}, settings)
        case "sid_not_a_uuid":
            headers = _sign({**claims, "sid": "session-1"}, settings)
        case "sub_not_a_uuid":
            headers = _sign({**claims, "sub": "admin"}, settings)
        case "no_jti":
            headers = _sign({k: v for k, v in claims.items() if k != "jti"}, settings)
        case "no_exp":
            headers = _sign({k: v for k, v in claims.items() if k != "exp"}, settings)
        case "hs512":
            token = jwt.encode(claims, settings.secret_key, algorithm="HS512")
            headers = {"Authorization": f"Bearer {token}"}
    response = await _me(client, headers)
    body = problem(response, 401, "unauthorized")
    assert str(member.id) not in response.text
    assert "Traceback" not in body["detail"]


async def test_revoked_sessions_access_token_is_401(
    client: httpx.AsyncClient, log_in: LogIn, member: User, problem: Any
) -> None:
    access = (await log_in(member.email)).json()["access_token"]
    headers = {"Authorization": f"Bearer {access}"}
    assert (await _me(client, headers)).status_code == 200
    assert (await client.post("/api/auth/logout", headers=headers)).status_code == 204
    problem(await _me(client, headers), 401, "unauthorized")


async def test_inactive_accounts_token_is_401(
    client: httpx.AsyncClient, member: User, member_headers: dict[str, str], session: AsyncSession, problem: Any
) -> None:
    await session.execute(update(User).where(User.id == member.id).values(is_active=False))
    await session.commit()
    problem(await _me(client, member_headers), 401, "unauthorized")


async def test_reused_refresh_token_kills_the_familys_access_tokens(
    client: httpx.AsyncClient, log_in: LogIn, member: User, problem: Any
) -> None:
    pair = (await log_in(member.email)).json()
    assert (await client.post("/api/auth/refresh", json={"refresh_token": pair["refresh_token"]})).status_code == 200
    problem(await client.post("/api/auth/refresh", json={"refresh_token": pair["refresh_token"]}), 401,
            "refresh_token_reused")
    problem(await _me(client, {"Authorization": f"Bearer {pair['access_token']}"}), 401, "unauthorized")
