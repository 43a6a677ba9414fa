"""Assembly tables: assemblies, rule-set versions, roles, delegations, delegates, attendance, proxies.

Invariants the schema holds by itself (so a race or a bug cannot break them):

- an assembly's dates are ordered, its status agrees with its opened/closed times, and it points at
  an existing version of its own rule set (composite foreign key, checked at commit);
- one delegation per member per assembly; a user is a delegate in at most one delegation of an
  assembly (``delegation_member`` carries the assembly id, UNIQUE (assembly_id, user_id)), and its
  assembly id is its delegation's (composite foreign key); at most one head per delegation;
- the designated voter is one of the delegation's delegates (composite foreign key, checked at commit);
- a proxy joins two different delegations of its own assembly; a grantor has at most one live proxy
  per scope (the whole assembly, or one ballot).
"""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from typing import Any

from advanced_alchemy.base import UUIDv7AuditBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
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
    "Assembly",
    "AssemblyRole",
    "AssemblyRoleKind",
    "AssemblyRuleSet",
    "AssemblyStatus",
    "AttendanceEvent",
    "AttendanceKind",
    "BodyKind",
    "CredentialsStatus",
    "DelegateRole",
    "Delegation",
    "DelegationMember",
    "Proxy",
)


class BodyKind(enum.StrEnum):
    """Which body meets (UCLG Constitution Arts 33-41; the GTF World Assembly)."""

    GENERAL_ASSEMBLY = "general_assembly"
    WORLD_COUNCIL = "world_council"
    EXECUTIVE_BUREAU = "executive_bureau"
    WORLD_ASSEMBLY = "world_assembly"
    OTHER = "other"


class AssemblyStatus(enum.StrEnum):
    """planned -> open -> closed."""

    PLANNED = "planned"
    OPEN = "open"
    CLOSED = "closed"


class AssemblyRoleKind(enum.StrEnum):
    """Roles held for one assembly (the secretariat's admin role is global)."""

    CHAIR = "chair"
    AUDITOR = "auditor"


class CredentialsStatus(enum.StrEnum):
    """The credentials process's decision on a delegation."""

    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class DelegateRole(enum.StrEnum):
    """A person's place in a delegation (UCLG Constitution Art 36: delegate and substitute)."""

    HEAD = "head"
    DELEGATE = "delegate"
    SUBSTITUTE = "substitute"


class AttendanceKind(enum.StrEnum):
    """An attendance event."""

    CHECK_IN = "check_in"
    CHECK_OUT = "check_out"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    # Store the values (not the names) as a native PostgreSQL enum.
    return Enum(cls, name=name, values_callable=lambda members: [m.value for m in members])


class Assembly(UUIDv7AuditBase):
    """One meeting of a body, with its current rule-set version."""

    __tablename__ = "assembly"
    __table_args__ = (
        CheckConstraint("starts_on <= ends_on", name="dates_ordered"),
        CheckConstraint("rule_set_version >= 1", name="rule_set_version_positive"),
        CheckConstraint(
            "(status = 'planned' AND opened_at IS NULL AND closed_at IS NULL)"
            " OR (status = 'open' AND opened_at IS NOT NULL AND closed_at IS NULL)"
            " OR (status = 'closed' AND opened_at IS NOT NULL AND closed_at IS NOT NULL)",
            name="status_matches_times",
        ),
        # The current version must exist; checked at commit because the assembly and its first
        # version are inserted in one transaction and each refers to the other.
        ForeignKeyConstraint(
            ["id", "rule_set_version"],
            ["assembly_rule_set.assembly_id", "assembly_rule_set.version"],
            name="fk_assembly_current_rule_set",
            use_alter=True,
            deferrable=True,
            initially="DEFERRED",
        ),
    )

    name: Mapped[str] = mapped_column(String(200))
    """Name shown everywhere (e.g. "World Council 2026, Barcelona")."""

    body_kind: Mapped[BodyKind] = mapped_column(_enum(BodyKind, "assembly_body_kind"))
    """Which body meets."""

    starts_on: Mapped[date] = mapped_column(Date)
    """First day; the fees rule counts from its year."""

    ends_on: Mapped[date] = mapped_column(Date)
    """Last day (on or after ``starts_on``)."""

    venue: Mapped[str | None] = mapped_column(String(200), nullable=True)
    """Where it meets, if known."""

    status: Mapped[AssemblyStatus] = mapped_column(
        _enum(AssemblyStatus, "assembly_status"), default=AssemblyStatus.PLANNED, index=True
    )
    """planned, open or closed."""

    rule_set_version: Mapped[int] = mapped_column(Integer)
    """The version of ``assembly_rule_set`` in force."""

    opened_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    """When the secretariat opened it."""

    closed_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    """When the secretariat closed it."""

    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    """Who created it."""


