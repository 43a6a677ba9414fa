"""Live updates across two real app processes on one database.

Two ``assembly serve`` processes run on 127.0.0.1 against the test's database. Clients log in
through ``POST /api/auth/login``, follow the assembly's stream over server-sent events (httpx
streaming: ``ASGITransport`` buffers whole responses, so SSE needs real processes) and act through
the API. Every change made through one process must reach the subscribers of both within a
generous timeout (5 s; the measured latencies are printed, and stay far below a second on a
workstation). A refused command rolls back and sends nothing, a subscriber without the right is
refused, and a reconnect with ``Last-Event-ID`` replays what was missed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.accounts.models import User
from assembly.core.security import Principal
from assembly.db import Database
from tests.cli.conftest import command_env, free_port
from tests.helpers import TEST_PASSWORD, make_user
from tests.integration.agenda.conftest import Floor, Sitting

pytestmark = pytest.mark.slow

DELIVERY_TIMEOUT = 5.0
"""Generous bound for an event to reach a subscriber; the issue asks for well under a second."""

_SECRET = "two-processes-secret-" + "k" * 40


def _wait_ready(base: str, process: subprocess.Popen[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited early: {process.stderr.read() if process.stderr else ''}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{base}/health/ready", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise AssertionError("server did not become ready")


@pytest.fixture
def servers(database_url: str) -> Iterator[tuple[str, str]]:
    """Two app processes (A, B), one worker each, on the test's database."""
    env = command_env({"ASSEMBLY_DATABASE_URL": database_url, "ASSEMBLY_SECRET_KEY": _SECRET,
                       "ASSEMBLY_LOG_LEVEL": "warning"})
    processes: list[subprocess.Popen[str]] = []
    bases: list[str] = []
    try:
        for _ in range(2):
            port = free_port()
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "assembly", "serve", "--port", str(port), "--workers", "1"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            ))
            bases.append(f"http://127.0.0.1:{port}")
        for base, process in zip(bases, processes, strict=True):
            _wait_ready(base, process)
        yield bases[0], bases[1]
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()


@dataclass
class Event:
    """One server-sent event as a client parses it."""

    id: int | None
    type: str
    data: dict[str, Any]
    received_at: float


@dataclass
class Subscriber:
    """A client following an assembly's stream on one process."""

    name: str
    queue: asyncio.Queue[Event] = field(default_factory=asyncio.Queue)

    async def next(self) -> Event:
        """The next event, waiting at most :data:`DELIVERY_TIMEOUT` seconds."""
        async with asyncio.timeout(DELIVERY_TIMEOUT):
            return await self.queue.get()


async def _pump(response: httpx.Response, subscriber: Subscriber) -> None:
    fields: dict[str, str] = {}
    async for line in response.aiter_lines():
        if line == "":
            if "event" in fields:
                subscriber.queue.put_nowait(Event(
                    id=int(fields["id"]) if "id" in fields else None, type=fields["event"],
                    data=json.loads(fields.get("data", "{}")), received_at=time.monotonic()))
            fields = {}
        elif not line.startswith(":"):
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            fields[name] = f"{fields[name]}\n{value}" if name == "data" and name in fields else value


