"""Use cases of the agenda: items, their order, their status and the current item; reading the agenda."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.agenda.models import (
    Agenda,
    AgendaItem,
    AgendaItemKind,
    AgendaItemStatus,
    SpeakerRequest,
    SpeakerRequestStatus,
)
from assembly.agenda.rules import (
    MAX_AGENDA_ITEMS,
    agenda_change_refusal,
    clear_current_refusal,
    item_edit_refusal,
    item_transition_refusal,
    reorder_problems,
    sitting_refusal,
)
from assembly.agenda.services._common import (
    database_now,
    item_assembly_id,
    lock_agenda,
    lock_assembly_status,
    lock_item,
    raise_refusal,
    require_chair,
)
from assembly.assemblies.models import Assembly
from assembly.audit.services import record_event
from assembly.core.errors import Conflict, InvalidInput, NotFound
from assembly.core.security import Principal
from assembly.live.services import emit, stream_position

__all__ = (
    "AgendaView",
    "ItemFields",
    "close_item",
    "create_item",
    "defer_item",
    "get_agenda",
    "get_item",
    "open_item",
    "reorder_agenda",
    "set_current_item",
    "update_item",
)


@dataclass(frozen=True, slots=True)
class ItemFields:
    """What the chair sets on an item when creating or editing it."""

    title: str
    kind: AgendaItemKind
    time_allotment_seconds: int | None = None
    speech_limit_seconds: int | None = None
    motion_id: uuid.UUID | None = None
    ballot_id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class AgendaView:
    """An assembly's agenda as clients fetch it."""

    assembly_id: uuid.UUID
    version: int
    """The agenda's version (0 before it has an item)."""
    items: list[AgendaItem]
    """In agenda order."""
    stream_position: int
    """The assembly's live stream position read *before* the agenda: resume the stream from it."""

    @property
    def current_item_id(self) -> uuid.UUID | None:
        """The current item, if any."""
        return next((item.id for item in self.items if item.is_current), None)


def _fields_payload(fields: ItemFields) -> dict[str, object]:
    return {
        "title": fields.title,
        "kind": str(fields.kind),
        "time_allotment_seconds": fields.time_allotment_seconds,
        "speech_limit_seconds": fields.speech_limit_seconds,
        "motion_id": str(fields.motion_id) if fields.motion_id else None,
        "ballot_id": str(fields.ballot_id) if fields.ballot_id else None,
    }


async def get_agenda(session: AsyncSession, assembly_id: uuid.UUID) -> AgendaView:
    """The items in order, the current one, the agenda's version and the stream position; 404 ``assembly_not_found``.

    The stream position is read first: an event committed while the agenda is read has a higher
    number, so a client resuming from this position re-fetches rather than misses it.
    """
    position = await stream_position(session, assembly_id)
    if await session.scalar(select(Assembly.id).where(Assembly.id == assembly_id)) is None:
        raise NotFound(f"no assembly with id {assembly_id}", code="assembly_not_found")
    version = await session.scalar(select(Agenda.version).where(Agenda.assembly_id == assembly_id))
    items = (await session.scalars(
        select(AgendaItem).where(AgendaItem.assembly_id == assembly_id).order_by(AgendaItem.position)
        .execution_options(populate_existing=True)  # after a command: exactly what was stored
    )).all()
    return AgendaView(assembly_id, int(version or 0), list(items), position)


async def get_item(session: AsyncSession, item_id: uuid.UUID) -> AgendaItem:
    """One agenda item; 404 ``agenda_item_not_found``."""
    item = await session.scalar(select(AgendaItem).where(AgendaItem.id == item_id))
    if item is None:
        raise NotFound(f"no agenda item with id {item_id}", code="agenda_item_not_found")
    return item


async def _begin_agenda_command(
    session: AsyncSession, actor: Principal, assembly_id: uuid.UUID, *, sitting: bool
) -> int:
    """Check the assembly (404), the chair (403) and its status (409); lock the agenda; return its new version."""
    status = await lock_assembly_status(session, assembly_id)
    await require_chair(session, actor, assembly_id)
    refusal = sitting_refusal(status) if sitting else agenda_change_refusal(status)
    if refusal:
        raise_refusal(refusal)
    return await lock_agenda(session, assembly_id)


