"""Use cases of the speakers' list: asking for and withdrawing from the floor, giving it, ending speeches.

Every command locks the item row (after the assembly's, see ``_common``), so the list of one item
changes one command at a time: requests are numbered in the order they are made, and the checks
("is somebody speaking?", "has this delegation a pending request?") see the latest committed list.
The partial unique indexes on ``speaker_request`` hold the same invariants in the schema.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.agenda.models import AgendaItem, SpeakerRequest, SpeakerRequestKind, SpeakerRequestStatus
from assembly.agenda.rules import (
    QueuedRequest,
    SpeechTiming,
    end_speech_refusal,
    floor_request_refusal,
    floor_right_refusal,
    give_floor_refusal,
    list_switch_refusal,
    sitting_refusal,
    speaking_order,
    speech_timing,
    time_used,
    withdraw_refusal,
)
from assembly.agenda.services._common import (
    database_now,
    item_assembly_id,
    lock_assembly_status,
    lock_item,
    raise_refusal,
    require_chair,
)
from assembly.assemblies.models import Delegation
from assembly.assemblies.services import delegation_of_user
from assembly.audit.services import record_event
from assembly.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from assembly.core.security import Principal
from assembly.live.services import emit, stream_position
from assembly.members.models import Member

__all__ = (
    "SpeakerEntry",
    "SpeakersView",
    "close_speakers_list",
    "end_speech",
    "get_speakers",
    "give_floor",
    "reopen_speakers_list",
    "request_floor",
    "withdraw_request",
)

_LISTED = (SpeakerRequestStatus.PENDING, SpeakerRequestStatus.SPEAKING, SpeakerRequestStatus.SPOKEN)


@dataclass(frozen=True, slots=True)
class SpeakerEntry:
    """A request on the list, with its delegation's name, its place in the queue and its timing."""

    request: SpeakerRequest
    member_name: str
    position: int | None
    """1-based place among the waiting requests; None once it has the floor or has spoken."""
    timing: SpeechTiming | None
    """For the speech under way and those spoken; None while waiting."""


@dataclass(frozen=True, slots=True)
class SpeakersView:
    """An item's speakers' list as clients fetch it, timed on the database's clock."""

    item: AgendaItem
    now: datetime
    """The database's ``now()`` the times were measured at."""
    current: SpeakerEntry | None
    waiting: list[SpeakerEntry]
    """In speaking order: points of order first, then requests in the order made."""
    spoken: list[SpeakerEntry]
    """In the order they spoke."""
    time_used_seconds: int
    """Speaking time used on the item: the speeches spoken and the one under way."""
    my_delegation_id: uuid.UUID | None
    my_request: SpeakerEntry | None
    """The caller's delegation's request waiting or speaking, if any."""
    stream_position: int

    @property
    def time_remaining_seconds(self) -> int | None:
        """Of the item's time allotment (at least 0), None when it has none."""
        allotment = self.item.time_allotment_seconds
        return None if allotment is None else max(0, allotment - self.time_used_seconds)


async def _view(session: AsyncSession, viewer: Principal, item: AgendaItem, position: int) -> SpeakersView:
    now = await database_now(session)
    rows = (await session.execute(
        select(SpeakerRequest, Member.name)
        .join(Delegation, Delegation.id == SpeakerRequest.delegation_id)
        .join(Member, Member.id == Delegation.member_id)
        .where(SpeakerRequest.agenda_item_id == item.id, SpeakerRequest.status.in_(_LISTED))
        .order_by(SpeakerRequest.request_no)
        .execution_options(populate_existing=True)
    )).all()
    order = speaking_order(QueuedRequest(r.id, str(r.kind), r.request_no) for r, _ in rows
                           if r.status == SpeakerRequestStatus.PENDING)
    names = {r.id: (r, name) for r, name in rows}
    limit = item.speech_limit_seconds
    waiting = [SpeakerEntry(names[q.request_id][0], names[q.request_id][1], index, None)
               for index, q in enumerate(order, start=1)]
    current: SpeakerEntry | None = None
    spoken: list[SpeakerEntry] = []
    speeches: list[tuple[datetime, datetime]] = []
    for request, name in rows:
        if request.started_at is None:
            continue
        until = request.ended_at or now
        speeches.append((request.started_at, until))
        entry = SpeakerEntry(request, name, None, speech_timing(request.started_at, until, limit))
        if request.status == SpeakerRequestStatus.SPEAKING:
            current = entry
        else:
            spoken.append(entry)
    spoken.sort(key=lambda e: (e.request.started_at, e.request.request_no))
    seat = await delegation_of_user(session, item.assembly_id, viewer.user_id)
    mine: SpeakerEntry | None = None
    if seat is not None:
        if current is not None and current.request.delegation_id == seat.delegation_id:
            mine = current
        else:
            mine = next((e for e in waiting if e.request.delegation_id == seat.delegation_id), None)
    return SpeakersView(
        item=item, now=now, current=current, waiting=waiting, spoken=spoken, time_used_seconds=time_used(speeches),
        my_delegation_id=seat.delegation_id if seat else None, my_request=mine, stream_position=position,
    )


