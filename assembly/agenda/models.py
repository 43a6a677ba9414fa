"""Agenda tables: the agenda of an assembly, its items, speakers' requests and quorum calls.

Invariants the schema holds by itself (so that a race or a bug cannot break them):

- items of one assembly have distinct positions (checked at commit, so that a reorder can swap
  them); at most one item of an assembly is current (a partial unique index);
- an item's status agrees with its opened/closed times;
- a speaker's request belongs to a delegation and an item of the same assembly (composite foreign
  keys); one delegation has at most one pending request per item, and at most one request per item
  is speaking (partial unique indexes); a request's status agrees with its timestamps;
- a quorum call never counts more present than the membership.

Times of the sitting (opened, closed, requested, floor given, speech ended, quorum called) are the
database's ``now()``: the services read it from PostgreSQL, never from the app's clock.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from advanced_alchemy.base import UUIDv7AuditBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

__all__ = (
    "Agenda",
    "AgendaItem",
    "AgendaItemKind",
    "AgendaItemStatus",
    "QuorumCall",
    "SpeakerRequest",
    "SpeakerRequestKind",
    "SpeakerRequestStatus",
)

MAX_SECONDS = 86_400
"""Longest time allotment or speaking time (a day)."""


class AgendaItemKind(enum.StrEnum):
    """What an agenda item is for."""

    DEBATE = "debate"
    MOTION = "motion"
    ELECTION = "election"
    INFORMATION = "information"
    PROCEDURAL = "procedural"


class AgendaItemStatus(enum.StrEnum):
    """pending -> open -> closed; pending or open -> deferred -> open."""

    PENDING = "pending"
    OPEN = "open"
    CLOSED = "closed"
    DEFERRED = "deferred"


class SpeakerRequestKind(enum.StrEnum):
    """A request to speak, or a point of order (heard before the speakers waiting)."""

    SPEECH = "speech"
    POINT_OF_ORDER = "point_of_order"


class SpeakerRequestStatus(enum.StrEnum):
    """pending -> speaking -> spoken; pending -> withdrawn; pending -> lapsed (the item closed)."""

    PENDING = "pending"
    SPEAKING = "speaking"
    SPOKEN = "spoken"
    WITHDRAWN = "withdrawn"
    LAPSED = "lapsed"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    # Store the values (not the names) as a native PostgreSQL enum.
    return Enum(cls, name=name, values_callable=lambda members: [m.value for m in members])


class Agenda(UUIDv7AuditBase):
    """One row per assembly that has an agenda: its row lock serializes changes to the agenda."""

    __tablename__ = "agenda"
    __table_args__ = (CheckConstraint("version >= 1", name="version_positive"),)

    assembly_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assembly.id"), unique=True)
    """The assembly."""

    version: Mapped[int] = mapped_column(Integer)
    """Bumped by every change to the items, their order or the current item (not by speakers' lists)."""


class AgendaItem(UUIDv7AuditBase):
    """One item of an assembly's agenda, with its speakers' list switch and time limits."""

    __tablename__ = "agenda_item"
    __table_args__ = (
        # Positions are unique per assembly; checked at commit so that a reorder may swap two items.
        UniqueConstraint("assembly_id", "position", name="uq_agenda_item_assembly_position",
                         deferrable=True, initially="DEFERRED"),
        # Target of the composite key that ties a speaker's request to an item of its own assembly.
        UniqueConstraint("assembly_id", "id", name="uq_agenda_item_assembly_id_id"),
        Index("uq_agenda_item_one_current", "assembly_id", unique=True, postgresql_where=text("is_current")),
        CheckConstraint("position >= 1", name="position_positive"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint(f"time_allotment_seconds BETWEEN 1 AND {MAX_SECONDS}", name="time_allotment_range"),
        CheckConstraint(f"speech_limit_seconds BETWEEN 1 AND {MAX_SECONDS}", name="speech_limit_range"),
        CheckConstraint("status <> 'pending' OR opened_at IS NULL", name="pending_never_opened"),
        CheckConstraint("status <> 'open' OR opened_at IS NOT NULL", name="open_has_time"),
        CheckConstraint("(status = 'closed') = (closed_at IS NOT NULL)", name="closed_has_time"),
    )

    assembly_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assembly.id"))
    """The assembly (UNIQUE (assembly_id, position) serves lookups by assembly)."""

    position: Mapped[int] = mapped_column(Integer)
    """1, 2, 3 ... in agenda order."""

    title: Mapped[str] = mapped_column(String(300))
    """What the item is about."""

    kind: Mapped[AgendaItemKind] = mapped_column(_enum(AgendaItemKind, "agenda_item_kind"))
    """debate, motion, election, information or procedural."""

    status: Mapped[AgendaItemStatus] = mapped_column(
        _enum(AgendaItemStatus, "agenda_item_status"), default=AgendaItemStatus.PENDING
    )
    """pending, open, closed or deferred."""

    is_current: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    """The item the sitting is on; at most one per assembly."""

    speakers_list_open: Mapped[bool] = mapped_column(Boolean, default=True, server_default=text("true"))
    """Whether delegations may still ask for the floor (points of order always may)."""

    time_allotment_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """Total speaking time for the item, if limited."""

    speech_limit_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """Speaking time of one speech, if limited."""

    # No foreign keys yet: motions and ballots are being built in parallel; their migrations will
    # add the keys once the tables exist.
    motion_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    """The motion the item concerns, if any."""

    ballot_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    """The ballot the item concerns, if any."""

    version: Mapped[int] = mapped_column(Integer, default=1)
    """Bumped by every change to the item or its speakers' list; live events carry it."""

    opened_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    """Database time the item was first opened."""

    closed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    """Database time the item was closed."""

    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    """Who created it."""


class SpeakerRequest(UUIDv7AuditBase):
    """A delegation's request for the floor on one agenda item, and the speech that follows."""

    __tablename__ = "speaker_request"
    __table_args__ = (
        UniqueConstraint("agenda_item_id", "request_no", name="uq_speaker_request_item_request_no"),
        ForeignKeyConstraint(
            ["assembly_id", "agenda_item_id"], ["agenda_item.assembly_id", "agenda_item.id"],
            name="fk_speaker_request_agenda_item",
        ),
        ForeignKeyConstraint(
            ["assembly_id", "delegation_id"], ["delegation.assembly_id", "delegation.id"],
            name="fk_speaker_request_delegation",
        ),
        Index("uq_speaker_request_one_pending", "agenda_item_id", "delegation_id", unique=True,
              postgresql_where=text("status = 'pending'")),
        Index("uq_speaker_request_one_speaking", "agenda_item_id", unique=True,
              postgresql_where=text("status = 'speaking'")),
        Index("ix_speaker_request_delegation_id", "delegation_id"),
        CheckConstraint("request_no >= 1", name="request_no_positive"),
        CheckConstraint(
            "(status = 'pending' AND started_at IS NULL AND ended_at IS NULL AND withdrawn_at IS NULL)"
            " OR (status = 'speaking' AND started_at IS NOT NULL AND ended_at IS NULL AND withdrawn_at IS NULL)"
            " OR (status = 'spoken' AND started_at IS NOT NULL AND ended_at >= started_at AND withdrawn_at IS NULL)"
            " OR (status IN ('withdrawn', 'lapsed') AND started_at IS NULL AND ended_at IS NULL"
            " AND withdrawn_at IS NOT NULL)",
            name="status_matches_times",
        ),
    )

    assembly_id: Mapped[uuid.UUID] = mapped_column()
    """The item's (and the delegation's) assembly."""

    agenda_item_id: Mapped[uuid.UUID] = mapped_column()
    """The item."""

    delegation_id: Mapped[uuid.UUID] = mapped_column()
    """The delegation the request is made for."""

    requested_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    """The delegate who asked."""

    kind: Mapped[SpeakerRequestKind] = mapped_column(_enum(SpeakerRequestKind, "speaker_request_kind"))
    """speech or point_of_order."""

    status: Mapped[SpeakerRequestStatus] = mapped_column(
        _enum(SpeakerRequestStatus, "speaker_request_status"), default=SpeakerRequestStatus.PENDING
    )
    """pending, speaking, spoken, withdrawn or lapsed."""

    request_no: Mapped[int] = mapped_column(Integer)
    """1, 2, 3 ... in the order the item's requests were made (the order of the list)."""

    requested_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), server_default=func.now())
    """Database time of the request."""

    started_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    """Database time the chair gave the floor."""

    ended_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    """Database time the speech ended."""

    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    """Database time the request was withdrawn, or lapsed when the item closed."""

    given_floor_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    """The chair who gave the floor."""

    withdrawn_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    """Who withdrew the request (a delegate or the chair); None when it lapsed."""