class AssemblyRuleSet(UUIDv7AuditBase):
    """One version of an assembly's rules; versions are appended, never changed."""

    __tablename__ = "assembly_rule_set"
    __table_args__ = (
        UniqueConstraint("assembly_id", "version", name="uq_assembly_rule_set_assembly_version"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    assembly_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assembly.id"))
    """The assembly these rules govern."""

    version: Mapped[int] = mapped_column(Integer)
    """1, 2, 3 ... in the order the versions were made."""

    rules: Mapped[dict[str, Any]] = mapped_column(JSONB)
    """The rule set document (``assembly.assemblies.rules.RuleSet``)."""

    reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    """Why the rules changed (required once the assembly is open)."""

    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    """Who made this version."""


class AssemblyRole(UUIDv7AuditBase):
    """A user's role (chair, auditor) in one assembly."""

    __tablename__ = "assembly_role"
    __table_args__ = (UniqueConstraint("assembly_id", "user_id", "role", name="uq_assembly_role_assembly_user_role"),)

    assembly_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assembly.id"))
    """The assembly."""

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), index=True)
    """Who holds the role."""

    role: Mapped[AssemblyRoleKind] = mapped_column(_enum(AssemblyRoleKind, "assembly_role_kind"))
    """chair or auditor."""


class Delegation(UUIDv7AuditBase):
    """A member's presence at one assembly: credentials, delegates, designated voter, attendance."""

    __tablename__ = "delegation"
    __table_args__ = (
        UniqueConstraint("assembly_id", "member_id", name="uq_delegation_assembly_member"),
        # Target of the composite keys that tie delegates and proxies to the delegation's assembly.
        UniqueConstraint("assembly_id", "id", name="uq_delegation_assembly_id_id"),
        CheckConstraint("(credentials_status = 'rejected') = (credentials_reason IS NOT NULL)",
                        name="rejection_has_reason"),
        CheckConstraint("(credentials_status = 'submitted') = (credentials_decided_at IS NULL)",
                        name="decision_has_time"),
        # The designated voter is one of the delegation's delegates; checked at commit so that the
        # delegates can be replaced within the transaction.
        ForeignKeyConstraint(
            ["id", "designated_voter_user_id"],
            ["delegation_member.delegation_id", "delegation_member.user_id"],
            name="fk_delegation_designated_voter_is_delegate",
            use_alter=True,
            deferrable=True,
            initially="DEFERRED",
        ),
    )

    # No index of its own: UNIQUE (assembly_id, member_id) serves lookups by assembly.
    assembly_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("assembly.id"))
    """The assembly."""

    member_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("member.id"), index=True)
    """The member it represents."""

    credentials_status: Mapped[CredentialsStatus] = mapped_column(
        _enum(CredentialsStatus, "credentials_status"), default=CredentialsStatus.SUBMITTED
    )
    """submitted, accepted or rejected."""

    credentials_reason: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    """Why the credentials were rejected (set exactly when rejected)."""

    credentials_decided_by_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("user_account.id"), nullable=True
    )
    """Who accepted or rejected the credentials last."""

    credentials_decided_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    """When the credentials were last decided."""

    designated_voter_user_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    """The delegate who casts the delegation's vote (besides the head)."""

    checked_in: Mapped[bool] = mapped_column(Boolean, default=False, server_default=text("false"))
    """Present now (the last attendance event was a check-in)."""


