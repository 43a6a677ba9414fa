"""Use cases of assemblies: create, edit, open, close, rule-set versions, roles, "my assemblies"."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.accounts.models import User
from assembly.assemblies.models import (
    Assembly,
    AssemblyRole,
    AssemblyRoleKind,
    AssemblyRuleSet,
    AssemblyStatus,
    BodyKind,
    DelegateRole,
    Delegation,
    DelegationMember,
)
from assembly.assemblies.rules import (
    RuleSet,
    decode_rule_set,
    default_rule_set,
    details_edit_refusal,
    encode_rule_set,
    rule_change_refusal,
    scheme_name,
    status_transition_refusal,
)
from assembly.assemblies.services._common import load_assembly, load_rules, raise_refusal, validate_rules
from assembly.assemblies.services.voting_rights import assess_assembly
from assembly.audit.services import record_event
from assembly.core.errors import Conflict, InvalidInput, NotFound
from assembly.core.security import Principal
from assembly.members.models import Member

__all__ = (
    "AssemblyDetails",
    "MyAssemblyEntry",
    "assign_role",
    "close_assembly",
    "create_assembly",
    "get_assembly",
    "list_assemblies",
    "list_rule_versions",
    "my_assemblies",
    "open_assembly",
    "remove_role",
    "replace_rules",
    "update_assembly",
)


@dataclass(frozen=True, slots=True)
class AssemblyDetails:
    """An assembly with its rules in force and its roles."""

    assembly: Assembly
    rules: RuleSet
    roles: list[AssemblyRole]


@dataclass(frozen=True, slots=True)
class MyAssemblyEntry:
    """An assembly where a user holds roles or sits in a delegation."""

    assembly: Assembly
    roles: list[AssemblyRoleKind]
    delegation: Delegation | None
    member: Member | None
    delegate_role: DelegateRole | None


def _check_dates(starts_on: date, ends_on: date) -> None:
    if ends_on < starts_on:
        raise InvalidInput.for_field("ends_on", f"must be on or after starts_on ({starts_on.isoformat()})",
                                     code="ends_before_start")


async def _details(session: AsyncSession, assembly: Assembly) -> AssemblyDetails:
    await session.flush()
    roles = list((await session.scalars(
        select(AssemblyRole).where(AssemblyRole.assembly_id == assembly.id)
        .order_by(AssemblyRole.role, AssemblyRole.user_id)
    )).all())
    return AssemblyDetails(assembly, await load_rules(session, assembly), roles)


async def _weights_summary(session: AsyncSession, assembly_id: uuid.UUID) -> dict[str, object]:
    """The weights table under the rules in force, summed up and pinned by its digest, for the audit trail."""
    await session.flush()
    assessment = await assess_assembly(session, assembly_id)
    return {
        "delegations": len(assessment.delegations),
        "eligible_delegations": assessment.eligible_count,
        "total_eligible_weight": assessment.total_eligible_weight,
        "weights_sha256": assessment.weights_sha256,
    }


async def create_assembly(
    session: AsyncSession,
    actor: Principal,
    *,
    name: str,
    body_kind: BodyKind,
    starts_on: date,
    ends_on: date,
    venue: str | None,
    rules: RuleSet | None,
) -> AssemblyDetails:
    """Create a planned assembly with rule-set version 1 (the UCLG defaults when ``rules`` is None).

    Refuses (422) a blank name, ``ends_on`` before ``starts_on`` (``ends_before_start``) and a rule
    set that fails the cross-field checks (``invalid_rules``, naming each field).
    """
    if not name.strip():
        raise InvalidInput.for_field("name", "must not be blank")
    _check_dates(starts_on, ends_on)
    rule_set = rules if rules is not None else default_rule_set()
    validate_rules(rule_set)
    assembly = Assembly(
        name=name.strip(),
        body_kind=body_kind,
        starts_on=starts_on,
        ends_on=ends_on,
        venue=venue.strip() if venue else None,
        status=AssemblyStatus.PLANNED,
        rule_set_version=1,
        created_by_user_id=actor.user_id,
    )
    session.add(assembly)
    await session.flush()
    session.add(AssemblyRuleSet(assembly_id=assembly.id, version=1, rules=encode_rule_set(rule_set),
                                reason=None, created_by_user_id=actor.user_id))
    await record_event(session, "assembly.created", assembly_id=assembly.id, subject_id=assembly.id,
                       actor_user_id=actor.user_id, payload={
                           "name": assembly.name,
                           "body_kind": str(body_kind),
                           "starts_on": starts_on.isoformat(),
                           "ends_on": ends_on.isoformat(),
                           "venue": assembly.venue,
                           "rule_set_version": 1,
                           "scheme": scheme_name(rule_set.weighting),
                           "rules": encode_rule_set(rule_set),
                       })
    return await _details(session, assembly)


async def get_assembly(session: AsyncSession, assembly_id: uuid.UUID) -> AssemblyDetails:
    """The assembly with its rules in force and its roles; 404 ``assembly_not_found``."""
    return await _details(session, await load_assembly(session, assembly_id))


async def list_assemblies(
    session: AsyncSession, *, status: AssemblyStatus | None, limit: int, offset: int
) -> tuple[list[Assembly], int]:
    """A page of assemblies, latest start first, and the total count matching ``status``."""
    condition = [] if status is None else [Assembly.status == status]
    total = await session.scalar(select(func.count()).select_from(Assembly).where(*condition)) or 0
    items = (await session.scalars(
        select(Assembly).where(*condition).order_by(Assembly.starts_on.desc(), Assembly.id).limit(limit).offset(offset)
    )).all()
    return list(items), total


async def update_assembly(
    session: AsyncSession,
    actor: Principal,
    assembly_id: uuid.UUID,
    *,
    name: str,
    starts_on: date,
    ends_on: date,
    venue: str | None,
) -> AssemblyDetails:
    """Replace name, dates and venue while the assembly is planned (409 ``assembly_not_planned`` after)."""
    assembly = await load_assembly(session, assembly_id, lock=True)
    refusal = details_edit_refusal(str(assembly.status))
    if refusal:
        raise_refusal(refusal)
    if not name.strip():
        raise InvalidInput.for_field("name", "must not be blank")
    _check_dates(starts_on, ends_on)
    assembly.name = name.strip()
    assembly.starts_on = starts_on
    assembly.ends_on = ends_on
    assembly.venue = venue.strip() if venue else None
    await record_event(session, "assembly.updated", assembly_id=assembly.id, subject_id=assembly.id,
                       actor_user_id=actor.user_id, payload={
                           "name": assembly.name,
                           "starts_on": starts_on.isoformat(),
                           "ends_on": ends_on.isoformat(),
                           "venue": assembly.venue,
                       })
    return await _details(session, assembly)


async def _transition(session: AsyncSession, actor: Principal, assembly_id: uuid.UUID,
                      target: AssemblyStatus) -> AssemblyDetails:
    assembly = await load_assembly(session, assembly_id, lock=True)
    refusal = status_transition_refusal(str(assembly.status), str(target))
    if refusal:
        raise_refusal(refusal)
    now = datetime.now(UTC)
    assembly.status = target
    if target == AssemblyStatus.OPEN:
        assembly.opened_at = now
    else:
        assembly.closed_at = now
    await record_event(session, f"assembly.{'opened' if target == AssemblyStatus.OPEN else 'closed'}",
                       assembly_id=assembly.id, subject_id=assembly.id, actor_user_id=actor.user_id,
                       payload={"status": str(target), "rule_set_version": assembly.rule_set_version})
    return await _details(session, assembly)


async def open_assembly(session: AsyncSession, actor: Principal, assembly_id: uuid.UUID) -> AssemblyDetails:
    """planned -> open (409 ``assembly_not_planned`` otherwise)."""
    return await _transition(session, actor, assembly_id, AssemblyStatus.OPEN)


async def close_assembly(session: AsyncSession, actor: Principal, assembly_id: uuid.UUID) -> AssemblyDetails:
    """open -> closed (409 ``assembly_not_open`` otherwise)."""
    return await _transition(session, actor, assembly_id, AssemblyStatus.CLOSED)


async def replace_rules(
    session: AsyncSession, actor: Principal, assembly_id: uuid.UUID, *, rules: RuleSet, reason: str | None
) -> AssemblyDetails:
    """Append a rule-set version and put it in force; never a silent change.

    Refused: a closed assembly (409 ``assembly_closed``); an open assembly without a reason (422
    ``reason_required``, field ``reason``); rules equal to those in force (409 ``rules_unchanged``);
    an invalid rule set (422 ``invalid_rules``). The audit event carries the version, the reason,
    the rules, and the weights table under them (counts, total eligible weight, SHA-256 digest).
    """
    assembly = await load_assembly(session, assembly_id, lock=True)
    refusal = rule_change_refusal(str(assembly.status), reason)
    if refusal:
        raise_refusal(refusal)
    validate_rules(rules)
    current = await load_rules(session, assembly)
    if encode_rule_set(current) == encode_rule_set(rules):
        raise Conflict("the rules are the same as those in force; no new version made", code="rules_unchanged")
    version = assembly.rule_set_version + 1
    session.add(AssemblyRuleSet(assembly_id=assembly.id, version=version, rules=encode_rule_set(rules),
                                reason=reason.strip() if reason else None, created_by_user_id=actor.user_id))
    assembly.rule_set_version = version
    await record_event(session, "assembly.rules_changed", assembly_id=assembly.id, subject_id=assembly.id,
                       actor_user_id=actor.user_id, payload={
                           "version": version,
                           "previous_version": version - 1,
                           "status": str(assembly.status),
                           "reason": reason.strip() if reason else None,
                           "scheme": scheme_name(rules.weighting),
                           "rules": encode_rule_set(rules),
                           **await _weights_summary(session, assembly.id),
                       })
    return await _details(session, assembly)


async def list_rule_versions(
    session: AsyncSession, assembly_id: uuid.UUID
) -> tuple[Assembly, list[tuple[AssemblyRuleSet, RuleSet]]]:
    """Every version of the assembly's rules, oldest first; 404 ``assembly_not_found``."""
    assembly = await load_assembly(session, assembly_id)
    rows = (await session.scalars(
        select(AssemblyRuleSet).where(AssemblyRuleSet.assembly_id == assembly_id).order_by(AssemblyRuleSet.version)
    )).all()
    return assembly, [(row, decode_rule_set(row.rules)) for row in rows]


