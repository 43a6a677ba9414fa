"""Races settled by PostgreSQL, fired with asyncio.gather over separate sessions (separate connections).

A vote is acknowledged when its transaction's COMMIT has returned; the tests compare the stored tally
with the set of acknowledged votes, exactly.
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from typing import TYPE_CHECKING

import pytest

from assembly.assemblies import services as assemblies
from assembly.ballots import services as ballots
from assembly.core.errors import Conflict
from assembly.db import Database
from assembly.settings import Settings

if TYPE_CHECKING:
    from tests.integration.ballots.conftest import BallotWorld, Seat

OPTIONS = ("yes", "no", "abstain")
POOL = Settings().db_pool_size
"""Casts in flight at once: the connection pool's size."""


async def _try_cast(
    world: BallotWorld, seat: Seat, ballot_id: uuid.UUID, choice: str, gate: asyncio.Semaphore
) -> str | None:
    """Cast and commit in a session of its own; the refusal code, or None when acknowledged.

    ``gate`` lets at most a pool's worth of casts run at once: the others queue here rather than in
    the pool, whose checkout timeout (seconds, meant for a server under load) fails a slow machine.
    """
    async with gate, world.database.sessionmaker() as session:
        try:
            await ballots.cast_votes(session, seat.voter, ballot_id, choice=choice)
            await session.commit()
        except Conflict as error:
            await session.rollback()
            return error.code
    return None


@pytest.mark.parametrize("change_allowed", [False, True], ids=["once", "changes"])
async def test_fifty_concurrent_casts_on_one_right_give_one_vote(world: BallotWorld, change_allowed: bool) -> None:
    assembly_id = await world.assembly({"vote_change_allowed": change_allowed})
    seat = await world.seat(assembly_id)
    ballot_id = await world.ballot(assembly_id)

    gate = asyncio.Semaphore(POOL)
    outcomes = await asyncio.gather(*(_try_cast(world, seat, ballot_id, OPTIONS[i % 3], gate) for i in range(50)))

    assert await world.scalar("SELECT count(*) FROM vote WHERE ballot_id = :b", b=ballot_id) == 1
    assert await world.scalar("SELECT coalesce(sum(rights), 0) FROM ballot_turnout WHERE ballot_id = :b",
                              b=ballot_id) == 1
    history = await world.rows("SELECT revision, choice FROM vote_change WHERE ballot_id = :b ORDER BY revision",
                               b=ballot_id)
    vote = (await world.rows("SELECT revision, choice FROM vote WHERE ballot_id = :b", b=ballot_id))[0]
    if change_allowed:
        assert outcomes == [None] * 50
        assert [row.revision for row in history] == list(range(1, 51))
        assert (vote.revision, vote.choice) == (50, history[-1].choice)   # the last one counts
    else:
        assert outcomes.count(None) == 1
        assert Counter(outcomes) == {None: 1, "already_voted": 49}
        assert [(row.revision, row.choice) for row in history] == [(1, vote.choice)]
    result = await world.close(ballot_id)
    assert result.result is not None
    assert sum(c["heads"] for c in result.result.counts) == 1


