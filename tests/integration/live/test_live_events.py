"""Live events leave on commit only, reach every process's hub, and can be replayed in order."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from assembly.db import Database
from assembly.live.hub import RESYNC, EventHub
from assembly.live.services import LiveEvent, emit, events_after, notify_unsequenced, stream_position


async def _next(queue: asyncio.Queue[LiveEvent | str], wait: float = 5.0) -> LiveEvent | str:
    return await asyncio.wait_for(queue.get(), wait)


async def test_event_reaches_hubs_of_two_processes_on_commit_only(database: Database, database_url: str) -> None:
    stream = uuid.uuid4()
    # Two hubs with their own LISTEN connections stand for two app processes.
    hub_a, hub_b = EventHub(database_url), EventHub(database_url)
    try:
        sub_a, sub_b = await hub_a.subscribe(stream), await hub_b.subscribe(stream)
        other = await hub_b.subscribe(uuid.uuid4())
        assert hub_a.connected
        assert hub_b.connected

        async with database.sessionmaker() as session:
            await emit(session, stream_id=stream, event_type="agenda.item_opened", subject_id=stream, version=3)
            await asyncio.sleep(0.3)
            assert sub_a.queue.empty(), "nothing may leave before COMMIT"
            await session.commit()
        got_a, got_b = await _next(sub_a.queue), await _next(sub_b.queue)
        assert isinstance(got_a, LiveEvent)
        assert got_a == got_b
        assert (got_a.seq, got_a.type, got_a.version) == (1, "agenda.item_opened", 3)
        assert other.queue.empty(), "a subscriber of another stream hears nothing"

        async with database.sessionmaker() as session:
            await emit(session, stream_id=stream, event_type="agenda.item_closed")
            await session.rollback()
        await asyncio.sleep(0.5)
        assert sub_a.queue.empty(), "a rolled-back change sends nothing"
        assert sub_b.queue.empty()
    finally:
        await hub_a.close()
        await hub_b.close()


async def test_sequence_is_gapless_under_concurrent_emitters(database: Database) -> None:
    stream = uuid.uuid4()

    async def one(i: int) -> None:
        async with database.sessionmaker() as session:
            await emit(session, stream_id=stream, event_type="speakers.changed", data={"n": i})
            if i % 5 == 0:
                await session.rollback()  # these numbers are never used: the counter rolls back too
            else:
                await session.commit()

    await asyncio.gather(*(one(i) for i in range(40)))
    async with database.sessionmaker() as session:
        replay = await events_after(session, stream, 0, 100)
        assert [e.seq for e in replay] == list(range(1, 33))
        assert await stream_position(session, stream) == 32
        assert [e.seq for e in await events_after(session, stream, 30, 100)] == [31, 32]


async def test_unsequenced_hints_are_not_stored(database: Database, database_url: str) -> None:
    stream = uuid.uuid4()
    hub = EventHub(database_url)
    try:
        subscription = await hub.subscribe(stream)
        async with database.sessionmaker() as session:
            await notify_unsequenced(session, stream_id=stream, event_type="ballot.turnout", data={"voted": 7})
            await session.commit()
        hint = await _next(subscription.queue)
        assert isinstance(hint, LiveEvent)
        assert (hint.seq, hint.data) == (None, {"voted": 7})
        async with database.sessionmaker() as session:
            assert await stream_position(session, stream) == 0
    finally:
        await hub.close()


async def test_oversized_or_misaddressed_events_are_refused(database: Database) -> None:
    async with database.sessionmaker() as session:
        with pytest.raises(ValueError, match="under 1000 bytes"):
            await emit(session, stream_id=uuid.uuid4(), event_type="x.y", data={"blob": "x" * 2000})
        with pytest.raises(ValueError, match="audience"):
            await emit(session, stream_id=uuid.uuid4(), event_type="x.y", audience="everyone")


async def test_hub_tells_subscribers_to_resync_after_losing_its_connection(
    database: Database, database_url: str
) -> None:
    stream = uuid.uuid4()
    hub = EventHub(database_url)
    try:
        subscription = await hub.subscribe(stream)
        dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        admin = await asyncpg.connect(dsn)
        try:
            # Cut the hub's LISTEN connection the way a database restart would.
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND query LIKE 'LISTEN%'"
            )
        finally:
            await admin.close()
        assert await _next(subscription.queue, wait=15) == RESYNC
        for _ in range(100):
            if hub.connected:
                break
            await asyncio.sleep(0.1)
        assert hub.connected
        async with database.sessionmaker() as session:
            await emit(session, stream_id=stream, event_type="agenda.changed")
            await session.commit()
        event = await _next(subscription.queue)
        while event == RESYNC:
            event = await _next(subscription.queue)
        assert isinstance(event, LiveEvent)
        assert event.type == "agenda.changed"
    finally:
        await hub.close()