async def assign_role(
    session: AsyncSession, actor: Principal, assembly_id: uuid.UUID, *, user_id: uuid.UUID, role: AssemblyRoleKind
) -> AssemblyRole:
    """Give ``user_id`` the role in the assembly (422 ``user_not_found``; 409 ``role_exists``)."""
    assembly = await load_assembly(session, assembly_id, lock=True)
    if await session.scalar(select(User.id).where(User.id == user_id)) is None:
        raise InvalidInput.for_field("user_id", "no user with this id", code="user_not_found")
    existing = await session.scalar(select(AssemblyRole.id).where(
        AssemblyRole.assembly_id == assembly.id, AssemblyRole.user_id == user_id, AssemblyRole.role == role))
    if existing is not None:
        raise Conflict(f"the user already holds the role {role} in this assembly", code="role_exists")
    row = AssemblyRole(assembly_id=assembly.id, user_id=user_id, role=role)
    session.add(row)
    await record_event(session, "assembly.role_assigned", assembly_id=assembly.id, subject_id=user_id,
                       actor_user_id=actor.user_id, payload={"user_id": str(user_id), "role": str(role)})
    await session.flush()
    return row


async def remove_role(
    session: AsyncSession, actor: Principal, assembly_id: uuid.UUID, *, user_id: uuid.UUID, role: AssemblyRoleKind
) -> None:
    """Take the role away (404 ``role_not_found`` when the user does not hold it)."""
    assembly = await load_assembly(session, assembly_id, lock=True)
    removed = (await session.execute(
        delete(AssemblyRole).where(AssemblyRole.assembly_id == assembly.id, AssemblyRole.user_id == user_id,
                                   AssemblyRole.role == role).returning(AssemblyRole.id)
    )).first()
    if removed is None:
        raise NotFound(f"the user does not hold the role {role} in this assembly", code="role_not_found")
    await record_event(session, "assembly.role_removed", assembly_id=assembly.id, subject_id=user_id,
                       actor_user_id=actor.user_id, payload={"user_id": str(user_id), "role": str(role)})


