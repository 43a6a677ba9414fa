"""Helpers for running the real ``assembly`` command in a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Mapping

import pytest


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def command_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The test process's environment without any ASSEMBLY_* variable, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSEMBLY_")}
    env.update(extra or {})
    return env


def run_cli(*args: str, env: Mapping[str, str] | None = None, stdin: str | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assembly", *args],
        env=command_env(env),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def secret_key() -> str:
    return "test-secret-" + "x" * 40
