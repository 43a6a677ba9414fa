"""Request and response bodies of the agenda API (msgspec Structs, snake_case, bounded)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import msgspec

from assembly.agenda.models import (
    MAX_SECONDS,
    AgendaItemKind,
    AgendaItemStatus,
    SpeakerRequestKind,
    SpeakerRequestStatus,
)
from assembly.agenda.rules import MAX_AGENDA_ITEMS

__all__ = (
    "AgendaItemCreate",
    "AgendaItemRead",
    "AgendaItemUpdate",
    "AgendaRead",
    "AgendaReorder",
    "CurrentItemSet",
    "FloorGive",
    "FloorRequest",
    "QuorumCallRead",
    "QuorumCheckRead",
    "SpeakerRead",
    "SpeakersRead",
)

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=300, description="1 to 300 characters")]
Seconds = Annotated[int, msgspec.Meta(ge=1, le=MAX_SECONDS, description=f"1 to {MAX_SECONDS} seconds")]


class _In(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of request bodies: unknown fields are refused."""


class _Out(msgspec.Struct, kw_only=True):
    """Base of response bodies."""


# -- Requests --------------------------------------------------------------------------------------


class AgendaItemCreate(_In):
    """A new item, added at the end of the agenda."""

    title: Title
    kind: AgendaItemKind
    time_allotment_seconds: Seconds | None = None
    """Total speaking time for the item."""
    speech_limit_seconds: Seconds | None = None
    """Speaking time of one speech."""
    motion_id: uuid.UUID | None = None
    ballot_id: uuid.UUID | None = None


class AgendaItemUpdate(AgendaItemCreate):
    """The item's new title, kind, time limits and links (all replaced; omitted optional ones become null)."""


class AgendaReorder(_In):
    """The full new order: every item of the agenda, once each."""

    item_ids: Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=MAX_AGENDA_ITEMS)]


class CurrentItemSet(_In):
    """The item to make current; null leaves no item current."""

    item_id: uuid.UUID | None


class FloorRequest(_In):
    """Ask for the floor: a speech, or a point of order (heard first)."""

    kind: SpeakerRequestKind = SpeakerRequestKind.SPEECH


class FloorGive(_In):
    """Give the floor to a waiting request, or (null) to the next in speaking order."""

    request_id: uuid.UUID | None = None


# -- Responses -------------------------------------------------------------------------------------


class AgendaItemRead(_Out):
    """An agenda item."""

    id: uuid.UUID
    assembly_id: uuid.UUID
    position: int
    title: str
    kind: AgendaItemKind
    status: AgendaItemStatus
    is_current: bool
    speakers_list_open: bool
    time_allotment_seconds: int | None
    speech_limit_seconds: int | None
    motion_id: uuid.UUID | None
    ballot_id: uuid.UUID | None
    version: int
    opened_at: datetime | None
    closed_at: datetime | None
    created_at: datetime
    updated_at: datetime


class AgendaRead(_Out):
    """An assembly's agenda: items in order, the current one, and where to resume the live stream."""

    assembly_id: uuid.UUID
    version: int
    """Bumped by every change to the items, their order or the current item; 0 for an empty agenda."""
    current_item_id: uuid.UUID | None
    stream_position: int
    """Open the event stream with ``Last-Event-ID: <stream_position>`` to get every later change."""
    items: list[AgendaItemRead]


class SpeakerRead(_Out):
    """A request on the speakers' list."""

    request_id: uuid.UUID
    delegation_id: uuid.UUID
    member_name: str
    kind: SpeakerRequestKind
    status: SpeakerRequestStatus
    request_no: int
    """Order in which the item's requests were made."""
    position: int | None
    """1-based place among those waiting; null once the request has the floor or has spoken."""
    requested_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    elapsed_seconds: int | None
    """Seconds spoken (database clock); null while waiting."""
    remaining_seconds: int | None
    """Of the speech limit; null while waiting or without a limit."""
    overrun_seconds: int | None
    """Seconds spoken past the limit; null while waiting."""


class SpeakersRead(_Out):
    """An item's speakers' list, timed at ``server_time`` (the database's clock)."""

    agenda_item_id: uuid.UUID
    assembly_id: uuid.UUID
    item_status: AgendaItemStatus
    list_open: bool
    version: int
    """The item's version (the list's changes bump it)."""
    server_time: datetime
    speech_limit_seconds: int | None
    time_allotment_seconds: int | None
    time_used_seconds: int
    time_remaining_seconds: int | None
    current_speaker: SpeakerRead | None
    waiting: list[SpeakerRead]
    spoken: list[SpeakerRead]
    my_delegation_id: uuid.UUID | None
    my_request: SpeakerRead | None
    my_position: int | None
    stream_position: int


class QuorumCheckRead(_Out):
    """One threshold applied: its kind, whether it is met, and the comparison."""

    kind: str
    met: bool
    arithmetic: str


class QuorumCallRead(_Out):
    """A quorum call with its counts, thresholds and arithmetic."""

    id: uuid.UUID
    assembly_id: uuid.UUID
    agenda_item_id: uuid.UUID | None
    called_by_user_id: uuid.UUID
    called_at: datetime
    rule_set_version: int
    thresholds: dict[str, Any]
    membership_count: int
    membership_weight: int
    present_count: int
    present_weight: int
    present_without_vote_count: int
    present_delegation_ids: list[uuid.UUID]
    weights_sha256: str
    may_debate: bool
    may_decide: bool
    debate: QuorumCheckRead
    decide: QuorumCheckRead
