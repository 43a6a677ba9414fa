"""Weights, eligibility and voting rights of an assembly's delegations; assembly roles of users.

These functions are the service API later domains build on (ballots snapshot :func:`compute_voting_rights`
at opening; quorum calls use :func:`assess_assembly` with attendance). They only read.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.assemblies.models import (
    Assembly,
    AssemblyRoleKind,
    CredentialsStatus,
    DelegateRole,
    Delegation,
    DelegationMember,
    Proxy,
)
from assembly.assemblies.models import AssemblyRole as AssemblyRoleRow
from assembly.assemblies.rules import (
    BasicPlusProportional,
    Eligibility,
    MemberQuantities,
    Reason,
    RuleSet,
    Weight,
    assess_eligibility,
    compute_weights,
    weights_digest,
)
from assembly.assemblies.services._common import load_assembly, load_rules
from assembly.core.errors import Forbidden
from assembly.core.security import Principal
from assembly.members.models import Member

__all__ = (
    "AssemblyAssessment",
    "DelegationAssessment",
    "UserDelegation",
    "VotingRight",
    "assess_assembly",
    "compute_voting_rights",
    "delegation_of_user",
    "membership_totals",
    "require_assembly_role",
)


@dataclass(frozen=True, slots=True)
class DelegationAssessment:
    """One delegation with its member, its weight (with derivation) and its eligibility (with reasons)."""

    delegation: Delegation
    member: Member
    weight: Weight
    eligibility: Eligibility


@dataclass(frozen=True, slots=True)
class AssemblyAssessment:
    """Every delegation of an assembly assessed under the rule set in force."""

    assembly: Assembly
    rule_set_version: int
    rules: RuleSet
    delegations: list[DelegationAssessment]
    """In member-name order."""

    def get(self, delegation_id: uuid.UUID) -> DelegationAssessment | None:
        """The assessment of one delegation, or None if it is not of this assembly."""
        for item in self.delegations:
            if item.delegation.id == delegation_id:
                return item
        return None

    @property
    def total_eligible_weight(self) -> int:
        """Sum of the weights of the eligible delegations."""
        return sum(item.weight.weight for item in self.delegations if item.eligibility.eligible)

    @property
    def eligible_count(self) -> int:
        """Number of eligible delegations."""
        return sum(1 for item in self.delegations if item.eligibility.eligible)

    @property
    def weights_sha256(self) -> str:
        """Digest of the weights table (:func:`assembly.assemblies.rules.weights_digest`)."""
        return weights_digest((i.delegation.id, i.weight.weight, i.eligibility.eligible) for i in self.delegations)


@dataclass(frozen=True, slots=True)
class VotingRight:
    """A delegation's vote in a ballot: whose it is, who casts it, its weight, and whether it counts."""

    delegation_id: uuid.UUID
    """The delegation the right belongs to."""
    holder_delegation_id: uuid.UUID
    """The delegation that casts it: itself, or its proxy holder."""
    kind: Literal["own", "proxy"]
    proxy_id: uuid.UUID | None
    """The proxy that moved the right, for ``kind == "proxy"``."""
    weight: int
    derivation: str
    eligible: bool
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class UserDelegation:
    """Where a user sits in an assembly: the delegation, their role, whether they are its designated voter."""

    delegation_id: uuid.UUID
    member_id: uuid.UUID
    role: DelegateRole
    is_designated_voter: bool


def assess_delegations(
    assembly: Assembly,
    rules: RuleSet,
    rows: Iterable[tuple[Delegation, Member]],
    *,
    membership: tuple[int, int] | None = None,
) -> list[DelegationAssessment]:
    """Weigh and assess ``rows``: every delegation of the assembly, or some of them with ``membership``.

    ``membership`` = (n, Q) of the whole assembly, which the basic-plus-proportional scheme needs
    when ``rows`` are not all the delegations (see :func:`membership_totals`).
    """
    pairs = list(rows)
    weights = compute_weights(
        rules.weighting,
        [MemberQuantities(population=m.population, membership_category=m.membership_category) for _, m in pairs],
        membership=membership,
    )
    assessed: list[DelegationAssessment] = []
    for (delegation, member), weight in zip(pairs, weights, strict=True):
        eligibility = assess_eligibility(
            rules.eligibility,
            assembly_starts_on=assembly.starts_on,
            credentials_status=str(delegation.credentials_status),
            member_kind=str(member.kind),
            member_status=str(member.status),
            fees_paid_through=member.fees_paid_through,
            weight=weight,
        )
        assessed.append(DelegationAssessment(delegation, member, weight, eligibility))
    return assessed


