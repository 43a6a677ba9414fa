"""The ``assembly`` command line: serve, demo, db, users.

Every expected failure (a bad setting, an unreachable database, a port in use, an embedded PostgreSQL
that will not start) ends in one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import asyncio
import errno
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import asyncpg
import click

from assembly import __version__
from assembly.settings import Settings, SettingsError

__all__ = ("cli", "main")

P = ParamSpec("P")
R = TypeVar("R")


class StartupError(RuntimeError):
    """A condition that stops a command; its message is the one line the user sees."""


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"assembly: error: {message}", err=True)
    sys.exit(code)


def _one_line_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn the expected failures of a command into one line on stderr and exit status 1 or 2."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        from assembly.core.embedded_postgres import EmbeddedPostgresError  # noqa: PLC0415  (cheap --help)

        try:
            return func(*args, **kwargs)
        except SettingsError as exc:
            _fail(str(exc), 2)
        except (StartupError, EmbeddedPostgresError) as exc:
            _fail(str(exc))
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper


def _settings() -> Settings:
    return Settings.from_env()


def _describe(url: str) -> str:
    """Name the database of ``url`` without its password."""
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    parsed = make_url(url)
    host = parsed.host or parsed.query.get("host", "local socket")
    return f"{host}:{parsed.port or 5432}/{parsed.database}"


async def _probe_database(url: str, connect_timeout: float) -> None:
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    parsed = make_url(url)
    dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn, timeout=connect_timeout)
    await connection.close()


def check_database(url: str, timeout: float = 5.0) -> None:
    """Connect once to ``url``; raise :class:`StartupError` with the reason when that fails."""
    where = _describe(url)
    try:
        asyncio.run(_probe_database(url, timeout))
    except asyncpg.InvalidCatalogNameError:
        msg = f"the database {where} does not exist (create it, or check ASSEMBLY_DATABASE_URL)"
        raise StartupError(msg) from None
    except asyncpg.InvalidAuthorizationSpecificationError as exc:
        msg = f"the database {where} refused the login: {exc}"
        raise StartupError(msg) from None
    except asyncpg.InvalidPasswordError:
        msg = f"the database {where} refused the password (check ASSEMBLY_DATABASE_URL)"
        raise StartupError(msg) from None
    except TimeoutError:
        msg = f"cannot connect to the database at {where}: no answer within {timeout:g} s"
        raise StartupError(msg) from None
    except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
        msg = f"cannot connect to the database at {where}: {reason}"
        raise StartupError(msg) from None


def ensure_port_free(host: str, port: int) -> None:
    """Raise :class:`StartupError` when ``host:port`` cannot be bound (in use, or no such address)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                msg = f"port {port} on {host} is already in use (choose another with --port or ASSEMBLY_PORT)"
            else:
                msg = f"cannot listen on {host}:{port}: {exc.strerror or exc}"
            raise StartupError(msg) from None


def _ensure_migrated(url: str) -> None:
    from assembly.db import run_current  # noqa: PLC0415

    applied, heads = run_current(url)
    if set(applied) != set(heads):
        shown = ", ".join(applied) or "none"
        msg = f"the database {_describe(url)} is at revision {shown}, the code needs {', '.join(heads)}: " \
              "run `assembly db upgrade`"
        raise StartupError(msg)


