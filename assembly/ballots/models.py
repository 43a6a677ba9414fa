"""Ballot tables: ballots, their frozen electorates, votes, every vote change, turnout counters, results.

Invariants the schema holds by itself (so a race or a bug cannot break them):

- a ballot's status agrees with its opened/closed times, and everything "fixed when it opens" (quorum
  rule, vote-change and split-vote rules, text hash, electorate digest, and the majority rule except
  for elections) is set whenever the ballot is not a draft;
- one open ballot per subject (a motion, an amendment, a part of a motion);
- one right per delegation per ballot (UNIQUE (ballot_id, delegation_id)); an own right is held by its
  delegation, a proxy right by another delegation through a named proxy; an eligible right weighs >= 1;
- one current vote per right (UNIQUE (ballot_id, right_id)), and the right is one of the ballot's
  (composite foreign key); a vote is either one choice or a split, never both;
- every vote and vote change is a ``vote_change`` row with its revision, UNIQUE (right, revision);
- ``ballot_right``, ``vote_change`` and ``ballot_result`` are append-only: triggers (migration 0008)
  refuse UPDATE and DELETE on them, so the electorate, the history of votes and the tally cannot be
  rewritten after the fact;
- one result per ballot, one second ballot per first ballot.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from advanced_alchemy.base import AdvancedDeclarativeBase, CommonTableAttributes, UUIDv7AuditBase
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
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

__all__ = (
    "Ballot",
    "BallotOutcome",
    "BallotResult",
    "BallotRight",
    "BallotStatus",
    "BallotSubjectKind",
    "BallotTurnout",
    "RightKind",
    "Vote",
    "VoteChange",
)


class BallotSubjectKind(enum.StrEnum):
    """What a ballot decides."""

    MOTION = "motion"
    AMENDMENT = "amendment"
    MOTION_PART = "motion_part"
    PROCEDURAL = "procedural"
    ELECTION = "election"


class BallotStatus(enum.StrEnum):
    """draft -> open -> closed; a closed ballot never reopens (a re-vote is a new ballot)."""

    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class RightKind(enum.StrEnum):
    """A delegation's own vote, or one it holds by proxy."""

    OWN = "own"
    PROXY = "proxy"


class BallotOutcome(enum.StrEnum):
    """What a closed ballot decided."""

    ADOPTED = "adopted"
    REJECTED = "rejected"
    NO_QUORUM = "no_quorum"
    ELECTED = "elected"
    SECOND_BALLOT_REQUIRED = "second_ballot_required"
    NONE_ELECTED = "none_elected"


_NULLABLE_JSON = JSONB(none_as_null=True)
"""JSONB where Python None is SQL NULL (not the JSON value null), so IS NULL checks hold."""


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    # Store the values (not the names) as a native PostgreSQL enum.
    return Enum(cls, name=name, values_callable=lambda members: [m.value for m in members])


