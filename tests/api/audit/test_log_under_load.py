"""The log under load and under failure: 300 concurrent votes, and a sequencer killed mid-batch."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Awaitable, Callable

import asyncpg
from sqlalchemy.engine import make_url

from assembly.audit.log.checkpoint import verify_checkpoint
from assembly.audit.log.merkle import MerkleTree, leaf_hash, verify_inclusion
from assembly.audit.services import record_event
from assembly.db import Database
from tests.api.ballots.conftest import BallotApi
from tests.helpers import TEST_LOG_SIGNER, integrate_log

VOTERS = 300


async def test_300_concurrent_votes_get_one_entry_each_at_contiguous_indices(api: BallotApi) -> None:
    await api.setup(parties=VOTERS)
    ballot = await api.ballot()
    receipts = await asyncio.gather(*(api.cast(ballot["id"], party, "yes" if i % 3 else "no")
                                      for i, party in enumerate(api.parties)))
    trackers = [r["tracker"] for r in receipts]
    assert len(set(trackers)) == VOTERS
    await integrate_log(api.app)

    rows = await api.rows("SELECT idx, leaf_hash, entry FROM audit_log_entry ORDER BY idx")
    assert [r.idx for r in rows] == list(range(len(rows))), "indices are contiguous from 0"
    assert all(leaf_hash(r.entry) == r.leaf_hash for r in rows)
    logged = [r.leaf_hash.hex() for r in rows]
    assert all(logged.count(t) == 1 for t in trackers), "each vote is in the log exactly once"
    assert await api.rows("SELECT seq FROM audit_log_pending") == []

    latest = (await api.client.get("/api/audit/checkpoint")).json()
    checkpoint = verify_checkpoint(latest["checkpoint"], TEST_LOG_SIGNER.verifier)
    for tracker in trackers:  # every receipt verifies against the signed checkpoint
        body = (await api.client.get(f"/api/audit/receipts/{tracker}")).json()
        assert body["tree_size"] == checkpoint.size
        verify_inclusion(body["leaf_index"], checkpoint.size, bytes.fromhex(tracker),
                         [bytes.fromhex(h) for h in body["inclusion_proof"]], checkpoint.root)


async def _until(condition: Callable[[], Awaitable[bool]], what: str, limit: float = 600) -> None:
    """Wait for a state of the database (not a duration): poll ``condition`` until true, or fail."""
    async with asyncio.timeout(limit):
        while not await condition():  # noqa: ASYNC110  (the state is in another process: poll it)
            await asyncio.sleep(0.05)
    assert await condition(), what


def _sequencer(database_url: str) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSEMBLY_")}
    env.update({"ASSEMBLY_DATABASE_URL": database_url, "ASSEMBLY_LOG_SIGNING_KEY": TEST_LOG_SIGNER.skey,
                "ASSEMBLY_SEQUENCER_BATCH": "100", "ASSEMBLY_LOG_LEVEL": "warning"})
    return subprocess.Popen([sys.executable, "-m", "assembly", "sequencer"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


async def test_a_sequencer_killed_mid_batch_loses_and_duplicates_nothing(database_url: str,
                                                                         database: Database) -> None:
    async with database.sessionmaker() as session, session.begin():
        for number in range(250):
            await record_event(session, "test.recorded", payload={"number": number})
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    observer = await asyncpg.connect(dsn)
    blocker = await asyncpg.connect(dsn)
    expected = {bytes(r["leaf_hash"]) for r in await observer.fetch("SELECT leaf_hash FROM audit_log_pending")}
    first = _sequencer(database_url)
    try:
        # Let the first batch through, then hold the checkpoint table: the next batch writes its entries
        # and blocks on the checkpoint insert, inside its transaction. Kill the process there.
        await _until(lambda: _count(observer, "audit_log_checkpoint", 1), "the first batch was signed")
        tx = blocker.transaction()
        await tx.start()
        await blocker.execute("LOCK TABLE audit_log_checkpoint IN EXCLUSIVE MODE")
        # The first 250 may all be signed by now (a fast machine): queue more, so that a batch is surely
        # under way when the sequencer next looks, and it blocks mid-batch on the held table.
        async with database.sessionmaker() as session, session.begin():
            for number in range(250, 300):
                await record_event(session, "test.recorded", payload={"number": number})
        expected |= {bytes(r["leaf_hash"]) for r in await observer.fetch("SELECT leaf_hash FROM audit_log_pending")}
        await _until(lambda: _waiting_sequencer(observer), "the sequencer is blocked mid-batch")
        first.send_signal(signal.SIGKILL)
        first.communicate()
        await tx.rollback()
        signed = await observer.fetchval("SELECT max(tree_size) FROM audit_log_checkpoint")
        assert await observer.fetchval("SELECT count(*) FROM audit_log_entry") == signed, "no unsigned entries"
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
        await blocker.close()
    second = _sequencer(database_url)
    try:
        await _until(lambda: _count(observer, "audit_log_pending", 0, exact=True), "the queue drained")
        await _until(lambda: _signed_everything(observer), "the last batch was signed")
    finally:
        second.send_signal(signal.SIGTERM)
        _, errors = second.communicate(timeout=60)
        assert second.returncode == 0, errors.decode()
    rows = await observer.fetch("SELECT idx, leaf_hash, entry FROM audit_log_entry ORDER BY idx")
    notes = await observer.fetch("SELECT tree_size, note FROM audit_log_checkpoint ORDER BY tree_size")
    await observer.close()
    assert [r["idx"] for r in rows] == list(range(len(rows)))
    hashes = [bytes(r["leaf_hash"]) for r in rows]
    assert len(hashes) == len(set(hashes)) == len(expected) + 1, "each event once, plus the genesis entry"
    assert set(hashes[1:]) == expected
    tree = MerkleTree(leaf_hash(bytes(r["entry"])) for r in rows)
    for note in notes:
        checkpoint = verify_checkpoint(note["note"], TEST_LOG_SIGNER.verifier)
        assert checkpoint.root == tree.root(checkpoint.size)


async def _count(connection: asyncpg.Connection, table: str, at_least: int, *, exact: bool = False) -> bool:
    count = int(await connection.fetchval(f"SELECT count(*) FROM {table}"))
    return count == at_least if exact else count >= at_least


async def _waiting_sequencer(connection: asyncpg.Connection) -> bool:
    return bool(await connection.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'assembly-sequencer' "
        "AND wait_event_type = 'Lock' AND datname = current_database()"))


async def _signed_everything(connection: asyncpg.Connection) -> bool:
    return bool(await connection.fetchval(
        "SELECT (SELECT count(*) FROM audit_log_entry) = (SELECT max(tree_size) FROM audit_log_checkpoint)"))
