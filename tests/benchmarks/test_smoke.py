"""The benchmark suite at its tiny size, so that it never rots: every scenario runs and reports sane figures.

No timing is asserted (the machine is shared); the full-size run and its results are in docs/performance.md.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import chromium_executable

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_every_scenario_runs_at_tiny_size(pg_server_url: str, tmp_path: Path) -> None:
    prefix = f"{os.environ.get('ASSEMBLY_TEST_DB_PREFIX', 'assembly_test').lower()}_{os.getpid()}"
    env = {**os.environ, "ASSEMBLY_DATABASE_URL": pg_server_url}
    done = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks", "--size", "tiny", "--out", str(tmp_path), "--port",
         str(_free_port()), "--db-prefix", prefix],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    document = json.loads((tmp_path / "bench-tiny.json").read_text())
    table = (tmp_path / "bench-tiny.md").read_text()
    rows = document["rows"]
    results = document["results"]
    assert not [r for r in rows if r["measure"] == "scenario failed"], table
    assert {r["scenario"].split()[0] for r in rows} == {"1", "2", "3", "4", "5", "6", "7"}
    electorate = document["meta"]["sizes"]["electorate"]
    for concurrency, run in results["cast"].items():
        # Every vote through the API and through the bare client was written, and each has its ceiling.
        assert run["stack"]["ops"] == run["stored_votes"] == electorate, concurrency
        assert run["bare"]["ops"] == run["hash_chain"]["ops"] == electorate, concurrency
        assert run["stack"]["errors"] == run["bare"]["errors"] == {}, concurrency
    ratios = [r for r in rows if r["measure"].startswith("votes/s")]
    assert ratios, table
    assert all(r["ratio"] is not None and r["ratio"] > 0 for r in ratios), table
    assert results["burst"]["acknowledged"] == results["burst"]["stored_votes"] == electorate
    # Every acknowledged vote of the burst was seen in a published checkpoint.
    assert results["burst"]["checkpoint_lag"]["integrated"] == electorate, table
    assert results["burst"]["bare_burst"]["ops"] == electorate
    sample = document["meta"]["sizes"]["consultation_api_sample"]
    consultation = results["consultation"]
    assert consultation["counts"]["yes"] + consultation["counts"]["no"] == document["meta"]["sizes"]["consultation"]
    assert consultation["counts"]["no"] == sample
    assert consultation["bare_aggregate_s"] > 0
    assert consultation["close_s"] > 0
    # The consultation's bundle (bulk votes queued with the product's own log entries) verifies offline.
    assert consultation["bundle_status"] == 200
    assert consultation["verify_rc"] == 0, table
    if chromium_executable() is not None:  # scenario 4 in the browser: .ci/run installs Chromium
        browser = results["pages"]["browser"]
        assert len(browser["chair_live_s"]) == 5
        assert len(browser["delegate_live_s"]) == 3
        assert browser["chair_load"]["median_s"] > 0
    assert results["fanout"]["lag"]["ops"] == results["fanout"]["subscribers"]
    assert results["reads"]["motion_amendments"] == document["meta"]["sizes"]["amendments"]
    assert "| 1 cast |" in table
    assert "| 5 fan-out |" in table
