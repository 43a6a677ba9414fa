"""Every pooled database connection busy for the whole pool timeout: 503 ``server_busy``, nothing done."""

from __future__ import annotations

import uuid
from dataclasses import replace

from sqlalchemy import text

from assembly.app import create_app
from assembly.db import Database
from assembly.settings import Settings
from tests.helpers import api_client, assert_problem, bearer, make_user


async def test_exhausted_pool_answers_503_server_busy_and_changes_nothing(settings: Settings,
                                                                            database: Database) -> None:
    tight = replace(settings, db_pool_size=1, db_max_overflow=0, db_connect_timeout_seconds=1)
    app = create_app(tight)
    async with database.sessionmaker() as session:
        admin = await make_user(session, is_admin=True)
    async with api_client(tight, app) as client:
        headers = await bearer(app, admin)
        body = {"name": "Busy assembly", "body_kind": "world_council", "starts_on": "2026-12-01",
                "ends_on": "2026-12-02"}
        # Hold the app's only connection, as a long request would.
        async with app.state.database.engine.connect() as held:
            await held.execute(text("SELECT 1"))
            read = await client.get(f"/api/assemblies/{uuid.uuid4()}/ballots")
            write = await client.post("/api/assemblies", json=body, headers=headers)
        for response in (read, write):
            problem = assert_problem(response, 503, "server_busy")
            assert response.headers["retry-after"] == "1"
            assert "try again" in problem["detail"]
        async with database.sessionmaker() as session:
            count = await session.scalar(text("SELECT count(*) FROM assembly"))
        assert count == 0
        # The connection is free again: the same requests are served.
        assert_problem(await client.get(f"/api/assemblies/{uuid.uuid4()}/ballots"), 404, "assembly_not_found")
        assert (await client.post("/api/assemblies", json=body, headers=headers)).status_code == 201
