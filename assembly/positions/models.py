"""Position tables: adopted positions and their versions, symbol series, webhook subscriptions and the outbox.

A position is created in the same transaction as the motion's adoption (``services.on_motion_adopted``).
Its text, translations and corrections are ``position_version`` rows, append-only (a trigger refuses
UPDATE and DELETE: nothing published is ever overwritten). ``position_series`` holds the last number
of each symbol series; taking the next number is one ``INSERT ... ON CONFLICT DO UPDATE`` whose row
lock is held until the adoption commits, so numbers are gap-free: a rolled-back adoption gives its
number back. ``webhook_delivery`` is the outbox: one row per subscriber and publication, written in the
publishing transaction and posted by the delivery worker (``assembly/positions/worker.py``).
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from advanced_alchemy.base import AdvancedDeclarativeBase, CommonTableAttributes, UUIDv7AuditBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

__all__ = (
    "DeliveryStatus",
    "Position",
    "PositionSeries",
    "PositionSymbolPattern",
    "PositionVersion",
    "VersionKind",
    "WebhookDelivery",
    "WebhookSubscription",
)


class VersionKind(enum.StrEnum):
    """Why a version exists."""

    ADOPTED = "adopted"
    """The text as adopted (version 1)."""
    TRANSLATION = "translation"
    """The first text in another working language."""
    CORRECTION = "correction"
    """A corrected text in a language that already had one (a reason is required)."""
    METADATA = "metadata"
    """Same text, new metadata (SDGs, process, session, keywords)."""


class DeliveryStatus(enum.StrEnum):
    """pending -> delivered, or pending -> dead after the last attempt (an admin may set it pending again)."""

    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    return Enum(cls, name=name, values_callable=lambda members: [m.value for m in members])


class PositionSymbolPattern(CommonTableAttributes, AdvancedDeclarativeBase):
    """The symbol pattern of one body (``{year}`` and ``{number}`` are filled in); the secretariat may change it."""

    __tablename__ = "position_symbol_pattern"
    __table_args__ = (CheckConstraint("pattern LIKE '%{number}%'", name="pattern_has_number"),)

    body: Mapped[str] = mapped_column(String(32), primary_key=True)
    pattern: Mapped[str] = mapped_column(String(200))


class PositionSeries(CommonTableAttributes, AdvancedDeclarativeBase):
    """The last number given in one series (a pattern with its year filled in, e.g. ``UCLG/WC/2026/RES/{number}``)."""

    __tablename__ = "position_series"
    __table_args__ = (CheckConstraint("last >= 1", name="last_positive"),)

    series: Mapped[str] = mapped_column(String(200), primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


class Position(UUIDv7AuditBase):
    """One adopted motion as a published position (the current metadata; the texts are versions)."""

    __tablename__ = "position"
    __table_args__ = (
        Index("ix_position_adopted_on", "adopted_on"),
        Index("ix_position_sdgs", "sdgs", postgresql_using="gin"),
    )

    motion_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("motion.id"), unique=True)
    assembly_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assembly.id"), index=True)
    body: Mapped[str] = mapped_column(String(32), index=True)
    """The adopting body (the assembly's body kind)."""
    symbol: Mapped[str] = mapped_column(String(200), unique=True)
    """Document symbol, gap-free within its series (e.g. ``UCLG/WC/2026/RES/3``)."""
    adopted_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    adopted_on: Mapped[date] = mapped_column(Date)
    resolution: Mapped[str] = mapped_column(String(32))
    """``ballot`` or ``consensus`` (how the motion was adopted)."""
    ballot_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    """The adopting ballot; no foreign key, as for ``motion.ballot_id`` (the motions domain does not own ballots)."""
    motion_version: Mapped[int] = mapped_column(Integer)
    """The motion version adopted (its consolidated text)."""
    text_sha256: Mapped[str] = mapped_column(String(64))
    """Digest of the adopted text, as the ``motion.adopted`` audit event records it."""
    vote: Mapped[dict[str, Any]] = mapped_column(JSONB)
    """The vote record: counts by option (heads, weight), rule, quorum, outcome, roll call; or consensus."""
    language: Mapped[str] = mapped_column(String(8))
    """The language of the adopted text."""
    sdgs: Mapped[list[str]] = mapped_column(JSONB, default=list)
    """Current SDG tags: goal (``11``) and target (``11.3``) codes."""
    process: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """Target global process (``HLPF``, ``COP``, ``WUF`` ...)."""
    session: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """Its session (``2027``, ``31``, ``13`` ...)."""
    keywords: Mapped[list[str]] = mapped_column(JSONB, default=list)
    current_version: Mapped[int] = mapped_column(Integer)


class PositionVersion(UUIDv7AuditBase):
    """One version of a position's text in one language; never updated or deleted."""

    __tablename__ = "position_version"
    __table_args__ = (
        UniqueConstraint("position_id", "number", name="uq_position_version_number"),
        CheckConstraint("kind <> 'correction' OR reason IS NOT NULL", name="correction_has_reason"),
    )

    position_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("position.id"))
    number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[VersionKind] = mapped_column(_enum(VersionKind, "position_version_kind"))
    language: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(300))
    paragraphs: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    """``[{"id", "kind", "text"}]`` as in the motion's version."""
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", JSONB)
    """The metadata as of this version: sdgs, process, session, keywords."""
    reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)


class WebhookSubscription(UUIDv7AuditBase):
    """A subscriber endpoint registered by the secretariat."""

    __tablename__ = "webhook_subscription"

    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(200))
    """Shared secret of the HMAC-SHA256 signature; shown once, when registered."""
    events: Mapped[list[str]] = mapped_column(JSONB)
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    description: Mapped[str | None] = mapped_column(String(200), nullable=True)


class WebhookDelivery(UUIDv7AuditBase):
    """The outbox: one publication for one subscriber; its id is the delivery id the receiver dedupes on."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index("ix_webhook_delivery_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
    )

    subscription_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_subscription.id"), index=True)
    event: Mapped[str] = mapped_column(String(64))
    position_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("position.id"), nullable=True)
    body: Mapped[str] = mapped_column(Text)
    """The exact JSON body posted (and signed)."""
    status: Mapped[DeliveryStatus] = mapped_column(_enum(DeliveryStatus, "webhook_delivery_status"),
                                                   default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), server_default=func.now())
    last_error: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    last_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
