"""Motion tables: motions, their immutable versions, co-sponsors, amendments and the parts of a division.

Invariants the schema holds by itself (so that a race or a bug cannot break them):

- a motion's sponsor, its co-sponsors and its amendments' sponsors are delegations of the motion's
  own assembly (composite foreign keys onto ``delegation (assembly_id, id)``);
- a motion points at an existing version of its own (composite foreign key, checked at commit,
  because the motion and its first version are inserted in one transaction and refer to each other);
- versions are numbered 1, 2, 3 ... per motion (UNIQUE (motion_id, number)) and are never updated or
  deleted (a trigger made by the migration refuses both);
- a motion's status agrees with its times, reasons and resolution (check constraints);
- an amendment targets an existing version of its motion; a second-degree amendment's parent is an
  amendment of the same motion (composite foreign key onto ``amendment (motion_id, id)``); the degree is
  1 or 2 and agrees with the parent;
- one co-sponsorship per (motion, delegation); one amendment number and one voting position per motion;
  one part number per motion.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from advanced_alchemy.base import UUIDv7AuditBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Enum,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

__all__ = (
    "Amendment",
    "AmendmentStatus",
    "CosponsorStatus",
    "Motion",
    "MotionCosponsor",
    "MotionPart",
    "MotionStatus",
    "MotionVersion",
    "PartStatus",
    "Resolution",
    "VersionKind",
)


class MotionStatus(enum.StrEnum):
    """Where a motion is in its workflow (the transition table is in ``rules/workflow.py``)."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    ADMITTED = "admitted"
    OUT_OF_ORDER = "out_of_order"
    UNDER_DEBATE = "under_debate"
    CONSENSUS_CALL = "consensus_call"
    VOTING = "voting"
    ADOPTED = "adopted"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class VersionKind(enum.StrEnum):
    """How a version came to be."""

    DRAFT = "draft"
    """Written by the sponsor while the motion was a draft."""
    REVISION = "revision"
    """Revised by the sponsor after submission, before admission."""
    CONSOLIDATION = "consolidation"
    """The adopted amendments applied by consolidation."""
    DIVISION = "division"
    """The paragraphs of the parts rejected on a division removed."""


class CosponsorStatus(enum.StrEnum):
    """An invitation to co-sponsor, and the invited delegation's answer."""

    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class AmendmentStatus(enum.StrEnum):
    """Where an amendment is in its workflow."""

    SUBMITTED = "submitted"
    ADMITTED = "admitted"
    OUT_OF_ORDER = "out_of_order"
    VOTING = "voting"
    ADOPTED = "adopted"
    REJECTED = "rejected"
    LAPSED = "lapsed"
    WITHDRAWN = "withdrawn"


class PartStatus(enum.StrEnum):
    """A part of a divided motion."""

    PENDING = "pending"
    VOTING = "voting"
    ADOPTED = "adopted"
    REJECTED = "rejected"


class Resolution(enum.StrEnum):
    """How a question was decided."""

    BALLOT = "ballot"
    """By a ballot of the ballots domain."""
    CHAIR = "chair"
    """Declared by the chair by hand (show of hands, before ballots exist)."""
    CONSENSUS = "consensus"
    """Adopted by consensus: the chair's declaration with no objection recorded."""
    DIVISION = "division"
    """The motion fell because every operative part was rejected on a division (UN GA r.89)."""


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    # Store the values (not the names) as a native PostgreSQL enum.
    return Enum(cls, name=name, values_callable=lambda members: [m.value for m in members])


_DECIDED = "('adopted', 'rejected')"


