"""Who sees which live event: pure functions, no I/O."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable

__all__ = ("AUDIENCE_CHAIR", "AUDIENCE_PUBLIC", "MAX_DATA_BYTES", "check_audience", "delegation_audience",
           "subscriber_audiences", "visible")

AUDIENCE_PUBLIC = "public"
"""Everyone who may follow the assembly: observers included."""

AUDIENCE_CHAIR = "chair"
"""The chairs (and auditors) of the assembly: e.g. a motion submitted but not yet admitted."""

MAX_DATA_BYTES = 1000
"""Upper bound of an event's extra data: PostgreSQL refuses NOTIFY payloads of 8000 bytes or more."""

_DELEGATION = re.compile(r"^delegation:[0-9a-f-]{36}$")


def delegation_audience(delegation_id: uuid.UUID) -> str:
    """The audience of one delegation's private events (e.g. its draft motion)."""
    return f"delegation:{delegation_id}"


def check_audience(audience: str) -> None:
    """Raise ValueError for an audience that is not public, chair or one delegation."""
    if audience not in {AUDIENCE_PUBLIC, AUDIENCE_CHAIR} and not _DELEGATION.match(audience):
        msg = f"unknown live event audience {audience!r}"
        raise ValueError(msg)


def subscriber_audiences(*, is_chair: bool, delegation_ids: Iterable[uuid.UUID]) -> frozenset[str]:
    """The audiences a subscriber belongs to: public always, chair for chairs and auditors, own delegations."""
    audiences = {AUDIENCE_PUBLIC, *(delegation_audience(d) for d in delegation_ids)}
    if is_chair:
        audiences.add(AUDIENCE_CHAIR)
    return frozenset(audiences)


def visible(audience: str, audiences: frozenset[str]) -> bool:
    """Whether an event addressed to ``audience`` may be sent to a subscriber of ``audiences``."""
    return audience in audiences
