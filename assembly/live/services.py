"""Emitting live events inside the transaction that makes the change, and replaying them.

``emit`` numbers the event in its stream (one stream per assembly) under the stream's row lock, stores
it, and calls ``pg_notify`` in the same transaction: PostgreSQL delivers the notification only when the
transaction commits, so a rolled-back change sends nothing, and every app process listening receives it.
Because the counter row is locked until commit, the numbers of one stream are gapless and commit in
order; a client that saw event N and reconnects asks for the events after N.

Hot-path facts that change many times a second (a ballot's turnout) use ``notify_unsequenced``: not
stored, not numbered; clients treat them as hints and re-fetch.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import msgspec
from sqlalchemy import insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.assemblies.models import Assembly, AssemblyRole, DelegationMember
from assembly.core.errors import NotFound
from assembly.core.security import Principal
from assembly.live.models import LiveEventRecord, LiveStream
from assembly.live.rules import AUDIENCE_PUBLIC, MAX_DATA_BYTES, check_audience, subscriber_audiences

__all__ = (
    "CHANNEL",
    "LiveEvent",
    "emit",
    "events_after",
    "notify_unsequenced",
    "stream_position",
    "subscriber_audiences_for",
    "unsequenced_hint",
)

CHANNEL = "assembly_live"
"""The PostgreSQL NOTIFY channel every app process listens on."""


class LiveEvent(msgspec.Struct, frozen=True, kw_only=True):
    """An event as clients receive it: a small hint to re-fetch ``subject_id``."""

    stream_id: uuid.UUID
    seq: int | None
    type: str
    subject_id: uuid.UUID | None = None
    version: int | None = None
    audience: str = AUDIENCE_PUBLIC
    data: dict[str, Any] = msgspec.field(default_factory=dict)


def _encoded(event: LiveEvent) -> str:
    payload = msgspec.json.encode(event).decode()
    if len(payload.encode()) > 7900:
        msg = "live event payload too large for NOTIFY"
        raise ValueError(msg)
    return payload


def _check(type_: str, audience: str, data: Mapping[str, Any] | None) -> dict[str, Any]:
    check_audience(audience)
    if not 1 <= len(type_) <= 64:
        msg = "live event type must be 1 to 64 characters"
        raise ValueError(msg)
    extra = dict(data or {})
    if len(json.dumps(extra)) > MAX_DATA_BYTES:
        msg = f"live event data must stay under {MAX_DATA_BYTES} bytes: send a hint, clients re-fetch"
        raise ValueError(msg)
    return extra


async def emit(
    session: AsyncSession,
    *,
    stream_id: uuid.UUID,
    event_type: str,
    subject_id: uuid.UUID | None = None,
    version: int | None = None,
    audience: str = AUDIENCE_PUBLIC,
    data: Mapping[str, Any] | None = None,
) -> LiveEvent:
    """Number, store and NOTIFY an event; it leaves only if the current transaction commits."""
    extra = _check(event_type, audience, data)
    counter = (
        pg_insert(LiveStream)
        .values(stream_id=stream_id, last_seq=1)
        .on_conflict_do_update(index_elements=[LiveStream.stream_id], set_={"last_seq": LiveStream.last_seq + 1})
        .returning(LiveStream.last_seq)
    )
    seq = int((await session.execute(counter)).scalar_one())
    event = LiveEvent(
        stream_id=stream_id, seq=seq, type=event_type, subject_id=subject_id, version=version, audience=audience,
        data=extra,
    )
    await session.execute(
        insert(LiveEventRecord).values(
            stream_id=stream_id, seq=seq, type=event_type, subject_id=subject_id, version=version, audience=audience,
            data=extra,
        )
    )
    await session.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL,
                                                                         "payload": _encoded(event)})
    return event


def unsequenced_hint(
    *,
    stream_id: uuid.UUID,
    event_type: str,
    subject_id: uuid.UUID | None = None,
    audience: str = AUDIENCE_PUBLIC,
    data: Mapping[str, Any] | None = None,
) -> tuple[str, str]:
    """The (channel, payload) of a hint that is neither numbered nor stored, for a caller that sends its
    ``pg_notify`` in a statement of its own (a cast sends it with its audit entries: one round trip)."""
    extra = _check(event_type, audience, data)
    event = LiveEvent(stream_id=stream_id, seq=None, type=event_type, subject_id=subject_id, audience=audience,
                      data=extra)
    return CHANNEL, _encoded(event)


async def notify_unsequenced(
    session: AsyncSession,
    *,
    stream_id: uuid.UUID,
    event_type: str,
    subject_id: uuid.UUID | None = None,
    audience: str = AUDIENCE_PUBLIC,
    data: Mapping[str, Any] | None = None,
) -> None:
    """NOTIFY a hint on commit without numbering or storing it (for hot paths such as turnout)."""
    channel, payload = unsequenced_hint(stream_id=stream_id, event_type=event_type, subject_id=subject_id,
                                        audience=audience, data=data)
    await session.execute(text("SELECT pg_notify(:channel, :payload)"), {"channel": channel, "payload": payload})


async def stream_position(session: AsyncSession, stream_id: uuid.UUID) -> int:
    """The sequence number of the stream's latest event (0 when it has none)."""
    value = await session.scalar(select(LiveStream.last_seq).where(LiveStream.stream_id == stream_id))
    return int(value or 0)


async def events_after(
    session: AsyncSession, stream_id: uuid.UUID, after: int, limit: int
) -> Sequence[LiveEvent]:
    """The stream's stored events numbered above ``after``, oldest first, at most ``limit``."""
    rows = (
        await session.scalars(
            select(LiveEventRecord)
            .where(LiveEventRecord.stream_id == stream_id, LiveEventRecord.seq > after)
            .order_by(LiveEventRecord.seq)
            .limit(limit)
        )
    ).all()
    return [
        LiveEvent(stream_id=r.stream_id, seq=r.seq, type=r.type, subject_id=r.subject_id, version=r.version,
                  audience=r.audience, data=dict(r.data))
        for r in rows
    ]




async def subscriber_audiences_for(
    session: AsyncSession, principal: Principal, assembly_id: uuid.UUID
) -> frozenset[str]:
    """The audiences the caller belongs to in this assembly; 404 when there is no such assembly.

    Everyone logged in sees public events (observers included); chairs, auditors and the secretariat
    also see the chair's; delegates see their own delegation's.
    """
    if await session.scalar(select(Assembly.id).where(Assembly.id == assembly_id)) is None:
        raise NotFound(f"no assembly {assembly_id}")
    has_role = await session.scalar(
        select(AssemblyRole.id).where(AssemblyRole.assembly_id == assembly_id,
                                      AssemblyRole.user_id == principal.user_id).limit(1)
    )
    delegations = (
        await session.scalars(
            select(DelegationMember.delegation_id).where(
                DelegationMember.assembly_id == assembly_id, DelegationMember.user_id == principal.user_id
            )
        )
    ).all()
    return subscriber_audiences(is_chair=principal.is_admin or has_role is not None, delegation_ids=delegations)
