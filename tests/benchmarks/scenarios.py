"""The seven scenarios of issue 10, each paired with a ceiling measured in the same run.

Every scenario returns a dict of figures (JSON-ready) and appends rows to the Markdown table:
(scenario, measure, value, ceiling, ratio, target, met). Sizes come from :class:`Size`; ``tiny`` runs
everything in seconds for the smoke test, ``full`` is the size the issue asks for.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy.dialects.postgresql import asyncpg as asyncpg_dialect

from assembly.audit.services import _RECORD, _RECORD_AND_NOTIFY, DEFAULT_ORIGIN, EventRecord, logged_event_params
from assembly.ballots.services._common import LOCK_NAMESPACE, ballot_lock_key
from assembly.ballots.services.casting import _ONCE, TURNOUT_SHARDS
from assembly.live.services import unsequenced_hint
from tests.benchmarks.browser import page_timings
from tests.benchmarks.harness import (
    RawClient,
    RawResponse,
    Server,
    Stats,
    Voter,
    World,
    chunks,
    cpu_seconds,
    http_client,
    peak_rss_mib,
    run_concurrently,
    seed_world,
)
from tests.helpers import chromium_executable


@dataclass(frozen=True)
class Size:
    """How big each scenario is."""

    name: str
    electorate: int
    concurrencies: tuple[int, ...]
    consultation: int
    consultation_api_sample: int
    subscribers: int
    read_requests: int
    read_concurrency: int
    amendments: int
    db_connections: int = 20
    """The bare client's connections: the server's pool (2 workers x ASSEMBLY_DB_POOL_SIZE=10)."""


SIZES = {
    "full": Size("full", electorate=3000, concurrencies=(64, 512), consultation=250_000, consultation_api_sample=1000,
                 subscribers=2000, read_requests=3000, read_concurrency=64, amendments=50),
    "tiny": Size("tiny", electorate=40, concurrencies=(4, 16), consultation=600, consultation_api_sample=20,
                 subscribers=12, read_requests=40, read_concurrency=4, amendments=3),
}


@dataclass
class Row:
    """One line of the results table."""

    scenario: str
    measure: str
    value: float | None
    unit: str
    ceiling: float | None = None
    ratio: float | None = None
    target: str = ""
    met: bool | None = None
    note: str = ""


@dataclass
class Bench:
    """One run: where things are and what was measured."""

    size: Size
    world: World
    server: Server
    pg_url: str
    out_dir: Path
    rows: list[Row] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict)
    audit: bool = False
    """Whether the server has the audit log routes (receipts, checkpoint, bundle)."""

    def row(self, *args: Any, **kwargs: Any) -> None:
        self.rows.append(Row(*args, **kwargs))

    def client(self, concurrency: int, timeout: float = 60.0) -> httpx.AsyncClient:
        return http_client(self.server.base_url, concurrency, timeout)

    async def new_ballot(self, *, world: World | None = None, question: str = "Shall the bench pass?",
                         patience: float = 600.0) -> tuple[uuid.UUID, float]:
        """Create and open a procedural ballot through the API as the chair; (id, seconds to open)."""
        w = world or self.world
        async with self.client(1, patience) as client:
            created = await client.post(f"/api/assemblies/{w.assembly_id}/ballots", headers=w.chair.headers,
                                        json={"subject_kind": "procedural", "question": question})
            assert created.status_code == 201, created.text
            ballot_id = uuid.UUID(created.json()["id"])
            started = time.perf_counter()
            opened = await client.post(f"/api/ballots/{ballot_id}/open", headers=w.chair.headers)
            assert opened.status_code == 200, opened.text
            return ballot_id, time.perf_counter() - started


# -- The bare client: the casting writes without HTTP, the app or the ORM ---------------------------


def _positional(statement: Any) -> tuple[str, list[str]]:
    """The product's own statement as asyncpg SQL ($1 ...) with its parameter names in order."""
    compiled = statement.compile(dialect=asyncpg_dialect.dialect())
    return str(compiled), list(compiled.positiontup or [])


_WRITE_SQL, _WRITE_ORDER = _positional(_ONCE)
_LOAD_SQL = """
SELECT r.id, r.weight, b.assembly_id
FROM ballot AS b JOIN ballot_right AS r ON r.ballot_id = b.id AND r.holder_delegation_id = $2
WHERE b.id = $1 AND b.status = 'open' AND pg_advisory_xact_lock_shared($3, $4) IS NOT NULL
FOR SHARE OF b
"""
_RECORD_SQL, _RECORD_ORDER = _positional(_RECORD)
_RECORD_NOTIFY_SQL, _RECORD_NOTIFY_ORDER = _positional(_RECORD_AND_NOTIFY)
"""The product's own statement for audit events with their log entries (and the turnout hint)."""
_CHAIN_DDL = """
CREATE TABLE IF NOT EXISTS bench_chain_head (ballot_id uuid PRIMARY KEY, seq bigint NOT NULL, head bytea NOT NULL);
CREATE TABLE IF NOT EXISTS bench_chain_entry (ballot_id uuid NOT NULL, seq bigint NOT NULL, hash bytea NOT NULL,
    entry jsonb NOT NULL, PRIMARY KEY (ballot_id, seq));
"""


