"""Tables of the live event streams (docs/adr/0004-live-updates.md)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from advanced_alchemy.base import AdvancedDeclarativeBase, CommonTableAttributes
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import BigInteger, ForeignKey, String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

__all__ = ("LiveEventRecord", "LiveStream")


class LiveStream(CommonTableAttributes, AdvancedDeclarativeBase):
    """The sequence counter of one stream (one assembly): its row lock orders the stream's events."""

    __tablename__ = "live_stream"

    stream_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    """The assembly whose events this stream carries."""

    last_seq: Mapped[int] = mapped_column(BigInteger)
    """Sequence number of the stream's latest event; events are numbered 1, 2, 3 ... without gaps."""


class LiveEventRecord(CommonTableAttributes, AdvancedDeclarativeBase):
    """One sequenced event, kept so that a client that reconnects can replay what it missed."""

    __tablename__ = "live_event"

    stream_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("live_stream.stream_id"), primary_key=True)
    """The stream (assembly)."""

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    """Position in the stream."""

    type: Mapped[str] = mapped_column(String(64))
    """Event type, ``<resource>.<change>`` (docs/live-updates.md)."""

    subject_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    """The resource that changed; clients re-fetch it."""

    version: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    """The resource's version after the change, when it has one."""

    audience: Mapped[str] = mapped_column(String(64))
    """Who may see the event: ``public``, ``chair`` or ``delegation:<id>``."""

    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    """Small extra facts (counts, states); never a secret-ballot choice."""

    created_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), server_default=func.now())
    """Database time of the transaction that emitted the event."""
