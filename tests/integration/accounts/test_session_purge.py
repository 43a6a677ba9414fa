"""Purging ended login sessions: old ended ones go with their refresh tokens, live ones never do."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.accounts import services
from assembly.accounts.models import LoginSession, RefreshToken, SessionRevokedReason
from assembly.audit.models import AuditEvent
from tests.helpers import make_user

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
KEEP = timedelta(days=30)


async def _login(session: AsyncSession, user_id: uuid.UUID, *, last_used: datetime, token_expires: datetime,
                 revoked_at: datetime | None = None) -> LoginSession:
    login = LoginSession(
        user_id=user_id,
        last_used_at=last_used,
        revoked_at=revoked_at,
        revoked_reason=SessionRevokedReason.LOGOUT if revoked_at else None,
    )
    session.add(login)
    await session.flush()
    session.add(RefreshToken(session_id=login.id, token_hash=hashlib.sha256(login.id.bytes).digest(),
                             expires_at=token_expires))
    await session.flush()
    return login


async def test_only_sessions_ended_before_the_cutoff_are_deleted(session: AsyncSession) -> None:
    user = await make_user(session, email="purge@example.org")
    old = NOW - timedelta(days=60)
    live = await _login(session, user.id, last_used=NOW - timedelta(hours=1), token_expires=NOW + timedelta(days=13))
    # Idle for long but its refresh token is still valid: the holder may come back, so it is kept.
    idle = await _login(session, user.id, last_used=old, token_expires=NOW + timedelta(days=1))
    revoked_recently = await _login(session, user.id, last_used=NOW - timedelta(days=2),
                                    token_expires=NOW + timedelta(days=12), revoked_at=NOW - timedelta(days=2))
    revoked_long_ago = await _login(session, user.id, last_used=old, token_expires=old + timedelta(days=14),
                                    revoked_at=old)
    expired_long_ago = await _login(session, user.id, last_used=old, token_expires=old + timedelta(days=14))
    await session.commit()

    deleted = await services.purge_ended_sessions(session, keep=KEEP, now=NOW)
    await session.commit()

    assert deleted == 2
    remaining = set((await session.scalars(select(LoginSession.id))).all())
    assert remaining == {live.id, idle.id, revoked_recently.id}
    assert not {revoked_long_ago.id, expired_long_ago.id} & remaining
    tokens = set((await session.scalars(select(RefreshToken.session_id))).all())
    assert tokens == remaining
    event = (await session.scalars(select(AuditEvent).where(AuditEvent.kind == "user.sessions_purged"))).one()
    assert event.payload["sessions_deleted"] == 2


async def test_a_retention_below_one_day_is_raised_to_one_day(session: AsyncSession) -> None:
    user = await make_user(session, email="short@example.org")
    # Revoked two hours ago: an access token of this session could still be alive, so it stays.
    await _login(session, user.id, last_used=NOW - timedelta(hours=2), token_expires=NOW + timedelta(days=1),
                 revoked_at=NOW - timedelta(hours=2))
    await session.commit()
    assert await services.purge_ended_sessions(session, keep=timedelta(0), now=NOW) == 0
    assert await session.scalar(select(func.count()).select_from(LoginSession)) == 1