class Ballot(UUIDv7AuditBase):
    """One vote of an assembly on one question, with its settings and its lifecycle."""

    __tablename__ = "ballot"
    __table_args__ = (
        CheckConstraint(
            "(status = 'draft' AND opened_at IS NULL AND closed_at IS NULL)"
            " OR (status = 'open' AND opened_at IS NOT NULL AND closed_at IS NULL)"
            " OR (status = 'closed' AND opened_at IS NOT NULL AND closed_at IS NOT NULL)",
            name="status_matches_times",
        ),
        CheckConstraint(
            "status = 'draft' OR (quorum_rule IS NOT NULL AND vote_change_allowed IS NOT NULL"
            " AND split_votes_allowed IS NOT NULL AND substitute_only_when_delegate_absent IS NOT NULL"
            " AND rule_set_version IS NOT NULL AND text_sha256 IS NOT NULL AND electorate_sha256 IS NOT NULL"
            " AND electorate_rights IS NOT NULL AND electorate_weight IS NOT NULL"
            " AND (subject_kind = 'election' OR majority_rule IS NOT NULL))",
            name="settings_fixed_when_opened",
        ),
        CheckConstraint("(subject_kind IN ('procedural', 'election')) = (subject_id IS NULL)",
                        name="subject_matches_kind"),
        CheckConstraint("(subject_kind = 'election') = (seats IS NOT NULL AND candidates IS NOT NULL)",
                        name="election_has_candidates"),
        CheckConstraint("subject_kind <> 'election' OR majority_rule IS NULL", name="election_has_no_majority"),
        CheckConstraint("seats IS NULL OR seats >= 1", name="seats_positive"),
        CheckConstraint("k_anonymity BETWEEN 1 AND 1000", name="k_anonymity_range"),
        CheckConstraint("(revote_of_id IS NULL) = (revote_reason IS NULL)", name="revote_has_reason"),
        CheckConstraint("runoff_of_id IS NULL OR (subject_kind = 'election' AND seats = 1)",
                        name="runoff_is_single_seat_election"),
        CheckConstraint("text_sha256 IS NULL OR text_sha256 ~ '^[0-9a-f]{64}$'", name="text_sha256_hex"),
        CheckConstraint("electorate_sha256 IS NULL OR electorate_sha256 ~ '^[0-9a-f]{64}$'",
                        name="electorate_sha256_hex"),
        Index("uq_ballot_one_open_per_subject", "subject_kind", "subject_id", unique=True,
              postgresql_where=text("status = 'open' AND subject_id IS NOT NULL")),
        Index("ix_ballot_assembly_id_status", "assembly_id", "status"),
    )

    assembly_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assembly.id"))
    """The assembly that votes."""

    subject_kind: Mapped[BallotSubjectKind] = mapped_column(_enum(BallotSubjectKind, "ballot_subject_kind"))
    """motion, amendment, motion_part, procedural or election."""

    subject_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    """The motion, amendment or motion part voted on (no foreign key: three tables of another domain);
    None for procedural questions and elections."""

    question: Mapped[str] = mapped_column(String(2000))
    """The question put to the vote, as the chair reads it."""

    options: Mapped[list[str]] = mapped_column(JSONB)
    """The options a vote may choose: yes, no, abstain; for elections the candidate keys and abstain."""

    candidates: Mapped[list[dict[str, str]] | None] = mapped_column(_NULLABLE_JSON, nullable=True)
    """Elections: ``[{"key", "name"}]`` in ballot-paper order; None otherwise."""

    seats: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """Elections: seats to fill; None otherwise."""

    weighted: Mapped[bool] = mapped_column(Boolean)
    """Weighted (each right counts its weight) or one member one vote (each right counts 1)."""

    secret: Mapped[bool] = mapped_column(Boolean)
    """Secret (counts only are ever published) or roll-call (each right's choice is published)."""

    k_anonymity: Mapped[int] = mapped_column(Integer, default=5, server_default=text("5"))
    """A secret weighted ballot opens only if every weight is held by at least k rights."""

    majority_rule: Mapped[dict[str, Any] | None] = mapped_column(_NULLABLE_JSON, nullable=True)
    """The majority rule document (``assembly.assemblies.rules.MajorityRule``); None in a draft means
    "the rule set's default", fixed at opening; always None for elections."""

    quorum_rule: Mapped[dict[str, Any] | None] = mapped_column(_NULLABLE_JSON, nullable=True)
    """The quorum rule of the rule set in force at opening (``QuorumRule``)."""

    vote_change_allowed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    """Fixed at opening from the rule set: a right may vote again until close, the last vote counts."""

    split_votes_allowed: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    """Fixed at opening: the rule set allows splits, the ballot is weighted, the rule is no double majority."""

    substitute_only_when_delegate_absent: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    """Fixed at opening from the rule set (UCLG Constitution Art 36)."""

    rule_set_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """The assembly's rule-set version in force when the ballot opened."""

    status: Mapped[BallotStatus] = mapped_column(_enum(BallotStatus, "ballot_status"), default=BallotStatus.DRAFT)
    """draft, open or closed."""

    opened_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    """Database time at which the ballot opened (after its row lock was taken)."""

    closed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    """Database time at which the ballot closed (after its row lock was taken)."""

    text_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """SHA-256 (hex) of the text voted on, fixed at opening (docs/ballots.md)."""

    electorate_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """SHA-256 (hex) of the electorate snapshot (docs/ballots.md)."""

    electorate_rights: Mapped[int | None] = mapped_column(Integer, nullable=True)
    """Eligible rights in the snapshot (M in heads)."""

    electorate_weight: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    """Their total weight (M in weight)."""

    revote_of_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ballot.id"), nullable=True, index=True)
    """The closed ballot this one votes again."""

    revote_reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    """Why the question is voted again (set exactly when ``revote_of_id`` is)."""

    runoff_of_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("ballot.id"), nullable=True, unique=True)
    """Elections: the first ballot this second ballot follows."""

    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    """Who created the ballot."""

    opened_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    """Who opened it."""

    closed_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    """Who closed it."""