def _terminate_on_sigterm() -> None:
    """Make SIGTERM unwind like Ctrl-C, so `finally` blocks (stopping PostgreSQL) run."""

    def handler(signum: int, _frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


LISTEN_BACKLOG = 4096
"""Pending TCP connections the kernel queues for the server (capped by net.core.somaxconn)."""

REQUESTS_IN_FLIGHT_PER_WORKER = 4096
"""Requests (each open event stream is one) a worker serves at once before granian stops accepting."""

WORKER_STOP_SECONDS = 20
"""How long a worker has to stop after SIGTERM before granian kills it. Without a bound granian waits
forever, and a worker can deadlock in its shutdown (granian issue #875: its runtime drop waits for the
GIL held by a thread scheduling a callback); the serve/SIGTERM test hung on such a stop. Killing it
loses nothing acknowledged: a vote is committed before its answer."""


def _run_server(settings: Settings) -> None:
    """Serve the app with granian's worker processes; they read the settings from the environment."""
    from granian import Granian  # noqa: PLC0415
    from granian.constants import Interfaces  # noqa: PLC0415

    ensure_port_free(settings.host, settings.port)
    os.environ.update(
        {
            "ASSEMBLY_DATABASE_URL": settings.require_database_url(),
            "ASSEMBLY_SECRET_KEY": settings.require_secret_key(),
            "ASSEMBLY_HOST": settings.host,
            "ASSEMBLY_PORT": str(settings.port),
            "ASSEMBLY_WORKERS": str(settings.workers),
        }
    )
    sequencer = _start_sequencer(settings) if settings.sequencer else None
    server = Granian(
        "assembly.app:create_app_from_env",
        factory=True,
        address=settings.host,
        port=settings.port,
        interface=Interfaces.ASGI,
        workers=settings.workers,
        # A worker that dies (killed, out of memory) is replaced; votes it had acknowledged were committed
        # first, and those it had not are the client's to retry (tests/integration/faults).
        respawn_failed_workers=True,
        # Open connections, not requests per second, are the limit with live streams: granian's
        # defaults (a listen backlog of 1,024, and at most backlog / workers requests in flight per
        # worker) stalled the 1,025th server-sent-event subscriber (docs/performance.md, scenario 5).
        # Overload beyond what the database pool serves is answered 503 server_busy instead.
        backlog=LISTEN_BACKLOG,
        backpressure=REQUESTS_IN_FLIGHT_PER_WORKER,
        workers_kill_timeout=WORKER_STOP_SECONDS,
        log_access=False,
        log_level=settings.log_level,  # type: ignore[arg-type]
    )
    try:
        server.serve()
    finally:
        if sequencer is not None:
            _stop_sequencer(sequencer)


def _start_sequencer(settings: Settings) -> subprocess.Popen[bytes]:
    """Run ``assembly sequencer`` beside the server: its own process and single connection, so the
    workers' startup, shutdown and pools are untouched (docs/adr/0005-audit-log-sequencing.md)."""
    from assembly.audit.sequencer import SequencerError, load_signer  # noqa: PLC0415

    try:
        load_signer(settings)  # a bad key or origin stops the start here, with its reason
    except SequencerError as exc:
        raise StartupError(f"audit log: {exc}") from None
    env = {**os.environ, "ASSEMBLY_DATABASE_URL": settings.require_database_url()}
    if settings.data_dir:
        env["ASSEMBLY_DATA_DIR"] = settings.data_dir
    return subprocess.Popen([sys.executable, "-m", "assembly", "sequencer"], env=env)


def _stop_sequencer(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL if it has not stopped within 10 seconds (a batch is one transaction)."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="assembly")
def cli() -> None:
    """Deliberation and voting for a world assembly of local and regional governments.

    Configuration comes from ASSEMBLY_* environment variables (docs/operations.md).
    """


@cli.command()
@click.option("--host", help="Address to listen on (default ASSEMBLY_HOST or 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port to listen on (default ASSEMBLY_PORT or 8000).")
@click.option("--workers", type=click.IntRange(1, 64), help="Worker processes (default ASSEMBLY_WORKERS or 1).")
@_one_line_errors
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the API with a production ASGI server (granian).

    Needs ASSEMBLY_DATABASE_URL (a migrated database) and ASSEMBLY_SECRET_KEY.
    """
    from dataclasses import replace  # noqa: PLC0415

    settings = _settings()
    settings = replace(
        settings,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
    )
    url = settings.require_database_url()
    settings.require_secret_key()
    check_database(url, settings.db_connect_timeout_seconds)
    _ensure_migrated(url)
    _run_server(settings)


@cli.command()
@click.option("--host", default=None, help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), default=None, help="Port to listen on (default 8000).")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True, help="Worker processes.")
@click.option("--reset", is_flag=True, help="Drop the demo database first and seed it anew.")
@_one_line_errors
def demo(host: str | None, port: int | None, workers: int, reset: bool) -> None:
    """Start a demo: database, migrations, a seeded assembly, and the API on 127.0.0.1.

    Without ASSEMBLY_DATABASE_URL it runs on an embedded PostgreSQL in ASSEMBLY_DATA_DIR, which it
    stops on exit (and finds and stops if a killed run left it behind).
    """
    from dataclasses import replace  # noqa: PLC0415

    from assembly.audit.sequencer import discard_log_files  # noqa: PLC0415
    from assembly.core.embedded_postgres import EmbeddedPostgres, default_data_dir  # noqa: PLC0415
    from assembly.demo import DEMO_DATABASE, demo_banner, load_or_create_secret, seed_demo  # noqa: PLC0415

    _terminate_on_sigterm()
    settings = _settings()
    settings = replace(settings, host=host or settings.host, port=port or settings.port, workers=workers)
    ensure_port_free(settings.host, settings.port)
    data_dir = Path(settings.data_dir) if settings.data_dir else default_data_dir()
    embedded: EmbeddedPostgres | None = None
    try:
        if settings.database_url:
            url = settings.database_url
            check_database(url, settings.db_connect_timeout_seconds)
            where = f"the PostgreSQL server at {_describe(url)}"
        else:
            click.echo(f"Starting an embedded PostgreSQL in {data_dir} ...")
            embedded = EmbeddedPostgres(data_dir)
            embedded.start()
            if reset:
                embedded.drop_database(DEMO_DATABASE)
                # A new database is a new audit log: with a new key, and no record of the old one's size.
                discard_log_files(data_dir)
            url = embedded.create_database(DEMO_DATABASE)
            where = f"an embedded PostgreSQL ({data_dir})"
        if not settings.secret_key:
            settings = replace(settings, secret_key=load_or_create_secret(data_dir))
        settings = settings.with_database(url)
        from assembly.db import run_upgrade  # noqa: PLC0415

        run_upgrade(url)
        logins = asyncio.run(seed_demo(settings))
        click.echo(demo_banner(settings, logins, where))
        _run_server(settings)
    finally:
        if embedded is not None and embedded.running:
            embedded.stop()
            click.echo("Embedded PostgreSQL stopped.")


@cli.group()
def db() -> None:
    """Migrate the database named by ASSEMBLY_DATABASE_URL."""


@db.command("upgrade")
@click.argument("revision", default="head")
@_one_line_errors
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: head)."""
    from assembly.db import run_upgrade  # noqa: PLC0415

    url = _settings().require_database_url()
    check_database(url)
    run_upgrade(url, revision)
    click.echo(f"Database {_describe(url)} upgraded to {revision}.")


@db.command("downgrade")
@click.argument("revision")
@_one_line_errors
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (e.g. -1, or base to empty the schema)."""
    from assembly.db import run_downgrade  # noqa: PLC0415

    url = _settings().require_database_url()
    check_database(url)
    run_downgrade(url, revision)
    click.echo(f"Database {_describe(url)} downgraded to {revision}.")


@db.command("current")
@_one_line_errors
def db_current() -> None:
    """Show the revision the database is at and the revision the code expects."""
    from assembly.db import run_current  # noqa: PLC0415

    url = _settings().require_database_url()
    check_database(url)
    applied, heads = run_current(url)
    click.echo(f"database: {', '.join(applied) or 'empty (no revision)'}")
    click.echo(f"code:     {', '.join(heads)}")
    if set(applied) != set(heads):
        sys.exit(1)


@db.command("check")
@_one_line_errors
def db_check() -> None:
    """Exit non-zero when the models and the migrations disagree (a migration is missing)."""
    from alembic.util.exc import AutogenerateDiffsDetected  # noqa: PLC0415

    from assembly.db import run_check  # noqa: PLC0415

    url = _settings().require_database_url()
    check_database(url)
    try:
        run_check(url)
    except AutogenerateDiffsDetected as exc:
        raise StartupError(f"models and migrations disagree: {exc}") from None
    click.echo("Models and migrations agree.")


@cli.group()
def users() -> None:
    """Manage user accounts from the command line."""


@users.command("create")
@click.option("--email", required=True, help="Login e-mail address.")
@click.option("--name", "full_name", required=True, help="Full name.")
@click.option("--admin", is_flag=True, help="Make the user a secretariat administrator.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of a prompt.")
@_one_line_errors
def users_create(email: str, full_name: str, admin: bool, password_stdin: bool) -> None:
    """Create a user account, e.g. the first secretariat administrator."""
    from assembly.accounts.services import create_user  # noqa: PLC0415
    from assembly.core.errors import AssemblyError  # noqa: PLC0415
    from assembly.db import session_scope  # noqa: PLC0415

    settings = _settings()
    url = settings.require_database_url()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    check_database(url)
    _ensure_migrated(url)

    async def create() -> str:
        async with session_scope(settings) as session:
            user = await create_user(session, email=email, full_name=full_name, password=password, is_admin=admin)
            return str(user.id)

    try:
        user_id = asyncio.run(create())
    except AssemblyError as exc:
        raise StartupError(exc.detail) from None
    role = "secretariat administrator" if admin else "user"
    click.echo(f"Created {role} {email.strip().lower()} ({user_id}).")


@users.command("purge-sessions")
@click.option(
    "--keep-days",
    type=click.IntRange(1, 3650),
    default=90,
    show_default=True,
    help="Keep ended login sessions this many days before deleting them.",
)
@_one_line_errors
def users_purge_sessions(keep_days: int) -> None:
    """Delete login sessions (and their refresh tokens) that ended more than --keep-days ago.

    Meant for a daily cron job; live sessions are never touched (docs/accounts.md).
    """
    from datetime import timedelta  # noqa: PLC0415

    from assembly.accounts.services import purge_ended_sessions  # noqa: PLC0415
    from assembly.db import session_scope  # noqa: PLC0415

    settings = _settings()
    url = settings.require_database_url()
    check_database(url)
    _ensure_migrated(url)

    async def purge() -> int:
        async with session_scope(settings) as session:
            return await purge_ended_sessions(session, keep=timedelta(days=keep_days))

    deleted = asyncio.run(purge())
    click.echo(f"Deleted {deleted} login session(s) that ended more than {keep_days} day(s) ago.")


@cli.command()
@_one_line_errors
def worker() -> None:
    """Deliver webhooks (the outbox of published positions) until SIGTERM or Ctrl-C.

    Any number may run beside the servers: each delivery is taken by one worker at a time
    (docs/positions.md). Needs ASSEMBLY_DATABASE_URL (a migrated database).
    """
    from assembly.db import Database  # noqa: PLC0415
    from assembly.positions.worker import run_worker  # noqa: PLC0415

    # Stopped before the loop runs (still starting): exit cleanly, there is no delivery in hand.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))
    settings = _settings()
    url = settings.require_database_url()
    check_database(url, settings.db_connect_timeout_seconds)
    _ensure_migrated(url)

    async def work() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        database = Database(settings)
        try:
            await run_worker(database, settings, stop)
        finally:
            await database.dispose()

    click.echo("Delivering webhooks; stop with Ctrl-C or SIGTERM.", err=True)
    asyncio.run(work())


@cli.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def verify(args: tuple[str, ...]) -> None:
    """Verify an audit bundle offline: assembly verify BUNDLE [--key VKEY | --key-file F] [--json].

    Needs no database and no network; prints a numbered report and exits non-zero on any failure
    (docs/audit-log-spec.md). `assembly verify --help` shows the options.
    """
    # The verifier is independent of the application on purpose (an auditor may run it alone as
    # `python -m assembly.audit.verify`): pass the arguments through untouched.
    from assembly.audit.verify.cli import main as verify_main  # noqa: PLC0415

    sys.exit(verify_main(list(args)))


@cli.command()
@_one_line_errors
def sequencer() -> None:
    """Run the audit-log sequencer alone: integrate queued entries and sign checkpoints until stopped.

    One leader at a time (a PostgreSQL advisory lock): start as many as you like, one works, the
    others wait. `assembly serve` and `assembly demo` run one unless ASSEMBLY_SEQUENCER=false.
    """
    from assembly.audit.sequencer import SequencerError, run_sequencer  # noqa: PLC0415

    settings = _settings()
    settings.require_database_url()

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await run_sequencer(settings, stop)

    try:
        asyncio.run(run())
    except SequencerError as exc:
        raise StartupError(f"audit log: {exc}") from None


@cli.command("audit-key")
@_one_line_errors
def audit_key() -> None:
    """Print the audit log's verifier key (publish it; auditors pass it to `assembly verify --key`)."""
    from assembly.audit.sequencer import SequencerError, load_signer  # noqa: PLC0415

    try:
        signer, _ = load_signer(Settings.from_env())
    except SequencerError as exc:
        raise StartupError(f"audit log: {exc}") from None
    click.echo(signer.verifier.vkey)


def main() -> None:
    """Entry point of the ``assembly`` console script."""
    cli(prog_name="assembly")


if __name__ == "__main__":  # pragma: no cover
    main()