async def get_speakers(session: AsyncSession, viewer: Principal, item_id: uuid.UUID) -> SpeakersView:
    """The item's list: who speaks (elapsed and remaining time), who waits and where, who has spoken.

    Any logged-in user; ``my_request`` and its position are the caller's delegation's. The stream
    position is read before the list. 404 ``agenda_item_not_found``.
    """
    assembly_id = await item_assembly_id(session, item_id)
    position = await stream_position(session, assembly_id)
    item = await session.scalar(select(AgendaItem).where(AgendaItem.id == item_id))
    assert item is not None  # items are never deleted
    return await _view(session, viewer, item, position)


async def _changed(
    session: AsyncSession, actor: Principal, item: AgendaItem, change: str, *, subject_id: uuid.UUID | None = None,
    payload: dict[str, object] | None = None,
) -> SpeakersView:
    """Bump the item's version, record the audit event, emit ``speakers.changed``, and read the list back."""
    item.version += 1
    await session.flush()
    await record_event(session, f"speakers.{change}", assembly_id=item.assembly_id, subject_id=subject_id or item.id,
                       actor_user_id=actor.user_id,
                       payload={"agenda_item_id": str(item.id), "version": item.version, **(payload or {})})
    event = await emit(session, stream_id=item.assembly_id, event_type="speakers.changed", subject_id=item.id,
                       version=item.version, data={"change": change})
    assert event.seq is not None
    return await _view(session, actor, item, event.seq)


async def _begin_chair_command(session: AsyncSession, actor: Principal, item_id: uuid.UUID) -> AgendaItem:
    assembly_id = await item_assembly_id(session, item_id)
    status = await lock_assembly_status(session, assembly_id)
    await require_chair(session, actor, assembly_id)
    refusal = sitting_refusal(status)
    if refusal:
        raise_refusal(refusal)
    return await lock_item(session, item_id)