def _payload(ballot_id: uuid.UUID, right_id: uuid.UUID, voter: Voter, choice: str) -> dict[str, Any]:
    return {"ballot_id": str(ballot_id), "right_id": str(right_id), "delegation_id": str(voter.delegation_id),
            "holder_delegation_id": str(voter.delegation_id), "kind": "own", "weight": 1, "revision": 1,
            "choice": choice, "split": None}


def _audit_args(assembly_id: uuid.UUID, ballot_id: uuid.UUID, user_id: uuid.UUID,
                payloads: Sequence[dict[str, Any]], *, hint: tuple[str, str] | None = None) -> list[Any]:
    """Positional parameters of the product's audit statement, made by the product's own
    ``logged_event_params`` (the same canonical entries and leaf hashes a cast queues)."""
    events = [EventRecord("ballot.vote_cast", payload, assembly_id=assembly_id, subject_id=ballot_id,
                          actor_user_id=user_id) for payload in payloads]
    params, _ = logged_event_params(DEFAULT_ORIGIN, events, notify=hint)
    return [params[name] for name in (_RECORD_ORDER if hint is None else _RECORD_NOTIFY_ORDER)]


async def bare_cast(conn: asyncpg.Connection, ballot_id: uuid.UUID, voter: Voter, *, choice: str = "yes",
                    chain: bool = False) -> str | None:
    """One vote as the stack writes it: lock and read, the vote statement, its audit event and log entry
    with the turnout hint (the product's own statements, sent by asyncpg without the app or the ORM).

    ``chain``: also append the vote to a per-ballot hash chain under a row lock (scenario 7's alternative
    design: every cast of a ballot waits for the previous one to commit).
    """
    async with conn.transaction():
        rows = await conn.fetch(_LOAD_SQL, ballot_id, voter.delegation_id, LOCK_NAMESPACE, ballot_lock_key(ballot_id))
        if not rows:
            return "not_open"
        right_id, weight, assembly_id = rows[0]["id"], int(rows[0]["weight"]), rows[0]["assembly_id"]
        params = {"ballot_id": ballot_id, "user_id": voter.user_id, "shard": right_id.int % TURNOUT_SHARDS,
                  "right_ids": [right_id], "vote_ids": [uuid.uuid4()], "change_ids": [uuid.uuid4()],
                  "choices": [choice], "splits": [None], "weights": [weight]}
        written = await conn.fetch(_WRITE_SQL, *(params[name] for name in _WRITE_ORDER))
        if not written:
            return "already_voted"
        payload = _payload(ballot_id, right_id, voter, choice)
        hint = unsequenced_hint(stream_id=assembly_id, event_type="ballot.turnout", subject_id=ballot_id,
                                data={"voted": int(written[0]["turnout_rights"]) + 1,
                                      "weight": int(written[0]["turnout_weight"]) + weight})
        await conn.execute(_RECORD_NOTIFY_SQL, *_audit_args(assembly_id, ballot_id, voter.user_id, [payload],
                                                            hint=hint))
        if chain:
            head = await conn.fetchrow("SELECT seq, head FROM bench_chain_head WHERE ballot_id = $1 FOR UPDATE",
                                       ballot_id)
            entry = json.dumps(payload, sort_keys=True, separators=(",", ":"))
            digest = hashlib.sha256(bytes(head["head"]) + entry.encode()).digest()
            await conn.execute("INSERT INTO bench_chain_entry VALUES ($1, $2, $3, $4)", ballot_id, head["seq"] + 1,
                               digest, entry)
            await conn.execute("UPDATE bench_chain_head SET seq = seq + 1, head = $2 WHERE ballot_id = $1",
                               ballot_id, digest)
    return None


async def bare_run(db_url: str, ballot_id: uuid.UUID, voters: Sequence[Voter], *, concurrency: int,
                   connections: int, chain: bool = False) -> Stats:
    """Cast every voter's vote with the bare client: ``concurrency`` callers sharing ``connections``."""
    pool = await asyncpg.create_pool(db_url, min_size=min(connections, concurrency),
                                     max_size=min(connections, concurrency))
    try:
        if chain:
            async with pool.acquire() as conn:
                await conn.execute(_CHAIN_DDL)
                await conn.execute("INSERT INTO bench_chain_head VALUES ($1, 0, $2) ON CONFLICT DO NOTHING",
                                   ballot_id, b"\0" * 32)

        async def one(voter: Voter) -> str | None:
            async with pool.acquire() as conn:
                return await bare_cast(conn, ballot_id, voter, chain=chain)

        return await run_concurrently(voters, one, concurrency)
    finally:
        await pool.close()


async def api_cast(client: httpx.AsyncClient | RawClient, ballot_id: uuid.UUID, voter: Voter,
                   choice: str = "yes") -> httpx.Response | RawResponse:
    """``POST /api/ballots/{id}/votes`` as the delegation's head."""
    if isinstance(client, RawClient):
        return await client.post(f"/api/ballots/{ballot_id}/votes", json_body={"choice": choice},
                                 headers=voter.headers)
    return await client.post(f"/api/ballots/{ballot_id}/votes", json={"choice": choice}, headers=voter.headers)


