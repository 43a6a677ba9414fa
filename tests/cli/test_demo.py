"""`assembly demo`: one command from nothing to a served, seeded API, and a clean stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.cli.conftest import command_env, free_port


def _start_demo(data_dir: Path, port: int, extra: dict[str, str] | None = None) -> subprocess.Popen[str]:
    env = command_env({"ASSEMBLY_DATA_DIR": str(data_dir), **(extra or {})})
    return subprocess.Popen(  # our own command, fixed arguments
        [sys.executable, "-m", "assembly", "demo", "--port", str(port), "--workers", "1"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )


def _read_banner(process: subprocess.Popen[str], timeout: float = 90) -> str:
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            if process.poll() is not None:
                stderr = process.stderr.read() if process.stderr else ""
                raise AssertionError(f"demo exited early ({process.returncode}): {''.join(lines)} {stderr}")
            continue
        lines.append(line)
        if "Press Ctrl-C to stop." in line:
            return "".join(lines)
    raise AssertionError("no banner: " + "".join(lines))


def _wait_ready(base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("demo did not become ready")


def _postmaster_pid(data_dir: Path) -> int | None:
    pid_file = data_dir / "postgres" / "postmaster.pid"
    if not pid_file.exists():
        return None
    return int(pid_file.read_text().splitlines()[0])


def _alive(pid: int, settle: float = 5.0) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its reaper counts as gone), after up to ``settle`` s."""
    deadline = time.monotonic() + settle
    while True:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return False
        if state == "Z" or time.monotonic() > deadline:
            return state != "Z"
        time.sleep(0.1)


def _stop(process: subprocess.Popen[str], sig: int = signal.SIGINT) -> str:
    """Signal the demo's process group, wait, and return the rest of its standard output."""
    if process.poll() is None:
        os.killpg(process.pid, sig)
    try:
        out, _ = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, _ = process.communicate(timeout=10)
    return out or ""


@pytest.mark.slow
def test_demo_on_embedded_postgres_serves_stops_and_recovers_from_a_killed_run(pg_data_dir: Path) -> None:
    data_dir = pg_data_dir / "demo-data"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with _start_demo(data_dir, port) as demo:
        banner = _read_banner(demo)
        assert "embedded PostgreSQL" in banner
        assert f"{base}/api" in banner
        assert f"{base}/schema" in banner
        assert "admin@demo.assembly.test" in banner
        assert "chair@demo.assembly.test" in banner
        _wait_ready(base)
        docs = httpx.get(f"{base}/schema/openapi.json", timeout=10)
        assert docs.status_code == 200
        postmaster = _postmaster_pid(data_dir)
        assert postmaster is not None
        assert _alive(postmaster, settle=0)
        rest = _stop(demo, signal.SIGTERM)
    assert demo.returncode is not None
    assert "Embedded PostgreSQL stopped." in rest
    assert _postmaster_pid(data_dir) is None
    assert not _alive(postmaster)

    # A run killed without a chance to clean up leaves PostgreSQL running: the next run stops it.
    with _start_demo(data_dir, port) as killed:
        _read_banner(killed)
        orphan = _postmaster_pid(data_dir)
        assert orphan is not None
        _stop(killed, signal.SIGKILL)
    assert _alive(orphan, settle=0), "the postmaster should outlive a SIGKILLed demo"

    second_port = free_port()
    with _start_demo(data_dir, second_port) as again:
        _read_banner(again)
        _wait_ready(f"http://127.0.0.1:{second_port}")
        assert not _alive(orphan)
        _stop(again)
    assert _postmaster_pid(data_dir) is None


@pytest.mark.slow
def test_demo_uses_the_configured_server(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    with _start_demo(tmp_path / "unused", port, {"ASSEMBLY_DATABASE_URL": database_url}) as demo:
        banner = _read_banner(demo)
        assert "the PostgreSQL server at" in banner
        _wait_ready(f"http://127.0.0.1:{port}")
        _stop(demo)
    assert not (tmp_path / "unused" / "postgres").exists()


def test_demo_refuses_a_port_in_use(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "assembly", "demo", "--port", str(port)],
            env=command_env({"ASSEMBLY_DATA_DIR": str(tmp_path)}), capture_output=True, text=True, timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert result.stderr.strip().startswith("assembly: error: port")
    assert "Traceback" not in result.stderr
