"""Helpers shared by the test layers: app lifespans, users and tokens."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.accounts.auth import issue_access_token
from assembly.accounts.models import User
from assembly.app import create_app
from assembly.settings import Settings

__all__ = ("api_client", "bearer", "make_user", "run_lifespan")

# A valid argon2id hash of "correct horse battery staple", so fixtures need not hash (slow) for every user.
TEST_PASSWORD = "correct horse battery staple"
TEST_PASSWORD_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=4$dGeostr4hLoPrfRZU2OcbA$hA9hw2EDIUQ3AP4mEvIPNQUlJ2WtvyLNyDZ7+xshuuU"
)


async def run_lifespan(app: Litestar, started: asyncio.Event, stop: asyncio.Event) -> None:
    """Run the app's lifespan in one task, so startup and shutdown happen in the same task."""
    async with app.lifespan():
        started.set()
        await stop.wait()


@asynccontextmanager
async def api_client(settings: Settings, app: Litestar | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """Start an app for ``settings`` (or the given one) and give an in-process HTTP client to it."""
    application = app or create_app(settings)
    started, stop = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(run_lifespan(application, started, stop))
    await asyncio.wait_for(started.wait(), 30)
    try:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
    finally:
        stop.set()
        await task


async def make_user(
    session: AsyncSession, *, email: str | None = None, full_name: str = "Test User", is_admin: bool = False
) -> User:
    """Insert and commit an active user whose password is ``TEST_PASSWORD``."""
    user = User(
        email=email or f"user-{uuid.uuid4().hex[:10]}@example.org",
        full_name=full_name,
        password_hash=TEST_PASSWORD_HASH,
        is_admin=is_admin,
        is_active=True,
    )
    session.add(user)
    await session.commit()
    return user


async def bearer(app: Litestar, user: User | uuid.UUID, session_id: uuid.UUID | None = None) -> dict[str, str]:
    """Authorization header with a fresh access token for ``user`` (``await bearer(app, user)``)."""
    user_id = user if isinstance(user, uuid.UUID) else user.id
    token = issue_access_token(app.state.jwt_auth, app.state.settings, user_id, session_id)
    return {"Authorization": f"Bearer {token}"}