async def request_floor(
    session: AsyncSession, actor: Principal, item_id: uuid.UUID, kind: SpeakerRequestKind
) -> SpeakersView:
    """A delegate asks for the floor for their delegation: a speech (at the end of the list) or a point of order.

    Refused: 404 ``agenda_item_not_found``; 403 ``not_a_delegate`` (the caller sits in no delegation
    of the assembly), ``credentials_rejected``; 409 ``assembly_not_open``, ``item_closed``,
    ``item_not_open``, ``speakers_list_closed`` (a point of order is still heard),
    ``request_pending`` (one pending request per delegation and item).
    """
    assembly_id = await item_assembly_id(session, item_id)
    status = await lock_assembly_status(session, assembly_id)
    seat = await delegation_of_user(session, assembly_id, actor.user_id)
    if seat is None:
        raise Forbidden("only a delegate of this assembly may ask for the floor", code="not_a_delegate")
    credentials = await session.scalar(select(Delegation.credentials_status)
                                       .where(Delegation.id == seat.delegation_id))
    refusal = floor_right_refusal(str(credentials))
    if refusal:
        raise_refusal(refusal, forbidden=True)
    refusal = sitting_refusal(status)
    if refusal:
        raise_refusal(refusal)
    item = await lock_item(session, item_id)
    has_pending = bool(await session.scalar(select(exists().where(
        SpeakerRequest.agenda_item_id == item.id, SpeakerRequest.delegation_id == seat.delegation_id,
        SpeakerRequest.status == SpeakerRequestStatus.PENDING,
    ))))
    refusal = floor_request_refusal(item_status=str(item.status), list_open=item.speakers_list_open, kind=str(kind),
                                    has_pending=has_pending)
    if refusal:
        raise_refusal(refusal)
    last = await session.scalar(select(func.max(SpeakerRequest.request_no))
                                .where(SpeakerRequest.agenda_item_id == item.id))
    request = SpeakerRequest(
        assembly_id=assembly_id, agenda_item_id=item.id, delegation_id=seat.delegation_id,
        requested_by_user_id=actor.user_id, kind=kind, status=SpeakerRequestStatus.PENDING,
        request_no=int(last or 0) + 1, requested_at=await database_now(session),
    )
    session.add(request)
    await session.flush()
    return await _changed(session, actor, item, "floor_requested", subject_id=request.id, payload={
        "request_id": str(request.id), "delegation_id": str(seat.delegation_id), "kind": str(kind),
        "request_no": request.request_no,
    })


async def withdraw_request(session: AsyncSession, actor: Principal, request_id: uuid.UUID) -> SpeakersView:
    """Withdraw a pending request (a delegate of its delegation, the chair or the secretariat).

    Refused: 404 ``speaker_request_not_found``; 403 ``not_your_request``; 409 ``assembly_not_open``,
    ``request_not_pending``.
    """
    row = (await session.execute(
        select(SpeakerRequest.agenda_item_id, SpeakerRequest.assembly_id, SpeakerRequest.delegation_id)
        .where(SpeakerRequest.id == request_id)
    )).first()
    if row is None:
        raise NotFound(f"no speaker's request with id {request_id}", code="speaker_request_not_found")
    item_id, assembly_id, delegation_id = row
    status = await lock_assembly_status(session, assembly_id)
    seat = await delegation_of_user(session, assembly_id, actor.user_id)
    if seat is None or seat.delegation_id != delegation_id:
        try:
            await require_chair(session, actor, assembly_id)
        except Forbidden:
            raise Forbidden("only a delegate of the requesting delegation or the chair may withdraw this request",
                            code="not_your_request") from None
    refusal = sitting_refusal(status)
    if refusal:
        raise_refusal(refusal)
    item = await lock_item(session, item_id)
    request = await session.scalar(select(SpeakerRequest).where(SpeakerRequest.id == request_id)
                                   .execution_options(populate_existing=True))
    assert request is not None
    refusal = withdraw_refusal(str(request.status))
    if refusal:
        raise_refusal(refusal)
    request.status = SpeakerRequestStatus.WITHDRAWN
    request.withdrawn_at = await database_now(session)
    request.withdrawn_by_user_id = actor.user_id
    return await _changed(session, actor, item, "request_withdrawn", subject_id=request.id, payload={
        "request_id": str(request.id), "delegation_id": str(delegation_id),
    })


