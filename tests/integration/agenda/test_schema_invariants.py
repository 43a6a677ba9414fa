"""The agenda tables refuse, by themselves, what the services never write: the schema holds the invariants."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.agenda import services
from assembly.agenda.models import AgendaItem, SpeakerRequest, SpeakerRequestKind, SpeakerRequestStatus
from assembly.assemblies.services._common import constraint_name

if TYPE_CHECKING:
    import uuid

    from tests.integration.agenda.conftest import Floor


async def _refused(floor: Floor, statement: Any, constraint: str, *, at_commit: bool = False) -> None:
    async def write() -> None:
        await session.execute(statement)
        if at_commit:
            await session.commit()

    async with floor.database.sessionmaker() as session:
        with pytest.raises(IntegrityError) as caught:
            await write()
        await session.rollback()
    assert constraint_name(caught.value) == constraint


def _request_row(item_id: uuid.UUID, assembly_id: uuid.UUID, delegation_id: uuid.UUID, user_id: uuid.UUID,
                 request_no: int, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "assembly_id": assembly_id, "agenda_item_id": item_id, "delegation_id": delegation_id,
        "requested_by_user_id": user_id, "kind": SpeakerRequestKind.SPEECH, "status": SpeakerRequestStatus.PENDING,
        "request_no": request_no,
    }
    row.update(values)
    return row


async def test_at_most_one_current_item(floor: Floor) -> None:
    sitting = await floor.sitting(delegations=0)
    first = await floor.item(sitting, open_it=True)
    second = await floor.item(sitting)
    assert first != second
    await _refused(floor, update(AgendaItem).where(AgendaItem.id == second).values(is_current=True),
                   "uq_agenda_item_one_current")


async def test_positions_are_unique_per_assembly_at_commit(floor: Floor) -> None:
    sitting = await floor.sitting(delegations=0)
    await floor.item(sitting)
    second = await floor.item(sitting)
    await _refused(floor, update(AgendaItem).where(AgendaItem.id == second).values(position=1),
                   "uq_agenda_item_assembly_position", at_commit=True)


async def test_one_pending_request_per_delegation_and_one_speaker(floor: Floor) -> None:
    sitting = await floor.sitting()
    item_id = await floor.item(sitting, open_it=True)
    await services.request_floor(floor.session, sitting.delegates[0], item_id, SpeakerRequestKind.SPEECH)
    await services.request_floor(floor.session, sitting.delegates[1], item_id, SpeakerRequestKind.SPEECH)
    await services.give_floor(floor.session, sitting.chair, item_id, None)
    await floor.session.commit()
    await floor.session.execute(update(SpeakerRequest).where(SpeakerRequest.status == SpeakerRequestStatus.PENDING)
                                .values(status=SpeakerRequestStatus.WITHDRAWN, withdrawn_at=func.now()))
    await floor.session.commit()
    pending = _request_row(item_id, sitting.assembly_id, sitting.delegations[1], sitting.delegates[1].user_id, 3)
    async with floor.database.sessionmaker() as session:
        await session.execute(insert(SpeakerRequest).values(**pending))
        await session.commit()
    await _refused(floor, insert(SpeakerRequest).values(**{**pending, "request_no": 4}),
                   "uq_speaker_request_one_pending")
    await _refused(floor, update(SpeakerRequest).where(SpeakerRequest.request_no == 3)
                   .values(status=SpeakerRequestStatus.SPEAKING, started_at=func.now()),
                   "uq_speaker_request_one_speaking")


async def test_a_request_belongs_to_a_delegation_of_the_items_assembly(floor: Floor) -> None:
    sitting = await floor.sitting()
    other = await floor.sitting()
    item_id = await floor.item(sitting, open_it=True)
    foreign = _request_row(item_id, sitting.assembly_id, other.delegations[0], other.delegates[0].user_id, 1)
    await _refused(floor, insert(SpeakerRequest).values(**foreign), "fk_speaker_request_delegation")


async def test_status_and_times_agree(floor: Floor, session: AsyncSession) -> None:
    sitting = await floor.sitting()
    item_id = await floor.item(sitting, open_it=True)
    await services.request_floor(session, sitting.delegates[0], item_id, SpeakerRequestKind.SPEECH)
    await session.commit()
    await _refused(floor, update(SpeakerRequest).values(status=SpeakerRequestStatus.SPOKEN),
                   "ck_speaker_request_status_matches_times")
    await _refused(floor, update(AgendaItem).where(AgendaItem.id == item_id).values(status="closed"),
                   "ck_agenda_item_closed_has_time")


async def test_speaking_times_are_the_databases(floor: Floor) -> None:
    sitting = await floor.sitting()
    item_id = await floor.item(sitting, open_it=True)
    async with floor.database.sessionmaker() as session:
        await services.request_floor(session, sitting.delegates[0], item_id, SpeakerRequestKind.SPEECH)
        view = await services.give_floor(session, sitting.chair, item_id, None)
        transaction_time = await session.scalar(text("SELECT now()"))
        assert view.current is not None
        assert view.current.request.started_at == transaction_time
        assert view.now == transaction_time
        await session.commit()
    started = await floor.session.scalar(select(SpeakerRequest.started_at))
    assert started == transaction_time
