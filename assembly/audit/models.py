"""Audit tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from advanced_alchemy.base import AdvancedDeclarativeBase, CommonTableAttributes, UUIDv7Base
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, LargeBinary, SmallInteger, String, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

__all__ = ("AuditEvent", "LogCheckpoint", "LogEntry", "LogState", "PendingEntry", "SecretVoteEntry")


class AuditEvent(UUIDv7Base):
    """One recorded event, written in the same transaction as the change it describes.

    These rows are the queue of entries waiting to be integrated into the tamper-evident log
    (docs/audit-log-spec.md); they are never updated or deleted by the application.
    """

    __tablename__ = "audit_event"

    kind: Mapped[str] = mapped_column(String(64), index=True)
    """Event type, ``<domain>.<what happened>`` (e.g. ``delegation.credentials_accepted``)."""

    assembly_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True, index=True)
    """The assembly the event belongs to, if any (members and accounts are global)."""

    subject_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    """The record the event is about (a delegation, a proxy, a member ...)."""

    actor_user_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    """Who caused it; None for the system."""

    payload: Mapped[dict[str, Any]] = mapped_column(JSONB)
    """Canonical-JSON-ready details: integers, strings, booleans, lists, objects; never floats."""

    recorded_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), server_default=func.now())
    """Database time of the transaction that recorded it."""


class PendingEntry(CommonTableAttributes, AdvancedDeclarativeBase):
    """An entry accepted but not yet integrated: written in the transaction of the change it records.

    The entry bytes are final (canonical, with their origin), so the leaf hash, a vote's tracker, is
    known before the sequencer integrates it. The sequencer deletes the row in the transaction that
    appends the entry to :class:`LogEntry` (docs/adr/0005-audit-log-sequencing.md).
    """

    __tablename__ = "audit_log_pending"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    """Arrival order (a sequence: gaps and commit-order inversions are harmless, see the ADR)."""

    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    """RFC 9162 leaf hash of ``entry``: the tracker of a vote."""

    entry: Mapped[bytes] = mapped_column(LargeBinary)
    """The canonical entry bytes (docs/audit-log-spec.md section 3)."""

    event_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("audit_event.id"), nullable=True)
    """The audit_event the entry was built from, if any (a secret-ballot batch entry has none)."""


class LogEntry(CommonTableAttributes, AdvancedDeclarativeBase):
    """One integrated entry of the log, at its index: append-only (a trigger refuses UPDATE and DELETE)."""

    __tablename__ = "audit_log_entry"
    __table_args__ = (CheckConstraint("idx >= 0", name="index_not_negative"),)

    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    """Index in the log: 0, 1, 2 ... without gaps (the sequencer is the only writer)."""

    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    """RFC 9162 leaf hash of ``entry``."""

    entry: Mapped[bytes] = mapped_column(LargeBinary)
    """The canonical entry bytes."""

    integrated_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), server_default=func.now())


class LogCheckpoint(CommonTableAttributes, AdvancedDeclarativeBase):
    """A signed checkpoint (C2SP signed note) of the log: append-only."""

    __tablename__ = "audit_log_checkpoint"

    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    note: Mapped[str] = mapped_column(Text)
    """The signed note text, exactly as signed."""

    signed_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), server_default=func.now())


class LogState(CommonTableAttributes, AdvancedDeclarativeBase):
    """The log's single state row: origin, key, and the latest signed size and root."""

    __tablename__ = "audit_log_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    origin: Mapped[str] = mapped_column(String(255))
    vkey: Mapped[str] = mapped_column(Text)
    tree_size: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))


class SecretVoteEntry(CommonTableAttributes, AdvancedDeclarativeBase):
    """A secret ballot's vote entry, held back until the close publishes the batch sorted by hash.

    One row per right (a change replaces it); the link to the right never enters the log.
    """

    __tablename__ = "audit_secret_vote"

    ballot_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    right_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    entry: Mapped[bytes] = mapped_column(LargeBinary)
