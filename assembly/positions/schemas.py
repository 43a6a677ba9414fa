"""Request and response bodies of the positions API (msgspec Structs, snake_case, bounded)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

import msgspec

from assembly.positions.models import DeliveryStatus, VersionKind

__all__ = (
    "AuditLink",
    "DeliveryRead",
    "ParagraphIn",
    "PatternUpdate",
    "PositionRead",
    "PositionSummary",
    "SubscriptionCreate",
    "SubscriptionCreated",
    "SubscriptionRead",
    "VersionCreate",
    "VersionRead",
)

Language = Literal["en", "fr", "es"]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=1000, description="1 to 1000 characters")]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
Short = Annotated[str, msgspec.Meta(max_length=64)]
SdgCode = Annotated[str, msgspec.Meta(min_length=1, max_length=16, description="A goal (11) or target (11.3)")]
EventName = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]


class _In(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of request bodies: unknown fields are refused."""


class _Out(msgspec.Struct, kw_only=True):
    """Base of response bodies."""


# -- Requests --------------------------------------------------------------------------------------


class ParagraphIn(_In):
    """One paragraph of a translated or corrected text."""

    text: Annotated[str, msgspec.Meta(min_length=1, max_length=10_000)]
    kind: Literal["preambular", "operative"] = "operative"
    id: Annotated[str, msgspec.Meta(pattern=r"^p[0-9]{1,6}$")] | None = None


class VersionCreate(_In):
    """A translation (new language), a correction (``reason`` required) or new metadata (no text)."""

    language: Language = "en"
    title: Title | None = None
    paragraphs: Annotated[list[ParagraphIn], msgspec.Meta(min_length=1, max_length=500)] | None = None
    reason: Reason | None = None
    sdgs: Annotated[list[SdgCode], msgspec.Meta(max_length=200)] | None = None
    process: Short | None = None
    session: Short | None = None
    keywords: Annotated[list[Short], msgspec.Meta(max_length=50)] | None = None


class PatternUpdate(_In):
    """A body's symbol pattern: ``{number}`` once, ``{year}`` optional."""

    pattern: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class SubscriptionCreate(_In):
    """A subscriber endpoint."""

    url: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    events: Annotated[list[EventName], msgspec.Meta(min_length=1, max_length=10)] = msgspec.field(
        default_factory=lambda: ["position.published"])
    secret: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    description: Annotated[str, msgspec.Meta(max_length=200)] | None = None


# -- Responses -------------------------------------------------------------------------------------


class AuditLink(_Out):
    """An audit log event that records the decision."""

    id: uuid.UUID
    kind: str


class PositionSummary(_Out):
    """A position in the public list."""

    id: uuid.UUID
    symbol: str
    title: str
    adopted_on: date
    body: str
    assembly_id: uuid.UUID
    process: str | None
    session: str | None
    sdgs: list[str]
    language: str
    version: int
    vote: dict[str, Any]
    """Counts by option (heads, weight), rule and outcome; ``{"method": "consensus"}`` for a consensus."""


class PositionRead(PositionSummary):
    """A position with its text in one language, the languages it exists in, and the proofs."""

    motion_id: uuid.UUID
    adopted_at: datetime
    updated_at: datetime
    resolution: str
    paragraphs: list[dict[str, Any]]
    languages: list[str]
    keywords: list[str]
    text_sha256: str
    audit_events: list[AuditLink]
    links: dict[str, str]


class VersionRead(_Out):
    """One version (the old ones stay readable)."""

    number: int
    kind: VersionKind
    language: str
    title: str
    paragraphs: list[dict[str, Any]]
    metadata: dict[str, Any]
    reason: str | None
    created_at: datetime


class SubscriptionRead(_Out):
    """A subscriber endpoint (the secret is never shown again)."""

    id: uuid.UUID
    url: str
    events: list[str]
    active: bool
    description: str | None
    created_at: datetime


class SubscriptionCreated(SubscriptionRead):
    """The new subscription with its secret, shown this once."""

    secret: str


class DeliveryRead(_Out):
    """One outbox row."""

    id: uuid.UUID
    subscription_id: uuid.UUID
    event: str
    position_id: uuid.UUID | None
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_status: int | None
    last_error: str | None
    delivered_at: datetime | None
    created_at: datetime