async def create_item(
    session: AsyncSession, actor: Principal, assembly_id: uuid.UUID, fields: ItemFields
) -> AgendaItem:
    """Add an item at the end of the agenda (the chair or the secretariat).

    Refused: 404 ``assembly_not_found``; 403 ``assembly_role_required``; 409 ``assembly_closed``;
    409 ``agenda_full`` past :data:`~assembly.agenda.rules.MAX_AGENDA_ITEMS` items.
    """
    agenda_version = await _begin_agenda_command(session, actor, assembly_id, sitting=False)
    count = int(await session.scalar(
        select(func.count()).select_from(AgendaItem).where(AgendaItem.assembly_id == assembly_id)) or 0)
    if count >= MAX_AGENDA_ITEMS:
        raise Conflict(f"an agenda holds at most {MAX_AGENDA_ITEMS} items", code="agenda_full")
    item = AgendaItem(
        assembly_id=assembly_id, position=count + 1, title=fields.title, kind=fields.kind,
        status=AgendaItemStatus.PENDING, is_current=False, speakers_list_open=True,
        time_allotment_seconds=fields.time_allotment_seconds, speech_limit_seconds=fields.speech_limit_seconds,
        motion_id=fields.motion_id, ballot_id=fields.ballot_id, version=1, created_by_user_id=actor.user_id,
    )
    session.add(item)
    await session.flush()
    await record_event(session, "agenda.item_created", assembly_id=assembly_id, subject_id=item.id,
                       actor_user_id=actor.user_id,
                       payload={**_fields_payload(fields), "position": item.position, "agenda_version": agenda_version})
    await emit(session, stream_id=assembly_id, event_type="agenda.item_created", subject_id=item.id,
               version=item.version, data={"position": item.position})
    return item


async def update_item(session: AsyncSession, actor: Principal, item_id: uuid.UUID, fields: ItemFields) -> AgendaItem:
    """Replace an item's title, kind, time limits and links (the chair or the secretariat).

    Refused: 404 ``agenda_item_not_found``; 403 ``assembly_role_required``; 409 ``assembly_closed``,
    ``item_closed``.
    """
    assembly_id = await item_assembly_id(session, item_id)
    agenda_version = await _begin_agenda_command(session, actor, assembly_id, sitting=False)
    item = await lock_item(session, item_id)
    refusal = item_edit_refusal(str(item.status))
    if refusal:
        raise_refusal(refusal)
    before = _fields_payload(ItemFields(item.title, item.kind, item.time_allotment_seconds, item.speech_limit_seconds,
                                        item.motion_id, item.ballot_id))
    item.title, item.kind = fields.title, fields.kind
    item.time_allotment_seconds, item.speech_limit_seconds = fields.time_allotment_seconds, fields.speech_limit_seconds
    item.motion_id, item.ballot_id = fields.motion_id, fields.ballot_id
    item.version += 1
    await session.flush()
    await record_event(session, "agenda.item_updated", assembly_id=assembly_id, subject_id=item.id,
                       actor_user_id=actor.user_id,
                       payload={"before": before, "after": _fields_payload(fields), "version": item.version,
                                "agenda_version": agenda_version})
    await emit(session, stream_id=assembly_id, event_type="agenda.item_updated", subject_id=item.id,
               version=item.version)
    return item


