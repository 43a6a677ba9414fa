"""Use cases of amendments: table (with rebase), withdraw, admit, rule out of order, order, resolve by hand."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.core.errors import Conflict, Forbidden, InvalidInput
from assembly.core.security import Principal
from assembly.motions.models import Amendment, AmendmentStatus, Motion, MotionStatus, MotionVersion, Resolution
from assembly.motions.rules import (
    Operation,
    OperationInput,
    amendment_transition_refusal,
    amendment_vote_refusal,
    build_operations,
    clean_line,
    clean_multiline,
    first_degree_refusal,
    rebase_blockers,
    sanitize_inline,
    second_degree_refusal,
    voting_order_refusal,
)
from assembly.motions.services._common import (
    MotionState,
    amendment_label,
    caller_in,
    load_amendment,
    load_state,
    lock_motion,
    operations_of,
    paragraphs_of,
    raise_refusal,
    record,
    refuse_if_closed,
    require_chair,
    require_visible,
)
from assembly.motions.services.outcomes import decide_amendment, lapse
from assembly.motions.services.reads import AmendmentView, MotionView, amendment_views, motion_view

__all__ = (
    "admit_amendment",
    "resolve_amendment",
    "rule_amendment_out_of_order",
    "set_voting_order",
    "table_amendment",
    "votable_amendment_refusal",
    "withdraw_amendment",
)

_OPEN_TO_AMENDMENT = (MotionStatus.ADMITTED, MotionStatus.UNDER_DEBATE)


def _refuse_unless_open_to_amendment(motion: Motion) -> None:
    if motion.status not in _OPEN_TO_AMENDMENT:
        raise Conflict(f"the motion is {motion.status}; amendments are tabled and ordered while it is admitted "
                       "or under debate", code="motion_wrong_state")
    if motion.divided_version is not None:
        raise Conflict("the question was divided; the motion is no longer open to amendment", code="motion_divided")


async def _version(session: AsyncSession, motion_id: uuid.UUID, number: int) -> MotionVersion | None:
    return await session.scalar(select(MotionVersion).where(
        MotionVersion.motion_id == motion_id, MotionVersion.number == number))


def _clean_operations(operations: Sequence[OperationInput]) -> list[OperationInput]:
    return [OperationInput(op=o.op, paragraph_id=o.paragraph_id, operation_id=o.operation_id,
                           text=sanitize_inline(o.text) if o.text is not None else None, kind=o.kind)
            for o in operations]


def _second_degree_target(state: MotionState, parent_amendment_id: uuid.UUID, motion_version: int | None,
                          ops: Sequence[Operation]) -> int:
    """The version a second-degree amendment targets (its parent's), after checking the parent and the ops."""
    parent = next((a for a in state.amendments if a.id == parent_amendment_id), None)
    if parent is None:
        raise InvalidInput.for_field("parent_amendment_id", "not an amendment of this motion", code="parent_not_found")
    if parent.degree != 1:
        raise InvalidInput.for_field("parent_amendment_id", f"{amendment_label(parent)} is itself an amendment "
                                     "to an amendment; a third degree is out of order", code="third_degree_amendment")
    if parent.status not in {AmendmentStatus.SUBMITTED, AmendmentStatus.ADMITTED}:
        raise Conflict(f"{amendment_label(parent)} is {parent.status}; only a pending amendment can be amended",
                       code="amendment_wrong_state")
    if motion_version is not None and motion_version != parent.target_version:
        raise InvalidInput.for_field("motion_version", f"{amendment_label(parent)} amends version "
                                     f"{parent.target_version}", code="version_mismatch")
    refusal = second_degree_refusal(ops, operations_of(parent))
    if refusal:
        raise_refusal(refusal)
    return parent.target_version


async def _first_degree_target(session: AsyncSession, state: MotionState, motion_version: int | None,
                               ops: Sequence[Operation]) -> tuple[int, int | None]:
    """(the version a first-degree amendment targets, the outdated version it was rebased from, if any)."""
    motion = state.motion
    if motion_version is None:
        raise InvalidInput.for_field("motion_version", "name the motion version the amendment applies to",
                                     code="motion_version_required")
    named = await _version(session, motion.id, motion_version)
    if named is None:
        raise InvalidInput.for_field("motion_version", f"the motion has no version {motion_version}",
                                     code="unknown_version")
    refusal = first_degree_refusal(ops, paragraphs_of(named))
    if refusal:
        raise_refusal(refusal)
    if named.number == motion.current_version:
        return motion.current_version, None
    blockers = rebase_blockers(ops, paragraphs_of(named), paragraphs_of(state.version))
    if blockers:
        raise Conflict(
            f"version {named.number} is outdated: the motion is at version {motion.current_version}, and "
            f"paragraphs {', '.join(blockers)} changed since; amend the current version", code="version_outdated",
            extra={"current_version": motion.current_version, "changed_paragraphs": blockers,
                   "current_paragraphs": state.version.paragraphs})
    return motion.current_version, named.number


async def table_amendment(session: AsyncSession, principal: Principal, motion_id: uuid.UUID, *,
                          motion_version: int | None, parent_amendment_id: uuid.UUID | None,
                          rationale: str | None, operations: Sequence[OperationInput]) -> AmendmentView:
    """Table an amendment (status ``submitted``) sponsored by the caller's delegation.

    First degree: operations on the paragraphs of ``motion_version``. When that version is outdated
    the amendment is rebased onto the current one if every paragraph it relies on is unchanged
    (``rebased_from`` records it), else refused (409 ``version_outdated``, with the current version
    and the changed paragraphs in the body). Second degree (``parent_amendment_id``): operations on
    the parent's operations; a third degree is refused (422 ``third_degree_amendment``).

    Other refusals: not a delegate (403 ``not_a_delegate``), motion not admitted or under debate (409
    ``motion_wrong_state``) or divided (409 ``motion_divided``), ``motion_version`` missing (422
    ``motion_version_required``) or unknown (422 ``unknown_version``), parent unknown (422
    ``parent_not_found``) or no longer pending (409 ``amendment_wrong_state``), bad operations (422,
    see :mod:`assembly.motions.rules.amendments`).
    """
    motion = await lock_motion(session, motion_id)
    caller = await caller_in(session, principal, motion.assembly_id)
    await require_visible(session, caller, motion)
    if caller.delegation_id is None:
        raise Forbidden("only a delegate of a delegation of this assembly may table an amendment",
                        code="not_a_delegate")
    await refuse_if_closed(session, motion.assembly_id)
    _refuse_unless_open_to_amendment(motion)
    state = await load_state(session, motion)
    ops = build_operations(_clean_operations(operations))
    if parent_amendment_id is not None:
        target, rebased_from = _second_degree_target(state, parent_amendment_id, motion_version, ops), None
        degree = 2
    else:
        target, rebased_from = await _first_degree_target(session, state, motion_version, ops)
        degree = 1
    number = int(await session.scalar(select(func.max(Amendment.number)).where(
        Amendment.motion_id == motion.id)) or 0) + 1
    amendment = Amendment(
        assembly_id=motion.assembly_id, motion_id=motion.id, number=number, degree=degree,
        parent_amendment_id=parent_amendment_id, target_version=target, rebased_from=rebased_from,
        sponsor_delegation_id=caller.delegation_id,
        rationale=(clean_multiline(rationale) or None) if rationale else None,
        operations=[o.to_json() for o in ops], status=AmendmentStatus.SUBMITTED, created_by_user_id=principal.user_id)
    session.add(amendment)
    await session.flush()
    await record(session, motion, "amendment.submitted", principal, subject_id=amendment.id, payload={
        "amendment_id": str(amendment.id), "number": number, "degree": degree,
        "parent_amendment_id": str(parent_amendment_id) if parent_amendment_id else None,
        "target_version": target, "rebased_from": rebased_from,
        "sponsor_delegation_id": str(caller.delegation_id), "operations": [o.to_json() for o in ops]},
        data={"amendment_id": str(amendment.id), "label": f"A{number}", "status": "submitted"})
    return await _view_of(session, state, amendment.id)


async def _view_of(session: AsyncSession, state: MotionState, amendment_id: uuid.UUID) -> AmendmentView:
    """The amendment as the API shows it after a change (conflicts among the pending ones recomputed)."""
    fresh = await load_state(session, state.motion)
    return (await amendment_views(session, fresh))[amendment_id]


async def _amendment_command(session: AsyncSession, principal: Principal, amendment_id: uuid.UUID, *,
                             chair: bool) -> tuple[MotionState, Amendment]:
    """Lock the amendment's motion, check the caller (chair, or visible), and load the motion's state."""
    found = await load_amendment(session, amendment_id)
    motion = await lock_motion(session, found.motion_id)
    if chair:
        await require_chair(session, principal, motion.assembly_id)
    else:
        await require_visible(session, await caller_in(session, principal, motion.assembly_id), motion)
    await refuse_if_closed(session, motion.assembly_id)
    state = await load_state(session, motion)
    return state, state.amendment(amendment_id)


async def withdraw_amendment(session: AsyncSession, principal: Principal, amendment_id: uuid.UUID, *,
                             reason: str | None) -> AmendmentView:
    """Its sponsor withdraws it before the vote; its pending second-degree amendments lapse.

    Refused: not the sponsoring delegation (403 ``not_sponsor``), voting begun or decided (409
    ``amendment_wrong_state``).
    """
    state, amendment = await _amendment_command(session, principal, amendment_id, chair=False)
    caller = await caller_in(session, principal, state.motion.assembly_id)
    if caller.delegation_id != amendment.sponsor_delegation_id:
        raise Forbidden("only the delegates of the amendment's sponsoring delegation may withdraw it",
                        code="not_sponsor")
    refusal = amendment_transition_refusal(str(amendment.status), "withdraw", "withdrawn")
    if refusal:
        raise_refusal(refusal)
    amendment.status = AmendmentStatus.WITHDRAWN
    amendment.status_reason = clean_line(reason) if reason else None
    await session.flush()
    await record(session, state.motion, "amendment.withdrawn", principal, subject_id=amendment.id,
                 payload={"amendment_id": str(amendment.id), "number": amendment.number,
                          "reason": amendment.status_reason},
                 data={"amendment_id": str(amendment.id), "label": amendment_label(amendment), "status": "withdrawn"})
    for child in state.children(amendment.id):
        if child.status in {AmendmentStatus.SUBMITTED, AmendmentStatus.ADMITTED}:
            await lapse(session, state, child, f"the amendment it amends, {amendment_label(amendment)}, was withdrawn")
    return await _view_of(session, state, amendment.id)


async def admit_amendment(session: AsyncSession, principal: Principal, amendment_id: uuid.UUID) -> AmendmentView:
    """The chair admits it (submitted -> admitted); 409 ``amendment_wrong_state`` otherwise."""
    state, amendment = await _amendment_command(session, principal, amendment_id, chair=True)
    refusal = amendment_transition_refusal(str(amendment.status), "admit", "admitted")
    if refusal:
        raise_refusal(refusal)
    amendment.status = AmendmentStatus.ADMITTED
    await session.flush()
    await record(session, state.motion, "amendment.admitted", principal, subject_id=amendment.id,
                 payload={"amendment_id": str(amendment.id), "number": amendment.number},
                 data={"amendment_id": str(amendment.id), "label": amendment_label(amendment), "status": "admitted"})
    return await _view_of(session, state, amendment.id)


async def rule_amendment_out_of_order(session: AsyncSession, principal: Principal, amendment_id: uuid.UUID, *,
                                      reason: str) -> AmendmentView:
    """The chair rules it out of order with a reason; its pending second-degree amendments lapse.

    Refused: not submitted (409 ``amendment_wrong_state``), a blank reason (422 ``reason_required``).
    """
    state, amendment = await _amendment_command(session, principal, amendment_id, chair=True)
    refusal = amendment_transition_refusal(str(amendment.status), "rule_out_of_order", "out_of_order")
    if refusal:
        raise_refusal(refusal)
    why = clean_line(reason)
    if not why:
        raise InvalidInput.for_field("reason", "say why the amendment is out of order", code="reason_required")
    amendment.status = AmendmentStatus.OUT_OF_ORDER
    amendment.status_reason = why
    await session.flush()
    await record(session, state.motion, "amendment.ruled_out_of_order", principal, subject_id=amendment.id,
                 payload={"amendment_id": str(amendment.id), "number": amendment.number, "reason": why},
                 data={"amendment_id": str(amendment.id), "label": amendment_label(amendment),
                       "status": "out_of_order"})
    for child in state.children(amendment.id):
        if child.status in {AmendmentStatus.SUBMITTED, AmendmentStatus.ADMITTED}:
            await lapse(session, state, child,
                        f"the amendment it amends, {amendment_label(amendment)}, was ruled out of order")
    return await _view_of(session, state, amendment.id)


async def set_voting_order(session: AsyncSession, principal: Principal, motion_id: uuid.UUID, *,
                           amendment_ids: Sequence[uuid.UUID], reason: str | None) -> MotionView:
    """The chair's ruling on the order in which the admitted amendments are voted (UN GA r.90).

    The list places every admitted amendment awaiting a vote exactly once, each second-degree one
    before the amendment it amends (422 ``not_orderable``, ``duplicate_amendment``,
    ``order_incomplete``, ``second_degree_after_parent``). The ruling is recorded; it may be made
    again (amendments admitted later must be placed by a new ruling before any vote).
    """
    motion = await lock_motion(session, motion_id)
    await require_chair(session, principal, motion.assembly_id)
    await refuse_if_closed(session, motion.assembly_id)
    _refuse_unless_open_to_amendment(motion)
    state = await load_state(session, motion)
    awaiting = {a.id: a.parent_amendment_id for a in state.amendments if a.status == AmendmentStatus.ADMITTED}
    refusal = voting_order_refusal(list(amendment_ids), awaiting, state.labels)
    if refusal:
        raise_refusal(refusal)
    start = max((a.vote_position or 0 for a in state.amendments), default=0)
    for offset, amendment_id in enumerate(amendment_ids, start=1):
        state.amendment(amendment_id).vote_position = start + offset
    await session.flush()
    why = clean_line(reason) if reason else None
    await record(session, motion, "motion.voting_order_set", principal, payload={
        "order": [{"amendment_id": str(i), "number": state.amendment(i).number} for i in amendment_ids],
        "reason": why}, data={"order": [state.labels[i] for i in amendment_ids]})
    return await motion_view(session, motion)


def votable_amendment_refusal(state: MotionState, amendment: Amendment) -> None:
    """Raise 409 ``not_votable`` unless the amendment is the next to vote on (docs/motions.md)."""
    voting = next((a for a in state.amendments if a.status == AmendmentStatus.VOTING), None)
    positions = {a.id: a.vote_position for a in state.amendments if a.status == AmendmentStatus.ADMITTED}
    refusal = amendment_vote_refusal(amendment.id, motion_status=str(state.motion.status),
                                     status=str(amendment.status),
                                     voting_now=amendment_label(voting) if voting else None,
                                     positions=positions, labels=state.labels)
    if refusal:
        raise_refusal(refusal)


async def resolve_amendment(session: AsyncSession, principal: Principal, amendment_id: uuid.UUID, *,
                            adopted: bool, reason: str) -> AmendmentView:
    """The chair declares the result of a vote taken by hand (before ballots exist), in the voting order.

    Refused: not admitted (409 ``amendment_wrong_state``), not next in the order or the motion not
    under debate (409 ``not_votable``), a blank reason (422 ``reason_required``). Lapses follow as
    for a ballot (:func:`~assembly.motions.services.outcomes.decide_amendment`).
    """
    state, amendment = await _amendment_command(session, principal, amendment_id, chair=True)
    refusal = amendment_transition_refusal(str(amendment.status), "resolve")
    if refusal:
        raise_refusal(refusal)
    votable_amendment_refusal(state, amendment)
    why = clean_line(reason)
    if not why:
        raise InvalidInput.for_field("reason", "state the result as declared (e.g. the show of hands)",
                                     code="reason_required")
    await decide_amendment(session, state, amendment, adopted=adopted, resolution=Resolution.CHAIR, reason=why,
                           actor=principal, command="resolve")
    return await _view_of(session, state, amendment.id)
