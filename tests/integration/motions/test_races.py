"""Races on one motion, settled by its row lock: each fired with two real transactions on PostgreSQL.

The first transaction is held open until the second is provably waiting on it, then commits, so the second
must go through the database's arbitration, not a lucky ordering.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable
from typing import TYPE_CHECKING, TypeVar

import pytest
from sqlalchemy import select

from assembly.core.errors import Conflict
from assembly.motions import services
from assembly.motions.models import Amendment, MotionVersion
from assembly.motions.rules import OperationInput, ParagraphInput

if TYPE_CHECKING:
    from tests.integration.motions.conftest import Hall

T = TypeVar("T")


async def _second_waits(first: Awaitable[object], second: Awaitable[T], commit_first: Awaitable[None]) -> T:
    await first
    task = asyncio.ensure_future(second)
    await asyncio.sleep(0.5)
    assert not task.done(), "the second transaction should be waiting on the first"
    await commit_first
    return await task


async def test_concurrent_edits_of_one_draft_the_second_gets_the_current_version(hall: Hall) -> None:
    mid = await hall.draft()
    sessionmaker = hall.database.sessionmaker
    async with sessionmaker() as one, sessionmaker() as two:
        edit = [ParagraphInput(None, "operative", "First writer.")]
        other = [ParagraphInput(None, "operative", "Second writer.")]
        with pytest.raises(Conflict) as caught:
            await _second_waits(
                services.revise_motion(one, hall.heads[0], mid, expected_version=1, title="T", rationale=None,
                                       paragraphs=edit),
                services.revise_motion(two, hall.heads[0], mid, expected_version=1, title="T", rationale=None,
                                       paragraphs=other),
                one.commit(),
            )
        await two.rollback()
    assert caught.value.code == "version_conflict"
    assert caught.value.extra["current_version"] == 2
    assert caught.value.extra["current_paragraphs"] == [{"id": "p5", "kind": "operative", "text": "First writer."}]
    numbers = (await hall.session.scalars(select(MotionVersion.number).where(MotionVersion.motion_id == mid))).all()
    assert sorted(numbers) == [1, 2]


async def test_both_edits_fired_at_once_one_wins(hall: Hall) -> None:
    mid = await hall.draft()
    sessionmaker = hall.database.sessionmaker

    async def edit(text: str) -> str:
        async with sessionmaker() as session:
            try:
                await services.revise_motion(session, hall.heads[0], mid, expected_version=1, title="T",
                                             rationale=None, paragraphs=[ParagraphInput(None, "operative", text)])
                await session.commit()
            except Conflict as exc:
                await session.rollback()
                return exc.code
            return "ok"

    results = await asyncio.gather(edit("One."), edit("Two."))
    assert sorted(results) == ["ok", "version_conflict"]


async def test_two_amendments_tabled_at_once_get_distinct_numbers(hall: Hall) -> None:
    mid = await hall.debated()
    sessionmaker = hall.database.sessionmaker

    async def table(by: int, paragraph: str) -> None:
        async with sessionmaker() as session:
            await services.table_amendment(session, hall.heads[by], mid, motion_version=1, parent_amendment_id=None,
                                           rationale=None, operations=[OperationInput("delete", paragraph)])
            await session.commit()

    await asyncio.gather(table(1, "p3"), table(2, "p4"))
    numbers = (await hall.session.scalars(select(Amendment.number).where(Amendment.motion_id == mid))).all()
    assert sorted(numbers) == [1, 2]


async def test_two_ballots_opening_on_one_amendment_only_one_opens(hall: Hall) -> None:
    mid = await hall.debated()
    amendment_id = await hall.table(mid, OperationInput("delete", "p4"))
    await hall.order(mid, amendment_id)
    sessionmaker = hall.database.sessionmaker
    first_ballot, second_ballot = uuid.uuid4(), uuid.uuid4()
    async with sessionmaker() as one, sessionmaker() as two:
        with pytest.raises(Conflict) as caught:
            await _second_waits(
                services.on_ballot_opened(one, subject_kind="amendment", subject_id=amendment_id,
                                          ballot_id=first_ballot),
                services.on_ballot_opened(two, subject_kind="amendment", subject_id=amendment_id,
                                          ballot_id=second_ballot),
                one.commit(),
            )
        await two.rollback()
    assert caught.value.code == "not_votable"
    ballot = await hall.session.scalar(select(Amendment.ballot_id).where(Amendment.id == amendment_id))
    assert ballot == first_ballot


async def test_a_withdrawal_racing_a_ballot_opening(hall: Hall) -> None:
    mid = await hall.debated()
    amendment_id = await hall.table(mid, OperationInput("delete", "p4"))
    await hall.order(mid, amendment_id)
    sessionmaker = hall.database.sessionmaker
    async with sessionmaker() as one, sessionmaker() as two:
        with pytest.raises(Conflict) as caught:
            await _second_waits(
                services.on_ballot_opened(one, subject_kind="amendment", subject_id=amendment_id,
                                          ballot_id=uuid.uuid4()),
                services.withdraw_amendment(two, hall.heads[2], amendment_id, reason=None),
                one.commit(),
            )
        await two.rollback()
    assert caught.value.code == "amendment_wrong_state"  # voting has begun: no withdrawal any more