class DelegationMember(UUIDv7AuditBase):
    """A person in a delegation, with a role."""

    __tablename__ = "delegation_member"
    __table_args__ = (
        UniqueConstraint("assembly_id", "user_id", name="uq_delegation_member_assembly_user"),
        UniqueConstraint("delegation_id", "user_id", name="uq_delegation_member_delegation_user"),
        ForeignKeyConstraint(
            ["assembly_id", "delegation_id"],
            ["delegation.assembly_id", "delegation.id"],
            name="fk_delegation_member_delegation",
        ),
        Index("uq_delegation_member_one_head", "delegation_id", unique=True,
              postgresql_where=text("role = 'head'")),
    )

    delegation_id: Mapped[uuid.UUID] = mapped_column()
    """The delegation."""

    assembly_id: Mapped[uuid.UUID] = mapped_column()
    """The delegation's assembly, copied so that one user sits in one delegation per assembly."""

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id"), index=True)
    """The person."""

    role: Mapped[DelegateRole] = mapped_column(_enum(DelegateRole, "delegate_role"))
    """head, delegate or substitute."""


class AttendanceEvent(UUIDv7AuditBase):
    """A check-in or check-out of a delegation, timestamped by the database."""

    __tablename__ = "attendance_event"

    delegation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("delegation.id"), index=True)
    """The delegation."""

    kind: Mapped[AttendanceKind] = mapped_column(_enum(AttendanceKind, "attendance_kind"))
    """check_in or check_out."""

    at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), server_default=func.now())
    """Database time of the transaction that recorded it."""

    recorded_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    """Who recorded it (the secretariat or the chair)."""


class Proxy(UUIDv7AuditBase):
    """Delegation A (grantor) authorizes delegation B (holder) to vote for it, for the assembly or one ballot."""

    __tablename__ = "proxy"
    __table_args__ = (
        CheckConstraint("grantor_delegation_id <> holder_delegation_id", name="not_to_self"),
        CheckConstraint("(revoked_at IS NULL) = (revoked_by_user_id IS NULL)", name="revocation_has_actor"),
        ForeignKeyConstraint(
            ["assembly_id", "grantor_delegation_id"],
            ["delegation.assembly_id", "delegation.id"],
            name="fk_proxy_grantor_delegation",
        ),
        ForeignKeyConstraint(
            ["assembly_id", "holder_delegation_id"],
            ["delegation.assembly_id", "delegation.id"],
            name="fk_proxy_holder_delegation",
        ),
        Index("uq_proxy_live_for_assembly", "grantor_delegation_id", unique=True,
              postgresql_where=text("ballot_id IS NULL AND revoked_at IS NULL")),
        Index("uq_proxy_live_for_ballot", "grantor_delegation_id", "ballot_id", unique=True,
              postgresql_where=text("ballot_id IS NOT NULL AND revoked_at IS NULL")),
        Index("ix_proxy_holder_delegation_id", "holder_delegation_id"),
    )

    assembly_id: Mapped[uuid.UUID] = mapped_column(index=True)
    """The assembly of both delegations."""

    grantor_delegation_id: Mapped[uuid.UUID] = mapped_column()
    """A: the delegation whose vote is given."""

    holder_delegation_id: Mapped[uuid.UUID] = mapped_column()
    """B: the delegation that votes for A."""

    ballot_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    """The one ballot the proxy is for; None for the whole assembly (no foreign key yet: ballots)."""

    created_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    """Who granted it."""

    revoked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    """When it was revoked; None while live."""

    revoked_by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("user_account.id"), nullable=True)
    """Who revoked it."""
