"""On demand: the cost of logging votes, sequencer versus a per-ballot hash chain (docs/performance.md).

Run with ``ASSEMBLY_BENCHMARK=1 pytest -q -s tests/benchmarks``; skipped otherwise (timings have no
place in the default run). Both designs write the same entries from the same concurrent writers:

- hash chain: each vote locks the ballot's chain head (FOR UPDATE), hashes head || entry, appends
  and moves the head, so every vote of a ballot waits for the one before it to commit;
- sequencer: each vote inserts its pending entry (no shared row); the sequencer then integrates
  them in batches and signs a checkpoint per batch (its time is counted too).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from assembly.audit.log.canonical import encode_entry
from assembly.audit.log.merkle import leaf_hash
from assembly.audit.sequencer import Sequencer
from assembly.db import Database
from tests.helpers import TEST_LOG_SIGNER

pytestmark = pytest.mark.skipif(not os.environ.get("ASSEMBLY_BENCHMARK"), reason="set ASSEMBLY_BENCHMARK=1")

WRITERS = 20
VOTES_EACH = 100


def _entry(writer: int, number: int) -> bytes:
    return encode_entry(TEST_LOG_SIGNER.name, "bench.vote", {"writer": writer, "number": number, "choice": "yes"})


async def _run_writers(dsn: str, vote: str, prepare: str | None = None) -> float:
    pool = await asyncpg.create_pool(dsn, min_size=WRITERS, max_size=WRITERS)
    assert pool is not None
    if prepare:
        await pool.execute(prepare)

    async def writer(number: int) -> None:
        async with pool.acquire() as connection:
            for index in range(VOTES_EACH):
                entry = _entry(number, index)
                async with connection.transaction():
                    if vote == "chain":
                        head = await connection.fetchval(
                            "SELECT head FROM bench_chain_head WHERE ballot = 1 FOR UPDATE")
                        digest = hashlib.sha256(bytes(head) + entry).digest()
                        await connection.execute("INSERT INTO bench_chain (entry, hash) VALUES ($1, $2)", entry, digest)
                        await connection.execute("UPDATE bench_chain_head SET head = $1 WHERE ballot = 1", digest)
                    else:
                        await connection.execute("INSERT INTO audit_log_pending (leaf_hash, entry) VALUES ($1, $2)",
                                                 leaf_hash(entry), entry)

    started = time.perf_counter()
    await asyncio.gather(*(writer(n) for n in range(WRITERS)))
    elapsed = time.perf_counter() - started
    await pool.close()
    return elapsed


async def test_sequencer_versus_per_ballot_hash_chain(database_url: str, database: Database) -> None:
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    chain = await _run_writers(dsn, "chain", prepare=(
        "CREATE TABLE bench_chain_head (ballot int PRIMARY KEY, head bytea NOT NULL);"
        "CREATE TABLE bench_chain (id bigserial PRIMARY KEY, entry bytea NOT NULL, hash bytea NOT NULL);"
        "INSERT INTO bench_chain_head VALUES (1, '\\x');"))
    casting = await _run_writers(dsn, "pending")
    sequencer = Sequencer(TEST_LOG_SIGNER, batch=256)
    started = time.perf_counter()
    batches = 0
    while True:
        async with database.sessionmaker() as session, session.begin():
            added = await sequencer.integrate(session)
        batches += 1
        if added < sequencer.batch:
            break
    integrating = time.perf_counter() - started
    votes = WRITERS * VOTES_EACH
    print(f"\n{votes} votes from {WRITERS} concurrent writers:"
          f"\n  per-ballot hash chain: {chain:.2f} s ({votes / chain:.0f} votes/s)"
          f"\n  sequencer, casting:    {casting:.2f} s ({votes / casting:.0f} votes/s)"
          f"\n  sequencer, integrating {batches} batches and signing: {integrating:.2f} s"
          f"\n  ratio chain / (casting + integrating): {chain / (casting + integrating):.2f}"
          f"\n  ratio chain / casting (what a voter waits for): {chain / casting:.2f}")
