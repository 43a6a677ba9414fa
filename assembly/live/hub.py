"""The per-process hub: one LISTEN connection, fanned out to this process's subscribers.

Each worker process opens a single dedicated asyncpg connection that LISTENs on the channel (the first
time somebody subscribes) and hands every notification to the subscribers of its stream. When that
connection breaks (a database restart, a network fault), notifications sent meanwhile are lost to
this process: every subscriber is told to resync (re-fetch, or replay from its last sequence number)
and the hub reconnects with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import msgspec
from sqlalchemy.engine import make_url

from assembly.live.services import CHANNEL, LiveEvent

__all__ = ("RESYNC", "EventHub", "Subscription")

logger = logging.getLogger("assembly.live")

RESYNC = "resync"
"""Queued to a subscriber that may have missed events (hub reconnected, or it fell behind)."""

_QUEUE_SIZE = 256
_HEALTH_INTERVAL_S = 5.0


@dataclass(eq=False)
class Subscription:
    """One client's queue of events for one stream."""

    stream_id: uuid.UUID
    queue: asyncio.Queue[LiveEvent | str] = field(default_factory=lambda: asyncio.Queue(_QUEUE_SIZE))

    def offer(self, item: LiveEvent | str) -> None:
        """Queue ``item``; a subscriber that fell behind gets one RESYNC instead of an unbounded backlog."""
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(RESYNC)


class EventHub:
    """Listens once per process and fans notifications out to subscriptions by stream."""

    def __init__(self, database_url: str) -> None:
        self._dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        self._subscriptions: dict[uuid.UUID, set[Subscription]] = {}
        self._task: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._closing = False

    @property
    def connected(self) -> bool:
        """Whether the LISTEN connection is up."""
        return self._connected.is_set()

    async def subscribe(self, stream_id: uuid.UUID, *, wait: float = 5.0) -> Subscription:
        """Register a subscription; the hub is listening (or reconnecting) when this returns."""
        subscription = Subscription(stream_id)
        self._subscriptions.setdefault(stream_id, set()).add(subscription)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="assembly-live-hub")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._connected.wait(), wait)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Forget a subscription (its client went away)."""
        group = self._subscriptions.get(subscription.stream_id)
        if group is not None:
            group.discard(subscription)
            if not group:
                del self._subscriptions[subscription.stream_id]

    def subscriber_count(self) -> int:
        """How many subscriptions this process serves."""
        return sum(len(group) for group in self._subscriptions.values())

    async def close(self) -> None:
        """Stop listening (application shutdown)."""
        self._closing = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def _dispatch(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            event = msgspec.json.decode(payload, type=LiveEvent)
        except msgspec.DecodeError:
            logger.warning("ignored a malformed live notification")
            return
        for subscription in tuple(self._subscriptions.get(event.stream_id, ())):
            subscription.offer(event)

    def _tell_everyone_to_resync(self) -> None:
        for group in self._subscriptions.values():
            for subscription in tuple(group):
                subscription.offer(RESYNC)

    async def _run(self) -> None:
        backoff = 0.2
        first = True
        while not self._closing:
            connection: asyncpg.Connection | None = None
            try:
                connection = await asyncpg.connect(self._dsn, timeout=5)
                await connection.add_listener(CHANNEL, self._dispatch)
                self._connected.set()
                if not first:
                    # Whatever was notified while we were away is lost to this process.
                    self._tell_everyone_to_resync()
                    logger.info("live hub reconnected")
                first, backoff = False, 0.2
                while not self._closing:
                    await asyncio.sleep(_HEALTH_INTERVAL_S)
                    await connection.fetchval("SELECT 1", timeout=5)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._connected.is_set():
                    logger.warning("live hub lost its connection: %s", type(exc).__name__)
                    self._tell_everyone_to_resync()
                self._connected.clear()
                first = False
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                if connection is not None:
                    with contextlib.suppress(Exception):
                        await connection.close(timeout=2)