class BallotRight(UUIDv7AuditBase):
    """One voting right of a ballot's electorate, frozen at opening (rows are never changed)."""

    __tablename__ = "ballot_right"
    __table_args__ = (
        UniqueConstraint("ballot_id", "delegation_id", name="uq_ballot_right_ballot_delegation"),
        # Target of the composite key that ties a vote to a right of its own ballot.
        UniqueConstraint("ballot_id", "id", name="uq_ballot_right_ballot_id_id"),
        Index("ix_ballot_right_ballot_holder", "ballot_id", "holder_delegation_id"),
        CheckConstraint("(kind = 'own') = (holder_delegation_id = delegation_id)", name="own_held_by_itself"),
        CheckConstraint("(kind = 'proxy') = (proxy_id IS NOT NULL)", name="proxy_right_names_proxy"),
        CheckConstraint("weight >= 0", name="weight_not_negative"),
        CheckConstraint("NOT eligible OR weight >= 1", name="eligible_weight_positive"),
        CheckConstraint("eligible OR kind = 'own'", name="ineligible_right_not_moved"),
    )

    ballot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ballot.id"))
    """The ballot."""

    delegation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("delegation.id"))
    """The delegation whose vote this is (the grantor, for a proxy right)."""

    holder_delegation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("delegation.id"))
    """The delegation that casts it: itself, or its proxy holder."""

    kind: Mapped[RightKind] = mapped_column(_enum(RightKind, "ballot_right_kind"))
    """own or proxy."""

    proxy_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("proxy.id"), nullable=True)
    """The proxy that moved the right to its holder."""

    weight: Mapped[int] = mapped_column(BigInteger)
    """What the right counts: 1 in a one-member-one-vote ballot, the delegation's weight in a weighted one."""

    eligible: Mapped[bool] = mapped_column(Boolean)
    """Whether the delegation held a vote at opening; an ineligible delegation's row records why not."""

    reasons: Mapped[list[str]] = mapped_column(JSONB, default=list)
    """Eligibility reason codes (docs/assemblies.md) of an ineligible delegation; empty when eligible."""


class Vote(UUIDv7AuditBase):
    """The current vote of one right (its last one, where changes are allowed)."""

    __tablename__ = "vote"
    __table_args__ = (
        UniqueConstraint("ballot_id", "right_id", name="uq_vote_ballot_right"),
        ForeignKeyConstraint(["ballot_id", "right_id"], ["ballot_right.ballot_id", "ballot_right.id"],
                             name="fk_vote_ballot_right"),
        CheckConstraint("(choice IS NULL) <> (split IS NULL)", name="choice_or_split"),
        CheckConstraint("revision >= 1", name="revision_positive"),
    )

    # No foreign key of its own: the composite key to ballot_right (whose ballot_id has one) covers it.
    ballot_id: Mapped[uuid.UUID] = mapped_column()
    """The ballot."""

    right_id: Mapped[uuid.UUID] = mapped_column()
    """The right voted (a row of ``ballot_right`` of the same ballot)."""

    choice: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """The option chosen with the whole weight; None for a split vote."""

    split: Mapped[dict[str, int] | None] = mapped_column(_NULLABLE_JSON, nullable=True)
    """A split vote: ``{option: part}``, two or more positive parts adding up to the right's weight."""

    revision: Mapped[int] = mapped_column(Integer)
    """1 for the first vote, +1 for each change."""

    cast_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    """The person who cast it."""

    cast_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    """Database time of the cast (after the ballot's row lock was taken)."""


class VoteChange(UUIDv7AuditBase):
    """Every vote ever cast, first votes and changes alike: append-only."""

    __tablename__ = "vote_change"
    __table_args__ = (
        UniqueConstraint("ballot_id", "right_id", "revision", name="uq_vote_change_ballot_right_revision"),
        ForeignKeyConstraint(["ballot_id", "right_id"], ["ballot_right.ballot_id", "ballot_right.id"],
                             name="fk_vote_change_ballot_right"),
        CheckConstraint("(choice IS NULL) <> (split IS NULL)", name="choice_or_split"),
        CheckConstraint("revision >= 1", name="revision_positive"),
    )

    ballot_id: Mapped[uuid.UUID] = mapped_column()
    """The ballot (covered by the composite key to ``ballot_right``)."""

    right_id: Mapped[uuid.UUID] = mapped_column()
    """The right voted; with ``ballot_id`` it names the ``vote`` row this record belongs to."""

    revision: Mapped[int] = mapped_column(Integer)
    """The vote's revision this record made."""

    choice: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """The option chosen, or None for a split."""

    split: Mapped[dict[str, int] | None] = mapped_column(_NULLABLE_JSON, nullable=True)
    """The split, or None."""

    cast_by_user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"))
    """Who cast it."""

    cast_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    """Database time of the cast."""


