"""POST /api/auth/login: tokens, no account enumeration, rehash, and the throttle shared by processes."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from argon2 import PasswordHasher, Type
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.accounts import services
from assembly.accounts.models import LoginSession, LoginThrottle, User
from assembly.accounts.rules import ACCOUNT_THROTTLE, ADDRESS_THROTTLE
from assembly.core.security import password_hasher
from assembly.settings import Settings
from tests.helpers import TEST_PASSWORD, api_client

LogIn = Callable[..., Awaitable[httpx.Response]]


async def _throttle(session: AsyncSession) -> dict[str, int]:
    # Columns, not entities: each statement reads the committed rows (READ COMMITTED).
    rows = await session.execute(select(LoginThrottle.key, LoginThrottle.failures))
    return {row.key: row.failures for row in rows}


async def test_login_returns_tokens_and_the_account(
    log_in: LogIn, client: httpx.AsyncClient, member: User, settings: Settings, session: AsyncSession
) -> None:
    response = await log_in("  Delegate@Example.ORG ", headers={"User-Agent": "UA-" + "x" * 400})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "refresh_token", "refresh_expires_in", "user"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == settings.access_token_ttl_seconds
    assert body["refresh_expires_in"] == settings.refresh_token_ttl_seconds
    assert body["user"] == {"id": str(member.id), "email": member.email, "full_name": "Dora Delegate",
                            "is_admin": False}

    claims = jwt.decode(body["access_token"], settings.secret_key, algorithms=["HS256"],
                        audience=settings.jwt_audience, issuer=settings.jwt_issuer)
    assert claims["sub"] == str(member.id)
    assert claims["exp"] - claims["iat"] == settings.access_token_ttl_seconds
    assert claims["jti"]
    login = await session.get(LoginSession, uuid.UUID(claims["sid"]))
    assert login is not None
    assert login.user_id == member.id
    assert login.revoked_at is None
    assert login.client_address == "127.0.0.1"
    assert login.user_agent is not None
    assert len(login.user_agent) == 256

    me = await client.get("/api/users/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200
    assert me.json()["id"] == str(member.id)


async def test_wrong_password_and_unknown_email_get_the_same_answer(
    log_in: LogIn, member: User, problem: Any, snapshot: Any, session: AsyncSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    verified: list[str] = []
    real_verify = services.verify_password

    async def spy(password_hash: str, password: str) -> tuple[bool, bool]:
        verified.append(password_hash)
        return await real_verify(password_hash, password)

    monkeypatch.setattr(services, "verify_password", spy)
    before = await snapshot()
    wrong = problem(await log_in(member.email, "not the right password"), 401, "invalid_credentials")
    unknown = problem(await log_in("nobody@example.org", TEST_PASSWORD), 401, "invalid_credentials")
    assert wrong["detail"] == unknown["detail"]
    assert wrong["title"] == unknown["title"]
    # The unknown account cost the same argon2 work (a decoy hash), so timing does not tell either.
    assert len(verified) == 2
    assert verified[1] != member.password_hash

    after = await snapshot()
    assert {k: v for k, v in after.items() if k != "login_throttle"} == {
        k: v for k, v in before.items() if k != "login_throttle"
    }
    assert await _throttle(session) == {
        f"account:{member.email}": 1,
        "account:nobody@example.org": 1,
        "address:127.0.0.1": 2,
    }


async def test_inactive_account_is_refused(
    log_in: LogIn, member: User, session: AsyncSession, problem: Any, snapshot: Any
) -> None:
    await session.execute(update(User).where(User.id == member.id).values(is_active=False))
    await session.commit()
    before = await snapshot()
    problem(await log_in(member.email), 401, "account_inactive")
    assert await snapshot() == before
    # Without the password, an inactive account looks like any wrong login.
    problem(await log_in(member.email, "a wrong password!"), 401, "invalid_credentials")


@pytest.mark.parametrize("missing", ["email", "password"])
async def test_missing_field_is_422_naming_it(
    client: httpx.AsyncClient, member: User, problem: Any, snapshot: Any, missing: str
) -> None:
    body = {"email": member.email, "password": TEST_PASSWORD}
    del body[missing]
    before = await snapshot()
    response = problem(await client.post("/api/auth/login", json=body), 422, "invalid_input")
    assert f"missing required field `{missing}`" in response["detail"]
    assert await snapshot() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "delegate@example.org", "password": "x" * 257}, "password"),
        ({"email": "d" * 321, "password": TEST_PASSWORD}, "email"),
        ({"email": "delegate@example.org", "password": 12345678901234}, "password"),
    ],
)
async def test_malformed_login_is_422_naming_the_field(
    client: httpx.AsyncClient, member: User, problem: Any, snapshot: Any, body: dict[str, Any], field: str
) -> None:
    before = await snapshot()
    problem(await client.post("/api/auth/login", json=body), 422, "invalid_input", field=field)
    assert await snapshot() == before


async def test_unknown_field_is_refused(client: httpx.AsyncClient, member: User, problem: Any, snapshot: Any) -> None:
    before = await snapshot()
    body = {"email": member.email, "password": TEST_PASSWORD, "is_admin": True}
    response = problem(await client.post("/api/auth/login", json=body), 422, "invalid_input")
    assert "is_admin" in response["detail"]
    assert await snapshot() == before


async def test_account_is_throttled_before_the_password_is_checked(
    log_in: LogIn, member: User, problem: Any, snapshot: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(ACCOUNT_THROTTLE.max_failures):
        problem(await log_in(member.email, "guess guess guess"), 401, "invalid_credentials")

    calls: list[str] = []

    async def must_not_verify(password_hash: str, password: str) -> tuple[bool, bool]:
        calls.append(password_hash)
        return True, False

    monkeypatch.setattr(services, "verify_password", must_not_verify)
    before = await snapshot()
    # Even the right password is refused while blocked, and costs no argon2 work.
    response = await log_in(member.email)
    problem(response, 429, "throttled")
    retry_after = int(response.headers["retry-after"])
    assert 0 < retry_after <= int(ACCOUNT_THROTTLE.window.total_seconds())
    assert calls == []
    assert await snapshot() == before


async def test_block_ends_with_the_window(
    log_in: LogIn, member: User, session: AsyncSession, problem: Any
) -> None:
    for _ in range(ACCOUNT_THROTTLE.max_failures):
        await log_in(member.email, "guess guess guess")
    problem(await log_in(member.email), 429, "throttled")
    later = datetime.now(UTC) - ACCOUNT_THROTTLE.window - timedelta(seconds=1)
    await session.execute(update(LoginThrottle).values(window_started_at=later))
    await session.commit()
    assert (await log_in(member.email)).status_code == 200


async def test_success_clears_the_accounts_failures_but_not_the_addresss(
    log_in: LogIn, member: User, session: AsyncSession
) -> None:
    for _ in range(ACCOUNT_THROTTLE.max_failures - 1):
        await log_in(member.email, "guess guess guess")
    assert (await log_in(member.email)).status_code == 200
    assert await _throttle(session) == {"address:127.0.0.1": ACCOUNT_THROTTLE.max_failures - 1}
    # A fresh budget: another max-1 failures still leave the right password working.
    for _ in range(ACCOUNT_THROTTLE.max_failures - 1):
        await log_in(member.email, "guess guess guess")
    assert (await log_in(member.email)).status_code == 200


async def test_address_is_throttled_across_accounts(
    log_in: LogIn, member: User, session: AsyncSession, problem: Any
) -> None:
    # One failure short of the address limit, as if sprayed over many accounts.
    await session.execute(
        text("INSERT INTO login_throttle (id, key, failures, window_started_at, created_at, updated_at) "
             "VALUES (:id, 'address:127.0.0.1', :n, now(), now(), now())"),
        {"id": uuid.uuid4(), "n": ADDRESS_THROTTLE.max_failures - 1},
    )
    await session.commit()
    problem(await log_in("someone-else@example.org", "guess guess guess"), 401, "invalid_credentials")
    response = problem(await log_in(member.email), 429, "throttled")
    assert response["status"] == 429


async def test_forwarded_for_header_is_not_trusted(log_in: LogIn, member: User, session: AsyncSession) -> None:
    for forged in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
        await log_in(member.email, "guess guess guess", headers={"X-Forwarded-For": forged})
    assert (await _throttle(session))["address:127.0.0.1"] == 3
    assert not any(key.startswith("address:203.") for key in await _throttle(session))


async def test_concurrent_failures_are_all_counted(log_in: LogIn, member: User, session: AsyncSession) -> None:
    responses = await asyncio.gather(*(log_in(member.email, f"guess number {i}") for i in range(4)))
    assert [r.status_code for r in responses] == [401] * 4
    assert (await _throttle(session))[f"account:{member.email}"] == 4


async def test_throttle_is_shared_by_two_app_instances(settings: Settings, member: User, problem: Any) -> None:
    """Two apps (as two worker processes would be) on one database see the same failure counts."""
    body = {"email": member.email, "password": "guess guess guess"}
    async with api_client(settings) as first, api_client(settings) as second:
        for attempt in range(ACCOUNT_THROTTLE.max_failures):
            instance = first if attempt % 2 == 0 else second
            problem(await instance.post("/api/auth/login", json=body), 401, "invalid_credentials")
        right = {"email": member.email, "password": TEST_PASSWORD}
        for instance in (first, second):
            response = problem(await instance.post("/api/auth/login", json=right), 429, "throttled")
            assert response["code"] == "throttled"
            assert int((await instance.post("/api/auth/login", json=right)).headers["retry-after"]) > 0


async def test_login_rehashes_a_password_hashed_with_old_parameters(
    log_in: LogIn, member: User, session: AsyncSession
) -> None:
    weak = PasswordHasher(type=Type.ID, time_cost=1, memory_cost=8192, parallelism=1).hash(TEST_PASSWORD)
    await session.execute(update(User).where(User.id == member.id).values(password_hash=weak))
    await session.commit()
    assert (await log_in(member.email)).status_code == 200
    rehashed = await session.scalar(select(User.password_hash).where(User.id == member.id))
    assert rehashed is not None
    assert rehashed != weak
    assert not password_hasher.check_needs_rehash(rehashed)
    assert (await log_in(member.email)).status_code == 200


async def test_login_never_logs_or_returns_the_password(
    log_in: LogIn, member: User, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "very-secret-guess-4711"
    with caplog.at_level("DEBUG"):
        refused = await log_in(member.email, secret)
        accepted = await log_in(member.email)
    assert secret not in refused.text
    refresh_token = accepted.json()["refresh_token"]
    for record in caplog.records:
        line = record.getMessage() + str(getattr(record, "msg", ""))
        assert secret not in line
        assert TEST_PASSWORD not in line
        assert refresh_token not in line
