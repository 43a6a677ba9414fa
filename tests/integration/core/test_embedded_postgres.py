"""The embedded PostgreSQL: real clusters, each in its own temporary directory (works as root and as a user).

As root the server runs as an unprivileged user, who must be able to enter every parent of the data
directory. pytest's tmp_path lives under /tmp/pytest-of-root (mode 0700), so these tests use their
own directories directly under the system temp dir instead.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import pytest

from assembly.core import embedded_postgres
from assembly.core.embedded_postgres import (
    EmbeddedPostgres,
    EmbeddedPostgresError,
    default_data_dir,
    find_postgres_binaries,
)

REPO_ROOT = Path(__file__).resolve().parents[3]

# A child that owns a cluster until it is killed; it prints the URL once the server is up.
ORPHAN_OWNER = """
import sys, time
from pathlib import Path
from assembly.core.embedded_postgres import EmbeddedPostgres
print(EmbeddedPostgres(Path(sys.argv[1]), fsync=False).start(), flush=True)
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    """Live and not a zombie (a reparented postmaster may stay one if PID 1 does not reap)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def _postmaster_pid(data_dir: Path) -> int | None:
    try:
        return int((data_dir / "postgres" / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


async def _select_one(url: str) -> int:
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"), timeout=10)
    try:
        value: int = await connection.fetchval("SELECT 1")
        return value
    finally:
        await connection.close()


def _refuses(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """A fresh directory the PostgreSQL user can reach (see the module docstring)."""
    with tempfile.TemporaryDirectory(prefix="assembly-epg-test-") as directory:
        yield Path(directory)


@pytest.fixture
def make_pg(data_dir: Path) -> Iterator[Callable[..., EmbeddedPostgres]]:
    """Build EmbeddedPostgres objects (fsync off); stop them, and any postmaster they left, afterwards."""
    made: list[EmbeddedPostgres] = []

    def make(data_dir: Path, **kwargs: object) -> EmbeddedPostgres:
        kwargs.setdefault("fsync", False)
        instance = EmbeddedPostgres(data_dir, **kwargs)  # type: ignore[arg-type]
        made.append(instance)
        return instance

    yield make
    for instance in made:
        instance.stop()
    for instance in made:
        pid = _postmaster_pid(instance.data_dir)
        if pid is not None and _alive(pid):  # a failed test left a server behind: immediate shutdown
            os.kill(pid, signal.SIGQUIT)


async def test_start_gives_a_url_that_answers_and_stop_closes_the_port(
    data_dir: Path, make_pg: Callable[..., EmbeddedPostgres]
) -> None:
    pg = make_pg(data_dir)
    url = pg.start()
    assert url == f"postgresql+asyncpg://postgres@127.0.0.1:{pg.port}/postgres"
    assert pg.url == url
    assert pg.start() == url  # already running: no-op
    assert await _select_one(url) == 1

    # From inside a running event loop, too.
    db_url = pg.create_database("assembly demo")
    assert db_url.endswith(f":{pg.port}/assembly%20demo")
    assert pg.create_database("assembly demo") == db_url  # exists: skipped
    assert await _select_one(db_url) == 1
    pg.drop_database("assembly demo")
    pg.drop_database("assembly demo")

    port = pg.port
    pg.stop()
    assert _refuses(port)
    assert not pg.running
    pg.stop()  # idempotent
    assert _postmaster_pid(data_dir) is None
    assert (data_dir / "postgres.log").is_file()


async def test_restart_reuses_the_cluster_and_is_fast(data_dir: Path, make_pg: Callable[..., EmbeddedPostgres]) -> None:
    with make_pg(data_dir) as pg:
        pg.create_database("kept")
    version_file = data_dir / "postgres" / "PG_VERSION"
    initialized = version_file.stat().st_mtime_ns

    started = time.monotonic()
    url = pg.start()
    elapsed = time.monotonic() - started
    try:
        assert elapsed < 1.0, f"restart took {elapsed:.2f} s"
        assert version_file.stat().st_mtime_ns == initialized  # no second initdb
        assert await _select_one(pg.database_url("kept")) == 1
        assert await _select_one(url) == 1
    finally:
        pg.stop()


def test_a_second_owner_of_a_running_cluster_is_refused(
    data_dir: Path, make_pg: Callable[..., EmbeddedPostgres]
) -> None:
    first = make_pg(data_dir)
    first.start()
    second = make_pg(data_dir)
    with pytest.raises(EmbeddedPostgresError) as caught:
        second.start()
    assert str(caught.value) == (
        f"the embedded PostgreSQL in {data_dir} is in use by another assembly process (pid {os.getpid()})"
    )
    assert not second.running
    second.stop()  # never started: no-op, must not touch the first one's server
    assert first.running
    assert not _refuses(first.port)


async def test_an_orphan_left_by_a_killed_owner_is_stopped_before_starting(
    data_dir: Path, make_pg: Callable[..., EmbeddedPostgres]
) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", ORPHAN_OWNER, str(data_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
    )
    try:
        assert child.stdout is not None
        orphan_url = child.stdout.readline().strip()
        orphan_pid = _postmaster_pid(data_dir)
    finally:
        child.kill()
        _, errors = child.communicate(timeout=10)
    assert orphan_url.startswith("postgresql+asyncpg://"), errors
    assert orphan_pid is not None
    assert _alive(orphan_pid)  # the postmaster outlived its owner
    assert await _select_one(orphan_url) == 1

    handler = _Collect()
    embedded_postgres.logger.addHandler(handler)
    try:
        pg = make_pg(data_dir)
        url = pg.start()
    finally:
        embedded_postgres.logger.removeHandler(handler)
    assert any("orphan" in record.getMessage() and str(orphan_pid) in record.getMessage() for record in handler.records)
    assert not _alive(orphan_pid)
    new_pid = _postmaster_pid(data_dir)
    assert new_pid is not None
    assert new_pid != orphan_pid
    assert await _select_one(url) == 1
    pg.stop()
    assert not _alive(new_pid)


def test_a_stale_postmaster_pid_is_removed(data_dir: Path, make_pg: Callable[..., EmbeddedPostgres]) -> None:
    with make_pg(data_dir):
        pass
    pid_file = data_dir / "postgres" / "postmaster.pid"
    dead = subprocess.Popen(["true"])
    dead.wait()
    pid_file.write_text(f"{dead.pid}\n{data_dir / 'postgres'}\n")
    with make_pg(data_dir) as pg:
        assert _postmaster_pid(data_dir) != dead.pid
        assert not _refuses(pg.port)


def test_a_data_dir_too_long_for_a_socket_path_still_works(
    data_dir: Path, make_pg: Callable[..., EmbeddedPostgres]
) -> None:
    data_dir.chmod(0o755)  # let the PostgreSQL user (when root) reach the subdirectory
    with make_pg(data_dir / ("d" * 100)) as pg:
        socket_dir = pg._socket_dir
        assert socket_dir is not None
        assert socket_dir != pg.pgdata
        assert not _refuses(pg.port)
    assert not socket_dir.exists()


def test_discovery_finds_a_bindir_with_initdb() -> None:
    binaries = find_postgres_binaries()
    assert (binaries.bindir / "initdb").is_file()
    assert (binaries.bindir / "pg_ctl").is_file()
    assert binaries.version >= 12


def test_an_empty_pg_bindir_is_an_error(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, make_pg: Callable[..., EmbeddedPostgres]
) -> None:
    empty = data_dir / "bin"
    empty.mkdir()
    monkeypatch.setenv("ASSEMBLY_PG_BINDIR", str(empty))
    with pytest.raises(EmbeddedPostgresError, match=r"ASSEMBLY_PG_BINDIR=.* holds no working initdb"):
        find_postgres_binaries()
    with pytest.raises(EmbeddedPostgresError, match="ASSEMBLY_PG_BINDIR"):
        make_pg(data_dir / "data").start()


@pytest.mark.skipif(importlib.util.find_spec("pgserver") is None, reason="pgserver is not installed")
async def test_the_pgserver_binaries_run_a_cluster(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, make_pg: Callable[..., EmbeddedPostgres]
) -> None:
    monkeypatch.delenv("ASSEMBLY_PG_BINDIR", raising=False)
    monkeypatch.setenv("ASSEMBLY_PG_PREFER_PGSERVER", "1")
    binaries = find_postgres_binaries()
    assert binaries.source == "pgserver"
    assert "pgserver" in binaries.bindir.parts
    with make_pg(data_dir) as pg:
        connection = await asyncpg.connect(pg.url.replace("postgresql+asyncpg://", "postgresql://"), timeout=10)
        try:
            version = await connection.fetchval("SHOW server_version_num")
        finally:
            await connection.close()
    assert int(version) // 10000 == binaries.version


def test_default_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ASSEMBLY_DATA_DIR", str(tmp_path / "explicit"))
    assert default_data_dir() == tmp_path / "explicit"
    monkeypatch.delenv("ASSEMBLY_DATA_DIR")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    expected = Path("/var/lib/assembly") if os.geteuid() == 0 else tmp_path / "xdg" / "assembly"
    assert default_data_dir() == expected