@contextlib.asynccontextmanager
async def subscribed(base: str, token: str, assembly_id: uuid.UUID, name: str,
                     last_event_id: int | None = None) -> AsyncIterator[tuple[Subscriber, list[Event]]]:
    """Follow the assembly on ``base``; yields the subscriber and the events up to ``ready`` (replay included)."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    subscriber = Subscriber(name)
    async with httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(10, read=None)) as client, \
            client.stream("GET", f"/api/assemblies/{assembly_id}/events", headers=headers) as response:
        assert response.status_code == 200, await response.aread()
        assert response.headers["content-type"].startswith("text/event-stream")
        task = asyncio.create_task(_pump(response, subscriber))
        try:
            first: list[Event] = []
            while True:
                event = await subscriber.next()
                first.append(event)
                if event.type == "ready":
                    break
            yield subscriber, first
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
                await task


async def _login(base: str, session: AsyncSession, principal: Principal) -> str:
    email = await session.scalar(select(User.email).where(User.id == principal.user_id))
    async with httpx.AsyncClient(base_url=base) as client:
        response = await client.post("/api/auth/login", json={"email": email, "password": TEST_PASSWORD})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


@dataclass
class Caller:
    """A logged-in user acting through one process."""

    client: httpx.AsyncClient
    headers: dict[str, str]

    async def post(self, path: str, body: Any = None, expect: int = 200) -> dict[str, Any]:
        response = await self.client.post(path, json=body, headers=self.headers)
        assert response.status_code == expect, response.text
        result: dict[str, Any] = response.json()
        return result


async def _floor(session: AsyncSession, database: Database) -> Floor:
    admin = await make_user(session, is_admin=True)
    return Floor(session, database, Principal(user_id=admin.id, is_admin=True))


async def _expect_on_both(subscribers: list[Subscriber], sent_at: float, event_type: str, seq: int,
                          latencies: list[float]) -> Event:
    """The next event of every subscriber is ``event_type`` numbered ``seq``; record how long it took."""
    events = [await s.next() for s in subscribers]
    for subscriber, event in zip(subscribers, events, strict=True):
        assert (event.type, event.id) == (event_type, seq), (subscriber.name, event)
        assert event.data["seq"] == seq
        assert event.data["type"] == event_type
        latencies.append(event.received_at - sent_at)
    return events[0]


async def test_a_sitting_reaches_subscribers_of_both_processes(
    servers: tuple[str, str], session: AsyncSession, database: Database,
) -> None:
    base_a, base_b = servers
    floor = await _floor(session, database)
    sitting: Sitting = await floor.sitting(delegations=3)
    observer = await floor.principal()
    chair_token = await _login(base_a, session, sitting.chair)
    delegate_tokens = [await _login(base_b, session, d) for d in sitting.delegates]
    observer_token = await _login(base_b, session, observer)
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=base_a) as on_a, httpx.AsyncClient(base_url=base_b) as on_b, \
            subscribed(base_a, observer_token, sitting.assembly_id, "A") as (sub_a, ready_a), \
            subscribed(base_b, observer_token, sitting.assembly_id, "B") as (sub_b, ready_b):
        assert ready_a[-1].data == ready_b[-1].data == {"position": 0}
        both = [sub_a, sub_b]
        chair = Caller(on_a, {"Authorization": f"Bearer {chair_token}"})
        delegates = [Caller(on_b, {"Authorization": f"Bearer {t}"}) for t in delegate_tokens]
        seq = 0

        async def step(caller: Caller, path: str, body: Any, event_type: str, expect: int = 200) -> dict[str, Any]:
            nonlocal seq
            sent_at = time.monotonic()
            result = await caller.post(path, body, expect)
            seq += 1
            event = await _expect_on_both(both, sent_at, event_type, seq, latencies)
            assert event.data["audience"] == "public"
            return result

        assembly = sitting.assembly_id
        # The chair builds the agenda (through A); both processes' subscribers see each change.
        items = [await step(chair, f"/api/assemblies/{assembly}/agenda-items", {"title": t, "kind": "debate"},
                            "agenda.item_created", 201) for t in ("Opening", "Localizing the SDGs")]
        await step(chair, f"/api/assemblies/{assembly}/agenda/reorder",
                   {"item_ids": [items[1]["id"], items[0]["id"]]}, "agenda.reordered")
        # Attendance and a quorum call.
        for delegation in sitting.delegations[:2]:
            await step(chair, f"/api/delegations/{delegation}/check-in", None, "attendance.changed")
        quorum = await step(chair, f"/api/assemblies/{assembly}/quorum-calls", None, "quorum.called", 201)
        assert (quorum["may_debate"], quorum["may_decide"]) == (True, True)  # 2 of 3: 2 x 2 = 4 > 3
        # The chair opens the item: opened, then the current item changes (one transaction, two events).
        sent_at = time.monotonic()
        await chair.post(f"/api/agenda-items/{items[1]['id']}/open")
        opened = await _expect_on_both(both, sent_at, "agenda.item_opened", seq + 1, latencies)
        assert (opened.data["subject_id"], opened.data["version"]) == (items[1]["id"], 3)  # created, moved, opened
        await _expect_on_both(both, sent_at, "agenda.current_changed", seq + 2, latencies)
        seq += 2
        # Delegates ask for the floor through B; the chair works the list through A.
        speakers = f"/api/agenda-items/{items[1]['id']}/speakers"
        for delegate in delegates:
            await step(delegate, f"{speakers}/requests", {"kind": "speech"}, "speakers.changed", 201)
        # A refused command rolls back: nothing is sent (the next event is the next command's, numbered seq + 1).
        refused = await delegates[0].client.post(f"{speakers}/requests", json={"kind": "speech"},
                                                 headers=delegates[0].headers)
        assert refused.status_code == 409
        assert refused.json()["code"] == "request_pending"
        state = await step(chair, f"{speakers}/give-floor", {}, "speakers.changed")
        assert state["current_speaker"]["delegation_id"] == str(sitting.delegations[0])
        await step(chair, f"{speakers}/end-speech", None, "speakers.changed")
        await step(chair, f"/api/agenda-items/{items[1]['id']}/close", None, "agenda.item_closed")
        lapsed = await _expect_on_both(both, time.monotonic(), "speakers.changed", seq + 1, [])
        assert lapsed.data["data"] == {"change": "item_closed"}
        seq += 1
        for subscriber in both:
            assert subscriber.queue.empty()

        # Clients re-fetch from either process and see the same state, and where the stream stands.
        agenda_a = (await on_a.get(f"/api/assemblies/{assembly}/agenda", headers=chair.headers)).json()
        agenda_b = (await on_b.get(f"/api/assemblies/{assembly}/agenda", headers=delegates[0].headers)).json()
        assert agenda_a == agenda_b
        assert agenda_a["stream_position"] == seq
    print(f"\nlive delivery across two processes: {len(latencies)} deliveries, "
          f"max {max(latencies) * 1000:.0f} ms, mean {sum(latencies) / len(latencies) * 1000:.0f} ms")
    assert max(latencies) < DELIVERY_TIMEOUT


async def test_subscribers_without_the_right_are_refused(
    servers: tuple[str, str], session: AsyncSession, database: Database,
) -> None:
    base_a, base_b = servers
    floor = await _floor(session, database)
    sitting = await floor.sitting(delegations=0)
    token = await _login(base_a, session, sitting.chair)
    async with httpx.AsyncClient(base_url=base_b) as client:
        url = f"/api/assemblies/{sitting.assembly_id}/events"
        no_token = await client.get(url, headers={"Accept": "text/event-stream"})
        assert no_token.status_code == 401
        assert no_token.json()["code"] == "unauthorized"
        forged = await client.get(url, headers={"Authorization": "Bearer not.a.token"})
        assert forged.status_code == 401
        unknown = await client.get(f"/api/assemblies/{uuid.uuid4()}/events",
                                   headers={"Authorization": f"Bearer {token}"})
        assert unknown.status_code == 404
        assert unknown.headers["content-type"].startswith("application/problem+json")
        bad_resume = await client.get(url, headers={"Authorization": f"Bearer {token}", "Last-Event-ID": "x"})
        assert bad_resume.status_code == 422
        too_far = await client.get(url, headers={"Authorization": f"Bearer {token}", "Last-Event-ID": str(2**63)})
        assert too_far.status_code == 422
        assert too_far.json()["code"] == "invalid_input"
        # Logging out ends the token's right to follow on every process.
        logout = await client.post("/api/auth/logout", headers={"Authorization": f"Bearer {token}"})
        assert logout.status_code in {200, 204}, logout.text
        revoked = await client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert revoked.status_code == 401


async def test_a_reconnect_with_last_event_id_replays_what_was_missed(
    servers: tuple[str, str], session: AsyncSession, database: Database,
) -> None:
    base_a, base_b = servers
    floor = await _floor(session, database)
    sitting = await floor.sitting(delegations=0)
    token = await _login(base_a, session, sitting.chair)
    headers = {"Authorization": f"Bearer {token}"}
    assembly = sitting.assembly_id
    async with httpx.AsyncClient(base_url=base_a) as on_a:
        async def create(title: str) -> dict[str, Any]:
            response = await on_a.post(f"/api/assemblies/{assembly}/agenda-items",
                                       json={"title": title, "kind": "information"}, headers=headers)
            assert response.status_code == 201, response.text
            body: dict[str, Any] = response.json()
            return body

        async with subscribed(base_b, token, assembly, "B") as (subscriber, _):
            first = await create("Seen live")
            seen = await subscriber.next()
            assert (seen.id, seen.data["subject_id"]) == (1, first["id"])
        # Disconnected: two changes are missed.
        missed = [await create("Missed one"), await create("Missed two")]
        async with subscribed(base_b, token, assembly, "B again", last_event_id=seen.id) as (again, replay):
            assert [(e.id, e.type) for e in replay] == [(2, "agenda.item_created"), (3, "agenda.item_created"),
                                                        (None, "ready")]
            assert [e.data["subject_id"] for e in replay[:2]] == [m["id"] for m in missed]
            assert replay[-1].data == {"position": 3}
            # ... and then it carries on live.
            after = await create("Live again")
            event = await again.next()
            assert (event.id, event.data["subject_id"]) == (4, after["id"])
