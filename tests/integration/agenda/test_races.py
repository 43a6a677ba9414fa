"""Races on the agenda and the speakers' list, settled by PostgreSQL (row locks, backed by unique indexes).

Each "waits" test holds the first transaction open until the second is provably waiting on its lock,
then commits, so the second goes through the database's arbitration, not a lucky ordering. The
"gather" tests fire whole transactions at once.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.agenda import services
from assembly.agenda.models import AgendaItem, AgendaItemKind, SpeakerRequest, SpeakerRequestKind, SpeakerRequestStatus
from assembly.core.errors import AssemblyError, Conflict

if TYPE_CHECKING:
    from tests.integration.agenda.conftest import Floor


async def _second_waits_then_loses(first: Awaitable[object], second: Awaitable[object],
                                   commit_first: Awaitable[None]) -> Conflict:
    await first
    task = asyncio.ensure_future(second)
    await asyncio.sleep(0.5)
    assert not task.done(), "the second transaction should be waiting on the first"
    await commit_first
    with pytest.raises(Conflict) as caught:
        await task
    return caught.value


async def _in_own_transaction(floor: Floor, use_case: Callable[[AsyncSession], Awaitable[object]]) -> str:
    """Run one use case in its own session and commit; answer "ok" or the refusal's code."""
    async with floor.database.sessionmaker() as session:
        try:
            await use_case(session)
        except AssemblyError as error:
            await session.rollback()
            return error.code
        await session.commit()
        return "ok"


async def test_two_requests_of_one_delegation_the_second_waits_and_is_refused(floor: Floor) -> None:
    sitting = await floor.sitting()
    item_id = await floor.item(sitting, open_it=True)
    colleague = await floor.colleague(sitting)
    sessionmaker = floor.database.sessionmaker
    async with sessionmaker() as one, sessionmaker() as two:
        error = await _second_waits_then_loses(
            services.request_floor(one, sitting.delegates[0], item_id, SpeakerRequestKind.SPEECH),
            services.request_floor(two, colleague, item_id, SpeakerRequestKind.POINT_OF_ORDER),
            one.commit(),
        )
        await two.rollback()
    assert error.code == "request_pending"
    rows = (await floor.session.scalars(select(SpeakerRequest).where(SpeakerRequest.agenda_item_id == item_id))).all()
    assert [(r.requested_by_user_id, r.kind) for r in rows] == [(sitting.delegates[0].user_id, "speech")]


async def test_two_requests_of_one_delegation_at_once_one_wins(floor: Floor) -> None:
    sitting = await floor.sitting()
    item_id = await floor.item(sitting, open_it=True)
    colleague = await floor.colleague(sitting)
    outcomes = await asyncio.gather(*(
        _in_own_transaction(floor, lambda s, who=who: services.request_floor(s, who, item_id,
                                                                              SpeakerRequestKind.SPEECH))
        for who in (sitting.delegates[0], colleague, sitting.delegates[0], colleague)
    ))
    assert sorted(outcomes) == ["ok", "request_pending", "request_pending", "request_pending"]
    pending = await floor.session.scalar(select(func.count()).select_from(SpeakerRequest).where(
        SpeakerRequest.delegation_id == sitting.delegations[0], SpeakerRequest.status == SpeakerRequestStatus.PENDING))
    assert pending == 1


async def test_many_delegations_at_once_are_numbered_without_gaps(floor: Floor) -> None:
    sitting = await floor.sitting(delegations=6)
    item_id = await floor.item(sitting, open_it=True)
    outcomes = await asyncio.gather(*(
        _in_own_transaction(floor, lambda s, who=who: services.request_floor(s, who, item_id,
                                                                              SpeakerRequestKind.SPEECH))
        for who in sitting.delegates
    ))
    assert outcomes == ["ok"] * 6
    numbers = (await floor.session.scalars(select(SpeakerRequest.request_no)
                                           .where(SpeakerRequest.agenda_item_id == item_id)
                                           .order_by(SpeakerRequest.request_no))).all()
    assert numbers == [1, 2, 3, 4, 5, 6]


async def test_two_give_floor_commands_at_once_one_speaker(floor: Floor) -> None:
    sitting = await floor.sitting()
    item_id = await floor.item(sitting, open_it=True)
    for delegate in sitting.delegates:
        await services.request_floor(floor.session, delegate, item_id, SpeakerRequestKind.SPEECH)
        await floor.session.commit()
    outcomes = await asyncio.gather(*(
        _in_own_transaction(floor, lambda s: services.give_floor(s, sitting.chair, item_id, None)) for _ in range(2)
    ))
    assert sorted(outcomes) == ["ok", "speaker_has_floor"]
    speaking = await floor.session.scalar(select(func.count()).select_from(SpeakerRequest).where(
        SpeakerRequest.agenda_item_id == item_id, SpeakerRequest.status == SpeakerRequestStatus.SPEAKING))
    assert speaking == 1


async def test_opening_two_items_at_once_leaves_one_current(floor: Floor) -> None:
    sitting = await floor.sitting(delegations=0)
    items = [await floor.item(sitting, title=f"Item {n}") for n in range(4)]
    outcomes = await asyncio.gather(*(
        _in_own_transaction(floor, lambda s, i=i: services.open_item(s, sitting.chair, i)) for i in items
    ))
    assert outcomes == ["ok"] * 4  # serialized on the agenda's lock, none trips the unique index
    current = (await floor.session.scalars(select(AgendaItem.id).where(
        AgendaItem.assembly_id == sitting.assembly_id, AgendaItem.is_current.is_(True)))).all()
    assert len(current) == 1


async def test_items_created_at_once_get_distinct_positions(floor: Floor) -> None:
    sitting = await floor.sitting(delegations=0)
    fields = services.ItemFields(title="Concurrent", kind=AgendaItemKind.INFORMATION)
    outcomes = await asyncio.gather(*(
        _in_own_transaction(floor, lambda s: services.create_item(s, sitting.chair, sitting.assembly_id, fields))
        for _ in range(8)
    ))
    assert outcomes == ["ok"] * 8
    positions = (await floor.session.scalars(select(AgendaItem.position).where(
        AgendaItem.assembly_id == sitting.assembly_id).order_by(AgendaItem.position))).all()
    assert positions == list(range(1, 9))


async def test_a_reorder_racing_a_new_item_is_refused_not_half_applied(floor: Floor) -> None:
    sitting = await floor.sitting(delegations=0)
    first, second = await floor.item(sitting), await floor.item(sitting)
    sessionmaker = floor.database.sessionmaker
    fields = services.ItemFields(title="Late addition", kind=AgendaItemKind.DEBATE)
    async with sessionmaker() as one, sessionmaker() as two:
        error: AssemblyError
        await services.create_item(one, sitting.chair, sitting.assembly_id, fields)
        task = asyncio.ensure_future(services.reorder_agenda(two, sitting.chair, sitting.assembly_id,
                                                             [second, first]))
        await asyncio.sleep(0.5)
        assert not task.done(), "the reorder should wait for the agenda's lock"
        await one.commit()
        with pytest.raises(AssemblyError) as caught:
            await task
        error = caught.value
        await two.rollback()
    assert error.code == "missing_items"  # it was computed against the agenda as it now is
    order = (await floor.session.scalars(select(AgendaItem.id).where(AgendaItem.assembly_id == sitting.assembly_id)
                                         .order_by(AgendaItem.position))).all()
    assert order[:2] == [first, second]
    assert len(order) == 3
    assert uuid.UUID(str(order[2])) not in (first, second)
