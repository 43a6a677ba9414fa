"""What every scenario needs: a database of its own, bulk seeding, the real server, tokens, load and statistics.

Seeding is set-based SQL (thousands of members, accounts, delegations and login sessions in a few
statements) plus the product's own services for what has rules worth keeping (the assembly, its
rules, opening and closing ballots). The server is the real ``assembly serve`` (granian, N worker
processes) in a subprocess; requests go over TCP from this process.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import jwt
from sqlalchemy.engine import make_url

from assembly.assemblies.models import AssemblyRoleKind, BodyKind
from assembly.assemblies.rules import RuleSet
from assembly.assemblies.services import assign_role, create_assembly, open_assembly
from assembly.core.security import Principal
from assembly.db import run_upgrade, session_scope
from assembly.settings import Settings, normalize_database_url

ISSUER = "assembly"
AUDIENCE = "assembly-api"
PASSWORD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$YmVuY2hzYWx0YmVuY2g$6m0iSQ6dX1WwN8y5zM4b1m2S1b0q4nFQ3m4bB0s6Kq8"
"""Never verified: bench accounts get their tokens minted directly (argon2 would dominate seeding)."""


def _with_database(url: str, database: str) -> str:
    """A plain libpq URL (asyncpg's) for ``database`` on the server of ``url`` (TCP or a socket directory)."""
    parsed = make_url(normalize_database_url(url)).set(drivername="postgresql", database=database)
    return parsed.render_as_string(hide_password=False)


async def recreate_database(pg_url: str, name: str) -> str:
    """Drop and create database ``name``; migrate it to head; return its URL."""
    conn = await asyncpg.connect(_with_database(pg_url, "postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    url = _with_database(pg_url, name)
    await asyncio.to_thread(run_upgrade, url.replace("postgresql://", "postgresql+asyncpg://", 1))
    return url


async def drop_database(pg_url: str, name: str) -> None:
    """Drop database ``name`` (disconnecting whoever is on it)."""
    conn = await asyncpg.connect(_with_database(pg_url, "postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


# -- Seeding ----------------------------------------------------------------------------------------


@dataclass
class Voter:
    """A delegation whose head casts its one vote; with a minted access token."""

    delegation_id: uuid.UUID
    user_id: uuid.UUID
    token: str = ""

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class World:
    """One seeded assembly: its staff, its voters, and how to reach the database."""

    db_url: str
    secret: str
    assembly_id: uuid.UUID
    admin: Voter
    chair: Voter
    voters: list[Voter] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        return Settings.from_env({"ASSEMBLY_DATABASE_URL": self.db_url, "ASSEMBLY_SECRET_KEY": self.secret})


def mint_token(secret: str, user_id: uuid.UUID, session_id: uuid.UUID, ttl: int = 6 * 3600) -> str:
    """An access token exactly as ``POST /api/auth/login`` issues them (same claims, same key)."""
    now = datetime.now(UTC)
    claims = {"sub": str(user_id), "sid": str(session_id), "iss": ISSUER, "aud": AUDIENCE, "jti": uuid.uuid4().hex,
              "iat": int(now.timestamp()), "exp": int((now + timedelta(seconds=ttl)).timestamp())}
    return jwt.encode(claims, secret, algorithm="HS256")


async def _users(conn: asyncpg.Connection, tag: str, count: int, *,
                 admin: bool = False) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """``count`` active accounts with one live login session each: [(user_id, session_id)]."""
    rows = await conn.fetch(
        """
        WITH u AS (
            INSERT INTO user_account (id, email, full_name, password_hash, is_admin, is_active, created_at, updated_at)
            SELECT gen_random_uuid(), $1 || '-' || g || '@bench.test', 'Bench ' || $1 || ' ' || g, $2, $3, true,
                   now(), now()
            FROM generate_series(1, $4) AS g
            RETURNING id
        )
        INSERT INTO login_session (id, user_id, last_used_at, client_address, user_agent, created_at, updated_at)
        SELECT gen_random_uuid(), u.id, now(), '127.0.0.1', 'bench', now(), now() FROM u
        RETURNING user_id, id
        """, tag, PASSWORD_HASH, admin, count)
    return [(r["user_id"], r["id"]) for r in rows]


async def seed_world(db_url: str, *, delegations: int, tag: str = "w", secret: str | None = None) -> World:
    """An open assembly (one member one vote, vote change not allowed) with ``delegations`` accredited,
    checked-in delegations whose heads are their designated voters."""
    secret = secret or secrets.token_urlsafe(48)
    conn = await asyncpg.connect(db_url)
    try:
        ((admin_id, admin_sid),) = await _users(conn, f"{tag}-admin", 1, admin=True)
        ((chair_id, chair_sid),) = await _users(conn, f"{tag}-chair", 1)
    finally:
        await conn.close()
    settings = Settings.from_env({"ASSEMBLY_DATABASE_URL": db_url, "ASSEMBLY_SECRET_KEY": secret})
    actor = Principal(user_id=admin_id, is_admin=True)
    async with session_scope(settings) as session:
        details = await create_assembly(
            session, actor, name=f"Bench assembly {tag}", body_kind=BodyKind.GENERAL_ASSEMBLY,
            starts_on=date(2026, 12, 1), ends_on=date(2026, 12, 3), venue="Bench",
            rules=RuleSet(vote_change_allowed=False))
        assembly_id = details.assembly.id
        await assign_role(session, actor, assembly_id, user_id=chair_id, role=AssemblyRoleKind.CHAIR)
    conn = await asyncpg.connect(db_url)
    try:
        async with conn.transaction():
            heads = await _users(conn, f"{tag}-v", delegations)
            user_ids = [u for u, _ in heads]
            await conn.execute(
                """
                INSERT INTO member (id, key, name, kind, country, region, population, membership_category,
                                    fees_paid_through, status, created_at, updated_at)
                SELECT gen_random_uuid(), $1 || '-' || g, 'Bench city ' || $1 || ' ' || g, 'local_government', 'ES',
                       'europe', 100000 + g, 'A', 2030, 'active', now(), now()
                FROM generate_series(1, $2) AS g
                """, tag, delegations)
            await conn.execute(
                """
                WITH m AS (
                    SELECT id, row_number() OVER (ORDER BY key) AS n FROM member WHERE key LIKE $1 || '-%'
                ), u AS (
                    SELECT id, ord AS n FROM unnest($3::uuid[]) WITH ORDINALITY AS t(id, ord)
                ), d AS (
                    INSERT INTO delegation (id, assembly_id, member_id, credentials_status,
                                            credentials_decided_by_user_id, credentials_decided_at,
                                            designated_voter_user_id, checked_in, created_at, updated_at)
                    SELECT gen_random_uuid(), $2, m.id, 'accepted', $4, now(), u.id, true, now(), now()
                    FROM m JOIN u USING (n)
                    RETURNING id, designated_voter_user_id
                )
                INSERT INTO delegation_member (id, delegation_id, assembly_id, user_id, role, created_at, updated_at)
                SELECT gen_random_uuid(), d.id, $2, d.designated_voter_user_id, 'head', now(), now() FROM d
                """, tag, assembly_id, user_ids, admin_id)
            rows = await conn.fetch(
                "SELECT id, designated_voter_user_id FROM delegation WHERE assembly_id = $1", assembly_id)
    finally:
        await conn.close()
    async with session_scope(settings) as session:
        await open_assembly(session, actor, assembly_id)
    sessions = dict(heads)
    voters = [Voter(r["id"], r["designated_voter_user_id"],
                    mint_token(secret, r["designated_voter_user_id"], sessions[r["designated_voter_user_id"]]))
              for r in rows]
    return World(db_url=db_url, secret=secret, assembly_id=assembly_id,
                 admin=Voter(uuid.UUID(int=0), admin_id, mint_token(secret, admin_id, admin_sid)),
                 chair=Voter(uuid.UUID(int=0), chair_id, mint_token(secret, chair_id, chair_sid)), voters=voters)


# -- The server -------------------------------------------------------------------------------------


@dataclass
class Server:
    """``assembly serve`` in a subprocess."""

    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def pids(self) -> list[int]:
        """The granian main process and its workers."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        found = [self.process.pid]
        with contextlib.suppress(OSError):
            found += [int(p) for p in children.read_text().split()]
        return found


def cpu_seconds(pids: Sequence[int]) -> float:
    """User + system CPU time the processes have used so far (from /proc/<pid>/stat)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def peak_rss_mib(pid: int) -> float | None:
    """Peak resident memory (VmHWM) of a live process, in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


@contextlib.asynccontextmanager
async def serve(world: World, *, port: int, workers: int, log_dir: Path,
                extra_env: dict[str, str] | None = None) -> AsyncIterator[Server]:
    """Run ``assembly serve`` for ``world`` until the block ends (SIGTERM, then SIGKILL)."""
    env = {**os.environ, "ASSEMBLY_DATABASE_URL": world.db_url, "ASSEMBLY_SECRET_KEY": world.secret,
           "ASSEMBLY_LOG_LEVEL": "warning", "ASSEMBLY_DB_POOL_SIZE": "10", "ASSEMBLY_DB_MAX_OVERFLOW": "0",
           # A data dir of its own: the database is new at every run, so the audit log is too, and a
           # signer record left by an earlier run would (rightly) refuse to sign it.
           "ASSEMBLY_DATA_DIR": tempfile.mkdtemp(prefix="hbe-data-"),
           **(extra_env or {})}
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"server-{port}.log"
    exe = Path(sys.executable).with_name("assembly")
    with log.open("ab") as out:
        process = subprocess.Popen([str(exe), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers",
                                    str(workers)], env=env, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    server = Server(process, f"http://127.0.0.1:{port}", log)
    try:
        await _wait_ready(server)
        yield server
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            await asyncio.to_thread(process.wait, 15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            await asyncio.to_thread(process.wait)


async def _wait_ready(server: Server, patience: float = 60.0) -> None:
    deadline = time.monotonic() + patience
    async with httpx.AsyncClient(base_url=server.base_url, timeout=2.0) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(f"assembly serve exited: {server.log.read_text()[-2000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get("/health/ready")).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise RuntimeError(f"assembly serve not ready after {patience} s: {server.log.read_text()[-2000:]}")


# -- Load and statistics ----------------------------------------------------------------------------


@dataclass
class Stats:
    """Latencies (seconds) and outcome of a batch of operations run with some concurrency."""

    latencies: list[float]
    wall: float
    errors: dict[str, int]

    @property
    def count(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.count / self.wall if self.wall > 0 else 0.0

    def pct(self, p: float) -> float:
        """The p-th percentile (nearest rank); NaN with no successful operation."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]

    def summary(self) -> dict[str, Any]:
        """The figures the report shows (milliseconds)."""
        def ms(p: float) -> float | None:
            return round(self.pct(p) * 1000, 1) if self.latencies else None

        return {"ops": self.count, "wall_s": round(self.wall, 3), "per_s": round(self.rate, 1),
                "p50_ms": ms(50), "p95_ms": ms(95), "p99_ms": ms(99),
                "mean_ms": round(statistics.fmean(self.latencies) * 1000, 1) if self.latencies else None,
                "errors": self.errors}


async def run_concurrently(jobs: Sequence[Any], worker: Any, concurrency: int) -> Stats:
    """Run ``await worker(job)`` for every job, ``concurrency`` at a time; time each one.

    ``worker`` returns None on success or an error label; exceptions count as errors by type.
    """
    queue: asyncio.Queue[Any] = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    latencies: list[float] = []
    errors: dict[str, int] = {}

    async def loop() -> None:
        while True:
            try:
                job = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            started = time.perf_counter()
            try:
                label = await worker(job)
            except Exception as exc:
                label = type(exc).__name__
            if label is None:
                latencies.append(time.perf_counter() - started)
            else:
                errors[label] = errors.get(label, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*(loop() for _ in range(concurrency)))
    return Stats(latencies, time.perf_counter() - started, errors)


def http_client(base_url: str, concurrency: int, timeout: float = 30.0) -> httpx.AsyncClient:
    """A keep-alive HTTP/1.1 client with one connection per concurrent user."""
    return httpx.AsyncClient(base_url=base_url, timeout=timeout,
                             limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency))


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """``items`` in slices of ``size``."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


@dataclass
class RawResponse:
    """What the raw client returns: status, lower-cased headers, body."""

    status_code: int
    headers: dict[str, str]
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)


class RawClient:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams, for the hot scenarios.

    httpx costs the load generator 5 to 15 ms of CPU per request on this machine, more than the app
    spends on a vote; on two shared cores that CPU is taken from the server being measured. This client
    does only what the benchmark needs (a JSON body, Content-Length or chunked answers) at a fraction
    of that. One connection per concurrent caller, reopened if the server closes it.
    """

    def __init__(self, base_url: str, concurrency: int, timeout: float = 120.0) -> None:
        host, port = base_url.removeprefix("http://").split(":")
        self.host, self.port, self.timeout = host, int(port), timeout
        self._idle: asyncio.LifoQueue[tuple[asyncio.StreamReader, asyncio.StreamWriter] | None] = asyncio.LifoQueue()
        for _ in range(concurrency):
            self._idle.put_nowait(None)

    async def __aenter__(self) -> RawClient:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        while not self._idle.empty():
            conn = self._idle.get_nowait()
            if conn is not None:
                conn[1].close()

    async def request(self, method: str, path: str, *, body: Any = None,
                      headers: dict[str, str] | None = None) -> RawResponse:
        conn = await self._idle.get()
        try:
            async with asyncio.timeout(self.timeout):
                if conn is None:
                    conn = await asyncio.open_connection(self.host, self.port)
                response, keep = await self._exchange(conn, method, path, body, headers or {})
            if not keep:
                conn[1].close()
                conn = None
            return response
        except BaseException:
            if conn is not None:
                conn[1].close()
            conn = None
            raise
        finally:
            self._idle.put_nowait(conn)

    async def post(self, path: str, *, json_body: Any = None, headers: dict[str, str] | None = None) -> RawResponse:
        return await self.request("POST", path, body=json_body, headers=headers)

    async def _exchange(self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], method: str, path: str,
                        body: Any, headers: dict[str, str]) -> tuple[RawResponse, bool]:
        reader, writer = conn
        payload = b"" if body is None else json.dumps(body).encode()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(payload)}"]
        if body is not None:
            lines.append("Content-Type: application/json")
        lines += [f"{k}: {v}" for k, v in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
        await writer.drain()
        status_line = await reader.readline()
        if not status_line:
            raise ConnectionError("connection closed by the server")
        status = int(status_line.split()[1])
        found: dict[str, str] = {}
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            found[name.strip().lower()] = value.strip()
        if "content-length" in found:
            content = await reader.readexactly(int(found["content-length"]))
        elif found.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while (size := int((await reader.readline()).strip() or b"0", 16)) > 0:
                parts.append(await reader.readexactly(size))
                await reader.readline()
            await reader.readline()
            content = b"".join(parts)
        else:
            content = b""
        keep = found.get("connection", "").lower() != "close"
        return RawResponse(status, found, content), keep
