"""Test harness: a real PostgreSQL, the schema built by the migrations, a fresh database per test.

Where the server comes from:
  ASSEMBLY_TEST_DATABASE_URL set -> that server (any database on it; the harness creates its own);
  otherwise                      -> an embedded PostgreSQL started for the session in a temp dir.

Isolation (docs/adr/0003-test-isolation.md): the migrations run once per session into a template
database; every test that touches the database gets its own copy (``CREATE DATABASE ... TEMPLATE``)
and it is dropped afterwards. Each copy is a real, separate database, so tests can commit, run
concurrent transactions, start server processes against it, and never see each other's rows.

Database names carry ``ASSEMBLY_TEST_DB_PREFIX`` (default ``assembly_test``) and the pid, so parallel
runs against one server never collide.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from litestar import Litestar
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.app import create_app
from assembly.db import Database, run_upgrade
from assembly.settings import Settings, normalize_database_url
from tests.helpers import run_lifespan

PREFIX = os.environ.get("ASSEMBLY_TEST_DB_PREFIX", "assembly_test").lower()

# Servers the tests start (``assembly serve``) keep their files, such as the audit log's key and its
# signer's record, in a directory of this run, never in the machine's /var/lib/assembly.
os.environ.setdefault("ASSEMBLY_DATA_DIR", tempfile.mkdtemp(prefix="assembly-test-data-"))
_counter = itertools.count()


def _dsn(url: str, database: str | None = None) -> str:
    """A plain libpq DSN (for asyncpg) from a SQLAlchemy URL, optionally for another database."""
    parsed = make_url(normalize_database_url(url)).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def _sa_url(url: str, database: str) -> str:
    return make_url(normalize_database_url(url)).set(database=database).render_as_string(hide_password=False)


async def _admin_execute(server_url: str, *statements: str) -> None:
    connection = await asyncpg.connect(_dsn(server_url))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture
def pg_data_dir() -> Iterator[Path]:
    """An empty directory for an embedded PostgreSQL of the test's own.

    Not pytest's ``tmp_path``: as root that lies under a mode-700 directory that the unprivileged
    user running PostgreSQL cannot enter.
    """
    directory = Path(tempfile.mkdtemp(prefix="assembly-pg-"))
    directory.chmod(0o755)
    yield directory
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """URL of a PostgreSQL server the tests may create databases on."""
    configured = os.environ.get("ASSEMBLY_TEST_DATABASE_URL", "").strip()
    if configured:
        yield normalize_database_url(configured, variable="ASSEMBLY_TEST_DATABASE_URL")
        return
    from assembly.core.embedded_postgres import EmbeddedPostgres  # noqa: PLC0415  (only without a server URL)

    with tempfile.TemporaryDirectory(prefix="assembly-test-pg-") as directory:
        server = EmbeddedPostgres(Path(directory), fsync=False)
        try:
            yield server.start()
        finally:
            server.stop()


@pytest.fixture(scope="session")
async def template_database(pg_server_url: str) -> AsyncIterator[str]:
    """Name of a database migrated to head once per session; the tests copy it."""
    name = f"{PREFIX}_tmpl_{os.getpid()}"
    await _admin_execute(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    # Alembic's env.py runs its own event loop, so it goes to a thread.
    await asyncio.to_thread(run_upgrade, _sa_url(pg_server_url, name))
    yield name
    await _admin_execute(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def create_database_copy(pg_server_url: str, template: str) -> str:
    """Create a new database from ``template`` and return its name."""
    name = f"{PREFIX}_{os.getpid()}_{next(_counter)}"
    await _admin_execute(pg_server_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return name


async def drop_database(pg_server_url: str, name: str) -> None:
    """Drop a test database, disconnecting whoever is still on it."""
    await _admin_execute(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_pending_drops: set[asyncio.Task[None]] = set()


@pytest.fixture(scope="session", autouse=True)
async def _finish_pending_drops() -> AsyncIterator[None]:
    """Wait, at the end of the session, for the databases still being dropped."""
    yield
    if _pending_drops:
        await asyncio.gather(*_pending_drops, return_exceptions=True)


@pytest.fixture
async def database_url(pg_server_url: str, template_database: str) -> AsyncIterator[str]:
    """URL of a fresh, migrated database that belongs to this test alone."""
    name = await create_database_copy(pg_server_url, template_database)
    yield _sa_url(pg_server_url, name)
    # Dropping takes longer than creating; let it overlap with the next test instead of waiting.
    task = asyncio.create_task(drop_database(pg_server_url, name))
    _pending_drops.add(task)
    task.add_done_callback(_pending_drops.discard)


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Settings of a test app on this test's database."""
    # No delivery worker in the in-process app: the webhook tests run workers of their own.
    return Settings(database_url=database_url, log_format="console", log_level="warning",
                    delivery_worker=False).with_generated_secret()


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    """The engine and session factory on this test's database."""
    db = Database(settings)
    yield db
    await db.dispose()


@pytest.fixture
async def session(database: Database) -> AsyncIterator[AsyncSession]:
    """A session for service tests; the test commits when it means to."""
    async with database.sessionmaker() as db_session:
        yield db_session


@pytest.fixture
async def app(settings: Settings) -> AsyncIterator[Litestar]:
    """The application with its startup done (shut down after the test)."""
    application = create_app(settings)
    started, stop = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(run_lifespan(application, started, stop))
    await asyncio.wait_for(started.wait(), 30)
    yield application
    stop.set()
    await task


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the app in-process over ASGI, in the test's event loop."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http_client:
        yield http_client
