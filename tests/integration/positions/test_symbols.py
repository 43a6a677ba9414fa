"""Document symbols are gap-free per series: the counter row stays locked until the adoption commits, so
a concurrent adoption waits, and a rolled-back adoption gives its number back."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from assembly.db import Database
from assembly.positions.services import next_symbol


async def _waiting_on_a_lock(database: Database) -> bool:
    async with database.engine.connect() as connection:
        waiting = await connection.scalar(text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"))
    return bool(waiting)


async def test_a_concurrent_adoption_waits_and_a_rollback_gives_the_number_back(database: Database) -> None:
    async with database.sessionmaker() as first, database.sessionmaker() as second:
        await first.begin()
        assert await next_symbol(first, "world_council", 2026) == "UCLG/WC/2026/RES/1"
        await second.begin()
        racing = asyncio.create_task(next_symbol(second, "world_council", 2026))
        for _ in range(600):  # until the second transaction is seen waiting on the first one's row lock
            if await _waiting_on_a_lock(database):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the second adoption never waited for the first")
        assert not racing.done()
        await first.rollback()           # the first adoption fails: its number is given back
        assert await racing == "UCLG/WC/2026/RES/1"
        await second.commit()
    async with database.sessionmaker() as third, third.begin():
        assert await next_symbol(third, "world_council", 2026) == "UCLG/WC/2026/RES/2"
        assert await next_symbol(third, "world_council", 2027) == "UCLG/WC/2027/RES/1"  # a new series each year
        assert await next_symbol(third, "executive_bureau", 2026) == "UCLG/EB/2026/DEC/1"
