"""Use cases of quorum calls: the chair calls one; anyone logged in reads them."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.agenda.models import AgendaItem, QuorumCall
from assembly.agenda.rules import sitting_quorum, sitting_refusal
from assembly.agenda.services._common import database_now, lock_assembly_status, raise_refusal, require_chair
from assembly.assemblies.models import Assembly
from assembly.assemblies.rules import encode_rule_set
from assembly.assemblies.services import assess_assembly
from assembly.audit.services import record_event
from assembly.core.errors import NotFound
from assembly.core.security import Principal
from assembly.live.services import emit

__all__ = ("call_quorum", "list_quorum_calls")


async def call_quorum(session: AsyncSession, actor: Principal, assembly_id: uuid.UUID) -> QuorumCall:
    """Count the delegations present and apply the assembly's quorum rule; record and announce the result.

    The membership is the delegations entitled to vote under the rules in force (eligibility of
    ``assess_assembly``), with their weights; present are those of them checked in. The call is
    stored with the counts, the thresholds and the arithmetic, recorded in the audit trail
    (``agenda.quorum_called``) and emitted (``quorum.called``).

    Refused: 404 ``assembly_not_found``; 403 ``assembly_role_required``; 409 ``assembly_not_open``.
    """
    status = await lock_assembly_status(session, assembly_id)
    await require_chair(session, actor, assembly_id)
    refusal = sitting_refusal(status)
    if refusal:
        raise_refusal(refusal)
    # One query reads every delegation with its attendance: the counts come from one snapshot.
    assessment = await assess_assembly(session, assembly_id)
    outcome = sitting_quorum(
        assessment.rules.quorum,
        ((d.eligibility.eligible, d.delegation.checked_in, d.weight.weight) for d in assessment.delegations),
    )
    present = [str(d.delegation.id) for d in assessment.delegations
               if d.eligibility.eligible and d.delegation.checked_in]
    thresholds = encode_rule_set(assessment.rules)["quorum"]
    assert isinstance(thresholds, dict)
    current_item = await session.scalar(
        select(AgendaItem.id).where(AgendaItem.assembly_id == assembly_id, AgendaItem.is_current.is_(True)))
    call = QuorumCall(
        assembly_id=assembly_id, agenda_item_id=current_item, called_by_user_id=actor.user_id,
        called_at=await database_now(session), rule_set_version=assessment.rule_set_version,
        thresholds=thresholds, membership_count=outcome.membership_count,
        membership_weight=outcome.membership_weight, present_count=outcome.present_count,
        present_weight=outcome.present_weight, present_without_vote_count=outcome.present_without_vote_count,
        present_delegation_ids=present, weights_sha256=assessment.weights_sha256,
        may_debate=outcome.may_debate, may_decide=outcome.may_decide,
        debate_arithmetic=outcome.debate.arithmetic, decide_arithmetic=outcome.decide.arithmetic,
    )
    session.add(call)
    await session.flush()
    await record_event(session, "agenda.quorum_called", assembly_id=assembly_id, subject_id=call.id,
                       actor_user_id=actor.user_id, payload={
                           "rule_set_version": call.rule_set_version,
                           "thresholds": thresholds,
                           "membership_count": call.membership_count,
                           "membership_weight": call.membership_weight,
                           "present_count": call.present_count,
                           "present_weight": call.present_weight,
                           "present_without_vote_count": call.present_without_vote_count,
                           "present_delegation_ids": present,
                           "weights_sha256": call.weights_sha256,
                           "may_debate": call.may_debate,
                           "may_decide": call.may_decide,
                           "debate_arithmetic": call.debate_arithmetic,
                           "decide_arithmetic": call.decide_arithmetic,
                           "agenda_item_id": str(current_item) if current_item else None,
                       })
    await emit(session, stream_id=assembly_id, event_type="quorum.called", subject_id=call.id, data={
        "may_debate": call.may_debate, "may_decide": call.may_decide,
        "present_count": call.present_count, "present_weight": call.present_weight,
    })
    return call


async def list_quorum_calls(
    session: AsyncSession, assembly_id: uuid.UUID, *, limit: int, offset: int
) -> tuple[list[QuorumCall], int]:
    """A page of the assembly's quorum calls, latest first, and their total; 404 ``assembly_not_found``."""
    if await session.scalar(select(Assembly.id).where(Assembly.id == assembly_id)) is None:
        raise NotFound(f"no assembly with id {assembly_id}", code="assembly_not_found")
    total = int(await session.scalar(
        select(func.count()).select_from(QuorumCall).where(QuorumCall.assembly_id == assembly_id)) or 0)
    calls = (await session.scalars(
        select(QuorumCall).where(QuorumCall.assembly_id == assembly_id)
        .order_by(QuorumCall.called_at.desc(), QuorumCall.id.desc()).limit(limit).offset(offset)
    )).all()
    return list(calls), total
