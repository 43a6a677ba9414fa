"""Request and response bodies of the motions API (msgspec Structs, snake_case, bounded)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from assembly.motions.models import (
    AmendmentStatus,
    CosponsorStatus,
    MotionStatus,
    PartStatus,
    Resolution,
    VersionKind,
)
from assembly.motions.rules import MAX_PARAGRAPH_CHARS, MAX_PARAGRAPHS, MAX_RATIONALE_CHARS, MAX_TITLE_CHARS

__all__ = (
    "AmendmentCreate",
    "AmendmentRead",
    "AmendmentSummary",
    "CosponsorInvite",
    "CosponsorRead",
    "DiffSegmentRead",
    "DivisionCreate",
    "DivisionRead",
    "MotionCompare",
    "MotionCreate",
    "MotionDetail",
    "MotionRead",
    "MotionSummary",
    "MotionVersionCreate",
    "ObjectionCreate",
    "OperationIn",
    "OperationRead",
    "ParagraphDiffRead",
    "ParagraphIn",
    "ParagraphNew",
    "ParagraphRead",
    "PartIn",
    "PartRead",
    "ReasonIn",
    "ReasonOptional",
    "ResolveIn",
    "SupportRead",
    "VersionRead",
    "VersionSummary",
    "VotingOrderIn",
)

ParagraphKind = Literal["preambular", "operative"]
Title = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TITLE_CHARS, description="1 to 300 characters")]
Rationale = Annotated[str, msgspec.Meta(max_length=MAX_RATIONALE_CHARS, description="Plain text, up to 10000")]
ParagraphText = Annotated[str, msgspec.Meta(
    min_length=1, max_length=MAX_PARAGRAPH_CHARS,
    description="Up to 4000 characters: text with <em>, <strong>, <sup>, <sub> only (anything else is escaped)")]
ParagraphId = Annotated[str, msgspec.Meta(min_length=2, max_length=12, pattern="^p[1-9][0-9]{0,9}$",
                                          description="A paragraph's stable id, p1, p2 ...")]
OperationId = Annotated[str, msgspec.Meta(min_length=2, max_length=12, pattern="^o[1-9][0-9]{0,9}$",
                                          description="An operation of the amended amendment, o1, o2 ...")]
ReasonText = Annotated[str, msgspec.Meta(min_length=1, max_length=1000, description="1 to 1000 characters")]


class _In(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of request bodies: unknown fields are refused."""


class _Out(msgspec.Struct, kw_only=True):
    """Base of response bodies."""


# -- Requests --------------------------------------------------------------------------------------


class ParagraphNew(_In):
    """A paragraph of a new motion (ids are given by the server)."""

    text: ParagraphText
    kind: ParagraphKind = "operative"


class ParagraphIn(_In):
    """A paragraph of a revised text: send back ``id`` to keep a paragraph, leave it out for a new one."""

    text: ParagraphText
    kind: ParagraphKind = "operative"
    id: ParagraphId | None = None


class MotionCreate(_In):
    """A new draft motion; the caller's delegation sponsors it."""

    title: Title
    paragraphs: Annotated[list[ParagraphNew], msgspec.Meta(min_length=1, max_length=MAX_PARAGRAPHS)]
    rationale: Rationale | None = None


class MotionVersionCreate(_In):
    """The sponsor's new text; ``expected_version`` is the version it was edited from (optimistic concurrency)."""

    expected_version: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]
    title: Title
    paragraphs: Annotated[list[ParagraphIn], msgspec.Meta(min_length=1, max_length=MAX_PARAGRAPHS)]
    rationale: Rationale | None = None


class CosponsorInvite(_In):
    """The delegation invited to co-sponsor."""

    delegation_id: uuid.UUID


class ReasonIn(_In):
    """A required reason (a ruling out of order)."""

    reason: ReasonText


class ReasonOptional(_In):
    """An optional reason (a withdrawal)."""

    reason: ReasonText | None = None


class ResolveIn(_In):
    """The result of a vote taken by hand, as the chair declares it."""

    adopted: bool
    reason: ReasonText


class ObjectionCreate(_In):
    """An objection to adoption by consensus; the chair names the objecting delegation."""

    reason: ReasonText
    return_to: Literal["vote", "drafting"] = "vote"
    delegation_id: uuid.UUID | None = None


class VotingOrderIn(_In):
    """The chair's voting order: every admitted amendment awaiting a vote, first to be voted first."""

    amendment_ids: Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=500)]
    reason: ReasonText | None = None


class PartIn(_In):
    """One part of a division: the paragraphs voted on together."""

    paragraph_ids: Annotated[list[ParagraphId], msgspec.Meta(min_length=1, max_length=MAX_PARAGRAPHS)]


class DivisionCreate(_In):
    """Division of the question: the parts, voted in this order."""

    parts: Annotated[list[PartIn], msgspec.Meta(min_length=1, max_length=100)]
    reason: ReasonText | None = None


class OperationIn(_In):
    """One operation of an amendment (docs/motions.md, Amendments).

    First degree: ``paragraph_id`` names a paragraph of ``motion_version`` (``insert_after`` without
    it inserts before the first paragraph). Second degree: ``operation_id`` names an operation of the
    amended amendment. ``text`` for ``replace`` and ``insert_after``; ``kind`` of an inserted paragraph.
    """

    op: Literal["replace", "insert_after", "delete"]
    paragraph_id: ParagraphId | None = None
    operation_id: OperationId | None = None
    text: ParagraphText | None = None
    kind: ParagraphKind | None = None


