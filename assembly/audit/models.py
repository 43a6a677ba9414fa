"""Audit tables."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from advanced_alchemy.base import UUIDv7Base
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import String, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

__all__ = ("AuditEvent",)


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
