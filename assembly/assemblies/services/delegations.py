"""Use cases of delegations: registration, credentials, delegates, attendance, and reading them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.accounts.models import User
from assembly.assemblies.models import (
    AssemblyRoleKind,
    AttendanceEvent,
    AttendanceKind,
    CredentialsStatus,
    DelegateRole,
    Delegation,
    DelegationMember,
    Proxy,
)
from assembly.assemblies.rules import (
    assembly_change_refusal,
    attendance_refusal,
    credentials_refusal,
    delegates_refusal,
)
from assembly.assemblies.services._common import (
    constraint_name,
    load_assembly,
    load_delegation,
    raise_refusal,
)
from assembly.assemblies.services.voting_rights import (
    AssemblyAssessment,
    DelegationAssessment,
    assess_assembly,
    require_assembly_role,
)
from assembly.audit.services import record_event
from assembly.core.errors import Conflict, Forbidden, InvalidInput
from assembly.core.security import Principal
from assembly.live.services import emit
from assembly.members.models import Member

__all__ = (
    "DelegateEntry",
    "DelegationView",
    "accept_credentials",
    "assembly_weights",
    "check_in",
    "check_out",
    "get_delegation",
    "list_delegations",
    "register_delegation",
    "reject_credentials",
    "replace_delegates",
)


@dataclass(frozen=True, slots=True)
class DelegateEntry:
    """A person of a delegation, with the name to show."""

    user_id: uuid.UUID
    full_name: str
    role: DelegateRole


@dataclass(frozen=True, slots=True)
class DelegationView:
    """Everything the API shows about one delegation."""

    assessment: DelegationAssessment
    rule_set_version: int
    delegates: list[DelegateEntry]
    proxies_held: list[Proxy]
    proxies_given: list[Proxy]


def _assessment_payload(item: DelegationAssessment) -> dict[str, object]:
    return {
        "weight": item.weight.weight,
        "eligible": item.eligibility.eligible,
        "reasons": [reason.code for reason in item.eligibility.reasons],
    }


async def _view(session: AsyncSession, delegation: Delegation) -> DelegationView:
    """Flush pending changes and read back everything the API shows about ``delegation``."""
    await session.flush()
    delegation_id = delegation.id
    assessment = await assess_assembly(session, delegation.assembly_id, delegation_ids=[delegation_id])
    item = assessment.get(delegation_id)
    assert item is not None  # the delegation belongs to this assembly
    people = (await session.execute(
        select(DelegationMember.user_id, User.full_name, DelegationMember.role)
        .join(User, User.id == DelegationMember.user_id)
        .where(DelegationMember.delegation_id == delegation_id)
        .order_by(DelegationMember.role, User.full_name, User.id)
    )).all()
    proxies = (await session.scalars(
        select(Proxy)
        .where((Proxy.grantor_delegation_id == delegation_id) | (Proxy.holder_delegation_id == delegation_id))
        .order_by(Proxy.created_at, Proxy.id)
    )).all()
    return DelegationView(
        assessment=item,
        rule_set_version=assessment.rule_set_version,
        delegates=[DelegateEntry(user_id, name, role) for user_id, name, role in people],
        proxies_held=[p for p in proxies if p.holder_delegation_id == delegation_id],
        proxies_given=[p for p in proxies if p.grantor_delegation_id == delegation_id],
    )


async def _refuse_if_closed(session: AsyncSession, delegation: Delegation) -> None:
    """Refuse (409 ``assembly_closed``) a change to a delegation of a closed assembly."""
    assembly = await load_assembly(session, delegation.assembly_id)
    refusal = assembly_change_refusal(str(assembly.status))
    if refusal:
        raise_refusal(refusal)


async def get_delegation(session: AsyncSession, delegation_id: uuid.UUID) -> DelegationView:
    """The delegation with weight, derivation, eligibility, people and proxies; 404 ``delegation_not_found``."""
    return await _view(session, await load_delegation(session, delegation_id))


async def list_delegations(
    session: AsyncSession,
    assembly_id: uuid.UUID,
    *,
    credentials_status: CredentialsStatus | None,
    eligible: bool | None,
    limit: int,
    offset: int,
) -> tuple[list[DelegationAssessment], int]:
    """A page of the assembly's delegations (member-name order) and the total matching the filters.

    Without the ``eligible`` filter the page is cut in SQL. Eligibility is computed, so with it the
    whole assembly is assessed before the page is cut (one pass over its delegations).
    """
    if eligible is None:
        total = await session.scalar(select(func.count()).select_from(Delegation).where(
            Delegation.assembly_id == assembly_id,
            *([] if credentials_status is None else [Delegation.credentials_status == credentials_status]),
        )) or 0
        page = await assess_assembly(session, assembly_id, credentials_status=credentials_status,
                                     limit=limit, offset=offset)
        return page.delegations, total
    assessment = await assess_assembly(session, assembly_id, credentials_status=credentials_status)
    matching = [item for item in assessment.delegations if item.eligibility.eligible == eligible]
    return matching[offset:offset + limit], len(matching)


async def assembly_weights(
    session: AsyncSession, assembly_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[AssemblyAssessment, list[DelegationAssessment]]:
    """The whole assessment (for the totals and the digest) and one page of it; 404 ``assembly_not_found``."""
    assessment = await assess_assembly(session, assembly_id)
    return assessment, assessment.delegations[offset:offset + limit]


async def register_delegation(
    session: AsyncSession, actor: Principal, assembly_id: uuid.UUID, *, member_id: uuid.UUID
) -> DelegationView:
    """Register the member's delegation with credentials ``submitted``.

    Refused: a closed assembly (409 ``assembly_closed``), an unknown member (422 ``member_not_found``,
    field ``member_id``), a member already registered (409 ``delegation_exists``).
    """
    assembly = await load_assembly(session, assembly_id, lock=True)
    refusal = assembly_change_refusal(str(assembly.status))
    if refusal:
        raise_refusal(refusal)
    if await session.scalar(select(Member.id).where(Member.id == member_id)) is None:
        raise InvalidInput.for_field("member_id", "no member with this id", code="member_not_found")
    existing = await session.scalar(
        select(Delegation.id).where(Delegation.assembly_id == assembly.id, Delegation.member_id == member_id)
    )
    if existing is not None:
        raise Conflict(f"the member already has a delegation at this assembly ({existing})", code="delegation_exists")
    delegation = Delegation(assembly_id=assembly.id, member_id=member_id,
                            credentials_status=CredentialsStatus.SUBMITTED, checked_in=False)
    session.add(delegation)
    await session.flush()
    view = await _view(session, delegation)
    await record_event(session, "delegation.registered", assembly_id=assembly.id, subject_id=delegation.id,
                       actor_user_id=actor.user_id, payload={
                           "member_id": str(member_id),
                           "credentials_status": "submitted",
                           **_assessment_payload(view.assessment),
                       })
    return view


async def _decide_credentials(
    session: AsyncSession, actor: Principal, delegation_id: uuid.UUID,
    target: Literal["accepted", "rejected"], reason: str | None,
) -> DelegationView:
    delegation = await load_delegation(session, delegation_id, lock=True)
    await _refuse_if_closed(session, delegation)
    refusal = credentials_refusal(str(delegation.credentials_status), target)
    if refusal:
        raise_refusal(refusal)
    previous = str(delegation.credentials_status)
    delegation.credentials_status = CredentialsStatus(target)
    delegation.credentials_reason = reason
    delegation.credentials_decided_by_user_id = actor.user_id
    delegation.credentials_decided_at = datetime.now(UTC)
    view = await _view(session, delegation)
    await record_event(session, f"delegation.credentials_{target}", assembly_id=delegation.assembly_id,
                       subject_id=delegation.id, actor_user_id=actor.user_id, payload={
                           "previous_status": previous,
                           "credentials_status": target,
                           "reason": reason,
                           **_assessment_payload(view.assessment),
                       })
    return view


async def accept_credentials(session: AsyncSession, actor: Principal, delegation_id: uuid.UUID) -> DelegationView:
    """Accept the credentials (409 ``credentials_already_accepted``, ``assembly_closed``).

    Acceptance never looks at fees: a member in arrears is accredited and may speak, but holds no
    vote (eligibility reason ``fees_in_arrears``).
    """
    return await _decide_credentials(session, actor, delegation_id, "accepted", None)


async def reject_credentials(
    session: AsyncSession, actor: Principal, delegation_id: uuid.UUID, *, reason: str
) -> DelegationView:
    """Reject the credentials with a reason (422 blank reason; 409 ``credentials_already_rejected``)."""
    if not reason.strip():
        raise InvalidInput.for_field("reason", "must not be blank")
    return await _decide_credentials(session, actor, delegation_id, "rejected", reason.strip())


async def _require_head_or_admin(session: AsyncSession, actor: Principal, delegation_id: uuid.UUID) -> None:
    if actor.is_admin:
        return
    head = await session.scalar(select(DelegationMember.id).where(
        DelegationMember.delegation_id == delegation_id,
        DelegationMember.user_id == actor.user_id,
        DelegationMember.role == DelegateRole.HEAD,
    ))
    if head is None:
        raise Forbidden("only the head of this delegation or the secretariat may change its delegates",
                        code="not_delegation_head")


async def _delegate_elsewhere(
    session: AsyncSession, delegation: Delegation, user_ids: Sequence[uuid.UUID]
) -> uuid.UUID | None:
    return await session.scalar(select(DelegationMember.user_id).where(
        DelegationMember.assembly_id == delegation.assembly_id,
        DelegationMember.delegation_id != delegation.id,
        DelegationMember.user_id.in_(list(user_ids)),
    ).limit(1))


def _in_other_delegation(user_ids: Sequence[uuid.UUID], user_id: uuid.UUID) -> Conflict:
    index = list(user_ids).index(user_id)
    field = f"delegates[{index}].user_id"
    message = "this user is already a delegate in another delegation of this assembly"
    return Conflict(f"{field}: {message}", code="delegate_in_other_delegation",
                    errors=[{"field": field, "message": message}])


async def replace_delegates(
    session: AsyncSession,
    actor: Principal,
    delegation_id: uuid.UUID,
    *,
    delegates: Sequence[tuple[uuid.UUID, DelegateRole]],
    designated_voter_user_id: uuid.UUID | None,
) -> DelegationView:
    """Replace the delegation's people and designated voter (the secretariat or the delegation's head).

    Refused: 403 ``not_delegation_head``; 409 ``assembly_closed``; 422 ``duplicate_delegate``,
    ``multiple_heads``, ``designated_voter_not_delegate``, ``user_not_found`` (naming the field);
    409 ``delegate_in_other_delegation`` (field ``delegates[i].user_id``), also when a concurrent
    request seats the same user elsewhere first (the unique constraint settles the race).
    """
    delegation = await load_delegation(session, delegation_id, lock=True)
    await _require_head_or_admin(session, actor, delegation.id)
    await _refuse_if_closed(session, delegation)
    refusal = delegates_refusal([(user_id, str(role)) for user_id, role in delegates], designated_voter_user_id)
    if refusal:
        raise_refusal(refusal)
    user_ids = [user_id for user_id, _ in delegates]
    known = set((await session.scalars(select(User.id).where(User.id.in_(user_ids)))).all()) if user_ids else set()
    for index, user_id in enumerate(user_ids):
        if user_id not in known:
            raise InvalidInput.for_field(f"delegates[{index}].user_id", "no user with this id", code="user_not_found")
    elsewhere = await _delegate_elsewhere(session, delegation, user_ids) if user_ids else None
    if elsewhere is not None:
        raise _in_other_delegation(user_ids, elsewhere)
    before = (await session.execute(
        select(DelegationMember.user_id, DelegationMember.role).where(DelegationMember.delegation_id == delegation.id)
    )).all()
    try:
        async with session.begin_nested():
            # The designated-voter key is checked at commit, so the people can be replaced wholesale.
            await session.execute(delete(DelegationMember).where(DelegationMember.delegation_id == delegation.id))
            session.add_all(DelegationMember(delegation_id=delegation.id, assembly_id=delegation.assembly_id,
                                             user_id=user_id, role=role) for user_id, role in delegates)
            await session.flush()
    except IntegrityError as exc:
        # A concurrent request seated one of these users in another delegation and committed first.
        if constraint_name(exc) != "uq_delegation_member_assembly_user":
            raise
        elsewhere = await _delegate_elsewhere(session, delegation, user_ids)
        raise _in_other_delegation(user_ids, elsewhere or user_ids[0]) from None
    delegation.designated_voter_user_id = designated_voter_user_id
    await record_event(session, "delegation.delegates_set", assembly_id=delegation.assembly_id,
                       subject_id=delegation.id, actor_user_id=actor.user_id, payload={
                           "before": [{"user_id": str(u), "role": str(r)} for u, r in before],
                           "delegates": [{"user_id": str(u), "role": str(r)} for u, r in delegates],
                           "designated_voter_user_id": str(designated_voter_user_id)
                           if designated_voter_user_id else None,
                       })
    return await _view(session, delegation)


async def _attendance(
    session: AsyncSession, actor: Principal, delegation_id: uuid.UUID, kind: Literal["check_in", "check_out"]
) -> DelegationView:
    delegation = await load_delegation(session, delegation_id, lock=True)
    await require_assembly_role(session, actor, delegation.assembly_id, [AssemblyRoleKind.CHAIR])
    await _refuse_if_closed(session, delegation)
    refusal = attendance_refusal(kind, checked_in=delegation.checked_in,
                                 credentials_status=str(delegation.credentials_status))
    if refusal:
        raise_refusal(refusal)
    delegation.checked_in = kind == "check_in"
    session.add(AttendanceEvent(delegation_id=delegation.id, kind=AttendanceKind(kind),
                                recorded_by_user_id=actor.user_id))
    await record_event(session, f"delegation.{'checked_in' if kind == 'check_in' else 'checked_out'}",
                       assembly_id=delegation.assembly_id, subject_id=delegation.id, actor_user_id=actor.user_id,
                       payload={"checked_in": delegation.checked_in})
    # Live clients (the chair's quorum display) re-fetch attendance; the event leaves on commit.
    await emit(session, stream_id=delegation.assembly_id, event_type="attendance.changed", subject_id=delegation.id,
               data={"checked_in": delegation.checked_in})
    return await _view(session, delegation)


async def check_in(session: AsyncSession, actor: Principal, delegation_id: uuid.UUID) -> DelegationView:
    """Record the delegation present (secretariat or the assembly's chair; 409 ``already_checked_in``,
    ``credentials_rejected``, ``assembly_closed``; 403 ``assembly_role_required``)."""
    return await _attendance(session, actor, delegation_id, "check_in")


async def check_out(session: AsyncSession, actor: Principal, delegation_id: uuid.UUID) -> DelegationView:
    """Record the delegation gone (secretariat or the assembly's chair; 409 ``not_checked_in``)."""
    return await _attendance(session, actor, delegation_id, "check_out")
