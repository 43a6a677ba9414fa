"""The event stream of an assembly, as server-sent events."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, HeaderParameter
from litestar.response import ServerSentEvent, ServerSentEventMessage
from litestar.security.jwt import Token
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.core.errors import InvalidInput
from assembly.core.guards import current_principal, requires_login
from assembly.core.security import Principal
from assembly.db import Database
from assembly.live.hub import RESYNC, EventHub, Subscription
from assembly.live.rules import visible
from assembly.live.services import LiveEvent, events_after, stream_position, subscriber_audiences_for

MAX_SEQUENCE = 2**63 - 1
"""Largest event sequence number (the ``live_event.seq`` column is a BIGINT)."""

__all__ = ("LiveController",)

REPLAY_LIMIT = 500
"""At most this many missed events are replayed; further behind, the client is told to resync."""

KEEPALIVE_SECONDS = 15.0
"""A comment line this often keeps proxies from closing an idle stream."""


def _message(event: LiveEvent) -> ServerSentEventMessage:
    return ServerSentEventMessage(
        id=event.seq if event.seq is not None else None,
        event=event.type,
        data=msgspec.json.encode(event).decode(),
    )


async def _stream(
    hub: EventHub,
    database: Database,
    subscription: Subscription,
    audiences: frozenset[str],
    after: int | None,
) -> AsyncIterator[ServerSentEventMessage]:
    """Replay what the client missed, then forward live events it may see, until it disconnects."""
    try:
        last = after or 0
        async with database.sessionmaker() as session:
            position = await stream_position(session, subscription.stream_id)
            missed = await events_after(session, subscription.stream_id, last, REPLAY_LIMIT) if after else []
        if after is not None and position - after > REPLAY_LIMIT:
            yield ServerSentEventMessage(event=RESYNC, data=f'{{"position": {position}}}')
            last = position
        else:
            for event in missed:
                if event.seq is not None:
                    last = event.seq
                if visible(event.audience, audiences):
                    yield _message(event)
            last = max(last, position)
        yield ServerSentEventMessage(event="ready", data=f'{{"position": {last}}}')
        while True:
            try:
                item = await asyncio.wait_for(subscription.queue.get(), KEEPALIVE_SECONDS)
            except TimeoutError:
                yield ServerSentEventMessage(comment="keepalive")
                continue
            if item == RESYNC:
                yield ServerSentEventMessage(event=RESYNC, data=f'{{"position": {last}}}')
                continue
            assert isinstance(item, LiveEvent)
            if item.seq is not None:
                if item.seq <= last:
                    continue  # already replayed
                last = item.seq
            if visible(item.audience, audiences):
                yield _message(item)
    finally:
        hub.unsubscribe(subscription)


class LiveController(Controller):
    """Live updates of one assembly."""

    path = "/api/assemblies"
    tags = ["live"]  # noqa: RUF012  (Litestar reads a plain class attribute)

    @get(
        "/{assembly_id:uuid}/events",
        operation_id="StreamAssemblyEvents",
        summary="Follow an assembly's changes as server-sent events",
        guards=[requires_login],
        media_type="text/event-stream",
    )
    async def stream_events(
        self,
        request: Request[Principal, Token, Any],
        db_session: NamedDependency[AsyncSession],
        assembly_id: FromPath[uuid.UUID],
        after: FromQuery[int | None] = None,
        last_event_id: Annotated[str | None, HeaderParameter(name="Last-Event-ID")] = None,
    ) -> ServerSentEvent:
        """Stream events as ``id: <seq>``, ``event: <type>``, ``data: <json>``.

        Resume with the standard ``Last-Event-ID`` header or ``?after=<seq>``: the events after it are
        replayed first. An ``event: resync`` means the client may have missed something and should
        re-fetch what it shows. Who sees which event follows the caller's role (docs/live-updates.md).
        """
        principal = current_principal(request)
        resume = after
        if last_event_id is not None:
            try:
                resume = int(last_event_id)
            except ValueError:
                raise InvalidInput.for_field("Last-Event-ID", "must be an event sequence number") from None
        if resume is not None and resume < 0:
            raise InvalidInput.for_field("after", "must not be negative")
        if resume is not None and resume > MAX_SEQUENCE:
            # Beyond a BIGINT the database would fail the query: a 500 instead of an answer.
            raise InvalidInput.for_field("after", f"must be at most {MAX_SEQUENCE}")
        audiences = await subscriber_audiences_for(db_session, principal, assembly_id)
        # The request's transaction must not stay open for the life of the stream.
        await db_session.commit()
        hub: EventHub = request.app.state.live_hub
        subscription = await hub.subscribe(assembly_id)
        return ServerSentEvent(
            _stream(hub, request.app.state.database, subscription, audiences, resume),
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
        )