class AmendmentCreate(_In):
    """A new amendment: to the motion (``motion_version``) or to a first-degree amendment (``parent_amendment_id``)."""

    operations: Annotated[list[OperationIn], msgspec.Meta(min_length=1, max_length=50)]
    motion_version: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] | None = None
    parent_amendment_id: uuid.UUID | None = None
    rationale: Rationale | None = None


# -- Responses -------------------------------------------------------------------------------------


class ParagraphRead(_Out):
    """A paragraph: stable id, kind, text (sanitized inline HTML)."""

    id: str
    kind: str
    text: str


class VersionSummary(_Out):
    """A version without its text."""

    number: int
    kind: VersionKind
    title: str
    text_sha256: str
    based_on: int | None
    created_at: datetime
    created_by_user_id: uuid.UUID | None


class VersionRead(_Out):
    """An immutable version of a motion."""

    motion_id: uuid.UUID
    number: int
    kind: VersionKind
    title: str
    rationale: str | None
    paragraphs: list[ParagraphRead]
    text_sha256: str
    based_on: int | None
    lineage: dict[str, Any] | None
    created_at: datetime
    created_by_user_id: uuid.UUID | None


class MotionRead(_Out):
    """A motion's state after a command."""

    id: uuid.UUID
    assembly_id: uuid.UUID
    title: str
    status: MotionStatus
    status_reason: str | None
    sponsor_delegation_id: uuid.UUID
    current_version: int
    submitted_version: int | None
    divided_version: int | None
    resolution: Resolution | None
    ballot_id: uuid.UUID | None
    submitted_at: datetime | None
    admitted_at: datetime | None
    decided_at: datetime | None
    created_at: datetime
    updated_at: datetime


class MotionSummary(_Out):
    """A motion in a list."""

    id: uuid.UUID
    assembly_id: uuid.UUID
    title: str
    status: MotionStatus
    sponsor_delegation_id: uuid.UUID
    sponsor_name: str
    current_version: int
    submitted_at: datetime | None
    admitted_at: datetime | None
    decided_at: datetime | None
    created_at: datetime


class CosponsorRead(_Out):
    """A co-sponsorship."""

    delegation_id: uuid.UUID
    name: str
    status: CosponsorStatus
    invited_at: datetime
    decided_at: datetime | None


class SupportRead(_Out):
    """Delegations supporting the motion (sponsor + accepted co-sponsors) against the threshold to submit."""

    supporters: int
    threshold: int


class OperationRead(_Out):
    """A stored operation."""

    id: str
    op: str
    paragraph_id: str | None
    operation_id: str | None
    text: str | None
    kind: str | None


class AmendmentRead(_Out):
    """An amendment with its state and the pending amendments it conflicts with."""

    id: uuid.UUID
    motion_id: uuid.UUID
    number: int
    label: str
    degree: int
    parent_amendment_id: uuid.UUID | None
    target_version: int
    rebased_from: int | None
    sponsor_delegation_id: uuid.UUID
    sponsor_name: str
    rationale: str | None
    operations: list[OperationRead]
    status: AmendmentStatus
    status_reason: str | None
    vote_position: int | None
    conflicts_with: list[uuid.UUID]
    resolution: Resolution | None
    ballot_id: uuid.UUID | None
    decided_at: datetime | None
    applied_in_version: int | None
    created_at: datetime


class AmendmentSummary(_Out):
    """An amendment in a list."""

    id: uuid.UUID
    motion_id: uuid.UUID
    number: int
    label: str
    degree: int
    parent_amendment_id: uuid.UUID | None
    target_version: int
    sponsor_delegation_id: uuid.UUID
    sponsor_name: str
    status: AmendmentStatus
    status_reason: str | None
    vote_position: int | None
    operations: list[OperationRead]
    created_at: datetime


class PartRead(_Out):
    """A part of a divided motion."""

    id: uuid.UUID
    number: int
    paragraph_ids: list[str]
    operative: bool
    status: PartStatus
    status_reason: str | None
    resolution: Resolution | None
    ballot_id: uuid.UUID | None


class MotionDetail(_Out):
    """A motion with its current version, co-sponsors, support, every amendment and its state, and its parts."""

    id: uuid.UUID
    assembly_id: uuid.UUID
    title: str
    status: MotionStatus
    status_reason: str | None
    sponsor_delegation_id: uuid.UUID
    sponsor_name: str
    cosponsors: list[CosponsorRead]
    support: SupportRead
    current_version: VersionRead
    submitted_version: int | None
    amendments: list[AmendmentRead]
    voting_order: list[uuid.UUID]
    divided_version: int | None
    parts: list[PartRead]
    resolution: Resolution | None
    ballot_id: uuid.UUID | None
    submitted_at: datetime | None
    admitted_at: datetime | None
    decided_at: datetime | None
    created_at: datetime
    updated_at: datetime


class DivisionRead(_Out):
    """A divided motion's state and parts."""

    motion: MotionRead
    parts: list[PartRead]


class DiffSegmentRead(_Out):
    """A run of words: ``equal``, ``insert`` (only in the newer version) or ``delete`` (only in the older)."""

    op: str
    text: str


class ParagraphDiffRead(_Out):
    """One paragraph of a comparison."""

    paragraph_id: str
    status: str
    kind: str
    segments: list[DiffSegmentRead]


class MotionCompare(_Out):
    """Two versions compared paragraph by paragraph, word by word."""

    motion_id: uuid.UUID
    from_version: int
    to_version: int
    from_text_sha256: str
    to_text_sha256: str
    paragraphs: list[ParagraphDiffRead]
