"""A private PostgreSQL cluster for ``assembly demo`` and the tests when no database URL is configured.

The cluster lives in ``<data_dir>/postgres`` and logs to ``<data_dir>/postgres.log``. It listens on
127.0.0.1 only, on a free TCP port, and trusts every local connection: it is for demos and tests,
never for production data.

Server binaries (``initdb``, ``pg_ctl``, ``postgres``) are looked up in this order:
``$ASSEMBLY_PG_BINDIR``; ``pg_config --bindir``; the highest ``/usr/lib/postgresql/<N>/bin``;
``initdb``/``pg_ctl`` on PATH; the binaries shipped in the ``pgserver`` wheel (only its binaries:
its Python API is never called). ``ASSEMBLY_PG_PREFER_PGSERVER=1`` skips straight to pgserver unless
``ASSEMBLY_PG_BINDIR`` is set (for checking that fallback).

Side effects as root: PostgreSQL refuses to run as root, so the cluster runs as the ``postgres``
system user if there is one; otherwise this module creates the system user ``assembly-pg``
(``useradd --system --no-create-home --shell /usr/sbin/nologin``). The cluster directory and log
file are chowned to that user, and so is the data directory itself when that user could not
otherwise enter it. Parent directories are never changed: if one is not traversable the start
fails and names it.

While the cluster runs, the owning process holds an exclusive ``flock`` on
``<data_dir>/assembly-pg.lock``. A postmaster still running with nobody holding the lock was left
by a killed run; :meth:`EmbeddedPostgres.start` stops it before starting anew.
"""

from __future__ import annotations

import asyncio
import atexit
import concurrent.futures
import contextlib
import fcntl
import importlib.util
import logging
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar
from urllib.parse import quote

__all__ = (
    "SERVICE_USER",
    "EmbeddedPostgres",
    "EmbeddedPostgresError",
    "PostgresBinaries",
    "default_data_dir",
    "find_postgres_binaries",
)

logger = logging.getLogger(__name__)

SERVICE_USER = "assembly-pg"
"""The system user created to run the cluster when running as root and no ``postgres`` user exists."""

_SUPERUSER = "postgres"
_HOST = "127.0.0.1"
_START_TIMEOUT_S = 30
_STOP_TIMEOUT_S = 30
_COMMAND_TIMEOUT_S = 120
# sun_path holds 108 bytes with the NUL; the socket file is "<dir>/.s.PGSQL.<port>".
_SOCKET_PATH_MAX = 107
_LOG_ROTATE_BYTES = 10 * 1024 * 1024
_TAIL_LINES = 5
_FALSE_WORDS = frozenset({"", "0", "false", "no", "off"})

T = TypeVar("T")


class EmbeddedPostgresError(RuntimeError):
    """The embedded PostgreSQL cannot be found, started or stopped; the message is one line for the user."""


# --------------------------------------------------------------------------- binaries


@dataclass(frozen=True)
class PostgresBinaries:
    """A directory holding working ``initdb``, ``pg_ctl`` and ``postgres`` binaries."""

    bindir: Path
    version: int
    """Major version, e.g. 15."""
    source: str
    """Where discovery found them (for messages): ``ASSEMBLY_PG_BINDIR``, ``pg_config``, ``pgserver``..."""
    env: Mapping[str, str] = field(default_factory=dict)
    """Extra environment the binaries need (``LD_LIBRARY_PATH`` for some pgserver builds)."""

    def path(self, name: str) -> str:
        return str(self.bindir / name)


_REQUIRED = ("initdb", "pg_ctl", "postgres")
_VERSION_RE = re.compile(r"\(PostgreSQL\)\s+(\d+)")


def _probe(bindir: Path, source: str, extra_env: Mapping[str, str] | None = None) -> PostgresBinaries | None:
    """The binaries in ``bindir`` if all are there and ``postgres --version`` runs, else None."""
    if not all(os.access(bindir / name, os.X_OK) and (bindir / name).is_file() for name in _REQUIRED):
        logger.debug("no initdb/pg_ctl/postgres in %s (%s)", bindir, source)
        return None
    env = dict(extra_env or {})
    try:
        result = subprocess.run(  # noqa: S603  (fixed argv, no shell)
            [str(bindir / "postgres"), "--version"],
            capture_output=True,
            text=True,
            errors="replace",
            timeout=15,
            env={**os.environ, **env},
            check=False,
        )
    except (OSError, subprocess.SubprocessError) as exc:
        logger.debug("%s/postgres does not run: %s", bindir, exc)
        return None
    match = _VERSION_RE.search(result.stdout)
    if result.returncode != 0 or match is None:
        logger.debug("%s/postgres --version failed: %s", bindir, (result.stdout + result.stderr).strip())
        return None
    return PostgresBinaries(bindir=bindir, version=int(match.group(1)), source=source, env=env)