async def my_assemblies(session: AsyncSession, principal: Principal) -> list[MyAssemblyEntry]:
    """The assemblies where the caller holds a role or sits in a delegation, soonest start first."""
    role_rows = (await session.execute(
        select(AssemblyRole.assembly_id, AssemblyRole.role).where(AssemblyRole.user_id == principal.user_id)
    )).all()
    seat_rows = (await session.execute(
        select(DelegationMember.assembly_id, DelegationMember.role, Delegation, Member)
        .join(Delegation, Delegation.id == DelegationMember.delegation_id)
        .join(Member, Member.id == Delegation.member_id)
        .where(DelegationMember.user_id == principal.user_id)
    )).all()
    roles: dict[uuid.UUID, list[AssemblyRoleKind]] = {}
    for assembly_id, role in role_rows:
        roles.setdefault(assembly_id, []).append(role)
    seats = {assembly_id: (role, delegation, member) for assembly_id, role, delegation, member in seat_rows}
    ids = set(roles) | set(seats)
    if not ids:
        return []
    assemblies = (await session.scalars(
        select(Assembly).where(Assembly.id.in_(ids)).order_by(Assembly.starts_on, Assembly.id)
    )).all()
    entries: list[MyAssemblyEntry] = []
    for assembly in assemblies:
        seat = seats.get(assembly.id)
        entries.append(MyAssemblyEntry(
            assembly=assembly,
            roles=sorted(roles.get(assembly.id, []), key=str),
            delegation=seat[1] if seat else None,
            member=seat[2] if seat else None,
            delegate_role=seat[0] if seat else None,
        ))
    return entries