async def _count_votes(db_url: str, ballot_id: uuid.UUID) -> int:
    conn = await asyncpg.connect(db_url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM vote WHERE ballot_id = $1", ballot_id))
    finally:
        await conn.close()


def _ratio(value: float | None, ceiling: float | None) -> float | None:
    if value is None or ceiling is None or ceiling == 0:
        return None
    return round(value / ceiling, 3)


# -- 1 and 7: casting through the stack; the bare ceiling; the hash-chain alternative ---------------


async def scenario_cast(bench: Bench) -> dict[str, Any]:
    """Scenario 1 (and the bare-client half of scenario 7)."""
    out: dict[str, Any] = {}
    voters = bench.world.voters
    for concurrency in bench.size.concurrencies:
        ballot_id, _ = await bench.new_ballot(question=f"Casting at {concurrency}")
        server_cpu = cpu_seconds(bench.server.pids())
        client_cpu = time.process_time()
        async with RawClient(bench.server.base_url, concurrency) as client:
            async def through_api(voter: Voter, client: RawClient = client,
                                  ballot_id: uuid.UUID = ballot_id) -> str | None:
                response = await api_cast(client, ballot_id, voter)
                return None if response.status_code == 200 else f"{response.status_code}"
            stack = await run_concurrently(voters, through_api, concurrency)
        server_ms = (cpu_seconds(bench.server.pids()) - server_cpu) * 1000 / max(1, stack.count)
        client_ms = (time.process_time() - client_cpu) * 1000 / max(1, stack.count)
        bare_ballot, _ = await bench.new_ballot(question=f"Bare casting at {concurrency}")
        bare_cpu = time.process_time()
        bare = await bare_run(bench.world.db_url, bare_ballot, voters, concurrency=concurrency,
                              connections=bench.size.db_connections)
        bare_ms = (time.process_time() - bare_cpu) * 1000 / max(1, bare.count)
        chain_ballot, _ = await bench.new_ballot(question=f"Hash chain at {concurrency}")
        chain = await bare_run(bench.world.db_url, chain_ballot, voters, concurrency=concurrency,
                               connections=bench.size.db_connections, chain=True)
        stored = await _count_votes(bench.world.db_url, ballot_id)
        out[str(concurrency)] = {"stack": stack.summary(), "bare": bare.summary(), "hash_chain": chain.summary(),
                                 "stored_votes": stored, "server_cpu_ms_per_vote": round(server_ms, 2),
                                 "http_client_cpu_ms_per_vote": round(client_ms, 2),
                                 "bare_client_cpu_ms_per_vote": round(bare_ms, 2)}
        ratio = _ratio(stack.rate, bare.rate)
        bench.row("1 cast", f"votes/s at {concurrency} voters", round(stack.rate, 1), "votes/s", round(bare.rate, 1),
                  ratio, ">= 0.5 of bare", ratio is not None and ratio >= 0.5,
                  f"p50/p95/p99 {stack.pct(50) * 1000:.0f}/{stack.pct(95) * 1000:.0f}/{stack.pct(99) * 1000:.0f} ms;"
                  f" errors {stack.errors or 0}; stored {stored}; app CPU {server_ms:.1f} ms/vote, load client CPU "
                  f"{client_ms:.1f} ms/vote; bare client CPU {bare_ms:.1f} ms/vote")
        if concurrency == min(bench.size.concurrencies):
            bench.row("1 cast", f"p99 latency at {concurrency} voters", round(stack.pct(99) * 1000, 1), "ms",
                      round(bare.pct(99) * 1000, 1), _ratio(stack.pct(99), bare.pct(99)), "< 100 ms",
                      stack.pct(99) < 0.1, "ceiling: the bare client's p99 with the same callers and connections; "
                      "ratio here is time / ceiling time (lower is better)")
        bench.row("7 audit design", f"hash chain under row lock, {concurrency} callers (bare)", round(chain.rate, 1),
                  "votes/s", round(bare.rate, 1), _ratio(chain.rate, bare.rate), "(comparison)", None,
                  f"p99 chain {chain.pct(99) * 1000:.0f} ms vs sequencer design {bare.pct(99) * 1000:.0f} ms")
    return out


# -- 2: the opening burst ---------------------------------------------------------------------------


async def _watch_checkpoints(client: httpx.AsyncClient, seen: list[tuple[float, int]], done: asyncio.Event) -> None:
    """Poll the published checkpoint every 50 ms: (when it was first seen, its tree size). After ``done``
    (every vote acknowledged), go on until it has not grown for 2 s (at most 60 s): the last batches."""
    quiet_since: float | None = None
    give_up = float("inf")
    while True:
        response = await client.get("/api/audit/checkpoint")
        now = time.perf_counter()
        if response.status_code == 200:
            size = int(response.json().get("tree_size", 0))
            if not seen or size > seen[-1][1]:
                seen.append((now, size))
                quiet_since = now
        if done.is_set():
            give_up = min(give_up, now + 60.0)
            if now - (quiet_since or now) >= 2.0 or now >= give_up:
                return
        await asyncio.sleep(0.05)


async def _checkpoint_lags(db_url: str, acks: dict[str, tuple[float, float]],
                           seen: list[tuple[float, int]]) -> tuple[dict[str, float], dict[str, float]]:
    """Per tracker, seconds from its acknowledgement to the first signed checkpoint that covers it:
    (by the checkpoint's signing time in the database, by when the poller first saw it through the API).

    The first is the log's own latency (the server and the database share this host's clock); the
    second adds the poller's wait in the server's queue, which the burst itself fills.
    """
    conn = await asyncpg.connect(db_url)
    try:
        rows = await conn.fetch(
            "SELECT encode(e.leaf_hash, 'hex') AS tracker, e.idx, extract(epoch FROM (SELECT min(c.signed_at) "
            "FROM audit_log_checkpoint AS c WHERE c.tree_size > e.idx)) AS signed "
            "FROM audit_log_entry AS e WHERE e.leaf_hash = ANY($1::bytea[])", [bytes.fromhex(t) for t in acks])
    finally:
        await conn.close()
    by_database, by_poller = {}, {}
    for row in rows:
        acked_perf, acked_wall = acks[row["tracker"]]
        if row["signed"] is not None:  # signed before the answer reached the voter: no wait at all
            by_database[row["tracker"]] = max(0.0, float(row["signed"]) - acked_wall)
        covered = next((moment for moment, size in seen if size > row["idx"]), None)
        if covered is not None:
            by_poller[row["tracker"]] = max(0.0, covered - acked_perf)
    return by_database, by_poller


async def scenario_burst(bench: Bench) -> dict[str, Any]:
    """Scenario 2: every delegation casts at the same moment the ballot opens."""
    voters = bench.world.voters
    ballot_id, _ = await bench.new_ballot(question="Opening burst")
    acks: dict[str, tuple[float, float]] = {}  # tracker -> (perf_counter, wall clock) at acknowledgement
    retries: dict[str, int] = {}
    async with RawClient(bench.server.base_url, len(voters)) as client, bench.client(2) as poller:
        async def cast(voter: Voter) -> str | None:
            # As a client should: a 503 server_busy did nothing, so send the same vote again after
            # Retry-After. The latency counts from the first attempt to the acknowledgement.
            for _ in range(60):
                response = await api_cast(client, ballot_id, voter)
                if response.status_code != 503:
                    break
                code = response.json().get("code", "503")
                retries[code] = retries.get(code, 0) + 1
                await asyncio.sleep(float(response.headers.get("retry-after", "1")))
            if response.status_code != 200:
                return str(response.status_code)
            tracker = response.json().get("tracker")
            if tracker:
                acks[tracker] = (time.perf_counter(), time.time())
            return None
        seen: list[tuple[float, int]] = []
        stop = asyncio.Event()
        watcher = asyncio.create_task(_watch_checkpoints(poller, seen, stop)) if bench.audit else None
        stats = await run_concurrently(voters, cast, len(voters))
        stop.set()
        stored = await _count_votes(bench.world.db_url, ballot_id)
        out: dict[str, Any] = {"burst": stats.summary(), "acknowledged": stats.count, "stored_votes": stored,
                               "retries_after_503": retries}
        bench.row("2 burst", f"{len(voters)} votes at once: acknowledged / stored", stats.count, "votes",
                  target="all acknowledged, none lost", met=stats.count == len(voters) == stored,
                  note=f"stored {stored}; errors {stats.errors or 0}; {stats.rate:.0f} votes/s; retries after 503 "
                       f"{retries or 0}")
        bare_ballot, _ = await bench.new_ballot(question="Opening burst, bare client")
        bare = await bare_run(bench.world.db_url, bare_ballot, voters, concurrency=len(voters),
                              connections=bench.size.db_connections)
        out["bare_burst"] = bare.summary()
        bench.row("2 burst", "p99 latency", round(stats.pct(99) * 1000, 1), "ms", round(bare.pct(99) * 1000, 1),
                  _ratio(stats.pct(99), bare.pct(99)), "< 1000 ms", stats.pct(99) < 1.0,
                  f"ceiling: the same burst by the bare client ({bare.rate:.0f} votes/s, p99 "
                  f"{bare.pct(99) * 1000:.0f} ms); ratio here is time / ceiling time (lower is better)")
        if watcher is not None:
            await watcher
        if watcher is not None and acks:
            times, observed = await _checkpoint_lags(bench.world.db_url, acks, seen)
            lag, seen_lag = Stats(list(times.values()), 0.0, {}), Stats(list(observed.values()), 0.0, {})
            out["checkpoint_lag"] = lag.summary() | {"integrated": len(times), "trackers": len(acks)}
            out["checkpoint_lag_seen_through_api"] = seen_lag.summary()
            worst = max(times.values()) if times else None
            bench.row("2 burst", "ack to signed checkpoint, max", round(worst, 3) if worst is not None else None,
                      "s", target="< 2 s", met=worst is not None and worst < 2.0 and len(times) == len(acks),
                      note=f"{len(times)}/{len(acks)} votes in a signed checkpoint; p50/p99 {lag.pct(50):.2f}/"
                           f"{lag.pct(99):.2f} s by the checkpoint's signing time; as first seen through "
                           f"GET /api/audit/checkpoint (polled every 50 ms, queued behind the burst) p50/p99 "
                           f"{seen_lag.pct(50):.2f}/{seen_lag.pct(99):.2f} s")
        else:
            bench.row("2 burst", "ack to signed checkpoint", None, "s", target="< 2 s", met=None,
                      note="not measured: no audit log (receipts) in this build")
    return out


# -- 3: the global consultation ---------------------------------------------------------------------


async def scenario_consultation(bench: Bench, world: World) -> dict[str, Any]:
    """Scenario 3: an electorate of ``size.consultation``; bulk votes by the bare client, a sample via the API."""
    size = bench.size
    out: dict[str, Any] = {"electorate": len(world.voters)}
    ballot_id, open_s = await bench.new_ballot(world=world, question="Global consultation")
    out["open_s"] = round(open_s, 3)
    sample, bulk = world.voters[:size.consultation_api_sample], world.voters[size.consultation_api_sample:]
    started = time.perf_counter()
    await _bulk_votes(world.db_url, ballot_id, bulk)
    out["bulk_s"] = round(time.perf_counter() - started, 3)
    async with RawClient(bench.server.base_url, 64) as client:
        async def cast(voter: Voter) -> str | None:
            response = await api_cast(client, ballot_id, voter, choice="no")
            return None if response.status_code == 200 else str(response.status_code)
        api = await run_concurrently(sample, cast, min(64, len(sample)))
    out["api_sample"] = api.summary()
    bench.row("3 consultation", f"API sample of {len(sample)} votes into {len(world.voters)} rights",
              round(api.rate, 1), "votes/s", note=f"p99 {api.pct(99) * 1000:.0f} ms; bulk by bare client "
              f"{out['bulk_s']} s; open (electorate snapshot) {open_s:.1f} s")
    aggregate = await _bare_aggregate(world.db_url, ballot_id)
    out["bare_aggregate_s"] = round(aggregate, 4)
    async with bench.client(1, timeout=600.0) as client:
        started = time.perf_counter()
        closed = await client.post(f"/api/ballots/{ballot_id}/close", headers=world.chair.headers)
        close_s = time.perf_counter() - started
        assert closed.status_code == 200, closed.text
        counts = {c["option"]: c["heads"] for c in closed.json()["result"]["counts"]}
    out |= {"close_s": round(close_s, 4), "counts": counts}
    ratio = round(close_s / aggregate, 2) if aggregate else None
    bench.row("3 consultation", "close + tally", round(close_s * 1000, 1), "ms", round(aggregate * 1000, 1), ratio,
              "<= 3x bare aggregate", ratio is not None and ratio <= 3.0,
              f"counts {counts}; ratio here is time / ceiling time (lower is better)")
    out["server_peak_rss_mib"] = {str(pid): peak_rss_mib(pid) for pid in bench.server.pids()}
    if bench.audit:
        out |= await _bundle_and_verify(bench, world, ballot_id)
    else:
        bench.row("3 consultation", "bundle export / assembly verify", None, "s", target="< 10 s each", met=None,
                  note="not measured: no audit log (bundle route) in this build")
    peaks = out["server_peak_rss_mib"]
    bench.row("3 consultation", "peak memory per server process", max(v for v in peaks.values() if v), "MiB",
              note="; ".join(f"pid {p}: {v:.0f}" for p, v in peaks.items() if v)
              + f"; bench client {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f}")
    return out


async def _bulk_votes(db_url: str, ballot_id: uuid.UUID, voters: Sequence[Voter]) -> None:
    """The bulk of the consultation: the product's vote statement, 1,000 rights per call, with audit events."""
    conn = await asyncpg.connect(db_url)
    try:
        rights = {r["delegation_id"]: (r["id"], r["assembly_id"]) for r in await conn.fetch(
            "SELECT r.id, r.delegation_id, b.assembly_id FROM ballot_right r JOIN ballot b ON b.id = r.ballot_id "
            "WHERE r.ballot_id = $1", ballot_id)}
        for batch in chunks(voters, 1000):
            ids = sorted(((rights[v.delegation_id][0], v) for v in batch), key=lambda pair: pair[0])
            assembly_id = rights[batch[0].delegation_id][1]
            async with conn.transaction():
                params = {"ballot_id": ballot_id, "user_id": batch[0].user_id, "shard": 0,
                          "right_ids": [r for r, _ in ids], "vote_ids": [uuid.uuid4() for _ in ids],
                          "change_ids": [uuid.uuid4() for _ in ids], "choices": ["yes"] * len(ids),
                          "splits": [None] * len(ids), "weights": [1] * len(ids)}
                await conn.fetch(_WRITE_SQL, *(params[name] for name in _WRITE_ORDER))
                await conn.execute(_RECORD_SQL, *_audit_args(assembly_id, ballot_id, batch[0].user_id,
                                                            [_payload(ballot_id, r, v, "yes") for r, v in ids]))
    finally:
        await conn.close()


async def _bare_aggregate(db_url: str, ballot_id: uuid.UUID) -> float:
    """Best of three: votes and weight by option over the ballot's rows, one plain GROUP BY."""
    conn = await asyncpg.connect(db_url)
    try:
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            await conn.fetch("SELECT v.choice, count(*), sum(r.weight) FROM vote v JOIN ballot_right r "
                             "ON r.ballot_id = v.ballot_id AND r.id = v.right_id WHERE v.ballot_id = $1 "
                             "GROUP BY v.choice", ballot_id)
            best = min(best, time.perf_counter() - started)
        return best
    finally:
        await conn.close()


async def _bundle_and_verify(bench: Bench, world: World, ballot_id: uuid.UUID) -> dict[str, Any]:
    out: dict[str, Any] = {}
    async with bench.client(1, timeout=600.0) as client:
        # The close's entries reach the log through the sequencer; wait until the checkpoint stops growing.
        last, stable_since = -1, time.perf_counter()
        while time.perf_counter() - stable_since < 2.0:
            size = (await client.get("/api/audit/checkpoint")).json().get("tree_size", 0)
            if size != last:
                last, stable_since = size, time.perf_counter()
            await asyncio.sleep(0.25)
        started = time.perf_counter()
        response = await client.get(f"/api/ballots/{ballot_id}/audit-bundle", headers=world.chair.headers)
        export_s = time.perf_counter() - started
    ok = response.status_code == 200
    bundle = Path(tempfile.mkdtemp(prefix="hbe-bundle-")) / "bundle.json"
    bundle.write_bytes(response.content)
    started = time.perf_counter()
    verified = await asyncio.to_thread(subprocess.run, [str(Path(sys.executable).with_name("assembly")), "verify",
                                                        str(bundle)], capture_output=True, check=False)
    verify_s = time.perf_counter() - started
    child_peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    out |= {"bundle_status": response.status_code, "bundle_bytes": len(response.content),
            "export_s": round(export_s, 3), "verify_s": round(verify_s, 3), "verify_rc": verified.returncode,
            "verify_peak_rss_mib_upper_bound": round(child_peak, 1)}
    bench.row("3 consultation", "bundle export", round(export_s, 2), "s", target="< 10 s", met=ok and export_s < 10,
              note=f"HTTP {response.status_code}, {len(response.content) / 1e6:.1f} MB")
    bench.row("3 consultation", "assembly verify", round(verify_s, 2), "s", target="< 10 s, passes",
              met=verified.returncode == 0 and verify_s < 10,
              note=f"exit {verified.returncode}; peak RSS of child processes <= {child_peak:.0f} MiB")
    return out


# -- 4: what the delegate and chair pages load ------------------------------------------------------


async def _timed(call: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await call()
    return time.perf_counter() - started


async def scenario_pages(bench: Bench) -> dict[str, Any]:
    """Scenario 4: the API data each page needs and a live update reaching a stream, then the web client's
    pages themselves in headless Chromium."""
    world = bench.world
    ballot_id, _ = await bench.new_ballot(question="Pages")
    voter = world.voters[0]
    out: dict[str, Any] = {}
    async with bench.client(8) as client:
        async def get_ok(path: str, headers: dict[str, str], **params: Any) -> Any:
            response = await client.get(path, headers=headers, params=params or None)
            assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:300]}"
            return response.json()

        async def delegate_page() -> None:
            await asyncio.gather(get_ok("/api/me/assemblies", voter.headers),
                                 get_ok(f"/api/assemblies/{world.assembly_id}", voter.headers),
                                 get_ok(f"/api/ballots/{ballot_id}", voter.headers),
                                 get_ok(f"/api/ballots/{ballot_id}/my-rights", voter.headers))

        async def chair_page() -> None:
            first = await get_ok(f"/api/assemblies/{world.assembly_id}/delegations", world.chair.headers, limit=200)
            rest = range(200, int(first["total"]), 200)
            await asyncio.gather(
                *(get_ok(f"/api/assemblies/{world.assembly_id}/delegations", world.chair.headers, limit=200,
                         offset=o) for o in rest),
                get_ok(f"/api/ballots/{ballot_id}", world.chair.headers),
                get_ok(f"/api/ballots/{ballot_id}/turnout", world.chair.headers),
                *(get_ok(f"/api/ballots/{ballot_id}/electorate", world.chair.headers, limit=1000, offset=o)
                  for o in range(0, len(world.voters), 1000)))

        for name, page in (("delegate", delegate_page), ("chair", chair_page)):
            await page()  # warm
            times = [await _timed(page) for _ in range(5)]
            out[f"{name}_page_s"] = sorted(times)
            bench.row("4 pages (API data)", f"{name} page data, {len(world.voters)} delegations",
                      round(sorted(times)[2] * 1000, 1), "ms", note="median of 5; every request of the "
                      "data, without a browser (the web client's pages: 4 pages (Chromium))")
        lag = await _live_update_lag(bench, ballot_id, world.voters[1])
        out["live_update_s"] = lag
        bench.row("4 pages (API data)", "a vote to the chair's open event stream", round(lag * 1000, 1), "ms",
                  target="< 1000 ms", met=lag < 1.0, note="cast acknowledged to ballot.turnout received on SSE")

        async def cast(voter: Voter) -> int:
            response = await api_cast(client, ballot_id, voter)
            assert response.status_code == 200, response.text
            return int(response.json()["voted"])

        async def open_ballot() -> uuid.UUID:
            return (await bench.new_ballot(question="Pages, live"))[0]

        out["browser"] = await _browser_pages(bench, ballot_id, cast, open_ballot)
    return out