def _pg_config_bindir() -> Path | None:
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return None
    try:
        result = subprocess.run(  # noqa: S603  (fixed argv, no shell)
            [pg_config, "--bindir"], capture_output=True, text=True, timeout=15, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    out = result.stdout.strip()
    return Path(out) if result.returncode == 0 and out else None


def _debian_bindirs() -> list[Path]:
    """``/usr/lib/postgresql/<N>/bin``, highest version first."""
    root = Path("/usr/lib/postgresql")
    if not root.is_dir():
        return []
    versions = [entry for entry in root.iterdir() if entry.name.isdigit()]
    return [entry / "bin" for entry in sorted(versions, key=lambda entry: int(entry.name), reverse=True)]


def _path_bindir() -> Path | None:
    initdb = shutil.which("initdb")
    # Resolve: /usr/local/bin/initdb may be a symlink into the real bin dir, next to postgres.
    return Path(initdb).resolve().parent if initdb else None


def _candidates() -> Iterator[tuple[str, Path]]:
    """System bin dirs in discovery order; lazy, so a hit stops the search early."""
    seen: set[Path] = set()

    def fresh(path: Path | None) -> bool:
        if path is None:
            return False
        key = path.resolve()
        if key in seen:
            return False
        seen.add(key)
        return True

    pg_config = _pg_config_bindir()
    if fresh(pg_config):
        assert pg_config is not None
        yield "pg_config --bindir", pg_config
    for bindir in _debian_bindirs():
        if fresh(bindir):
            yield "/usr/lib/postgresql", bindir
    on_path = _path_bindir()
    if fresh(on_path):
        assert on_path is not None
        yield "PATH", on_path


def _pgserver_binaries() -> PostgresBinaries | None:
    """The binaries inside the installed ``pgserver`` wheel, if they run."""
    # find_spec locates the package without importing it: importing pgserver runs platformdirs code
    # that warns about XDG_RUNTIME_DIR (fatal under filterwarnings=error) and we need none of its API.
    try:
        spec = importlib.util.find_spec("pgserver")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    install = Path(next(iter(spec.submodule_search_locations))) / "pginstall"
    found = _probe(install / "bin", "pgserver")
    if found is None and (install / "lib").is_dir():
        # Some builds link their libraries with a RUNPATH from the build machine.
        ld_path = os.pathsep.join(filter(None, [str(install / "lib"), os.environ.get("LD_LIBRARY_PATH", "")]))
        found = _probe(install / "bin", "pgserver", {"LD_LIBRARY_PATH": ld_path})
    return found


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in _FALSE_WORDS


def find_postgres_binaries(*, prefer_pgserver: bool | None = None) -> PostgresBinaries:
    """Find working PostgreSQL server binaries (see the module docstring for the order).

    ``prefer_pgserver`` (default: ``$ASSEMBLY_PG_PREFER_PGSERVER``) goes straight to the pgserver wheel.
    """
    explicit = os.environ.get("ASSEMBLY_PG_BINDIR", "").strip()
    if prefer_pgserver is None:
        prefer_pgserver = not explicit and _env_flag("ASSEMBLY_PG_PREFER_PGSERVER")
    if prefer_pgserver:
        found = _pgserver_binaries()
        if found is None:
            raise EmbeddedPostgresError(
                "the pgserver binaries were requested but pgserver is not installed or its binaries do not run"
            )
        return found
    if explicit:
        found = _probe(Path(explicit).expanduser(), "ASSEMBLY_PG_BINDIR")
        if found is None:
            raise EmbeddedPostgresError(
                f"ASSEMBLY_PG_BINDIR={explicit} holds no working initdb, pg_ctl and postgres; "
                "point it at a PostgreSQL bin directory or unset it"
            )
        return found
    for source, bindir in _candidates():
        found = _probe(bindir, source)
        if found is not None:
            return found
    found = _pgserver_binaries()
    if found is not None:
        return found
    raise EmbeddedPostgresError(
        "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found; install PostgreSQL "
        "(e.g. apt-get install postgresql), set ASSEMBLY_PG_BINDIR, or set ASSEMBLY_DATABASE_URL to an existing server"
    )


# --------------------------------------------------------------------------- data dir and service user


def default_data_dir() -> Path:
    """``$ASSEMBLY_DATA_DIR``; else ``/var/lib/assembly`` for root; else ``$XDG_DATA_HOME/assembly``."""
    explicit = os.environ.get("ASSEMBLY_DATA_DIR", "").strip()
    if explicit:
        return Path(explicit).expanduser()
    if os.geteuid() == 0:
        return Path("/var/lib/assembly")
    xdg = os.environ.get("XDG_DATA_HOME", "").strip()
    # The XDG spec says to ignore relative values.
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return base / "assembly"


@dataclass(frozen=True)
class _ServiceUser:
    name: str
    uid: int
    gid: int
    groups: frozenset[int]

    @classmethod
    def from_pwd(cls, entry: pwd.struct_passwd) -> _ServiceUser:
        groups = frozenset(os.getgrouplist(entry.pw_name, entry.pw_gid))
        return cls(entry.pw_name, entry.pw_uid, entry.pw_gid, groups)

    def can_traverse(self, directory: Path) -> bool:
        """Whether the mode bits let this user enter ``directory`` (ACLs are not considered)."""
        info = directory.stat()
        if info.st_uid == self.uid:
            return bool(info.st_mode & stat.S_IXUSR)
        if info.st_gid in self.groups:
            return bool(info.st_mode & stat.S_IXGRP)
        return bool(info.st_mode & stat.S_IXOTH)

    def chown(self, path: Path) -> None:
        info = path.stat()
        if (info.st_uid, info.st_gid) != (self.uid, self.gid):
            os.chown(path, self.uid, self.gid)


def _lookup_user(name: str) -> pwd.struct_passwd | None:
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None
    return entry if entry.pw_uid != 0 else None


def _service_user() -> _ServiceUser | None:
    """The unprivileged user to run PostgreSQL as, or None when not root (run as ourselves)."""
    if os.geteuid() != 0:
        return None
    entry = _lookup_user("postgres") or _lookup_user(SERVICE_USER)
    if entry is None:
        useradd = shutil.which("useradd")
        if useradd is None:
            raise EmbeddedPostgresError(
                f"PostgreSQL cannot run as root and there is no 'postgres' user nor useradd to create "
                f"'{SERVICE_USER}'; create an unprivileged user named {SERVICE_USER} or run as non-root"
            )
        logger.warning("creating the system user %s to run the embedded PostgreSQL (it refuses root)", SERVICE_USER)
        result = _run([useradd, "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", SERVICE_USER])
        entry = _lookup_user(SERVICE_USER)  # exit 9 (already exists) means another process won the race
        if entry is None:
            raise EmbeddedPostgresError(f"could not create the system user {SERVICE_USER}: {_tail(result.stdout)}")
    return _ServiceUser.from_pwd(entry)


def _check_traversable(user: _ServiceUser, directory: Path, hint: str) -> None:
    """Raise unless ``user`` can enter every existing parent of ``directory``."""
    for parent in reversed(directory.parents):
        if parent.exists() and not user.can_traverse(parent):
            raise EmbeddedPostgresError(
                f"the PostgreSQL user '{user.name}' cannot enter {parent} (no search permission); {hint}"
            )


# --------------------------------------------------------------------------- process helpers


def _run(
    args: Sequence[str], *, env: Mapping[str, str] | None = None, timeout: float = _COMMAND_TIMEOUT_S
) -> subprocess.CompletedProcess[str]:
    """Run a command with stdout and stderr merged; failures to run at all become EmbeddedPostgresError."""
    # Drop the caller's PG* settings (PGDATA, PGPORT, PGOPTIONS...): the cluster is fully described by argv.
    base = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    try:
        return subprocess.run(  # noqa: S603  (argv built here, no shell)
            list(args),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            env={**base, **(env or {})},
            # The service user may not be able to enter our working directory (e.g. /root).
            cwd="/",
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise EmbeddedPostgresError(f"{Path(args[0]).name} did not finish within {timeout:.0f} s") from exc
    except OSError as exc:
        raise EmbeddedPostgresError(f"cannot run {args[0]}: {exc.strerror or exc}") from exc


def _tail(text: str | None, lines: int = _TAIL_LINES) -> str:
    kept = [line.strip() for line in (text or "").splitlines() if line.strip()][-lines:]
    return " | ".join(kept) if kept else "(no output)"


def _pid_alive(pid: int) -> bool:
    """Whether ``pid`` is a live (non-zombie) process."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    # A killed postmaster reparented to a PID 1 that does not reap stays a zombie; kill(0) still succeeds.
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return status.rpartition(")")[2].split()[:1] != ["Z"]


def _is_postgres(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip() in {"postgres", "postmaster"}
    except OSError:
        return True  # no /proc: trust postmaster.pid


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((_HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _check_database_name(name: str) -> None:
    if not name or "\x00" in name or len(name.encode()) > 63:
        raise EmbeddedPostgresError(f"invalid database name {name!r} (1 to 63 bytes, no NUL)")


def _run_coroutine(factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion from sync code, even when the caller is inside an event loop."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="embedded-pg") as pool:
        return pool.submit(lambda: asyncio.run(factory())).result()


# Instances with a live lock, so a forked child can drop its copy of the lock (see _after_fork_in_child).
_owners: weakref.WeakSet[EmbeddedPostgres] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    # A forked worker shares the lock's open file description; closing its copy keeps the lock tied to
    # the parent alone, and the child never stops the parent's cluster (stop() checks the owner pid).
    for instance in list(_owners):
        instance._forget_after_fork()


os.register_at_fork(after_in_child=_after_fork_in_child)


# --------------------------------------------------------------------------- the cluster


class EmbeddedPostgres:
    """A private PostgreSQL cluster in ``<data_dir>/postgres``, reachable on 127.0.0.1 only.

    ``fsync=False`` makes it faster and unsafe on power loss: for tests.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        fsync: bool = True,
        binaries: PostgresBinaries | None = None,
    ) -> None:
        self.data_dir = Path(data_dir).expanduser().absolute()
        self.pgdata = self.data_dir / "postgres"
        self.log_path = self.data_dir / "postgres.log"
        self.lock_path = self.data_dir / "assembly-pg.lock"
        self.fsync = fsync
        self._requested_port = port
        self._binaries = binaries
        self._user: _ServiceUser | None = None
        self._port: int | None = None
        self._lock_fd: int | None = None
        self._owner_pid: int | None = None
        self._socket_dir: Path | None = None
        self._temp_socket_dir = False
        self._state = threading.Lock()

    def __repr__(self) -> str:
        return f"EmbeddedPostgres({str(self.data_dir)!r}, port={self._port}, running={self.running})"

    # -- public API

    @property
    def running(self) -> bool:
        """Whether this object started the cluster and has not stopped it."""
        return self._lock_fd is not None

    @property
    def port(self) -> int:
        if self._port is None:
            raise EmbeddedPostgresError(f"the embedded PostgreSQL in {self.data_dir} has not been started")
        return self._port

    @property
    def url(self) -> str:
        """SQLAlchemy URL of the ``postgres`` database."""
        return self.database_url(_SUPERUSER)

    def database_url(self, name: str) -> str:
        """SQLAlchemy URL of database ``name`` on this cluster (which need not exist)."""
        return f"postgresql+asyncpg://{_SUPERUSER}@{_HOST}:{self.port}/{quote(name, safe='')}"

    def start(self) -> str:
        """Initialize the cluster if needed, start it, and return :attr:`url`; a no-op when running."""
        with self._state:
            if self.running:
                return self.url
            started = time.monotonic()
            binaries = self._binaries or find_postgres_binaries()
            self._user = _service_user()
            self._prepare_directories(binaries)
            self._acquire_lock()
            try:
                self._stop_leftover(binaries)
                self._initdb_if_needed(binaries)
                self._launch(binaries)
            except BaseException:
                self._release()
                raise
            self._binaries = binaries
            self._owner_pid = os.getpid()
            _owners.add(self)
            atexit.register(self._stop_at_exit)
            logger.info(
                "embedded PostgreSQL %s (%s) listening on %s:%d, data in %s, started in %.2f s",
                binaries.version,
                binaries.bindir,
                _HOST,
                self.port,
                self.pgdata,
                time.monotonic() - started,
            )
            return self.url

    def stop(self) -> None:
        """Stop the cluster (fast shutdown, immediate if that fails); safe to call again or from atexit."""
        with self._state:
            if not self.running or self._owner_pid != os.getpid() or self._binaries is None:
                return
            try:
                if not self._pg_ctl_stop(self._binaries, "fast"):
                    logger.warning(
                        "embedded PostgreSQL in %s ignored a fast shutdown; shutting down immediately", self.pgdata
                    )
                    if not self._pg_ctl_stop(self._binaries, "immediate"):
                        raise EmbeddedPostgresError(
                            f"could not stop the embedded PostgreSQL in {self.pgdata}: {self._log_tail(0)}"
                        )
                logger.info("embedded PostgreSQL in %s stopped", self.pgdata)
            finally:
                self._release()

    def create_database(self, name: str) -> str:
        """Create database ``name`` unless it exists; return its URL."""
        _check_database_name(name)
        dsn = self._libpq_dsn()

        async def create() -> None:
            import asyncpg  # noqa: PLC0415  (keeps importing this module cheap for the CLI)

            connection = await asyncpg.connect(dsn, timeout=15)
            try:
                if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
                    with contextlib.suppress(asyncpg.DuplicateDatabaseError):  # a concurrent creator won
                        await connection.execute(f"CREATE DATABASE {_quote_ident(name)}")
            finally:
                await connection.close()

        self._database_call(create, f"create database {name!r}")
        return self.database_url(name)

    def drop_database(self, name: str) -> None:
        """Drop database ``name`` if it exists, disconnecting its sessions."""
        _check_database_name(name)
        dsn = self._libpq_dsn()

        async def drop() -> None:
            import asyncpg  # noqa: PLC0415  (keeps importing this module cheap for the CLI)

            connection = await asyncpg.connect(dsn, timeout=15)
            try:
                await connection.execute(f"DROP DATABASE IF EXISTS {_quote_ident(name)} WITH (FORCE)")
            finally:
                await connection.close()

        self._database_call(drop, f"drop database {name!r}")

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()

    # -- start steps

    def _prepare_directories(self, binaries: PostgresBinaries) -> None:
        data_hint = "set ASSEMBLY_DATA_DIR to a directory under one it can enter"
        if self._user is not None:
            # Before mkdir, so a refused start leaves nothing behind.
            _check_traversable(self._user, self.data_dir, data_hint)
            _check_traversable(
                self._user, binaries.bindir / "postgres", "set ASSEMBLY_PG_BINDIR to binaries it can run"
            )
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise EmbeddedPostgresError(
                f"cannot create {self.data_dir}: {exc.strerror}; set ASSEMBLY_DATA_DIR to a writable directory"
            ) from exc
        if self._user is None:
            return
        user = self._user
        _check_traversable(user, self.data_dir, data_hint)  # parents mkdir just made (umask 077?)
        if not user.can_traverse(self.data_dir):
            # Typically a 0700 directory from mkdtemp; ours to hand over, unlike its parents.
            user.chown(self.data_dir)
        if self.pgdata.is_dir() and not (self.pgdata / "PG_VERSION").exists():
            user.chown(self.pgdata)

    def _acquire_lock(self) -> None:
        # O_CLOEXEC: the postmaster must not inherit the lock, or a killed owner would look alive.
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise EmbeddedPostgresError(
                f"cannot open {self.lock_path}: {exc.strerror}; set ASSEMBLY_DATA_DIR to a directory you own"
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise EmbeddedPostgresError(
                f"the embedded PostgreSQL in {self.data_dir} is in use by another assembly process (pid {holder})"
            ) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._lock_fd = fd

    def _postmaster_pid(self) -> int | None:
        """The pid in postmaster.pid; removes the file when it is empty, garbled or its process is gone."""
        pid_file = self.pgdata / "postmaster.pid"
        try:
            first = pid_file.read_text(errors="replace").split("\n", 1)[0].strip()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise EmbeddedPostgresError(f"cannot read {pid_file}: {exc.strerror}") from exc
        pid = int(first) if first.isdigit() else None
        if pid is not None and _pid_alive(pid) and _is_postgres(pid):
            return pid
        # We hold the lock, so no starting server of ours owns this file.
        logger.info("removing the stale %s (pid %s is not running)", pid_file, first or "missing")
        pid_file.unlink(missing_ok=True)
        return None

    def _stop_leftover(self, binaries: PostgresBinaries) -> None:
        pid = self._postmaster_pid()
        if pid is None:
            return
        logger.warning(
            "stopping an orphaned PostgreSQL (pid %d) in %s left by an assembly process that did not exit cleanly",
            pid,
            self.pgdata,
        )
        if self._pg_ctl_stop(binaries, "fast", timeout=15) or self._pg_ctl_stop(binaries, "immediate", timeout=10):
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while _pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if self._postmaster_pid() is not None:
            raise EmbeddedPostgresError(f"could not stop the orphaned PostgreSQL (pid {pid}) in {self.pgdata}")

    def _initdb_if_needed(self, binaries: PostgresBinaries) -> None:
        version_file = self.pgdata / "PG_VERSION"
        if version_file.is_file():
            cluster_version = version_file.read_text().strip()
            if cluster_version != str(binaries.version):
                raise EmbeddedPostgresError(
                    f"the cluster in {self.pgdata} is PostgreSQL {cluster_version} but the binaries in "
                    f"{binaries.bindir} are PostgreSQL {binaries.version}; set ASSEMBLY_PG_BINDIR to "
                    f"PostgreSQL {cluster_version} binaries or remove {self.pgdata}"
                )
            return
        if self.pgdata.is_dir() and any(self.pgdata.iterdir()):
            raise EmbeddedPostgresError(
                f"{self.pgdata} exists but holds no PostgreSQL cluster (no PG_VERSION); "
                "remove it or set ASSEMBLY_DATA_DIR"
            )
        self.pgdata.mkdir(mode=0o700, exist_ok=True)
        if self._user is not None:
            self._user.chown(self.pgdata)
        logger.info("initializing a PostgreSQL %d cluster in %s", binaries.version, self.pgdata)
        output = ""
        # C.UTF-8 gives Unicode-aware upper()/lower(); plain C is the fallback where libc lacks it.
        for locale in ("C.UTF-8", "C"):
            args = [
                binaries.path("initdb"),
                "-D",
                str(self.pgdata),
                "-U",
                _SUPERUSER,
                "-A",
                "trust",
                "-E",
                "UTF8",
                f"--locale={locale}",
            ]
            if not self.fsync:
                args.append("--no-sync")
            result = self._pg_run(binaries, args)
            if result.returncode == 0:
                return
            output = result.stdout
            if "locale" not in output.lower():
                break
        raise EmbeddedPostgresError(f"initdb failed in {self.pgdata}: {_tail(output)}")

    def _choose_socket_dir(self) -> Path:
        if len(str(self.pgdata)) + len("/.s.PGSQL.65535") <= _SOCKET_PATH_MAX:
            self._temp_socket_dir = False
            return self.pgdata
        short = Path(tempfile.mkdtemp(prefix="assembly-pg-", dir="/tmp"))  # short on purpose
        if self._user is not None:
            self._user.chown(short)
        self._temp_socket_dir = True
        return short

    def _rotate_log(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            if self.log_path.stat().st_size > _LOG_ROTATE_BYTES:
                self.log_path.replace(self.log_path.with_name(self.log_path.name + ".1"))
        self.log_path.touch(exist_ok=True)
        if self._user is not None:
            self._user.chown(self.log_path)

    def _log_tail(self, offset: int) -> str:
        try:
            with self.log_path.open("rb") as log:
                log.seek(offset)
                return _tail(log.read().decode(errors="replace"))
        except OSError:
            return "(no log)"

    def _launch(self, binaries: PostgresBinaries) -> None:
        self._socket_dir = self._choose_socket_dir()
        self._rotate_log()
        attempts = 1 if self._requested_port is not None else 3
        for attempt in range(1, attempts + 1):
            port = self._requested_port or _free_port()
            options = [
                f"-p {port}",
                f"-h {_HOST}",
                f"-k {shlex.quote(str(self._socket_dir))}",  # pg_ctl hands -o to /bin/sh
            ]
            if not self.fsync:
                options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
            offset = self.log_path.stat().st_size
            result = self._pg_run(
                binaries,
                [
                    binaries.path("pg_ctl"),
                    "start",
                    "-D",
                    str(self.pgdata),
                    "-l",
                    str(self.log_path),
                    "-w",
                    "-t",
                    str(_START_TIMEOUT_S),
                    "-s",
                    "-o",
                    " ".join(options),
                ],
                timeout=_START_TIMEOUT_S + 15,
            )
            if result.returncode == 0:
                self._port = port
                return
            log_tail = self._log_tail(offset)
            # pg_ctl gives up after -t seconds but the server may still be coming up.
            if self._postmaster_pid() is not None:
                self._pg_ctl_stop(binaries, "immediate", timeout=10)
            if "could not bind" in log_tail and attempt < attempts:
                logger.info("port %d was taken before PostgreSQL could bind it; trying another", port)
                continue
            detail = log_tail if log_tail != "(no output)" else _tail(result.stdout)
            raise EmbeddedPostgresError(f"PostgreSQL did not start in {self.pgdata} (log {self.log_path}): {detail}")

    # -- stop and release

    def _pg_run(
        self, binaries: PostgresBinaries, args: Sequence[str], *, timeout: float = _COMMAND_TIMEOUT_S
    ) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL binary, as the service user when we are root."""
        command = list(args)
        if self._user is not None:
            runuser = shutil.which("runuser")
            if runuser is not None:
                command = [runuser, "-u", self._user.name, "--", *command]
            else:
                setpriv = shutil.which("setpriv")
                if setpriv is None:
                    raise EmbeddedPostgresError(
                        "running as root needs runuser or setpriv (util-linux) to start PostgreSQL as "
                        f"'{self._user.name}'; install util-linux or run as non-root"
                    )
                command = [
                    setpriv,
                    f"--reuid={self._user.uid}",
                    f"--regid={self._user.gid}",
                    "--init-groups",
                    "--",
                    *command,
                ]
        return _run(command, env=binaries.env, timeout=timeout)

    def _pg_ctl_stop(self, binaries: PostgresBinaries, mode: str, *, timeout: int = _STOP_TIMEOUT_S) -> bool:
        """``pg_ctl stop -m mode``; True when no postmaster runs from our PGDATA afterwards."""
        if not (self.pgdata / "postmaster.pid").exists():
            return True
        args = [binaries.path("pg_ctl"), "stop", "-D", str(self.pgdata), "-m", mode, "-w", "-t", str(timeout), "-s"]
        result = self._pg_run(binaries, args, timeout=timeout + 15)
        if result.returncode != 0:
            logger.debug("pg_ctl stop -m %s: %s", mode, _tail(result.stdout))
        return self._postmaster_pid() is None

    def _release(self) -> None:
        """Forget the running server: unlock, remove a temporary socket dir, drop the atexit hook."""
        atexit.unregister(self._stop_at_exit)
        _owners.discard(self)
        if self._temp_socket_dir and self._socket_dir is not None:
            shutil.rmtree(self._socket_dir, ignore_errors=True)
        self._socket_dir = None
        self._temp_socket_dir = False
        if self._lock_fd is not None:
            fd, self._lock_fd = self._lock_fd, None
            os.close(fd)  # closing the last descriptor releases the flock
        self._owner_pid = None

    def _stop_at_exit(self) -> None:
        try:
            self.stop()
        except EmbeddedPostgresError as exc:
            logger.error("%s", exc)  # one line: a traceback at interpreter exit helps nobody

    def _forget_after_fork(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None
        self._owner_pid = None
        self._state = threading.Lock()  # the parent may have held it while forking

    # -- databases

    def _libpq_dsn(self) -> str:
        return f"postgresql://{_SUPERUSER}@{_HOST}:{self.port}/postgres"

    def _database_call(self, factory: Callable[[], Coroutine[Any, Any, None]], what: str) -> None:
        try:
            _run_coroutine(factory)
        except EmbeddedPostgresError:
            raise
        except Exception as exc:
            message = " ".join(str(exc).split()) or type(exc).__name__
            raise EmbeddedPostgresError(f"could not {what} on the embedded PostgreSQL: {message}") from exc