class QuorumCall(UUIDv7AuditBase):
    """A quorum call: who was present, the thresholds, and whether the sitting may debate and decide."""

    __tablename__ = "quorum_call"
    __table_args__ = (
        CheckConstraint("present_count BETWEEN 0 AND membership_count", name="present_count_range"),
        CheckConstraint("present_weight BETWEEN 0 AND membership_weight", name="present_weight_range"),
        CheckConstraint("present_without_vote_count >= 0", name="present_without_vote_nonnegative"),
        CheckConstraint("rule_set_version >= 1", name="rule_set_version_positive"),
    )

    assembly_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assembly.id"), index=True)
    """The assembly."""

    agenda_item_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("agenda_item.id"), nullable=True)
    """The current item when the call was made, if any."""

    called_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    """The chair (or the secretariat) who called it."""

    called_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), server_default=func.now())
    """Database time of the call."""

    rule_set_version: Mapped[int] = mapped_column(Integer)
    """The version of the assembly's rules applied."""

    thresholds: Mapped[dict[str, Any]] = mapped_column(JSONB)
    """The rule set's ``quorum`` document (``to_debate``, ``to_decide``) as applied."""

    membership_count: Mapped[int] = mapped_column(Integer)
    """Delegations entitled to vote (eligible under the rules in force)."""

    membership_weight: Mapped[int] = mapped_column(BigInteger)
    """Their total weight."""

    present_count: Mapped[int] = mapped_column(Integer)
    """Delegations entitled to vote and checked in."""

    present_weight: Mapped[int] = mapped_column(BigInteger)
    """Their total weight."""

    present_without_vote_count: Mapped[int] = mapped_column(Integer)
    """Delegations checked in that hold no vote (not counted for the quorum)."""

    present_delegation_ids: Mapped[list[str]] = mapped_column(JSONB)
    """The delegations counted present."""

    weights_sha256: Mapped[str] = mapped_column(String(64))
    """Digest of the weights table used (``AssemblyAssessment.weights_sha256``)."""

    may_debate: Mapped[bool] = mapped_column(Boolean)
    """The quorum to debate is met."""

    may_decide: Mapped[bool] = mapped_column(Boolean)
    """The quorum to decide is met."""

    debate_arithmetic: Mapped[str] = mapped_column(String(500))
    """The comparison that decided ``may_debate``."""

    decide_arithmetic: Mapped[str] = mapped_column(String(500))
    """The comparison that decided ``may_decide``."""
