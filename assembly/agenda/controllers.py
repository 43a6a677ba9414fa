"""HTTP routes of the agenda, the speakers' lists and quorum calls.

Handlers parse, check the login (guards), call one service method and shape the response; the
chair's and the delegates' rights depend on data and are checked in the services. Any logged-in
user (observers included) reads. Who may call what is in docs/agenda.md.
"""

from __future__ import annotations

import uuid
from functools import partial
from typing import Annotated, Any

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, Request, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.security.jwt import Token
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.agenda import services
from assembly.agenda.models import AgendaItem, QuorumCall, SpeakerRequestKind
from assembly.agenda.schemas import (
    AgendaItemCreate,
    AgendaItemRead,
    AgendaItemUpdate,
    AgendaRead,
    AgendaReorder,
    CurrentItemSet,
    FloorGive,
    FloorRequest,
    QuorumCallRead,
    QuorumCheckRead,
    SpeakerRead,
    SpeakersRead,
)
from assembly.core.guards import current_principal, requires_login
from assembly.core.openapi import DEFAULT_PROBLEM_DESCRIPTIONS, problem_responses
from assembly.core.security import Principal

__all__ = ("AgendaController", "AgendaItemController", "SpeakerRequestController")

Limit = Annotated[int, QueryParameter(ge=1, le=200, description="Page size (1 to 200)")]
Offset = Annotated[int, QueryParameter(ge=0, le=1_000_000, description="Items to skip")]
CallerRequest = Request[Principal, Token, Any]

_PROBLEM_DESCRIPTIONS = {
    **DEFAULT_PROBLEM_DESCRIPTIONS,
    404: "No such assembly, agenda item or speaker's request",
}
_problems = partial(problem_responses, _PROBLEM_DESCRIPTIONS)


# -- Shaping responses ------------------------------------------------------------------------------


def _item_read(item: AgendaItem) -> AgendaItemRead:
    return AgendaItemRead(
        id=item.id, assembly_id=item.assembly_id, position=item.position, title=item.title, kind=item.kind,
        status=item.status, is_current=item.is_current, speakers_list_open=item.speakers_list_open,
        time_allotment_seconds=item.time_allotment_seconds, speech_limit_seconds=item.speech_limit_seconds,
        motion_id=item.motion_id, ballot_id=item.ballot_id, version=item.version, opened_at=item.opened_at,
        closed_at=item.closed_at, created_at=item.created_at, updated_at=item.updated_at,
    )


def _agenda_read(view: services.AgendaView) -> AgendaRead:
    return AgendaRead(assembly_id=view.assembly_id, version=view.version, current_item_id=view.current_item_id,
                      stream_position=view.stream_position, items=[_item_read(item) for item in view.items])


def _speaker_read(entry: services.SpeakerEntry) -> SpeakerRead:
    r, timing = entry.request, entry.timing
    return SpeakerRead(
        request_id=r.id, delegation_id=r.delegation_id, member_name=entry.member_name, kind=r.kind, status=r.status,
        request_no=r.request_no, position=entry.position, requested_at=r.requested_at, started_at=r.started_at,
        ended_at=r.ended_at, elapsed_seconds=timing.elapsed_seconds if timing else None,
        remaining_seconds=timing.remaining_seconds if timing else None,
        overrun_seconds=timing.overrun_seconds if timing else None,
    )


def _speakers_read(view: services.SpeakersView) -> SpeakersRead:
    item = view.item
    return SpeakersRead(
        agenda_item_id=item.id, assembly_id=item.assembly_id, item_status=item.status,
        list_open=item.speakers_list_open, version=item.version, server_time=view.now,
        speech_limit_seconds=item.speech_limit_seconds, time_allotment_seconds=item.time_allotment_seconds,
        time_used_seconds=view.time_used_seconds, time_remaining_seconds=view.time_remaining_seconds,
        current_speaker=_speaker_read(view.current) if view.current else None,
        waiting=[_speaker_read(e) for e in view.waiting], spoken=[_speaker_read(e) for e in view.spoken],
        my_delegation_id=view.my_delegation_id,
        my_request=_speaker_read(view.my_request) if view.my_request else None,
        my_position=view.my_request.position if view.my_request else None,
        stream_position=view.stream_position,
    )


