"""Helpers shared by the test layers: app lifespans, users and tokens."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
from litestar import Litestar
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.accounts.auth import TokenIssuer
from assembly.accounts.models import User
from assembly.accounts.services import ClientInfo, start_login_session
from assembly.app import create_app
from assembly.audit.log.checkpoint import NoteSigner
from assembly.audit.sequencer import Sequencer
from assembly.audit.services import DEFAULT_ORIGIN
from assembly.settings import Settings

__all__ = ("TEST_LOG_SIGNER", "api_client", "bearer", "integrate_log", "make_user", "run_lifespan")

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


async def bearer(app: Litestar, user: User | uuid.UUID) -> dict[str, str]:
    """Authorization header with a fresh access token for ``user`` (``await bearer(app, user)``).

    Opens a real login session through the accounts service (committed), so the token passes the same
    checks as one from ``POST /api/auth/login``; logging out or deactivating the user revokes it.
    """
    user_id = user if isinstance(user, uuid.UUID) else user.id
    tokens = TokenIssuer(jwt_auth=app.state.jwt_auth, settings=app.state.settings)
    async with app.state.database.sessionmaker() as session, session.begin():
        issued = await start_login_session(
            session, tokens, user_id=user_id, client=ClientInfo(address="127.0.0.1", user_agent="tests")
        )
    return {"Authorization": f"Bearer {issued.access_token}"}


# The tests' log key: a fixed seed, named like the default origin (Settings.log_origin).
TEST_LOG_SIGNER = NoteSigner(DEFAULT_ORIGIN, bytes(range(32)))


async def integrate_log(app: Litestar, *, signer: NoteSigner = TEST_LOG_SIGNER) -> int:
    """Run the sequencer's work synchronously: integrate every pending entry, sign; return how many.

    Tests never run the background sequencer (Settings.sequencer is off by default); they call this
    where they need entries in the log, so nothing waits on a timer.
    """
    sequencer = Sequencer(signer, batch=10_000)
    total = 0
    while True:
        async with app.state.database.sessionmaker() as session, session.begin():
            added = await sequencer.integrate(session)
        total += added
        if added < sequencer.batch:
            return total


PROBLEM = "application/problem+json"


def assert_problem(response: httpx.Response, status: int, code: str, *, field: str | None = None) -> dict[str, Any]:
    """Check an RFC 9457 body with this status and code (and naming ``field``); return it."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code, body
    assert body["type"] == f"urn:assembly:problem:{code}"
    assert body["title"]
    assert body["detail"]
    assert body["instance"] == response.request.url.path
    assert body["request_id"] == response.headers["x-request-id"]
    if field is not None:
        assert field in [error["field"] for error in body.get("errors", [])], body
    return body


def chromium_executable() -> str | None:
    """The machine's Chromium: $ASSEMBLY_CHROMIUM, then `chromium` on the PATH, then /usr/bin/chromium."""
    configured = os.environ.get("ASSEMBLY_CHROMIUM", "").strip()
    if configured:
        return configured if Path(configured).exists() else None
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


async def cast_until_answered(http: httpx.AsyncClient, ballot_id: str, headers: dict[str, str], *, name: str,
                              attempts: int, check_unavailable: bool = False, choice: str = "yes") -> httpx.Response:
    """Cast a vote through a real server as a browser would, sending it again until the server answers.

    A request that fails in transit (a worker died, the connection broke) is sent again after 0.05 s;
    a 503 (the database is away) after 0.1 s, having first checked, with ``check_unavailable``, that it
    is problem details with a ``Retry-After``. The first other answer is returned: 409 ``already_voted``
    there means an earlier attempt was committed but never acknowledged. ``AssertionError`` naming
    ``name`` when ``attempts`` sends got no such answer.
    """
    for _ in range(attempts):
        try:
            response = await http.post(f"/api/ballots/{ballot_id}/votes", json={"choice": choice}, headers=headers)
        except httpx.TransportError:
            await asyncio.sleep(0.05)
            continue
        if response.status_code == 503:
            if check_unavailable:
                assert response.headers["content-type"].startswith(PROBLEM)
                assert response.headers["retry-after"]
            await asyncio.sleep(0.1)
            continue
        return response
    raise AssertionError(f"{name} never got an answer")