async def _browser_pages(bench: Bench, ballot_id: uuid.UUID, cast: Callable[[Voter], Awaitable[int]],
                         open_ballot: Callable[[], Awaitable[uuid.UUID]]) -> dict[str, Any]:
    """Scenario 4 in headless Chromium (tests/benchmarks/browser.py): render and live-update times."""
    world, group = bench.world, "4 pages (Chromium)"
    chromium = chromium_executable()
    if chromium is None:
        bench.row(group, "delegate and chair pages", None, "ms", note="not measured: no Chromium on this machine")
        return {}
    timings = await page_timings(chromium, bench.server.base_url, assembly_id=world.assembly_id, ballot_id=ballot_id,
                                 electorate=len(world.voters), chair=world.chair, delegate=world.voters[0],
                                 voters=world.voters[2:7], cast=cast, open_ballot=open_ballot)
    size = f"{len(world.voters)} delegations"
    for role in ("delegate", "chair"):
        load = timings[f"{role}_load"]
        bench.row(group, f"{role} page rendered and live, {size}", round(load["median_s"] * 1000, 1), "ms",
                  note=f"median of {len(load['all_s']) - 1} loads; first (cold cache) {load['cold_s'] * 1000:.0f} ms")
    chair_lags, delegate_lags = timings["chair_live_s"], timings["delegate_live_s"]
    bench.row(group, "a vote shown in the chair's turnout line", round(max(chair_lags) * 1000, 1), "ms",
              target="< 1000 ms", met=max(chair_lags) < 1.0,
              note=f"worst of {len(chair_lags)} votes, from the cast's acknowledgement; "
                   f"median {statistics.median(chair_lags) * 1000:.0f} ms")
    bench.row(group, "an opened ballot shown on the delegate's page", round(max(delegate_lags) * 1000, 1), "ms",
              target="< 1000 ms", met=max(delegate_lags) < 1.0,
              note=f"worst of {len(delegate_lags)}, from the open's acknowledgement; "
                   f"median {statistics.median(delegate_lags) * 1000:.0f} ms")
    return timings