def _quorum_read(call: QuorumCall) -> QuorumCallRead:
    def kind(purpose: str) -> str:
        threshold = call.thresholds.get(purpose)
        return str(threshold.get("kind", "")) if isinstance(threshold, dict) else ""

    return QuorumCallRead(
        id=call.id, assembly_id=call.assembly_id, agenda_item_id=call.agenda_item_id,
        called_by_user_id=call.called_by_user_id, called_at=call.called_at, rule_set_version=call.rule_set_version,
        thresholds=call.thresholds, membership_count=call.membership_count, membership_weight=call.membership_weight,
        present_count=call.present_count, present_weight=call.present_weight,
        present_without_vote_count=call.present_without_vote_count,
        present_delegation_ids=[uuid.UUID(i) for i in call.present_delegation_ids],
        weights_sha256=call.weights_sha256, may_debate=call.may_debate, may_decide=call.may_decide,
        debate=QuorumCheckRead(kind=kind("to_debate"), met=call.may_debate, arithmetic=call.debate_arithmetic),
        decide=QuorumCheckRead(kind=kind("to_decide"), met=call.may_decide, arithmetic=call.decide_arithmetic),
    )


def _fields(data: AgendaItemCreate) -> services.ItemFields:
    return services.ItemFields(
        title=data.title, kind=data.kind, time_allotment_seconds=data.time_allotment_seconds,
        speech_limit_seconds=data.speech_limit_seconds, motion_id=data.motion_id, ballot_id=data.ballot_id,
    )


# -- An assembly's agenda and quorum calls ---------------------------------------------------------


class AgendaController(Controller):
    """An assembly's agenda as a whole, and its quorum calls."""

    path = "/api/assemblies"
    tags = ["agenda"]  # noqa: RUF012  (Litestar reads a plain class attribute)
    guards = [requires_login]  # noqa: RUF012

    @get("/{assembly_id:uuid}/agenda", operation_id="GetAgenda",
         summary="Read an assembly's agenda, its current item and the live stream position",
         responses=_problems(401, 404))
    async def get_agenda(self, assembly_id: FromPath[uuid.UUID],
                         db_session: NamedDependency[AsyncSession]) -> AgendaRead:
        """Any logged-in user: items in order; resume the event stream from ``stream_position``."""
        return _agenda_read(await services.get_agenda(db_session, assembly_id))

    @post("/{assembly_id:uuid}/agenda-items", operation_id="CreateAgendaItem",
          summary="Add an item at the end of the agenda", responses=_problems(401, 403, 404, 409, 422))
    async def create_item(self, assembly_id: FromPath[uuid.UUID], data: JSONBody[AgendaItemCreate],
                          request: CallerRequest, db_session: NamedDependency[AsyncSession]) -> AgendaItemRead:
        """The chair or the secretariat: a new pending item."""
        item = await services.create_item(db_session, current_principal(request), assembly_id, _fields(data))
        return _item_read(item)

    @post("/{assembly_id:uuid}/agenda/reorder", operation_id="ReorderAgenda", status_code=200,
          summary="Put the agenda in a new order (every item, once)", responses=_problems(401, 403, 404, 409, 422))
    async def reorder(self, assembly_id: FromPath[uuid.UUID], data: JSONBody[AgendaReorder], request: CallerRequest,
                      db_session: NamedDependency[AsyncSession]) -> AgendaRead:
        """The chair or the secretariat: ``item_ids[i]`` gets position i + 1."""
        view = await services.reorder_agenda(db_session, current_principal(request), assembly_id, data.item_ids)
        return _agenda_read(view)

    @post("/{assembly_id:uuid}/agenda/set-current", operation_id="SetCurrentAgendaItem", status_code=200,
          summary="Make an item current, or none", responses=_problems(401, 403, 404, 409, 422))
    async def set_current(self, assembly_id: FromPath[uuid.UUID], data: JSONBody[CurrentItemSet],
                          request: CallerRequest, db_session: NamedDependency[AsyncSession]) -> AgendaRead:
        """The chair or the secretariat, while the assembly sits."""
        view = await services.set_current_item(db_session, current_principal(request), assembly_id, data.item_id)
        return _agenda_read(view)

    @post("/{assembly_id:uuid}/quorum-calls", operation_id="CallQuorum",
          summary="Run a quorum call: may the sitting debate, may it decide?", responses=_problems(401, 403, 404, 409))
    async def call_quorum(self, assembly_id: FromPath[uuid.UUID], request: CallerRequest,
                          db_session: NamedDependency[AsyncSession]) -> QuorumCallRead:
        """The chair or the secretariat: count the delegations present and apply the quorum rule."""
        return _quorum_read(await services.call_quorum(db_session, current_principal(request), assembly_id))

    @get("/{assembly_id:uuid}/quorum-calls", operation_id="ListQuorumCalls",
         summary="List an assembly's quorum calls, latest first", responses=_problems(401, 404))
    async def list_quorum_calls(self, assembly_id: FromPath[uuid.UUID], db_session: NamedDependency[AsyncSession],
                                limit: Limit = 50, offset: Offset = 0) -> OffsetPagination[QuorumCallRead]:
        """Any logged-in user: every call with its counts and arithmetic."""
        calls, total = await services.list_quorum_calls(db_session, assembly_id, limit=limit, offset=offset)
        return OffsetPagination(items=[_quorum_read(c) for c in calls], limit=limit, offset=offset, total=total)


