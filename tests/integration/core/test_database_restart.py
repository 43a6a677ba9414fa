"""The database going away while serving: 503 problem details, and recovery without a restart."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from assembly.app import create_app
from assembly.core.embedded_postgres import EmbeddedPostgres
from assembly.db import run_upgrade
from assembly.settings import Settings
from tests.helpers import api_client, bearer, make_user


@pytest.mark.slow
async def test_app_answers_503_while_postgres_is_down_and_recovers(pg_data_dir: Path) -> None:
    # A cluster of the test's own, since it is stopped and started again under the app's feet.
    server = EmbeddedPostgres(pg_data_dir / "pg", fsync=False)
    await asyncio.to_thread(server.start)
    port = server.port
    restarted: EmbeddedPostgres | None = None
    try:
        url = await asyncio.to_thread(server.create_database, "restart_probe")
        await asyncio.to_thread(run_upgrade, url)
        settings = Settings(database_url=url, db_connect_timeout_seconds=2, log_level="warning").with_generated_secret()
        app = create_app(settings)
        async with api_client(settings, app) as client:
            assert (await client.get("/health/ready")).status_code == 200
            async with app.state.database.sessionmaker() as session:
                user = await make_user(session)
            headers = await bearer(app, user)
            assert (await client.get("/api/users/me", headers=headers)).status_code == 200

            await asyncio.to_thread(server.stop)
            down = await client.get("/health/ready")
            assert down.status_code == 503
            assert down.headers["content-type"].startswith("application/problem+json")
            assert down.json()["code"] == "database_unavailable"
            assert down.headers["retry-after"]
            # Checking a valid token needs the database: 503 too, never 500 nor a wrongful 401.
            me = await client.get("/api/users/me", headers=headers)
            assert me.status_code == 503
            assert me.json()["code"] == "database_unavailable"
            assert (await client.get("/health/live")).status_code == 200

            restarted = EmbeddedPostgres(pg_data_dir / "pg", port=port, fsync=False)
            await asyncio.to_thread(restarted.start)
            # Pooled connections died with the server; pre-ping replaces them, no app restart needed.
            answers = [await client.get("/health/ready") for _ in range(3)]
            assert [a.status_code for a in answers] == [200, 200, 200]
            assert (await client.get("/api/users/me", headers=headers)).status_code == 200
    finally:
        for cluster in (restarted, server):
            if cluster is not None:
                await asyncio.to_thread(cluster.stop)