async def _open_stream(base_url: str, assembly_id: uuid.UUID, token: str) -> tuple[asyncio.StreamReader,
                                                                                     asyncio.StreamWriter]:
    """A raw SSE connection (a few KiB per stream, so thousands fit in this process); headers read.

    A stream whose response has not begun within 30 s counts as refused (TimeoutError).
    """
    host, port = base_url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port), limit=1 << 20)
    writer.write((f"GET /api/assemblies/{assembly_id}/events HTTP/1.1\r\nHost: {host}\r\n"
                  f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n").encode())
    await writer.drain()
    try:
        async with asyncio.timeout(30):
            status = await reader.readline()
    except TimeoutError:
        writer.close()
        raise
    if b" 200 " not in status:
        writer.close()
        raise RuntimeError(f"stream refused: {status!r}")
    while (await reader.readline()) not in (b"\r\n", b""):
        pass
    return reader, writer


async def _wait_event(reader: asyncio.StreamReader, event: str) -> float:
    """Read the stream until ``event: <event>``; the perf_counter time it arrived."""
    marker = f"event: {event}".encode()
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("stream ended")
        if marker in line:
            return time.perf_counter()


async def _live_update_lag(bench: Bench, ballot_id: uuid.UUID, voter: Voter) -> float:
    reader, writer = await _open_stream(bench.server.base_url, bench.world.assembly_id, bench.world.chair.token)
    try:
        waiter = asyncio.create_task(_wait_event(reader, "ballot.turnout"))
        await asyncio.sleep(0.2)
        async with bench.client(1) as client:
            started = time.perf_counter()
            response = await api_cast(client, ballot_id, voter)
            assert response.status_code == 200, response.text
        return await asyncio.wait_for(waiter, 30) - started
    finally:
        writer.close()


# -- 5: live fan-out --------------------------------------------------------------------------------


async def scenario_fanout(bench: Bench) -> dict[str, Any]:
    """Scenario 5: ``size.subscribers`` open streams; the chair closes a ballot; when does the last one hear it?"""
    world = bench.world
    ballot_id, _ = await bench.new_ballot(question="Fan-out")
    subscribers = world.voters[:bench.size.subscribers]
    streams: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
    failures: dict[str, int] = {}
    started = time.perf_counter()
    for batch in chunks(subscribers, 100):
        opened = await asyncio.gather(*(_open_stream(bench.server.base_url, world.assembly_id, v.token)
                                        for v in batch), return_exceptions=True)
        for item in opened:
            if isinstance(item, BaseException):
                failures[type(item).__name__] = failures.get(type(item).__name__, 0) + 1
            else:
                streams.append(item)
    connect_s = time.perf_counter() - started
    try:
        waiters = [asyncio.create_task(_wait_event(r, "ballot.closed")) for r, _ in streams]
        await asyncio.sleep(1.0)
        async with bench.client(1) as client:
            closed_at = time.perf_counter()
            response = await client.post(f"/api/ballots/{ballot_id}/close", headers=world.chair.headers)
            close_s = time.perf_counter() - closed_at
            assert response.status_code == 200, response.text
        done, pending = await asyncio.wait(waiters, timeout=30)
        for task in pending:
            task.cancel()
        lags = [t.result() - closed_at for t in done if t.exception() is None]
    finally:
        for _, writer in streams:
            writer.close()
    stats = Stats(lags, 0.0, {"not_received": len(streams) - len(lags), **failures})
    out = {"subscribers": len(subscribers), "connected": len(streams), "connect_s": round(connect_s, 2),
           "close_request_s": round(close_s, 3), "lag": stats.summary()}
    bench.row("5 fan-out", f"ballot close to the last of {len(streams)}/{len(subscribers)} subscribers",
              round(max(lags) * 1000, 1) if lags else None, "ms", target="p99 < 1000 ms",
              met=bool(lags) and stats.pct(99) < 1.0 and len(lags) == len(subscribers),
              note=f"p50/p99 {stats.pct(50) * 1000:.0f}/{stats.pct(99) * 1000:.0f} ms from sending the close "
                   f"(its request took {close_s * 1000:.0f} ms); missing {stats.errors}")
    return out


# -- 6: the read side -------------------------------------------------------------------------------


async def _motion_with_amendments(bench: Bench, amendments: int) -> str:
    """A motion under debate with ``amendments`` admitted amendments, built through the API."""
    world, voters = bench.world, bench.world.voters
    sponsor, cosponsor = voters[0], voters[1]
    paragraphs = [{"text": f"Calls on local governments to act on matter {i} with their budgets;"}
                  for i in range(1, amendments + 3)]
    async with bench.client(8) as client:
        async def ok(method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
            response = await client.request(method, path, json=body, headers=headers)
            assert response.status_code in (200, 201), f"{path}: {response.text[:300]}"
            return response.json()
        motion = await ok("POST", f"/api/assemblies/{world.assembly_id}/motions", sponsor.headers,
                          {"title": "Localizing climate finance", "paragraphs": paragraphs})
        mid = motion["id"]
        await ok("POST", f"/api/motions/{mid}/cosponsors", sponsor.headers,
                 {"delegation_id": str(cosponsor.delegation_id)})
        await ok("POST", f"/api/motions/{mid}/cosponsors/{cosponsor.delegation_id}/accept", cosponsor.headers)
        await ok("POST", f"/api/motions/{mid}/submit", sponsor.headers)
        await ok("POST", f"/api/motions/{mid}/admit", world.chair.headers)
        await ok("POST", f"/api/motions/{mid}/open-debate", world.chair.headers)

        async def table(i: int) -> None:
            amendment = await ok("POST", f"/api/motions/{mid}/amendments", voters[2 + i].headers, {
                "motion_version": 1,
                "operations": [{"op": "replace", "paragraph_id": f"p{i + 1}",
                                "text": f"Calls on regions to act on matter {i + 1} with pooled budgets;"}]})
            await ok("POST", f"/api/amendments/{amendment['id']}/admit", world.chair.headers)
        for batch in chunks(list(range(amendments)), 8):
            await asyncio.gather(*(table(i) for i in batch))
    return str(mid)


async def scenario_reads(bench: Bench) -> dict[str, Any]:
    """Scenario 6: 64 concurrent readers of the delegate's main page data, and of a motion with its amendments."""
    world = bench.world
    size = bench.size
    mid = await _motion_with_amendments(bench, size.amendments)
    ballot_id, _ = await bench.new_ballot(question="Reads")
    out: dict[str, Any] = {"motion_id": mid}
    async with bench.client(size.read_concurrency) as client:
        detail = await client.get(f"/api/motions/{mid}", headers=world.voters[0].headers)
        assert detail.status_code == 200, detail.text
        out["motion_amendments"] = len(detail.json().get("amendments", []))

        async def delegate(voter: Voter) -> str | None:
            responses = await asyncio.gather(
                client.get(f"/api/assemblies/{world.assembly_id}", headers=voter.headers),
                client.get(f"/api/ballots/{ballot_id}", headers=voter.headers),
                client.get(f"/api/ballots/{ballot_id}/my-rights", headers=voter.headers))
            bad = [r.status_code for r in responses if r.status_code != 200]
            return f"{bad[0]}" if bad else None

        async def motion(voter: Voter) -> str | None:
            response = await client.get(f"/api/motions/{mid}", headers=voter.headers)
            return None if response.status_code == 200 else str(response.status_code)

        readers = [world.voters[i % len(world.voters)] for i in range(size.read_requests)]
        for name, worker, requests in (("delegate main page (3 requests)", delegate, 3),
                                       (f"motion with {out['motion_amendments']} amendments", motion, 1)):
            stats = await run_concurrently(readers, worker, size.read_concurrency)
            out[name] = stats.summary()
            bench.row("6 reads", f"{name}, {size.read_concurrency} readers", round(stats.rate * requests, 1),
                      "requests/s", note=f"p99 {stats.pct(99) * 1000:.0f} ms per page; errors {stats.errors or 0}")
    return out


SCENARIOS: dict[str, Callable[[Bench], Awaitable[dict[str, Any]]]] = {
    "cast": scenario_cast,
    "burst": scenario_burst,
    "pages": scenario_pages,
    "fanout": scenario_fanout,
    "reads": scenario_reads,
}
"""Scenarios on the shared 3,000-delegation world, in the order they run (consultation has its own world)."""


async def consultation_world(db_url: str, count: int, secret: str) -> World:
    """The consultation's own assembly, its tokens signed with the server's key."""
    return await seed_world(db_url, delegations=count, tag="g", secret=secret)