async def reorder_agenda(
    session: AsyncSession, actor: Principal, assembly_id: uuid.UUID, item_ids: Sequence[uuid.UUID]
) -> AgendaView:
    """Put the agenda in the given order: ``item_ids[i]`` gets position i + 1 (the chair or the secretariat).

    The list must name every item of the agenda exactly once: 422 ``duplicate_items``,
    ``unknown_items`` (field ``item_ids[i]``) or ``missing_items`` (field ``item_ids``), every
    problem listed in ``errors``. Also 404 ``assembly_not_found``, 403 ``assembly_role_required``,
    409 ``assembly_closed``.
    """
    agenda_version = await _begin_agenda_command(session, actor, assembly_id, sitting=False)
    items = (await session.scalars(
        select(AgendaItem).where(AgendaItem.assembly_id == assembly_id).order_by(AgendaItem.position)
    )).all()
    problems = reorder_problems((item.id for item in items), item_ids)
    if problems:
        errors = [{"field": p.field, "message": p.message} for p in problems]
        raise InvalidInput("; ".join(f"{e['field']}: {e['message']}" for e in errors), code=problems[0].code,
                           errors=errors)
    before = [str(item.id) for item in items]
    by_id = {item.id: item for item in items}
    for position, item_id in enumerate(item_ids, start=1):
        item = by_id[item_id]
        if item.position != position:
            item.position = position
            item.version += 1
    # UNIQUE (assembly_id, position) is checked at commit, so the intermediate swaps pass.
    await session.flush()
    await record_event(session, "agenda.reordered", assembly_id=assembly_id, subject_id=assembly_id,
                       actor_user_id=actor.user_id,
                       payload={"before": before, "after": [str(i) for i in item_ids],
                                "agenda_version": agenda_version})
    await emit(session, stream_id=assembly_id, event_type="agenda.reordered", subject_id=assembly_id,
               version=agenda_version)
    return await get_agenda(session, assembly_id)


async def _move_current(
    session: AsyncSession, assembly_id: uuid.UUID, target: AgendaItem | None, *, bump_target: bool = True
) -> uuid.UUID | None:
    """Make ``target`` the current item (None: no item); return the previous current item's id.

    The previous one is cleared and flushed first: the partial unique index allows one current
    item at any moment, and an index is not deferrable. Each item changed gets one version more
    (``bump_target=False`` when the command has already bumped the target's).
    """
    previous = await session.scalar(
        select(AgendaItem).where(AgendaItem.assembly_id == assembly_id, AgendaItem.is_current.is_(True))
        .with_for_update(key_share=True).execution_options(populate_existing=True)
    )
    if previous is not None:
        previous.is_current = False
        previous.version += 1
        await session.flush()
    if target is not None:
        target.is_current = True
        if bump_target:
            target.version += 1
        await session.flush()
    return previous.id if previous is not None else None


async def _emit_current_changed(
    session: AsyncSession, actor: Principal, assembly_id: uuid.UUID, agenda_version: int, *,
    previous: uuid.UUID | None, current: uuid.UUID | None,
) -> None:
    await record_event(session, "agenda.current_changed", assembly_id=assembly_id, subject_id=current,
                       actor_user_id=actor.user_id,
                       payload={"previous_item_id": str(previous) if previous else None,
                                "current_item_id": str(current) if current else None,
                                "agenda_version": agenda_version})
    await emit(session, stream_id=assembly_id, event_type="agenda.current_changed", subject_id=current,
               version=agenda_version, data={"previous_item_id": str(previous) if previous else None})


async def set_current_item(
    session: AsyncSession, actor: Principal, assembly_id: uuid.UUID, item_id: uuid.UUID | None
) -> AgendaView:
    """Make an item of the agenda current, whatever its status, or (None) leave no item current.

    Refused: 404 ``assembly_not_found``; 403 ``assembly_role_required``; 409 ``assembly_not_open``;
    422 ``unknown_item`` (field ``item_id``: not an item of this agenda); 409 ``already_current``.
    """
    agenda_version = await _begin_agenda_command(session, actor, assembly_id, sitting=True)
    target: AgendaItem | None = None
    if item_id is not None:
        target = await session.scalar(
            select(AgendaItem).where(AgendaItem.id == item_id, AgendaItem.assembly_id == assembly_id)
            .with_for_update(key_share=True).execution_options(populate_existing=True)
        )
        if target is None:
            raise InvalidInput.for_field("item_id", "not an item of this agenda", code="unknown_item")
    current = await session.scalar(
        select(AgendaItem.id).where(AgendaItem.assembly_id == assembly_id, AgendaItem.is_current.is_(True)))
    refusal = clear_current_refusal(current, item_id)
    if refusal:
        raise_refusal(refusal)
    previous = await _move_current(session, assembly_id, target)
    await _emit_current_changed(session, actor, assembly_id, agenda_version, previous=previous, current=item_id)
    return await get_agenda(session, assembly_id)


