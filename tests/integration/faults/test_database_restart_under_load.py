"""PostgreSQL stopped and started again while votes pour in through a real server process.

A cluster of the test's own (it is stopped under the app's feet) holds an assembly of 30 seated
delegations with an open ballot; ``assembly serve`` runs against it. While the heads of delegation
cast, the cluster is stopped: the server answers 503 problem details with ``Retry-After`` (never a
500, never a wrongful 401), then the cluster starts again and the same server process, never
restarted, serves again. Every acknowledged vote is in the database once, and every delegation that
kept retrying got its vote in exactly once.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import asyncpg
import httpx
import pytest

from assembly.app import create_app
from assembly.core.embedded_postgres import EmbeddedPostgres
from assembly.db import run_upgrade
from assembly.settings import Settings
from tests.api.ballots.conftest import BallotApi, Party
from tests.cli.conftest import command_env, free_port
from tests.conftest import _dsn
from tests.helpers import api_client, cast_until_answered
from tests.integration.live.test_two_processes import _wait_ready

pytestmark = pytest.mark.slow

VOTERS = 30
STOP_AFTER_ACKS = 6


async def test_votes_survive_a_database_restart_without_an_app_restart(pg_data_dir: Path) -> None:
    cluster = EmbeddedPostgres(pg_data_dir / "pg", fsync=False)
    await asyncio.to_thread(cluster.start)
    port = cluster.port
    restarted: EmbeddedPostgres | None = None
    process: subprocess.Popen[str] | None = None
    try:
        url = await asyncio.to_thread(cluster.create_database, "restart_load")
        await asyncio.to_thread(run_upgrade, url)
        settings = Settings(database_url=url, db_connect_timeout_seconds=2, log_level="warning").with_generated_secret()
        app = create_app(settings)
        async with api_client(settings, app) as client, app.state.database.sessionmaker() as session:
            api = await BallotApi(client, app, app.state.database, session).setup(parties=VOTERS)
            ballot = await api.ballot()

        server_port = free_port()
        env = command_env({"ASSEMBLY_DATABASE_URL": url, "ASSEMBLY_SECRET_KEY": settings.require_secret_key(),
                           "ASSEMBLY_LOG_LEVEL": "warning", "ASSEMBLY_DB_CONNECT_TIMEOUT": "2"})
        process = subprocess.Popen(
            [sys.executable, "-m", "assembly", "serve", "--port", str(server_port), "--workers", "1"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        base = f"http://127.0.0.1:{server_port}"
        await asyncio.to_thread(_wait_ready, base, process)
        server_pid = process.pid

        acknowledged: set[str] = set()
        outage: list[httpx.Response] = []
        down, back = asyncio.Event(), asyncio.Event()
        gate = asyncio.Semaphore(5)

        async def restart_database(http: httpx.AsyncClient) -> None:
            nonlocal restarted
            await asyncio.to_thread(cluster.stop)
            down.set()
            # While it is down: a vote and a token check both get 503 problem details with Retry-After.
            outage.append(await http.post(f"/api/ballots/{ballot['id']}/votes", json={"choice": "yes"},
                                          headers=api.parties[-1].headers))
            outage.append(await http.get("/api/users/me", headers=api.parties[-1].headers))
            restarted = EmbeddedPostgres(pg_data_dir / "pg", port=port, fsync=False)
            await asyncio.to_thread(restarted.start)
            back.set()

        async def vote(http: httpx.AsyncClient, party: Party, tasks: list[asyncio.Task[None]]) -> int:
            async with gate:
                # Every 503 met on the way must be problem details with Retry-After.
                response = await cast_until_answered(http, ballot["id"], party.headers, name=party.name,
                                                     attempts=600, check_unavailable=True)
                if response.status_code == 200:
                    acknowledged.add(party.delegation_id)
                    if len(acknowledged) >= STOP_AFTER_ACKS and not tasks:
                        tasks.append(asyncio.create_task(restart_database(http)))
                        await down.wait()
                return response.status_code

        tasks: list[asyncio.Task[None]] = []
        async with httpx.AsyncClient(base_url=base, timeout=30) as http:
            statuses = await asyncio.gather(*(vote(http, party, tasks) for party in api.parties))
            assert tasks, "the database was never stopped"
            await tasks[0]
        assert back.is_set()
        # 200, or 409 already_voted where a vote committed just before the connection broke went unacknowledged.
        assert set(statuses) <= {200, 409}, statuses
        for response in outage:
            assert response.status_code == 503, response.text
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.json()["code"] == "database_unavailable"
            assert response.headers["retry-after"]
        assert process.poll() is None
        assert process.pid == server_pid

        connection = await asyncpg.connect(_dsn(url))
        try:
            votes = await connection.fetch("SELECT r.delegation_id::text, count(*) FROM vote v JOIN ballot_right r"
                                           " ON r.id = v.right_id WHERE v.ballot_id = $1 GROUP BY 1",
                                           uuid.UUID(ballot["id"]))
        finally:
            await connection.close()
        per_delegation = {row[0]: row[1] for row in votes}
        assert per_delegation == {party.delegation_id: 1 for party in api.parties}
        assert acknowledged <= set(per_delegation)
    finally:
        if process is not None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            if process.stderr is not None:
                process.stderr.close()
        for pg in (restarted, cluster):
            if pg is not None:
                await asyncio.to_thread(pg.stop)