async def membership_totals(session: AsyncSession, assembly_id: uuid.UUID, rules: RuleSet) -> tuple[int, int] | None:
    """(n, Q) of the assembly for the basic-plus-proportional scheme, summed by the database; else None.

    n counts every delegation registered for the assembly; Q sums floor(population / unit) over
    them (integer division, an unknown population counting 0), exactly as the pure rule does.
    """
    scheme = rules.weighting
    if not isinstance(scheme, BasicPlusProportional):
        return None
    row = (await session.execute(
        select(func.count(), func.coalesce(func.sum(func.coalesce(Member.population, 0) // scheme.unit), 0))
        .select_from(Delegation).join(Member, Member.id == Delegation.member_id)
        .where(Delegation.assembly_id == assembly_id)
    )).one()
    return int(row[0]), int(row[1])


async def assess_assembly(
    session: AsyncSession,
    assembly_id: uuid.UUID,
    *,
    delegation_ids: Collection[uuid.UUID] | None = None,
    credentials_status: CredentialsStatus | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> AssemblyAssessment:
    """Delegations' weights (with derivation) and eligibility (with reasons) under the rules in force.

    Without arguments: every delegation of the assembly, in member-name order. ``delegation_ids``,
    ``credentials_status``, ``limit`` and ``offset`` select some of them (in SQL), and the weights
    stay those of the whole assembly: the scheme is computed over every delegation registered for
    it, whatever its credentials (the membership n and total Q of the basic-plus-proportional
    scheme); eligibility then says which of them hold a vote. Raises 404 ``assembly_not_found``.
    """
    assembly = await load_assembly(session, assembly_id)
    rules = await load_rules(session, assembly)
    statement = (
        select(Delegation, Member)
        .join(Member, Member.id == Delegation.member_id)
        .where(Delegation.assembly_id == assembly_id)
        .order_by(Member.name, Delegation.id)
    )
    partial = delegation_ids is not None or credentials_status is not None or limit is not None or offset > 0
    if delegation_ids is not None:
        statement = statement.where(Delegation.id.in_(list(delegation_ids)))
    if credentials_status is not None:
        statement = statement.where(Delegation.credentials_status == credentials_status)
    if limit is not None:
        statement = statement.limit(limit)
    if offset:
        statement = statement.offset(offset)
    rows = await session.execute(statement)
    membership = await membership_totals(session, assembly_id, rules) if partial else None
    return AssemblyAssessment(assembly, assembly.rule_set_version, rules,
                              assess_delegations(assembly, rules, rows, membership=membership))


async def compute_voting_rights(
    session: AsyncSession, assembly_id: uuid.UUID, ballot_id: uuid.UUID | None = None
) -> list[VotingRight]:
    """One voting right per delegation of the assembly, honouring live proxies.

    A live proxy for the whole assembly, or for ``ballot_id`` when given, moves the grantor's right
    to the holder (``kind="proxy"``) when both delegations are eligible now; otherwise the right
    stays with its delegation (``kind="own"``), so a proxy to a delegation that has since lost its
    vote does not swallow the grantor's. Ineligible delegations are included with ``eligible=False``
    and their reasons: the caller keeps the eligible ones. Raises 404 ``assembly_not_found``.
    """
    assessment = await assess_assembly(session, assembly_id)
    scope: ColumnElement[bool] = Proxy.ballot_id.is_(None)
    if ballot_id is not None:
        scope = or_(scope, Proxy.ballot_id == ballot_id)
    proxies = (
        await session.scalars(
            select(Proxy).where(Proxy.assembly_id == assembly_id, Proxy.revoked_at.is_(None), scope)
            .order_by(Proxy.ballot_id.is_(None), Proxy.id)  # a ballot's own proxy before an assembly-wide one
        )
    ).all()
    given: dict[uuid.UUID, Proxy] = {}
    for proxy in proxies:
        given.setdefault(proxy.grantor_delegation_id, proxy)
    eligible = {item.delegation.id for item in assessment.delegations if item.eligibility.eligible}
    rights: list[VotingRight] = []
    for item in assessment.delegations:
        delegation_id = item.delegation.id
        live = given.get(delegation_id)
        moved = (live if live is not None and delegation_id in eligible and live.holder_delegation_id in eligible
                 else None)
        rights.append(VotingRight(
            delegation_id=delegation_id,
            holder_delegation_id=moved.holder_delegation_id if moved else delegation_id,
            kind="proxy" if moved else "own",
            proxy_id=moved.id if moved else None,
            weight=item.weight.weight,
            derivation=item.weight.derivation,
            eligible=item.eligibility.eligible,
            reasons=item.eligibility.reasons,
        ))
    return rights


async def require_assembly_role(
    session: AsyncSession,
    principal: Principal,
    assembly_id: uuid.UUID,
    roles: Collection[AssemblyRoleKind],
    *,
    allow_admin: bool = True,
) -> None:
    """Pass when ``principal`` holds one of ``roles`` in the assembly (or is the secretariat); else 403.

    One query. Raises Forbidden with code ``assembly_role_required``.
    """
    if allow_admin and principal.is_admin:
        return
    held = await session.scalar(select(exists().where(
        AssemblyRoleRow.assembly_id == assembly_id,
        AssemblyRoleRow.user_id == principal.user_id,
        AssemblyRoleRow.role.in_(list(roles)),
    )))
    if not held:
        names = " or ".join(sorted(str(role) for role in roles))
        raise Forbidden(f"only the {names} of this assembly or the secretariat may do this",
                        code="assembly_role_required")


async def delegation_of_user(
    session: AsyncSession, assembly_id: uuid.UUID, user_id: uuid.UUID
) -> UserDelegation | None:
    """The delegation ``user_id`` sits in at the assembly (there is at most one), or None."""
    row = (
        await session.execute(
            select(DelegationMember.delegation_id, DelegationMember.role, Delegation.member_id,
                   Delegation.designated_voter_user_id)
            .join(Delegation, Delegation.id == DelegationMember.delegation_id)
            .where(DelegationMember.assembly_id == assembly_id, DelegationMember.user_id == user_id)
        )
    ).first()
    if row is None:
        return None
    return UserDelegation(
        delegation_id=row.delegation_id,
        member_id=row.member_id,
        role=row.role,
        is_designated_voter=row.designated_voter_user_id == user_id,
    )