# -- Agenda items and their speakers' lists --------------------------------------------------------


class AgendaItemController(Controller):
    """One agenda item: editing, status, and its speakers' list."""

    path = "/api/agenda-items"
    tags = ["agenda"]  # noqa: RUF012
    guards = [requires_login]  # noqa: RUF012

    @get("/{item_id:uuid}", operation_id="GetAgendaItem", summary="Read an agenda item",
         responses=_problems(401, 404))
    async def get_one(self, item_id: FromPath[uuid.UUID], db_session: NamedDependency[AsyncSession]) -> AgendaItemRead:
        """Any logged-in user."""
        return _item_read(await services.get_item(db_session, item_id))

    @put("/{item_id:uuid}", operation_id="UpdateAgendaItem",
         summary="Replace an item's title, kind, time limits and links", responses=_problems(401, 403, 404, 409, 422))
    async def update(self, item_id: FromPath[uuid.UUID], data: JSONBody[AgendaItemUpdate], request: CallerRequest,
                     db_session: NamedDependency[AsyncSession]) -> AgendaItemRead:
        """The chair or the secretariat, until the item is closed."""
        return _item_read(await services.update_item(db_session, current_principal(request), item_id, _fields(data)))

    @post("/{item_id:uuid}/open", operation_id="OpenAgendaItem", status_code=200,
          summary="Open an item and make it current", responses=_problems(401, 403, 404, 409))
    async def open_item(self, item_id: FromPath[uuid.UUID], request: CallerRequest,
                        db_session: NamedDependency[AsyncSession]) -> AgendaItemRead:
        """The chair or the secretariat: pending or deferred -> open."""
        return _item_read(await services.open_item(db_session, current_principal(request), item_id))

    @post("/{item_id:uuid}/close", operation_id="CloseAgendaItem", status_code=200,
          summary="Close an open item", responses=_problems(401, 403, 404, 409))
    async def close_item(self, item_id: FromPath[uuid.UUID], request: CallerRequest,
                         db_session: NamedDependency[AsyncSession]) -> AgendaItemRead:
        """The chair or the secretariat: open -> closed; the speech under way ends, waiting requests lapse."""
        return _item_read(await services.close_item(db_session, current_principal(request), item_id))

    @post("/{item_id:uuid}/defer", operation_id="DeferAgendaItem", status_code=200,
          summary="Defer a pending or open item", responses=_problems(401, 403, 404, 409))
    async def defer_item(self, item_id: FromPath[uuid.UUID], request: CallerRequest,
                         db_session: NamedDependency[AsyncSession]) -> AgendaItemRead:
        """The chair or the secretariat: pending or open -> deferred; waiting requests stay."""
        return _item_read(await services.defer_item(db_session, current_principal(request), item_id))

    @get("/{item_id:uuid}/speakers", operation_id="GetSpeakers",
         summary="Read an item's speakers' list with speaking times and my position", responses=_problems(401, 404))
    async def speakers(self, item_id: FromPath[uuid.UUID], request: CallerRequest,
                       db_session: NamedDependency[AsyncSession]) -> SpeakersRead:
        """Any logged-in user; ``my_request``/``my_position`` are the caller's delegation's."""
        return _speakers_read(await services.get_speakers(db_session, current_principal(request), item_id))

    @post("/{item_id:uuid}/speakers/requests", operation_id="RequestFloor",
          summary="Ask for the floor for my delegation", responses=_problems(401, 403, 404, 409, 422))
    async def request_floor(self, item_id: FromPath[uuid.UUID], request: CallerRequest,
                            db_session: NamedDependency[AsyncSession],
                            data: JSONBody[FloorRequest | None] = None) -> SpeakersRead:
        """A delegate of the assembly: a speech (also without a body) or a point of order; answers the list."""
        kind = data.kind if data else SpeakerRequestKind.SPEECH
        view = await services.request_floor(db_session, current_principal(request), item_id, kind)
        return _speakers_read(view)

    @post("/{item_id:uuid}/speakers/give-floor", operation_id="GiveFloor", status_code=200,
          summary="Give the floor to the next speaker or a chosen request",
          responses=_problems(401, 403, 404, 409, 422))
    async def give_floor(self, item_id: FromPath[uuid.UUID], request: CallerRequest,
                         db_session: NamedDependency[AsyncSession],
                         data: JSONBody[FloorGive | None] = None) -> SpeakersRead:
        """The chair or the secretariat; no body (or ``{}``) gives the floor to the next in speaking order."""
        view = await services.give_floor(db_session, current_principal(request), item_id,
                                         data.request_id if data else None)
        return _speakers_read(view)

    @post("/{item_id:uuid}/speakers/end-speech", operation_id="EndSpeech", status_code=200,
          summary="End the speech under way", responses=_problems(401, 403, 404, 409))
    async def end_speech(self, item_id: FromPath[uuid.UUID], request: CallerRequest,
                         db_session: NamedDependency[AsyncSession]) -> SpeakersRead:
        """The chair or the secretariat."""
        return _speakers_read(await services.end_speech(db_session, current_principal(request), item_id))

    @post("/{item_id:uuid}/speakers/close", operation_id="CloseSpeakersList", status_code=200,
          summary="Close the list of speakers", responses=_problems(401, 403, 404, 409))
    async def close_list(self, item_id: FromPath[uuid.UUID], request: CallerRequest,
                         db_session: NamedDependency[AsyncSession]) -> SpeakersRead:
        """The chair or the secretariat: no new requests to speak (points of order still)."""
        return _speakers_read(await services.close_speakers_list(db_session, current_principal(request), item_id))

    @post("/{item_id:uuid}/speakers/reopen", operation_id="ReopenSpeakersList", status_code=200,
          summary="Reopen the list of speakers", responses=_problems(401, 403, 404, 409))
    async def reopen_list(self, item_id: FromPath[uuid.UUID], request: CallerRequest,
                          db_session: NamedDependency[AsyncSession]) -> SpeakersRead:
        """The chair or the secretariat."""
        return _speakers_read(await services.reopen_speakers_list(db_session, current_principal(request), item_id))


class SpeakerRequestController(Controller):
    """Requests for the floor by id."""

    path = "/api/speaker-requests"
    tags = ["agenda"]  # noqa: RUF012
    guards = [requires_login]  # noqa: RUF012

    @post("/{request_id:uuid}/withdraw", operation_id="WithdrawFloorRequest", status_code=200,
          summary="Withdraw a pending request for the floor", responses=_problems(401, 403, 404, 409))
    async def withdraw(self, request_id: FromPath[uuid.UUID], request: CallerRequest,
                       db_session: NamedDependency[AsyncSession]) -> SpeakersRead:
        """A delegate of the requesting delegation, the chair or the secretariat."""
        return _speakers_read(await services.withdraw_request(db_session, current_principal(request), request_id))
