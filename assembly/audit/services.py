"""Recording audit events."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from assembly.audit.models import AuditEvent
from assembly.audit.rules import check_payload

__all__ = ("record_event",)


async def record_event(
    session: AsyncSession,
    kind: str,
    *,
    payload: Mapping[str, Any],
    assembly_id: uuid.UUID | None = None,
    subject_id: uuid.UUID | None = None,
    actor_user_id: uuid.UUID | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction: it commits or rolls back with the change."""
    check_payload(payload)
    event = AuditEvent(
        kind=kind,
        payload=dict(payload),
        assembly_id=assembly_id,
        subject_id=subject_id,
        actor_user_id=actor_user_id,
    )
    session.add(event)
    return event