async def _end_speech_and_requests(
    session: AsyncSession, item: AgendaItem, *, lapse_pending: bool
) -> tuple[bool, int]:
    """End the speech under way (database time) and, when closing, lapse the pending requests.

    Returns (a speech was ended, how many requests lapsed).
    """
    now = await database_now(session)
    ended = await session.execute(
        update(SpeakerRequest)
        .where(SpeakerRequest.agenda_item_id == item.id, SpeakerRequest.status == SpeakerRequestStatus.SPEAKING)
        .values(status=SpeakerRequestStatus.SPOKEN, ended_at=now)
        .returning(SpeakerRequest.id)
    )
    speech_ended = ended.first() is not None
    lapsed = 0
    if lapse_pending:
        rows = await session.execute(
            update(SpeakerRequest)
            .where(SpeakerRequest.agenda_item_id == item.id, SpeakerRequest.status == SpeakerRequestStatus.PENDING)
            .values(status=SpeakerRequestStatus.LAPSED, withdrawn_at=now)
            .returning(SpeakerRequest.id)
        )
        lapsed = len(rows.all())
    return speech_ended, lapsed


async def _transition(
    session: AsyncSession, actor: Principal, item_id: uuid.UUID, target: Literal["open", "closed", "deferred"]
) -> AgendaItem:
    assembly_id = await item_assembly_id(session, item_id)
    agenda_version = await _begin_agenda_command(session, actor, assembly_id, sitting=True)
    item = await lock_item(session, item_id)
    previous_status = str(item.status)
    refusal = item_transition_refusal(previous_status, target)
    if refusal:
        raise_refusal(refusal)
    now = await database_now(session)
    item.status = AgendaItemStatus(target)
    item.version += 1
    speech_ended, lapsed = False, 0
    if target == "open" and item.opened_at is None:
        item.opened_at = now
    if target == "closed":
        item.closed_at = now
    if target in ("closed", "deferred"):
        speech_ended, lapsed = await _end_speech_and_requests(session, item, lapse_pending=target == "closed")
    await session.flush()
    previous_current: uuid.UUID | None = None
    became_current = target == "open" and not item.is_current
    if became_current:
        # Opening an item takes the sitting to it.
        previous_current = await _move_current(session, assembly_id, item, bump_target=False)
    event = {"open": "agenda.item_opened", "closed": "agenda.item_closed", "deferred": "agenda.item_deferred"}[target]
    await record_event(session, event, assembly_id=assembly_id, subject_id=item.id, actor_user_id=actor.user_id,
                       payload={"previous_status": previous_status, "status": target, "version": item.version,
                                "speech_ended": speech_ended, "requests_lapsed": lapsed,
                                "agenda_version": agenda_version})
    await emit(session, stream_id=assembly_id, event_type=event, subject_id=item.id, version=item.version,
               data={"status": target})
    if became_current:
        await _emit_current_changed(session, actor, assembly_id, agenda_version, previous=previous_current,
                                    current=item.id)
    if speech_ended or lapsed:
        await emit(session, stream_id=assembly_id, event_type="speakers.changed", subject_id=item.id,
                   version=item.version, data={"change": "item_" + target})
    return item


async def open_item(session: AsyncSession, actor: Principal, item_id: uuid.UUID) -> AgendaItem:
    """Open a pending or deferred item and make it current (the chair or the secretariat).

    Refused: 404 ``agenda_item_not_found``; 403 ``assembly_role_required``; 409 ``assembly_not_open``,
    ``item_already_open``, ``item_closed``.
    """
    return await _transition(session, actor, item_id, "open")


async def close_item(session: AsyncSession, actor: Principal, item_id: uuid.UUID) -> AgendaItem:
    """Close an open item: the speech under way ends, pending requests lapse; the item stays current.

    Refused: 404 ``agenda_item_not_found``; 403 ``assembly_role_required``; 409 ``assembly_not_open``,
    ``item_not_open`` (pending or deferred), ``item_already_closed``.
    """
    return await _transition(session, actor, item_id, "closed")


async def defer_item(session: AsyncSession, actor: Principal, item_id: uuid.UUID) -> AgendaItem:
    """Defer a pending or open item: the speech under way ends, pending requests wait for its reopening.

    Refused: 404 ``agenda_item_not_found``; 403 ``assembly_role_required``; 409 ``assembly_not_open``,
    ``item_already_deferred``, ``item_closed``.
    """
    return await _transition(session, actor, item_id, "deferred")
