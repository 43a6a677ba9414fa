"""A worker process killed with SIGKILL while votes pour in: no acknowledged vote lost, none twice.

``assembly serve --workers 2`` runs on 127.0.0.1 against the test's database, in which an assembly of
40 seated delegations has an open ballot. Every head of delegation casts through the real server, as a
browser would: a request that fails in transit (its worker died) is sent again; 409 ``already_voted``
on a retry means the first attempt was committed but never acknowledged. When some votes have been
acknowledged, one worker is killed with SIGKILL; granian starts a new one.

Afterwards every delegation has exactly one vote and exactly one ``ballot.vote_cast`` audit event,
every acknowledged vote is among them, and the tally after closing counts each vote once. Once the
log has integrated the entries, every acknowledged vote's tracker has a receipt, and the auditor's
bundle passes ``assembly verify``, which recounts the ballot from the log alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from assembly.settings import Settings
from tests.api.ballots.conftest import BallotApi, Party
from tests.cli.conftest import command_env, free_port
from tests.helpers import TEST_LOG_SIGNER, cast_until_answered, integrate_log
from tests.integration.live.test_two_processes import _wait_ready

pytestmark = pytest.mark.slow

VOTERS = 40
KILL_AFTER_ACKS = 8
"""Votes acknowledged before the kill: the load is well under way."""


def worker_pids(server_pid: int) -> list[int]:
    """The server's worker processes (its children)."""
    children: list[int] = []
    for task in Path(f"/proc/{server_pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):
            children += [int(pid) for pid in (task / "children").read_text().split()]
    return children


@dataclass
class Server:
    process: subprocess.Popen[str]
    base: str


@pytest.fixture
def server(settings: Settings) -> Iterator[Server]:
    """``assembly serve`` with two workers on the test's database."""
    port = free_port()
    env = command_env({"ASSEMBLY_DATABASE_URL": settings.require_database_url(),
                       "ASSEMBLY_SECRET_KEY": settings.require_secret_key(), "ASSEMBLY_LOG_LEVEL": "warning",
                       # The test integrates the log itself, with the tests' key (tests.helpers.integrate_log).
                       "ASSEMBLY_SEQUENCER": "false"})
    process = subprocess.Popen([sys.executable, "-m", "assembly", "serve", "--port", str(port), "--workers", "2"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(base, process)
        yield Server(process, base)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


async def test_sigkill_of_a_worker_loses_no_acknowledged_vote_and_counts_none_twice(
    api: BallotApi, server: Server, tmp_path: Path
) -> None:
    await api.setup(parties=VOTERS)
    ballot = await api.ballot()
    workers = worker_pids(server.process.pid)
    assert len(workers) == 2, workers
    acknowledged: set[str] = set()
    killed: list[int] = []
    gate = asyncio.Semaphore(6)

    trackers: list[str] = []

    async def vote(http: httpx.AsyncClient, party: Party) -> tuple[str, int]:
        async with gate:
            response = await cast_until_answered(http, ballot["id"], party.headers, name=party.name, attempts=200)
        if response.status_code != 200:
            return party.delegation_id, 409 if response.json().get("code") == "already_voted" else 999
        trackers.append(response.json()["tracker"])
        acknowledged.add(party.delegation_id)
        if len(acknowledged) >= KILL_AFTER_ACKS and not killed:
            victim = worker_pids(server.process.pid)[0]
            killed.append(victim)
            os.kill(victim, signal.SIGKILL)
        return party.delegation_id, 200

    limits = httpx.Limits(max_keepalive_connections=0)  # a new connection per request: both workers serve
    async with httpx.AsyncClient(base_url=server.base, timeout=30, limits=limits) as http:
        answers = await asyncio.gather(*(vote(http, party) for party in api.parties))
    assert killed, "the worker was never killed"
    statuses = dict(answers)
    assert set(statuses.values()) <= {200, 409}, answers  # 409 already_voted: an unacknowledged first attempt
    assert len(acknowledged) >= KILL_AFTER_ACKS

    # The server replaced its worker and still answers.
    assert server.process.poll() is None
    async with httpx.AsyncClient(base_url=server.base, timeout=10) as http:
        for _ in range(100):
            if len(worker_pids(server.process.pid)) == 2 and (await http.get("/health/ready")).status_code == 200:
                break
            await asyncio.sleep(0.1)
    replacements = worker_pids(server.process.pid)
    assert len(replacements) == 2, replacements
    assert killed[0] not in replacements

    votes = await api.rows("SELECT r.delegation_id::text, count(*) FROM vote v JOIN ballot_right r ON r.id = v.right_id"
                           " WHERE v.ballot_id = :b GROUP BY 1", b=ballot["id"])
    assert {row[0]: row[1] for row in votes} == {party.delegation_id: 1 for party in api.parties}
    events = await api.rows("SELECT payload->>'delegation_id', count(*) FROM audit_event"
                            " WHERE kind = 'ballot.vote_cast' AND subject_id = :b GROUP BY 1", b=ballot["id"])
    assert {row[0]: row[1] for row in events} == {party.delegation_id: 1 for party in api.parties}
    assert acknowledged <= {row[0] for row in votes}

    closed = await api.close(ballot["id"])
    counts = {count["option"]: count["heads"] for count in closed["result"]["counts"]}
    assert counts == {"yes": VOTERS, "no": 0, "abstain": 0}, closed["result"]

    # The audit log: every acknowledged vote has a receipt, and the bundle verifies offline.
    await integrate_log(api.app)
    assert len(trackers) == len(acknowledged)
    for tracker in trackers:
        receipt = await api.client.get(f"/api/audit/receipts/{tracker}")
        assert receipt.status_code == 200, receipt.text
    bundle = await api.client.get(f"/api/ballots/{ballot['id']}/audit-bundle", headers=api.auditor_headers)
    assert bundle.status_code == 200, bundle.text
    path = tmp_path / "bundle.json"
    path.write_bytes(bundle.content)
    verified = subprocess.run([sys.executable, "-m", "assembly", "verify", str(path),
                               "--key", TEST_LOG_SIGNER.verifier.vkey],
                              capture_output=True, text=True, timeout=300, check=False)
    assert verified.returncode == 0, verified.stdout + verified.stderr
