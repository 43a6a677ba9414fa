"""Use cases of the sponsors: draft, revise, invite co-sponsors and answer, submit, withdraw."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.assemblies.models import Delegation
from assembly.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from assembly.core.security import Principal
from assembly.live.rules import delegation_audience
from assembly.live.services import emit
from assembly.motions.models import (
    AmendmentStatus,
    CosponsorStatus,
    Motion,
    MotionCosponsor,
    MotionStatus,
    MotionVersion,
    VersionKind,
)
from assembly.motions.rules import (
    ParagraphInput,
    clean_line,
    clean_multiline,
    motion_transition_refusal,
    paragraphs_from_input,
    submission_refusal,
)
from assembly.motions.services._common import (
    Caller,
    MotionState,
    amendment_label,
    caller_in,
    load_state,
    lock_motion,
    make_version,
    now,
    paragraphs_of,
    raise_refusal,
    record,
    refuse_if_closed,
    require_sponsor,
    require_visible,
    support_of,
)
from assembly.motions.services.reads import MotionView, motion_view

__all__ = (
    "answer_invitation",
    "create_motion",
    "invite_cosponsor",
    "lapse_undecided",
    "revise_motion",
    "submit_motion",
    "withdraw_motion",
)


def _title(raw: str) -> str:
    title = clean_line(raw)
    if not title:
        raise InvalidInput.for_field("title", "must not be blank", code="empty_text")
    return title


def _rationale(raw: str | None) -> str | None:
    if raw is None:
        return None
    return clean_multiline(raw) or None


async def _delegate_caller(session: AsyncSession, principal: Principal, assembly_id: uuid.UUID) -> Caller:
    caller = await caller_in(session, principal, assembly_id)
    if caller.delegation_id is None:
        raise Forbidden("only a delegate of a delegation of this assembly may do this", code="not_a_delegate")
    return caller


async def _sponsor_command(session: AsyncSession, principal: Principal, motion_id: uuid.UUID) -> tuple[Caller, Motion]:
    """Lock the motion and check that the caller may see it (404) and sponsors it (403)."""
    motion = await lock_motion(session, motion_id)
    caller = await caller_in(session, principal, motion.assembly_id)
    await require_visible(session, caller, motion)
    require_sponsor(caller, motion)
    await refuse_if_closed(session, motion.assembly_id)
    return caller, motion


async def create_motion(session: AsyncSession, principal: Principal, assembly_id: uuid.UUID, *, title: str,
                        rationale: str | None, paragraphs: Sequence[ParagraphInput]) -> MotionView:
    """Draft a motion; the caller's delegation sponsors it; version 1 holds the text.

    Refused: no such assembly (404 ``assembly_not_found``), a closed one (409 ``assembly_closed``), a
    caller who is no delegate there (403 ``not_a_delegate``), a blank title or paragraph (422
    ``empty_text``), a paragraph naming an id (422 ``unknown_paragraph``: ids are given by the server).
    """
    await refuse_if_closed(session, assembly_id)
    caller = await _delegate_caller(session, principal, assembly_id)
    assert caller.delegation_id is not None
    clean_title = _title(title)
    built = paragraphs_from_input(paragraphs, [], 1)
    if not isinstance(built, tuple):
        raise_refusal(built)
    texts, next_number = built
    motion = Motion(assembly_id=assembly_id, sponsor_delegation_id=caller.delegation_id, title=clean_title,
                    status=MotionStatus.DRAFT, current_version=1, next_paragraph_number=next_number,
                    created_by_user_id=principal.user_id)
    session.add(motion)
    await session.flush()
    version = make_version(motion, number=1, kind=VersionKind.DRAFT, title=clean_title,
                           rationale=_rationale(rationale), paragraphs=texts, based_on=None, lineage=None,
                           actor=principal)
    session.add(version)
    await session.flush()
    await record(session, motion, "motion.created", principal, payload={
        "sponsor_delegation_id": str(motion.sponsor_delegation_id), "version": 1, "title": clean_title,
        "text_sha256": version.text_sha256, "paragraphs": len(texts)})
    return await motion_view(session, motion)


async def revise_motion(session: AsyncSession, principal: Principal, motion_id: uuid.UUID, *, expected_version: int,
                        title: str, rationale: str | None, paragraphs: Sequence[ParagraphInput]) -> MotionVersion:
    """Make the sponsor's new text the next version (drafts, and submitted motions before admission).

    Optimistic concurrency: ``expected_version`` must be the current version, else 409
    ``version_conflict`` with the current version in the body; the motion row lock makes two
    concurrent edits run one after the other, so the second always sees the first's version.
    Refused as well: not the sponsor (403 ``not_sponsor``), wrong state (409 ``motion_wrong_state``),
    the same text again (409 ``text_unchanged``), bad paragraphs (422 as for drafting).
    """
    _, motion = await _sponsor_command(session, principal, motion_id)
    refusal = motion_transition_refusal(str(motion.status), "revise")
    if refusal:
        raise_refusal(refusal)
    state = await load_state(session, motion)
    current = state.version
    if expected_version != motion.current_version:
        raise Conflict(
            f"the motion is at version {motion.current_version}, not {expected_version}: someone changed it; "
            "start again from the current version", code="version_conflict",
            extra={"current_version": motion.current_version, "current_title": current.title,
                   "current_paragraphs": current.paragraphs})
    clean_title = _title(title)
    built = paragraphs_from_input(paragraphs, paragraphs_of(current), motion.next_paragraph_number)
    if not isinstance(built, tuple):
        raise_refusal(built)
    texts, next_number = built
    clean_rationale = _rationale(rationale)
    if (clean_title, clean_rationale, [p.to_json() for p in texts]) == (current.title, current.rationale,
                                                                         current.paragraphs):
        raise Conflict("the text is the same as the current version; no version made", code="text_unchanged")
    number = motion.current_version + 1
    kind = VersionKind.DRAFT if motion.submitted_at is None else VersionKind.REVISION
    version = make_version(motion, number=number, kind=kind, title=clean_title, rationale=clean_rationale,
                           paragraphs=texts, based_on=current.number, lineage=None, actor=principal)
    session.add(version)
    motion.current_version = number
    motion.next_paragraph_number = next_number
    motion.title = clean_title
    await session.flush()
    await record(session, motion, "motion.revised", principal, payload={
        "version": number, "based_on": current.number, "kind": str(kind), "title": clean_title,
        "text_sha256": version.text_sha256, "paragraphs": len(texts)})
    return version


async def invite_cosponsor(session: AsyncSession, principal: Principal, motion_id: uuid.UUID, *,
                           delegation_id: uuid.UUID) -> MotionCosponsor:
    """Invite another delegation of the assembly to co-sponsor the draft.

    Refused: not the sponsor (403 ``not_sponsor``), not a draft (409 ``motion_wrong_state``), a
    delegation that is not of this assembly (422 ``delegation_not_in_assembly``, field
    ``delegation_id``), the sponsor itself (422 ``sponsor_cannot_cosponsor``), a delegation already
    invited or co-sponsoring (409 ``already_invited``; one that declined may be invited again).
    """
    _, motion = await _sponsor_command(session, principal, motion_id)
    if motion.status != MotionStatus.DRAFT:
        raise Conflict(f"the motion is {motion.status}; co-sponsors are invited while it is a draft",
                       code="motion_wrong_state")
    in_assembly = await session.scalar(select(Delegation.id).where(
        Delegation.id == delegation_id, Delegation.assembly_id == motion.assembly_id))
    if in_assembly is None:
        raise InvalidInput.for_field("delegation_id", "not a delegation of this motion's assembly",
                                     code="delegation_not_in_assembly")
    if delegation_id == motion.sponsor_delegation_id:
        raise InvalidInput.for_field("delegation_id", "the sponsoring delegation cannot co-sponsor its own motion",
                                     code="sponsor_cannot_cosponsor")
    row = await session.scalar(select(MotionCosponsor).where(
        MotionCosponsor.motion_id == motion.id, MotionCosponsor.delegation_id == delegation_id))
    if row is not None and row.status != CosponsorStatus.DECLINED:
        raise Conflict(f"the delegation is already {row.status}", code="already_invited")
    if row is None:
        row = MotionCosponsor(assembly_id=motion.assembly_id, motion_id=motion.id, delegation_id=delegation_id,
                              status=CosponsorStatus.INVITED, invited_by_user_id=principal.user_id)
        session.add(row)
    else:
        row.status, row.decided_at, row.decided_by_user_id = CosponsorStatus.INVITED, None, None
        row.invited_by_user_id = principal.user_id
    await session.flush()
    payload = {"delegation_id": str(delegation_id)}
    await record(session, motion, "motion.cosponsor_invited", principal, payload=payload, data=payload)
    # The invited delegation learns of it too (it may now read the draft); the audit record is above.
    await emit(session, stream_id=motion.assembly_id, event_type="motion.cosponsor_invited", subject_id=motion.id,
               version=motion.current_version, audience=delegation_audience(delegation_id),
               data={"motion_id": str(motion.id)})
    return row


async def answer_invitation(session: AsyncSession, principal: Principal, motion_id: uuid.UUID, *,
                            delegation_id: uuid.UUID, accept: bool) -> MotionCosponsor:
    """The invited delegation accepts or declines to co-sponsor the draft.

    Refused: a caller who is not a delegate of ``delegation_id`` (403 ``not_invited_delegation``), no
    invitation (404 ``invitation_not_found``), an invitation already answered (409
    ``invitation_answered``), a motion no longer a draft (409 ``motion_wrong_state``).
    """
    motion = await lock_motion(session, motion_id)
    caller = await caller_in(session, principal, motion.assembly_id)
    await require_visible(session, caller, motion)
    if caller.delegation_id != delegation_id:
        raise Forbidden("only the invited delegation's delegates may answer its invitation",
                        code="not_invited_delegation")
    await refuse_if_closed(session, motion.assembly_id)
    row = await session.scalar(select(MotionCosponsor).where(
        MotionCosponsor.motion_id == motion.id, MotionCosponsor.delegation_id == delegation_id).with_for_update())
    if row is None:
        raise NotFound("the delegation was not invited to co-sponsor this motion", code="invitation_not_found")
    if row.status != CosponsorStatus.INVITED:
        raise Conflict(f"the invitation was already answered ({row.status})", code="invitation_answered")
    if motion.status != MotionStatus.DRAFT:
        raise Conflict(f"the motion is {motion.status}; co-sponsorship is decided while it is a draft",
                       code="motion_wrong_state")
    row.status = CosponsorStatus.ACCEPTED if accept else CosponsorStatus.DECLINED
    row.decided_by_user_id, row.decided_at = principal.user_id, now()
    await session.flush()
    kind = "motion.cosponsor_accepted" if accept else "motion.cosponsor_declined"
    payload = {"delegation_id": str(delegation_id)}
    await record(session, motion, kind, principal, payload=payload, data=payload)
    return row


async def submit_motion(session: AsyncSession, principal: Principal, motion_id: uuid.UUID) -> Motion:
    """draft -> submitted, once the sponsor and the accepted co-sponsors reach the support threshold.

    Refused: not the sponsor (403 ``not_sponsor``), not a draft (409 ``motion_wrong_state``), too
    little support (409 ``support_below_threshold``).
    """
    _, motion = await _sponsor_command(session, principal, motion_id)
    refusal = motion_transition_refusal(str(motion.status), "submit", "submitted")
    if refusal:
        raise_refusal(refusal)
    supporters, threshold = await support_of(session, motion)
    refusal = submission_refusal(supporters, threshold)
    if refusal:
        raise_refusal(refusal)
    motion.status = MotionStatus.SUBMITTED
    motion.submitted_at = motion.submitted_at or now()
    motion.submitted_version = motion.submitted_version or motion.current_version
    await session.flush()
    await record(session, motion, "motion.submitted", principal, payload={
        "version": motion.current_version, "supporters": supporters, "threshold": threshold},
        data={"status": "submitted"})
    return motion


async def lapse_undecided(session: AsyncSession, state: MotionState, reason: str) -> None:
    """Every amendment still before the assembly lapses with ``reason`` (the motion left the floor)."""
    for amendment in state.undecided():
        if amendment.status == AmendmentStatus.VOTING:
            continue  # a ballot is running on it: its close decides it
        amendment.status = AmendmentStatus.LAPSED
        amendment.status_reason = reason
        await session.flush()
        await record(session, state.motion, "amendment.lapsed", None, subject_id=amendment.id,
                     payload={"amendment_id": str(amendment.id), "number": amendment.number, "reason": reason},
                     data={"amendment_id": str(amendment.id), "label": amendment_label(amendment),
                           "status": "lapsed"})


async def withdraw_motion(session: AsyncSession, principal: Principal, motion_id: uuid.UUID, *,
                          reason: str | None) -> Motion:
    """The sponsor withdraws the motion before the vote; amendments still pending lapse.

    Refused: not the sponsor (403 ``not_sponsor``), voting begun or decided (409 ``motion_wrong_state``).
    """
    _, motion = await _sponsor_command(session, principal, motion_id)
    refusal = motion_transition_refusal(str(motion.status), "withdraw", "withdrawn")
    if refusal:
        raise_refusal(refusal)
    previous = str(motion.status)
    motion.status = MotionStatus.WITHDRAWN
    motion.status_reason = clean_line(reason) if reason else None
    await session.flush()
    await lapse_undecided(session, await load_state(session, motion), "the motion was withdrawn")
    await record(session, motion, "motion.withdrawn", principal,
                 payload={"from_status": previous, "reason": motion.status_reason}, data={"status": "withdrawn"})
    return motion