class Motion(UUIDv7AuditBase):
    """A motion: sponsor, status, and a pointer to its current version (which holds the text)."""

    __tablename__ = "motion"
    __table_args__ = (
        # Target of the composite keys that tie co-sponsors and amendments to the motion's assembly.
        UniqueConstraint("assembly_id", "id", name="uq_motion_assembly_id_id"),
        ForeignKeyConstraint(
            ["assembly_id", "sponsor_delegation_id"],
            ["delegation.assembly_id", "delegation.id"],
            name="fk_motion_sponsor_delegation",
        ),
        ForeignKeyConstraint(
            ["id", "current_version"],
            ["motion_version.motion_id", "motion_version.number"],
            name="fk_motion_current_version",
            use_alter=True,
            deferrable=True,
            initially="DEFERRED",
        ),
        CheckConstraint("current_version >= 1", name="current_version_positive"),
        CheckConstraint("next_paragraph_number >= 1", name="next_paragraph_number_positive"),
        CheckConstraint("status IN ('draft', 'withdrawn') OR submitted_at IS NOT NULL", name="submitted_has_time"),
        CheckConstraint(
            "status NOT IN ('admitted', 'under_debate', 'consensus_call', 'voting', 'adopted', 'rejected')"
            " OR admitted_at IS NOT NULL",
            name="admitted_has_time",
        ),
        CheckConstraint("status <> 'out_of_order' OR status_reason IS NOT NULL", name="out_of_order_has_reason"),
        CheckConstraint("status <> 'voting' OR ballot_id IS NOT NULL", name="voting_has_ballot"),
        CheckConstraint(f"(status IN {_DECIDED}) = (resolution IS NOT NULL)", name="decided_has_resolution"),
        CheckConstraint(f"(status IN {_DECIDED}) = (decided_at IS NOT NULL)", name="decided_has_time"),
        CheckConstraint("submitted_version IS NULL OR submitted_version <= current_version",
                        name="submitted_version_not_ahead"),
        Index("ix_motion_assembly_id_status", "assembly_id", "status"),
        Index("ix_motion_sponsor_delegation_id", "sponsor_delegation_id"),
    )

    assembly_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assembly.id"))
    """The assembly the motion is moved in."""

    sponsor_delegation_id: Mapped[uuid.UUID] = mapped_column()
    """The delegation that moves it; its delegates edit the draft, submit and withdraw."""

    title: Mapped[str] = mapped_column(String(300))
    """The current version's title, kept here for lists and search."""

    status: Mapped[MotionStatus] = mapped_column(_enum(MotionStatus, "motion_status"), default=MotionStatus.DRAFT)
    """Workflow state."""

    status_reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    """Why it was ruled out of order, withdrawn, sent back or decided (as stated by who did it)."""

    current_version: Mapped[int] = mapped_column(Integer)
    """Number of the version in force; draft edits name it as ``expected_version``."""

    submitted_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The version first submitted: the default base of the exports' diff."""

    next_paragraph_number: Mapped[int] = mapped_column(Integer)
    """The next paragraph gets id ``p<next_paragraph_number>``; ids are never reused."""

    submitted_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    """First submission; from then on the chair sees it."""

    admitted_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    """Admission; from then on everyone sees it."""

    decided_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    """When it was adopted or rejected."""

    resolution: Mapped[Resolution | None] = mapped_column(_enum(Resolution, "motion_resolution"), nullable=True)
    """How it was decided (set exactly when adopted or rejected)."""

    ballot_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    """The ballot that is deciding or decided it (no foreign key: the ballots domain owns ballots)."""

    divided_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The version the chair divided (UN GA r.89); None when the question was not divided."""

    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    """The delegate who drafted it."""


class MotionVersion(UUIDv7AuditBase):
    """One immutable text of a motion: title, rationale, ordered paragraphs, lineage."""

    __tablename__ = "motion_version"
    __table_args__ = (
        UniqueConstraint("motion_id", "number", name="uq_motion_version_motion_number"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint("based_on IS NULL OR (based_on >= 1 AND based_on < number)", name="based_on_earlier"),
        CheckConstraint("text_sha256 ~ '^[0-9a-f]{64}$'", name="text_sha256_hex"),
        CheckConstraint("jsonb_typeof(paragraphs) = 'array' AND jsonb_array_length(paragraphs) >= 1",
                        name="paragraphs_not_empty"),
    )

    motion_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("motion.id"))
    """The motion."""

    number: Mapped[int] = mapped_column(Integer)
    """1, 2, 3 ... in the order the versions were made."""

    kind: Mapped[VersionKind] = mapped_column(_enum(VersionKind, "motion_version_kind"))
    """draft, revision, consolidation or division."""

    title: Mapped[str] = mapped_column(String(300))
    """Title of this version."""

    rationale: Mapped[str | None] = mapped_column(String(10000), nullable=True)
    """The sponsor's explanation (plain text); not part of the text voted on."""

    paragraphs: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    """``[{"id": "p1", "kind": "preambular" | "operative", "text": <sanitized inline HTML>}, ...]`` in order."""

    text_sha256: Mapped[str] = mapped_column(String(64))
    """SHA-256 (hex) of the canonical text (docs/motions.md): what a ballot on this version pins."""

    based_on: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The version this one was made from (None for the first)."""

    lineage: Mapped[dict[str, Any] | None] = mapped_column(JSONB, nullable=True)
    """For consolidation and division: which amendment or part changed which paragraph."""

    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    """Who made it (None for versions the system made after a ballot)."""


class MotionCosponsor(UUIDv7AuditBase):
    """A delegation invited to co-sponsor a motion, and its answer."""

    __tablename__ = "motion_cosponsor"
    __table_args__ = (
        UniqueConstraint("motion_id", "delegation_id", name="uq_motion_cosponsor_motion_delegation"),
        ForeignKeyConstraint(["assembly_id", "motion_id"], ["motion.assembly_id", "motion.id"],
                             name="fk_motion_cosponsor_motion"),
        ForeignKeyConstraint(["assembly_id", "delegation_id"], ["delegation.assembly_id", "delegation.id"],
                             name="fk_motion_cosponsor_delegation"),
        CheckConstraint("(status = 'invited') = (decided_at IS NULL)", name="answer_has_time"),
        Index("ix_motion_cosponsor_delegation_id", "delegation_id"),
    )

    assembly_id: Mapped[uuid.UUID] = mapped_column()
    """The motion's assembly (the delegation must be of the same one)."""

    motion_id: Mapped[uuid.UUID] = mapped_column()
    """The motion."""

    delegation_id: Mapped[uuid.UUID] = mapped_column()
    """The invited delegation."""

    status: Mapped[CosponsorStatus] = mapped_column(_enum(CosponsorStatus, "cosponsor_status"))
    """invited, accepted or declined."""

    invited_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    """The sponsor's delegate who invited."""

    decided_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    """The invited delegation's delegate who answered."""

    decided_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    """When the invitation was answered."""


