"""Fixtures of the agenda API tests: an ``AgendaApi`` helper that seats a sitting (an open assembly
with a chair, delegations and their delegates, an observer) and snapshots the agenda tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.accounts.models import User
from assembly.db import Database
from tests.api.assemblies.conftest import AssemblyApi
from tests.helpers import bearer, make_user

_TABLES = ("agenda", "agenda_item", "speaker_request", "quorum_call", "audit_event", "live_event", "live_stream",
           "delegation", "attendance_event")


@dataclass
class Delegate:
    """A delegation and the head who speaks for it."""

    delegation_id: str
    user: User
    headers: dict[str, str]


@dataclass
class Sitting:
    """An assembly with a chair, an observer and delegations, each with a head."""

    assembly_id: str
    chair: User
    chair_headers: dict[str, str]
    observer_headers: dict[str, str]
    delegates: list[Delegate] = field(default_factory=list)


class AgendaApi(AssemblyApi):
    """The assemblies helper plus sittings, agenda items and snapshots of the agenda tables."""

    async def sitting(self, delegations: int = 3, *, open_it: bool = True, rules: dict[str, Any] | None = None,
                      **member_overrides: Any) -> Sitting:
        """An assembly (open unless ``open_it`` is False) with a chair and ``delegations`` accredited delegations."""
        assembly = await self.assembly(rules=rules)
        assembly_id = assembly["id"]
        chair, chair_headers = await self.user(full_name="The Chair")
        response = await self.client.post(f"/api/assemblies/{assembly_id}/roles",
                                          json={"user_id": str(chair.id), "role": "chair"}, headers=self.admin_headers)
        assert response.status_code == 201, response.text
        _, observer_headers = await self.user(full_name="An Observer")
        sitting = Sitting(assembly_id, chair, chair_headers, observer_headers)
        for _ in range(delegations):
            sitting.delegates.append(await self.delegate(assembly_id, **member_overrides))
        if open_it:
            await self.open(assembly_id)
        return sitting

    async def delegate(self, assembly_id: str, *, accept: bool = True, **member_overrides: Any) -> Delegate:
        """A new delegation of the assembly with a head."""
        delegation = await self.delegation(assembly_id, accept=accept, **member_overrides)
        user, headers = await self.seat(delegation["id"], "head")
        return Delegate(delegation["id"], user, headers)

    async def item(self, sitting: Sitting, **body: Any) -> dict[str, Any]:
        """Create an agenda item as the chair; return its JSON."""
        payload: dict[str, Any] = {"title": "Report of the Secretary General", "kind": "debate"}
        payload.update(body)
        response = await self.client.post(f"/api/assemblies/{sitting.assembly_id}/agenda-items", json=payload,
                                          headers=sitting.chair_headers)
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    async def opened_item(self, sitting: Sitting, **body: Any) -> dict[str, Any]:
        """Create an item and open it."""
        item = await self.item(sitting, **body)
        response = await self.client.post(f"/api/agenda-items/{item['id']}/open", headers=sitting.chair_headers)
        assert response.status_code == 200, response.text
        opened: dict[str, Any] = response.json()
        return opened

    async def chair_post(self, sitting: Sitting, path: str, json: Any = None) -> httpx.Response:
        """POST as the chair."""
        return await self.client.post(path, json=json, headers=sitting.chair_headers)

    async def agenda(self, sitting: Sitting) -> dict[str, Any]:
        """GET the agenda as the observer."""
        response = await self.client.get(f"/api/assemblies/{sitting.assembly_id}/agenda",
                                         headers=sitting.observer_headers)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def speakers(self, item_id: str, headers: dict[str, str]) -> dict[str, Any]:
        """GET an item's speakers' list as ``headers``' user."""
        response = await self.client.get(f"/api/agenda-items/{item_id}/speakers", headers=headers)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def agenda_state(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of the agenda tables, audit and live events, read on a fresh connection."""
        async with self.database.engine.connect() as connection:
            state: dict[str, list[tuple[Any, ...]]] = {}
            for table in _TABLES:
                order = "stream_id" if table == "live_stream" else ("stream_id, seq" if table == "live_event" else "id")
                rows = await connection.execute(text(f"SELECT * FROM {table} ORDER BY {order}"))
                state[table] = [tuple(row) for row in rows]
            return state

    async def live_events(self, assembly_id: str) -> list[tuple[int, str, Any, Any, dict[str, Any]]]:
        """The assembly's stored live events: (seq, type, subject_id, version, data), in order."""
        async with self.database.engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT seq, type, subject_id, version, data FROM live_event WHERE stream_id = :s ORDER BY seq"),
                {"s": assembly_id})
            return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]


@pytest.fixture
async def api(client: httpx.AsyncClient, app: Litestar, database: Database, session: AsyncSession) -> AgendaApi:
    """The helper, with a secretariat administrator ready."""
    admin = await make_user(session, is_admin=True, full_name="Secretariat")
    return AgendaApi(client, app, database, session, admin, await bearer(app, admin))
