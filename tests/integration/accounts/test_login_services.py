"""Account services on PostgreSQL: the refresh race under a row lock, and the shared failure counter."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from litestar import Litestar
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.accounts import services
from assembly.accounts.auth import TokenIssuer
from assembly.accounts.models import LoginSession, LoginThrottle, RefreshToken, SessionRevokedReason, User
from assembly.accounts.rules import ACCOUNT_THROTTLE, ADDRESS_THROTTLE
from assembly.core.errors import Unauthorized
from assembly.db import Database
from tests.helpers import make_user

CLIENT = services.ClientInfo(address="192.0.2.7", user_agent="integration")


@pytest.fixture
def tokens(app: Litestar) -> TokenIssuer:
    return TokenIssuer(jwt_auth=app.state.jwt_auth, settings=app.state.settings)


@pytest.fixture
async def user(session: AsyncSession) -> User:
    return await make_user(session, email="member@example.org")


async def _throttle_rows(database: Database) -> dict[str, tuple[int, datetime]]:
    async with database.sessionmaker() as fresh:
        rows = await fresh.execute(select(LoginThrottle.key, LoginThrottle.failures, LoginThrottle.window_started_at))
        return {row.key: (row.failures, row.window_started_at) for row in rows}


async def test_second_refresh_waits_for_the_first_and_finds_the_token_spent(
    database: Database, tokens: TokenIssuer, user: User
) -> None:
    async with database.sessionmaker() as setup, setup.begin():
        issued = await services.start_login_session(setup, tokens, user_id=user.id, client=CLIENT)

    async with database.sessionmaker() as first, database.sessionmaker() as second:
        # The first refresh has spent the token but not committed: it holds the row lock.
        winner = await services.refresh_session(first, database.sessionmaker, tokens,
                                                refresh_token=issued.refresh_token)
        loser = asyncio.create_task(
            services.refresh_session(second, database.sessionmaker, tokens, refresh_token=issued.refresh_token)
        )
        await asyncio.sleep(0.3)
        assert not loser.done(), "the second refresh must wait for the first one's row lock"
        await first.commit()
        with pytest.raises(Unauthorized) as refused:
            await loser
        assert refused.value.code == "refresh_token_reused"
        await second.rollback()

    async with database.sessionmaker() as check:
        count = await check.scalar(
            select(func.count()).select_from(RefreshToken).where(RefreshToken.session_id == issued.session_id)
        )
        assert count == 2  # the original and exactly one successor
        login = await check.get(LoginSession, issued.session_id)
        assert login is not None
        assert login.revoked_reason is SessionRevokedReason.REFRESH_TOKEN_REUSED
    assert winner.session_id == issued.session_id


async def test_a_rolled_back_refresh_leaves_the_token_unspent(
    database: Database, tokens: TokenIssuer, user: User
) -> None:
    async with database.sessionmaker() as setup, setup.begin():
        issued = await services.start_login_session(setup, tokens, user_id=user.id, client=CLIENT)
    async with database.sessionmaker() as aborted:
        await services.refresh_session(aborted, database.sessionmaker, tokens, refresh_token=issued.refresh_token)
        await aborted.rollback()  # e.g. the commit failed: the client got no answer, the token still works
    async with database.sessionmaker() as retry, retry.begin():
        again = await services.refresh_session(retry, database.sessionmaker, tokens,
                                               refresh_token=issued.refresh_token)
    assert again.session_id == issued.session_id


async def test_concurrent_failures_from_separate_sessions_are_all_counted(
    database: Database, tokens: TokenIssuer
) -> None:
    async def one_failure() -> None:
        async with database.sessionmaker() as own:
            with pytest.raises(Unauthorized):
                await services.log_in(own, database.sessionmaker, tokens, email="ghost@example.org",
                                      password="wrong wrong wrong", client=CLIENT)

    await asyncio.gather(*(one_failure() for _ in range(4)))
    rows = await _throttle_rows(database)
    assert rows["account:ghost@example.org"][0] == 4
    assert rows["address:192.0.2.7"][0] == 4


async def test_a_failure_after_the_window_starts_a_new_one(database: Database, tokens: TokenIssuer) -> None:
    old = datetime.now(UTC) - ACCOUNT_THROTTLE.window - timedelta(seconds=5)
    async with database.sessionmaker() as setup, setup.begin():
        setup.add(LoginThrottle(key="account:ghost@example.org", failures=ACCOUNT_THROTTLE.max_failures,
                                window_started_at=old))
    async with database.sessionmaker() as own:
        with pytest.raises(Unauthorized):
            await services.log_in(own, database.sessionmaker, tokens, email="ghost@example.org",
                                  password="wrong wrong wrong", client=CLIENT)
    failures, started = (await _throttle_rows(database))["account:ghost@example.org"]
    assert failures == 1
    assert started > old + ACCOUNT_THROTTLE.window


async def test_a_failure_sweeps_stale_throttle_rows(database: Database, tokens: TokenIssuer) -> None:
    stale = datetime.now(UTC) - max(ACCOUNT_THROTTLE.window, ADDRESS_THROTTLE.window) - timedelta(minutes=1)
    async with database.sessionmaker() as setup, setup.begin():
        for n in range(3):
            setup.add(LoginThrottle(key=f"address:198.51.100.{n}", failures=3, window_started_at=stale))
        setup.add(LoginThrottle(key="address:198.51.100.99", failures=3, window_started_at=datetime.now(UTC)))
    async with database.sessionmaker() as own:
        with pytest.raises(Unauthorized):
            await services.log_in(own, database.sessionmaker, tokens, email="ghost@example.org",
                                  password="wrong wrong wrong", client=CLIENT)
    assert set(await _throttle_rows(database)) == {
        "account:ghost@example.org", "address:192.0.2.7", "address:198.51.100.99",
    }


async def test_refresh_token_rows_hold_only_a_digest(
    database: Database, tokens: TokenIssuer, user: User
) -> None:
    async with database.sessionmaker() as setup, setup.begin():
        issued = await services.start_login_session(setup, tokens, user_id=user.id, client=CLIENT)
    async with database.sessionmaker() as check:
        dumped = await check.scalar(text("SELECT string_agg(t::text, ' ') FROM refresh_token t"))
        sessions = await check.scalar(text("SELECT string_agg(s::text, ' ') FROM login_session s"))
    assert dumped is not None
    assert issued.refresh_token not in dumped
    assert sessions is not None
    assert issued.refresh_token not in sessions
    assert str(uuid.UUID(str(issued.session_id))) in sessions
