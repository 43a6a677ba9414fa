"""Database access: the engine, one transaction per request, and the Alembic migrations.

Every domain's models are imported here so that Alembic sees the whole schema.

The request transaction is a generator dependency rather than advanced-alchemy's ``autocommit``
``before_send`` handler: that handler commits while the response is already being sent and only logs
a failed commit, so a client could get a 2xx for a write that was lost. Here the commit runs when the
handler returns and *before* the response is built; a failed commit becomes an error response
(docs/adr/0002-commit-before-acknowledge.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncGenerator, AsyncIterator
from pathlib import Path
from typing import Any

from advanced_alchemy.base import orm_registry
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from litestar.datastructures import State
from sqlalchemy import MetaData, event, text
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from assembly.settings import Settings

# Each domain's models module registers its tables on the shared metadata when imported.
from assembly.accounts import models as _accounts_models  # noqa: F401  # isort: skip
from assembly.members import models as _members_models  # noqa: F401  # isort: skip
from assembly.audit import models as _audit_models  # noqa: F401  # isort: skip
from assembly.assemblies import models as _assemblies_models  # noqa: F401  # isort: skip
from assembly.live import models as _live_models  # noqa: F401  # isort: skip
from assembly.agenda import models as _agenda_models  # noqa: F401  # isort: skip
from assembly.motions import models as _motions_models  # noqa: F401  # isort: skip
from assembly.ballots import models as _ballots_models  # noqa: F401  # isort: skip
from assembly.positions import models as _positions_models  # noqa: F401  # isort: skip

__all__ = (
    "Database",
    "alembic_config",
    "metadata",
    "migrations_dir",
    "provide_db_session",
    "run_check",
    "run_current",
    "run_downgrade",
    "run_upgrade",
    "session_scope",
)

metadata: MetaData = orm_registry.metadata
"""All tables of the application (advanced-alchemy's registry, with its naming convention)."""

PING_AFTER_IDLE_SECONDS = 1.0
"""A pooled connection unused for longer than this is pinged before it is handed out."""


def _ping_idle_connections(engine: AsyncEngine) -> None:
    """Ping a connection at checkout only if it sat idle in the pool; under load, never.

    SQLAlchemy's ``pool_pre_ping`` pings at every checkout: one more round trip per request and, in
    the casting profile, a sixth of a vote's time in the app (docs/performance.md). A database
    restart takes longer than PING_AFTER_IDLE_SECONDS, so the connections it broke have been idle that
    long and are caught here; a connection in steady use that breaks fails its query, and SQLAlchemy
    then invalidates the whole pool (disconnect handling), so the next checkouts reconnect.
    """
    dialect = engine.sync_engine.dialect

    @event.listens_for(engine.sync_engine.pool, "checkin")
    def _checked_in(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine.sync_engine.pool, "checkout")
    def _checked_out(dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: Any) -> None:
        idle_since = record.info.get("checked_in_at")
        if idle_since is None or time.monotonic() - idle_since <= PING_AFTER_IDLE_SECONDS:
            return
        try:
            alive = dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError(f"pooled connection failed its ping: {exc}") from exc
        if not alive:
            raise DisconnectionError("pooled connection failed its ping")


def create_engine(settings: Settings, *, url: str | None = None) -> AsyncEngine:
    """Create the async engine for ``settings`` (lazy: it connects on first use)."""
    engine = create_async_engine(
        url or settings.require_database_url(),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_connect_timeout_seconds,
        # A connection broken by a database restart is replaced at checkout instead of failing a
        # request: pinged when it was idle (_ping_idle_connections), not at every checkout.
        pool_pre_ping=False,
        connect_args={
            "timeout": settings.db_connect_timeout_seconds,
            "server_settings": {"application_name": "assembly"},
        },
    )
    _ping_idle_connections(engine)
    return engine


class Database:
    """The engine and session factory of one process."""

    def __init__(self, settings: Settings, *, url: str | None = None) -> None:
        self.engine = create_engine(settings, url=url)
        # The audit log's origin goes into every entry recorded in a session (assembly/audit/services.py).
        self.sessionmaker = async_sessionmaker(self.engine, expire_on_commit=False, autoflush=False,
                                               info={"log_origin": settings.log_origin})
        self._ping_timeout = float(settings.db_connect_timeout_seconds)

    async def ping(self) -> None:
        """Run ``SELECT 1``; raise if the database does not answer within the connect timeout."""
        async with asyncio.timeout(self._ping_timeout), self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


async def provide_db_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    """Give a request its session; commit when the handler returns, before the response is sent.

    An exception in the handler rolls the transaction back. A commit that fails raises here, so the
    client gets an error response, never a 2xx for a write that did not happen.
    """
    database: Database = state.database
    async with database.sessionmaker() as session:
        try:
            yield session
        except BaseException:
            with contextlib.suppress(Exception):
                await session.rollback()
            raise
        if session.in_transaction():
            await session.commit()


@contextlib.asynccontextmanager
async def session_scope(settings: Settings) -> AsyncIterator[AsyncSession]:
    """Open a database, give one session in one transaction, commit, and close (CLI and jobs)."""
    database = Database(settings)
    try:
        async with database.sessionmaker() as session, session.begin():
            yield session
    finally:
        await database.dispose()


def migrations_dir() -> Path:
    """Return the Alembic script directory (``migrations/`` at the top of the source tree)."""
    return Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str) -> Config:
    """Build an Alembic configuration for the database at ``url``."""
    directory = migrations_dir()
    config = Config(str(directory / "alembic.ini"))
    config.set_main_option("script_location", str(directory))
    # ConfigParser treats % as interpolation; a password may contain one.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def run_upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations up to ``revision``."""
    command.upgrade(alembic_config(url), revision)


def run_downgrade(url: str, revision: str) -> None:
    """Revert migrations down to ``revision`` (``base`` empties the schema)."""
    command.downgrade(alembic_config(url), revision)


def run_check(url: str) -> None:
    """Raise ``alembic.util.exc.AutogenerateDiffsDetected`` when the models and migrations disagree."""
    command.check(alembic_config(url))


async def _current_revisions(url: str) -> tuple[str, ...]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync_connection: tuple(MigrationContext.configure(sync_connection).get_current_heads())
            )
    finally:
        await engine.dispose()


def run_current(url: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return (the revisions applied to the database, the head revisions of the code)."""
    heads = tuple(ScriptDirectory.from_config(alembic_config(url)).get_heads())
    return asyncio.run(_current_revisions(url)), heads
