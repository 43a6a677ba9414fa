"""The command line: help, one-line errors, migrations, users, and the real server processes."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.accounts.models import User
from tests.cli.conftest import command_env, free_port, run_cli
from tests.conftest import create_database_copy, drop_database


def assert_one_line_error(result: subprocess.CompletedProcess[str], fragment: str, status: int = 1) -> None:
    assert result.returncode == status, (result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("assembly: error: ")
    assert fragment in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "args",
    [(), ("serve",), ("demo",), ("db",), ("db", "upgrade"), ("db", "downgrade"), ("db", "current"), ("db", "check"),
     ("users",), ("users", "create"), ("users", "purge-sessions"), ("worker",)],
)
def test_every_command_has_help(args: tuple[str, ...]) -> None:
    result = run_cli(*args, "--help")
    assert result.returncode == 0, result.stderr
    assert "Usage: assembly" in result.stdout


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert "assembly, version" in result.stdout


@pytest.mark.parametrize(
    ("env", "fragment", "status"),
    [
        ({"ASSEMBLY_DATABASE_URL": "sqlite:///assembly.db"}, "must be a PostgreSQL URL", 2),
        ({"ASSEMBLY_DATABASE_URL": "postgresql://postgres@127.0.0.1:99999/x"}, "the port is not a number", 2),
        ({}, "ASSEMBLY_DATABASE_URL is not set", 2),
        ({"ASSEMBLY_DATABASE_URL": "postgresql://postgres@127.0.0.1:9/x"}, "cannot connect to the database", 1),
        ({"ASSEMBLY_DATABASE_URL": "postgresql://postgres@no-such-host.invalid:5432/x"}, "cannot connect", 1),
    ],
)
def test_bad_database_url_is_one_line(env: dict[str, str], fragment: str, status: int) -> None:
    assert_one_line_error(run_cli("db", "current", env=env), fragment, status)


def test_missing_database_is_named(pg_server_url: str) -> None:
    url = make_url(pg_server_url).set(database="assembly_no_such_db").render_as_string(hide_password=False)
    assert_one_line_error(run_cli("db", "current", env={"ASSEMBLY_DATABASE_URL": url}), "does not exist")


def test_serve_refuses_a_bad_setting_and_a_missing_secret(database_url: str) -> None:
    env = {"ASSEMBLY_DATABASE_URL": database_url, "ASSEMBLY_PORT": "http"}
    assert_one_line_error(run_cli("serve", env=env), "ASSEMBLY_PORT", 2)
    assert_one_line_error(run_cli("serve", env={"ASSEMBLY_DATABASE_URL": database_url}), "ASSEMBLY_SECRET_KEY", 2)


def test_serve_refuses_a_port_in_use(database_url: str, secret_key: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {"ASSEMBLY_DATABASE_URL": database_url, "ASSEMBLY_SECRET_KEY": secret_key}
        assert_one_line_error(run_cli("serve", "--port", str(port), env=env), "already in use")


async def test_serve_refuses_an_unmigrated_database(pg_server_url: str, secret_key: str) -> None:
    empty = await create_database_copy(pg_server_url, "template0")
    try:
        url = make_url(pg_server_url).set(database=empty).render_as_string(hide_password=False)
        env = {"ASSEMBLY_DATABASE_URL": url, "ASSEMBLY_SECRET_KEY": secret_key}
        result = await asyncio.to_thread(run_cli, "serve", "--port", str(free_port()), env=env)
        assert_one_line_error(result, "run `assembly db upgrade`")
    finally:
        await drop_database(pg_server_url, empty)


async def test_db_commands_migrate_an_empty_database(pg_server_url: str) -> None:
    empty = await create_database_copy(pg_server_url, "template0")
    try:
        env = {"ASSEMBLY_DATABASE_URL": make_url(pg_server_url).set(database=empty).render_as_string(False)}
        before = await asyncio.to_thread(run_cli, "db", "current", env=env)
        assert before.returncode == 1
        assert "empty (no revision)" in before.stdout
        upgrade = await asyncio.to_thread(run_cli, "db", "upgrade", env=env)
        assert upgrade.returncode == 0, upgrade.stderr
        current = await asyncio.to_thread(run_cli, "db", "current", env=env)
        assert current.returncode == 0, current.stdout
        check = await asyncio.to_thread(run_cli, "db", "check", env=env)
        assert check.returncode == 0, check.stderr
        assert "Models and migrations agree." in check.stdout
        down = await asyncio.to_thread(run_cli, "db", "downgrade", "base", env=env)
        assert down.returncode == 0, down.stderr
        again = await asyncio.to_thread(run_cli, "db", "current", env=env)
        assert "empty (no revision)" in again.stdout
    finally:
        await drop_database(pg_server_url, empty)


async def test_users_create_bootstraps_an_admin(database_url: str, session: AsyncSession) -> None:
    env = {"ASSEMBLY_DATABASE_URL": database_url}
    args = ("users", "create", "--email", "Head@Secretariat.example", "--name", "Ada Head", "--admin",
            "--password-stdin")
    created = await asyncio.to_thread(run_cli, *args, env=env, stdin="a long enough password\n")
    assert created.returncode == 0, created.stderr
    assert "Created secretariat administrator head@secretariat.example" in created.stdout
    user = (await session.scalars(select(User).where(User.email == "head@secretariat.example"))).one()
    assert user.is_admin
    assert user.password_hash.startswith("$argon2id$")

    duplicate = await asyncio.to_thread(run_cli, *args, env=env, stdin="a long enough password\n")
    assert_one_line_error(duplicate, "already exists")
    weak = await asyncio.to_thread(run_cli, "users", "create", "--email", "x@y.example", "--name", "X",
                                   "--password-stdin", env=env, stdin="short\n")
    assert_one_line_error(weak, "password: must be at least 12 characters")
    assert await session.scalar(select(User.id).where(User.email == "x@y.example")) is None


def _wait_ready(base: str, process: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited early: {process.stderr.read() if process.stderr else ''}")
        try:
            if httpx.get(f"{base}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("server did not become ready")


@pytest.mark.slow
async def test_serve_runs_worker_processes_and_stops_on_sigterm(database_url: str, secret_key: str) -> None:
    port = free_port()
    env = command_env({"ASSEMBLY_DATABASE_URL": database_url, "ASSEMBLY_SECRET_KEY": secret_key})
    with subprocess.Popen(
        [sys.executable, "-m", "assembly", "serve", "--port", str(port), "--workers", "2"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    ) as process:
        base = f"http://127.0.0.1:{port}"
        try:
            await asyncio.to_thread(_wait_ready, base, process)
            async with httpx.AsyncClient(base_url=base) as client:
                answers = await asyncio.gather(*(client.get("/health/ready") for _ in range(20)))
                assert {a.status_code for a in answers} == {200}
                missing = await client.get("/api/nothing")
                assert missing.status_code == 404
                assert missing.headers["content-type"].startswith("application/problem+json")
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                # Graceful: granian drains both workers, each stops its delivery worker and pool, then the
                # sequencer child gets up to 10 s to finish its batch; a loaded CI machine needs more than 30 s.
                _, log = await asyncio.to_thread(process.communicate, timeout=90)
            except subprocess.TimeoutExpired:
                process.kill()
                raise
    assert process.returncode == 0
    assert '"event": "request"' in log
    assert '"request_id"' in log
    assert secret_key not in log


def test_verify_runs_the_offline_verifier() -> None:
    bundle = "tests/unit/audit/vectors/golden-bundle"
    passed = run_cli("verify", bundle)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "RESULT: PASS" in passed.stdout
    missing = run_cli("verify", "no/such/bundle")
    assert missing.returncode != 0
    assert "Traceback" not in missing.stderr


async def test_users_purge_sessions_reports_what_it_deleted(database_url: str) -> None:
    env = {"ASSEMBLY_DATABASE_URL": database_url}
    purged = await asyncio.to_thread(run_cli, "users", "purge-sessions", "--keep-days", "30", env=env)
    assert purged.returncode == 0, purged.stderr
    assert "Deleted 0 login session(s) that ended more than 30 day(s) ago." in purged.stdout
    refused = await asyncio.to_thread(run_cli, "users", "purge-sessions", "--keep-days", "0", env=env)
    assert refused.returncode != 0
    assert "--keep-days" in refused.stderr