async def test_the_tally_is_the_set_of_acknowledged_votes_when_300_rights_race_the_close(
    world: BallotWorld, settings: Settings
) -> None:
    assembly_id = await world.assembly()
    seats = await world.seats(assembly_id, 300)
    ballot_id = await world.ballot(assembly_id)
    acknowledged: dict[uuid.UUID, str] = {}
    refused: Counter[str] = Counter()
    enough = asyncio.Event()
    gate = asyncio.Semaphore(POOL)

    async def voter(index: int, seat: Seat) -> None:
        await asyncio.sleep(index * 0.002)   # a stream of votes, twenty at a time (the pool), not one burst
        choice = OPTIONS[index % 3]
        code = await _try_cast(world, seat, ballot_id, choice, gate)
        if code is None:
            acknowledged[seat.delegation_id] = choice
            if len(acknowledged) >= 100:
                enough.set()
        else:
            refused[code] += 1

    # The chair's command arrives through another app process: its own connection pool, not queued
    # behind the voters' requests.
    chair_database = Database(settings)

    async def chair() -> None:
        await enough.wait()
        async with chair_database.sessionmaker() as session:
            await ballots.close_ballot(session, world.chair, ballot_id)
            await session.commit()

    try:
        await asyncio.gather(chair(), *(voter(i, seat) for i, seat in enumerate(seats)))
    finally:
        await chair_database.dispose()

    assert acknowledged, "some votes come before the close"
    assert refused, "the close must fall in the middle of the votes"
    assert set(refused) == {"ballot_closed"}
    assert len(acknowledged) + refused["ballot_closed"] == 300
    stored = {row.delegation_id: row.choice for row in await world.rows(
        "SELECT br.delegation_id, v.choice FROM vote v JOIN ballot_right br ON br.id = v.right_id "
        "WHERE v.ballot_id = :b", b=ballot_id)}
    assert stored == acknowledged
    view = await world.run(lambda s: ballots.get_ballot(s, ballot_id))
    assert view.result is not None
    expected = Counter(acknowledged.values())
    assert {c["option"]: c["heads"] for c in view.result.counts} == {o: expected[o] for o in OPTIONS}
    assert view.turnout == (len(acknowledged), len(acknowledged))
    assert await world.scalar("SELECT count(*) FROM vote_change WHERE ballot_id = :b", b=ballot_id) == len(
        acknowledged)
    last_cast = await world.scalar("SELECT max(cast_at) FROM vote WHERE ballot_id = :b", b=ballot_id)
    assert view.ballot.closed_at is not None
    assert last_cast < view.ballot.closed_at


async def test_two_closes_at_once_store_one_tally(world: BallotWorld) -> None:
    assembly_id = await world.assembly()
    seats = await world.seats(assembly_id, 3)
    ballot_id = await world.ballot(assembly_id)
    await world.cast(seats[0], ballot_id, "yes")

    async def close() -> str | None:
        async with world.database.sessionmaker() as session:
            try:
                await ballots.close_ballot(session, world.chair, ballot_id)
                await session.commit()
            except Conflict as error:
                await session.rollback()
                return error.code
        return None

    assert sorted(await asyncio.gather(close(), close()), key=str) == [None, "ballot_closed"]
    assert await world.scalar("SELECT count(*) FROM ballot_result WHERE ballot_id = :b", b=ballot_id) == 1
    assert len(await world.events("ballot.closed", ballot_id)) == 1


async def test_revoking_a_ballot_proxy_while_its_ballot_opens(world: BallotWorld) -> None:
    """Either the revocation commits first (the right stays home) or the opening does (revocation refused)."""
    assembly_id = await world.assembly({"proxies": {"allowed": True, "max_per_holder": 5}})
    grantor, holder = await world.seats(assembly_id, 2)
    for _ in range(5):
        ballot_id = await world.ballot(assembly_id, open_it=False)
        proxy_id = await world.proxy(grantor, holder, ballot_id=ballot_id)

        async def revoke(proxy: uuid.UUID = proxy_id) -> str | None:
            async with world.database.sessionmaker() as session:
                try:
                    await assemblies.revoke_proxy(session, world.admin, proxy)
                    await session.commit()
                except Conflict as error:
                    await session.rollback()
                    return error.code
            return None

        revoked, _ = await asyncio.gather(revoke(), world.open(ballot_id))
        holder_now = await world.scalar("SELECT holder_delegation_id FROM ballot_right WHERE ballot_id = :b "
                                        "AND delegation_id = :d", b=ballot_id, d=grantor.delegation_id)
        if revoked is None:
            assert holder_now == grantor.delegation_id
        else:
            assert (revoked, holder_now) == ("ballot_already_open", holder.delegation_id)