class Amendment(UUIDv7AuditBase):
    """An amendment: operations on one motion version (first degree) or on another amendment (second)."""

    __tablename__ = "amendment"
    __table_args__ = (
        UniqueConstraint("motion_id", "number", name="uq_amendment_motion_number"),
        # Target of the second-degree key: a parent is an amendment of the same motion.
        UniqueConstraint("motion_id", "id", name="uq_amendment_motion_id_id"),
        # Checked at commit: the chair's order is rewritten as a whole in one transaction.
        UniqueConstraint("motion_id", "vote_position", name="uq_amendment_motion_vote_position",
                         deferrable=True, initially="DEFERRED"),
        ForeignKeyConstraint(["assembly_id", "motion_id"], ["motion.assembly_id", "motion.id"],
                             name="fk_amendment_motion"),
        ForeignKeyConstraint(["assembly_id", "sponsor_delegation_id"], ["delegation.assembly_id", "delegation.id"],
                             name="fk_amendment_sponsor_delegation"),
        ForeignKeyConstraint(["motion_id", "target_version"], ["motion_version.motion_id", "motion_version.number"],
                             name="fk_amendment_target_version"),
        ForeignKeyConstraint(["motion_id", "applied_in_version"],
                             ["motion_version.motion_id", "motion_version.number"],
                             name="fk_amendment_applied_in_version"),
        ForeignKeyConstraint(["motion_id", "parent_amendment_id"], ["amendment.motion_id", "amendment.id"],
                             name="fk_amendment_parent"),
        CheckConstraint("degree IN (1, 2)", name="degree_first_or_second"),
        CheckConstraint("(degree = 1) = (parent_amendment_id IS NULL)", name="degree_matches_parent"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint("vote_position IS NULL OR vote_position >= 1", name="vote_position_positive"),
        CheckConstraint("rebased_from IS NULL OR rebased_from < target_version", name="rebased_from_earlier"),
        CheckConstraint("status <> 'voting' OR ballot_id IS NOT NULL", name="voting_has_ballot"),
        CheckConstraint(f"(status IN {_DECIDED}) = (resolution IS NOT NULL)", name="decided_has_resolution"),
        CheckConstraint(f"(status IN {_DECIDED}) = (decided_at IS NOT NULL)", name="decided_has_time"),
        CheckConstraint(f"(status IN {_DECIDED}) = (decided_seq IS NOT NULL)", name="decided_has_seq"),
        CheckConstraint("status NOT IN ('out_of_order', 'lapsed') OR status_reason IS NOT NULL",
                        name="ruling_has_reason"),
        CheckConstraint("applied_in_version IS NULL OR (status = 'adopted' AND degree = 1)",
                        name="applied_only_when_adopted"),
        CheckConstraint("jsonb_typeof(operations) = 'array' AND jsonb_array_length(operations) >= 1",
                        name="operations_not_empty"),
        Index("ix_amendment_assembly_id_status", "assembly_id", "status"),
    )

    assembly_id: Mapped[uuid.UUID] = mapped_column()
    """The motion's assembly."""

    motion_id: Mapped[uuid.UUID] = mapped_column()
    """The motion amended."""

    number: Mapped[int] = mapped_column(Integer)
    """1, 2, 3 ... per motion, in the order amendments were tabled (shown as A1, A2 ...)."""

    degree: Mapped[int] = mapped_column(Integer)
    """1: amends the motion; 2: amends a first-degree amendment (RONR: no third degree)."""

    parent_amendment_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    """The first-degree amendment a second-degree one amends."""

    target_version: Mapped[int] = mapped_column(Integer)
    """The motion version the operations apply to (a second-degree amendment: its parent's)."""

    rebased_from: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The outdated version the sponsor named, when the amendment was rebased onto ``target_version``."""

    sponsor_delegation_id: Mapped[uuid.UUID] = mapped_column()
    """The delegation that tabled it."""

    rationale: Mapped[str | None] = mapped_column(String(10000), nullable=True)
    """Why (plain text)."""

    operations: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    """``[{"id": "o1", "op": "replace" | "insert_after" | "delete", ...}]`` (docs/motions.md)."""

    status: Mapped[AmendmentStatus] = mapped_column(_enum(AmendmentStatus, "amendment_status"))
    """Workflow state."""

    status_reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    """Why it was ruled out of order, lapsed, withdrawn or decided."""

    vote_position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """Its place in the chair's voting order (1 is voted first); None until the chair orders it."""

    ballot_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    """The ballot deciding or that decided it."""

    resolution: Mapped[Resolution | None] = mapped_column(_enum(Resolution, "amendment_resolution"), nullable=True)
    """How it was decided."""

    decided_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    """When it was adopted or rejected."""

    decided_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """Order of decision among the motion's amendments (1, 2 ...): consolidation applies in this order."""

    applied_in_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The consolidated version that applied this adopted first-degree amendment."""

    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    """The delegate who tabled it."""


class MotionPart(UUIDv7AuditBase):
    """One part of a divided motion: a set of paragraphs voted separately (UN GA r.89)."""

    __tablename__ = "motion_part"
    __table_args__ = (
        UniqueConstraint("motion_id", "number", name="uq_motion_part_motion_number"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint("status <> 'voting' OR ballot_id IS NOT NULL", name="voting_has_ballot"),
        CheckConstraint(f"(status IN {_DECIDED}) = (resolution IS NOT NULL)", name="decided_has_resolution"),
        CheckConstraint("jsonb_typeof(paragraph_ids) = 'array' AND jsonb_array_length(paragraph_ids) >= 1",
                        name="paragraph_ids_not_empty"),
    )

    motion_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("motion.id"))
    """The divided motion."""

    number: Mapped[int] = mapped_column(Integer)
    """1, 2, 3 ...: the order the parts are voted in."""

    paragraph_ids: Mapped[list[str]] = mapped_column(JSONB)
    """The paragraphs of the divided version in this part, in text order."""

    operative: Mapped[bool] = mapped_column(Boolean)
    """Whether the part holds an operative paragraph (r.89 counts operative parts)."""

    status: Mapped[PartStatus] = mapped_column(_enum(PartStatus, "motion_part_status"), default=PartStatus.PENDING)
    """pending, voting, adopted or rejected."""

    status_reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    """The chair's statement when resolved by hand."""

    ballot_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    """The ballot deciding or that decided it."""

    resolution: Mapped[Resolution | None] = mapped_column(_enum(Resolution, "motion_part_resolution"), nullable=True)
    """How it was decided."""