class BallotTurnout(CommonTableAttributes, AdvancedDeclarativeBase):
    """Turnout counters of a ballot, in a few shards so that concurrent casts rarely wait on one row.

    Turnout is the sum over the shards; a first vote adds to one shard in the cast's own transaction,
    a change adds nothing. The tally never reads these counters: it counts the votes.
    """

    __tablename__ = "ballot_turnout"
    __table_args__ = (
        CheckConstraint("rights >= 0 AND weight >= 0", name="counts_not_negative"),
    )

    ballot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ballot.id"), primary_key=True)
    """The ballot."""

    shard: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    """0 to 15."""

    rights: Mapped[int] = mapped_column(Integer)
    """Rights that have voted, counted in this shard."""

    weight: Mapped[int] = mapped_column(BigInteger)
    """Their weight."""


class BallotResult(UUIDv7AuditBase):
    """The tally of a closed ballot, computed once in the database and stored immutably."""

    __tablename__ = "ballot_result"

    ballot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("ballot.id"), unique=True)
    """The ballot."""

    outcome: Mapped[BallotOutcome] = mapped_column(_enum(BallotOutcome, "ballot_outcome"))
    """adopted, rejected or no_quorum; for elections elected, second_ballot_required, none_elected or no_quorum."""

    reason: Mapped[str] = mapped_column(String(64))
    """Why (``majority_reached``, ``tie``, ``no_quorum``, ``absolute_majority`` ... docs/ballots.md)."""

    rule: Mapped[str] = mapped_column(String(64))
    """The majority rule's kind, or the election rule applied."""

    unit: Mapped[str] = mapped_column(String(32))
    """What decided: heads, weight, or heads_and_weight."""

    base: Mapped[str] = mapped_column(String(32))
    """What the votes were compared with: votes_cast, present, membership, or valid_votes (elections)."""

    base_heads: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    """The base in heads, when the rule counted heads."""

    base_weight: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    """The base in weight, when the rule counted weight."""

    counts: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    """``[{"option", "heads", "weight"}]`` for every option of the ballot, in ballot order."""

    split_heads: Mapped[int] = mapped_column(Integer)
    """Rights that split their weight (in the weight counts, under no option in heads)."""

    present_heads: Mapped[int] = mapped_column(Integer)
    """Rights present at close (holder checked in, or voted)."""

    present_weight: Mapped[int] = mapped_column(BigInteger)
    """Their weight."""

    membership_heads: Mapped[int] = mapped_column(Integer)
    """Eligible rights of the electorate."""

    membership_weight: Mapped[int] = mapped_column(BigInteger)
    """Their weight."""

    weighted: Mapped[bool] = mapped_column(Boolean)
    """Whether the ballot counted weight."""

    quorum_kind: Mapped[str] = mapped_column(String(64))
    """The quorum-to-decide threshold's kind."""

    quorum_met: Mapped[bool] = mapped_column(Boolean)
    """Whether it was met."""

    quorum_arithmetic: Mapped[str] = mapped_column(Text)
    """The quorum comparison."""

    arithmetic: Mapped[str] = mapped_column(Text)
    """The comparison that decided the outcome, shown beside it."""

    majority_arithmetic: Mapped[str | None] = mapped_column(Text, nullable=True)
    """The majority's comparison (also when the quorum failed, for the record)."""

    election: Mapped[dict[str, Any] | None] = mapped_column(_NULLABLE_JSON, nullable=True)
    """Elections: elected, ranking, valid votes, blank, second-ballot candidates, lots drawn."""

    lot_seed: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """Elections: the seed any lot was drawn from (hex), derived from the closed ballot (docs/ballots.md)."""

    computed_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), server_default=func.now())
    """Database time of the transaction that closed the ballot."""