async def give_floor(
    session: AsyncSession, actor: Principal, item_id: uuid.UUID, request_id: uuid.UUID | None
) -> SpeakersView:
    """The chair gives the floor to the next in speaking order, or to the waiting request ``request_id``.

    Refused: 404 ``agenda_item_not_found``; 403 ``assembly_role_required``; 409 ``assembly_not_open``,
    ``item_closed``, ``item_not_open``, ``speaker_has_floor``, ``no_pending_requests``,
    ``request_not_pending``; 422 ``unknown_request`` (field ``request_id``: not a request on this item).
    """
    item = await _begin_chair_command(session, actor, item_id)
    requests = (await session.scalars(
        select(SpeakerRequest).where(SpeakerRequest.agenda_item_id == item.id,
                                     SpeakerRequest.status.in_([SpeakerRequestStatus.PENDING,
                                                                SpeakerRequestStatus.SPEAKING]))
        .execution_options(populate_existing=True)
    )).all()
    pending = {r.id: r for r in requests if r.status == SpeakerRequestStatus.PENDING}
    speaking = any(r.status == SpeakerRequestStatus.SPEAKING for r in requests)
    refusal = give_floor_refusal(item_status=str(item.status), someone_speaking=speaking, waiting=len(pending))
    if refusal:
        raise_refusal(refusal)
    if request_id is None:
        order = speaking_order(QueuedRequest(r.id, str(r.kind), r.request_no) for r in pending.values())
        chosen = pending[order[0].request_id]
    elif request_id in pending:
        chosen = pending[request_id]
    else:
        on_item = await session.scalar(select(SpeakerRequest.status).where(
            SpeakerRequest.id == request_id, SpeakerRequest.agenda_item_id == item.id))
        if on_item is None:
            raise InvalidInput.for_field("request_id", "not a request on this item's list", code="unknown_request")
        raise Conflict(f"the request is {on_item}; only a waiting request can be given the floor",
                       code="request_not_pending")
    chosen.status = SpeakerRequestStatus.SPEAKING
    chosen.started_at = await database_now(session)
    chosen.given_floor_by_user_id = actor.user_id
    return await _changed(session, actor, item, "floor_given", subject_id=chosen.id, payload={
        "request_id": str(chosen.id), "delegation_id": str(chosen.delegation_id), "kind": str(chosen.kind),
        "chosen_by_chair": request_id is not None,
    })


async def end_speech(session: AsyncSession, actor: Principal, item_id: uuid.UUID) -> SpeakersView:
    """The chair ends the speech under way (its end is the database's time).

    Refused: 404 ``agenda_item_not_found``; 403 ``assembly_role_required``; 409 ``assembly_not_open``,
    ``item_closed``, ``item_not_open``, ``no_current_speaker``.
    """
    item = await _begin_chair_command(session, actor, item_id)
    speaker = await session.scalar(
        select(SpeakerRequest).where(SpeakerRequest.agenda_item_id == item.id,
                                     SpeakerRequest.status == SpeakerRequestStatus.SPEAKING)
        .execution_options(populate_existing=True)
    )
    refusal = end_speech_refusal(item_status=str(item.status), someone_speaking=speaker is not None)
    if refusal:
        raise_refusal(refusal)
    assert speaker is not None
    assert speaker.started_at is not None
    now = await database_now(session)
    speaker.status = SpeakerRequestStatus.SPOKEN
    speaker.ended_at = now
    timing = speech_timing(speaker.started_at, now, item.speech_limit_seconds)
    return await _changed(session, actor, item, "speech_ended", subject_id=speaker.id, payload={
        "request_id": str(speaker.id), "delegation_id": str(speaker.delegation_id),
        "elapsed_seconds": timing.elapsed_seconds, "overrun_seconds": timing.overrun_seconds,
    })


async def _switch_list(session: AsyncSession, actor: Principal, item_id: uuid.UUID, *, open_it: bool) -> SpeakersView:
    item = await _begin_chair_command(session, actor, item_id)
    refusal = list_switch_refusal(item_status=str(item.status), list_open=item.speakers_list_open, open_it=open_it)
    if refusal:
        raise_refusal(refusal)
    item.speakers_list_open = open_it
    return await _changed(session, actor, item, "list_reopened" if open_it else "list_closed")


async def close_speakers_list(session: AsyncSession, actor: Principal, item_id: uuid.UUID) -> SpeakersView:
    """The chair closes the list: no new requests to speak; those on it still speak; points of order still may.

    Refused: 404, 403 ``assembly_role_required``; 409 ``assembly_not_open``, ``item_closed``,
    ``item_not_open``, ``speakers_list_already_closed``.
    """
    return await _switch_list(session, actor, item_id, open_it=False)


async def reopen_speakers_list(session: AsyncSession, actor: Principal, item_id: uuid.UUID) -> SpeakersView:
    """The chair reopens a closed list (409 ``speakers_list_already_open`` when it is open)."""
    return await _switch_list(session, actor, item_id, open_it=True)
