"""End-to-end fixtures: a real `assembly serve` process on the demo data, and headless Chromium.

Chromium comes from the machine (Debian's ``chromium`` package; .ci/run installs it): Playwright drives
it through ``executable_path`` and never downloads a browser. Without one, these tests are skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from assembly.demo import DEMO_ASSEMBLY, seed_demo
from assembly.settings import Settings
from tests.helpers import chromium_executable

pytestmark = pytest.mark.e2e

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PORTS = range(18400, 18450)
"""The port range these tests may listen on (one machine, several test runs)."""


def _free_port() -> int:
    start = secrets.randbelow(len(PORTS))
    for offset in range(len(PORTS)):
        port = PORTS[(start + offset) % len(PORTS)]
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18400-18449")


@dataclass
class ServedApp:
    """A real server process on the demo data; ``restart`` drops every open connection."""

    port: int
    env: dict[str, str]
    assembly_id: str = ""
    process: subprocess.Popen[str] | None = None
    log_file: Any = None
    log: list[str] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        # Output goes to a file, not a pipe: a worker process that outlives its parent must not keep
        # a pipe open that the test would wait on. A session of its own lets stop() end the group.
        self.log_file = tempfile.TemporaryFile("w+")  # noqa: SIM115  (closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "assembly", "serve", "--port", str(self.port), "--workers", "1"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=self.log_file, text=True, start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log_file.seek(0)
                raise AssertionError(f"server exited: {self.log_file.read()}")
            try:
                if httpx.get(f"{self.base}/health/ready", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError("server did not become ready")

    def stop(self, *, graceful: bool = True) -> None:
        """SIGTERM (or, not graceful, SIGKILL: every connection drops at once) to the server's group."""
        if self.process is None:
            return
        group = os.getpgid(self.process.pid)
        os.killpg(group, signal.SIGTERM if graceful else signal.SIGKILL)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            # Open event streams can hold a graceful shutdown; the test is over, end it.
            os.killpg(group, signal.SIGKILL)
            self.process.wait(timeout=15)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)  # a worker left behind
        self.log_file.seek(0)
        self.log.append(self.log_file.read())
        self.log_file.close()
        self.process = None

    def token(self, email: str, password: str) -> str:
        answer = httpx.post(f"{self.base}/api/auth/login", json={"email": email, "password": password}, timeout=10)
        answer.raise_for_status()
        return str(answer.json()["access_token"])


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = chromium_executable()
    if path is None:
        pytest.skip("no Chromium found: install Debian's `chromium` package (.ci/run does) or set ASSEMBLY_CHROMIUM")
    try:
        import playwright  # noqa: F401, PLC0415
    except ImportError:
        pytest.skip("the playwright package is not installed (pip install -e '.[test]')")
    return path


@pytest.fixture
async def served(database_url: str, settings: Settings) -> AsyncIterator[ServedApp]:
    """The demo's data on the test's own database, served by `assembly serve` on 127.0.0.1."""
    await seed_demo(settings)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSEMBLY_")}
    env.update({"ASSEMBLY_DATABASE_URL": database_url, "ASSEMBLY_SECRET_KEY": secrets.token_urlsafe(40),
                "ASSEMBLY_LOG_LEVEL": "warning",
                # The audit log's key and the signer's record of this server's log, apart from other tests'.
                "ASSEMBLY_DATA_DIR": tempfile.mkdtemp(prefix="assembly-e2e-")})
    app = ServedApp(port=_free_port(), env=env)
    await asyncio.to_thread(app.start)
    try:
        chair = await asyncio.to_thread(app.token, "chair@demo.assembly.test", "demo-chair-pass")
        headers = {"Authorization": f"Bearer {chair}"}
        mine = httpx.get(f"{app.base}/api/me/assemblies", headers=headers, timeout=10).json()
        app.assembly_id = next(a["assembly_id"] for a in mine["assemblies"] if a["name"] == DEMO_ASSEMBLY)
        yield app
    finally:
        await asyncio.to_thread(app.stop)


@pytest.fixture
async def browser(chromium_path: str) -> AsyncIterator[object]:
    from playwright.async_api import async_playwright  # noqa: PLC0415

    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=chromium_path, headless=True)
        try:
            yield chromium
        finally:
            await chromium.close()
