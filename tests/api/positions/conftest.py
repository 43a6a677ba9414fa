"""Fixtures of the positions tests: the ballots API helper, motions driven to adoption through the API,
a real HTTP receiver on 127.0.0.1 for webhooks, and table snapshots."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from litestar import Litestar
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.db import Database
from assembly.settings import Settings
from tests.api.ballots.conftest import BallotApi, Party

POSITION_TABLES = ("position", "position_version", "position_series", "position_symbol_pattern",
                   "webhook_subscription", "webhook_delivery", "audit_event", "motion")
PARAGRAPHS = [
    {"kind": "preambular", "text": "Recalling the New Urban Agenda and the 2030 Agenda,"},
    {"text": "Calls on local governments to publish their climate budgets;"},
    {"text": "Invites the secretariat to report to the High-Level Political Forum every year."},
]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Webhook targets on 127.0.0.1 allowed (the test receivers); retries after at most a few milliseconds."""
    return replace(settings, webhook_allow_private=True, webhook_retry_base_ms=5, webhook_max_attempts=5)


async def snapshot(api: BallotApi) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the positions tables (and the motions and audit events), on a fresh connection."""
    async with api.database.engine.connect() as connection:
        return {table: [tuple(r) for r in await connection.execute(text(f"SELECT * FROM {table} ORDER BY 1"))]
                for table in POSITION_TABLES}


async def motion_under_debate(api: BallotApi, sponsor: Party, title: str = "Localizing climate finance") -> str:
    """A motion drafted, submitted, admitted and opened for debate through the API."""
    motion = await api.ok("POST", f"/api/assemblies/{api.assembly_id}/motions",
                          {"title": title, "paragraphs": PARAGRAPHS}, sponsor.headers, status=201)
    motion_id: str = motion["id"]
    cosponsor = next(p for p in api.parties if p is not sponsor)
    await api.ok("POST", f"/api/motions/{motion_id}/cosponsors", {"delegation_id": cosponsor.delegation_id},
                 sponsor.headers, status=201)
    await api.ok("POST", f"/api/motions/{motion_id}/cosponsors/{cosponsor.delegation_id}/accept",
                 headers=cosponsor.headers)
    await api.ok("POST", f"/api/motions/{motion_id}/submit", headers=sponsor.headers)
    await api.ok("POST", f"/api/motions/{motion_id}/admit")
    await api.ok("POST", f"/api/motions/{motion_id}/open-debate")
    return motion_id


async def adopt_by_consensus(api: BallotApi, sponsor: Party, title: str = "Localizing climate finance") -> str:
    """A motion adopted by consensus; its id."""
    motion_id = await motion_under_debate(api, sponsor, title)
    await api.ok("POST", f"/api/motions/{motion_id}/call-consensus")
    await api.ok("POST", f"/api/motions/{motion_id}/adopt-by-consensus")
    return motion_id


async def adopt_by_roll_call(api: BallotApi, sponsor: Party) -> tuple[str, str]:
    """A motion adopted by a roll-call ballot (three yes, one no); (motion id, ballot id)."""
    motion_id = await motion_under_debate(api, sponsor)
    ballot = await api.ballot(subject_kind="motion", subject_id=motion_id, question="Adopt the motion?")
    for party, choice in zip(api.parties, ["yes", "yes", "yes", "no"], strict=False):
        await api.cast(ballot["id"], party, choice)
    closed = await api.close(ballot["id"])
    assert closed["result"]["outcome"] == "adopted", closed
    return motion_id, str(ballot["id"])


async def position_of(api: BallotApi, motion_id: str) -> dict[str, Any]:
    """The public list entry of the motion's position."""
    rows = await api.rows("SELECT id FROM position WHERE motion_id = :m", m=motion_id)
    assert len(rows) == 1
    response = await api.client.get(f"/api/positions/{rows[0][0]}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


# -- A real HTTP receiver ---------------------------------------------------------------------------


@dataclass
class Received:
    """One request the receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1: answers each request with the next scripted status (then 200).

    ``hang_first``: the first request is held, unanswered, until ``release`` is set (a worker killed
    mid-delivery).
    """

    statuses: list[int] = field(default_factory=list)
    hang_first: bool = False
    requests: list[Received] = field(default_factory=list)
    got_request: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def ids(self) -> list[str]:
        with self.lock:
            return [r.headers["assembly-delivery"] for r in self.requests]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with receiver.lock:
                receiver.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                first = len(receiver.requests) == 1
                status = receiver.statuses.pop(0) if receiver.statuses else 200
            receiver.got_request.set()
            if first and receiver.hang_first:
                receiver.release.wait(120)
                return  # the client is gone; answer nothing
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


@pytest.fixture
def receiver() -> Any:
    """Start a receiver (call it with the script); shut every one down after the test."""
    started: list[Receiver] = []

    def start(statuses: list[int] | None = None, *, hang_first: bool = False) -> Receiver:
        made = Receiver(statuses=list(statuses or []), hang_first=hang_first)
        made.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(made))
        made.server.daemon_threads = True
        threading.Thread(target=made.server.serve_forever, daemon=True).start()
        started.append(made)
        return made

    yield start
    for made in started:
        made.release.set()
        assert made.server is not None
        made.server.shutdown()
        made.server.server_close()


@pytest.fixture
async def api(client: httpx.AsyncClient, app: Litestar, database: Database, session: AsyncSession) -> BallotApi:
    """The ballots API helper (tests call ``await api.setup(...)``)."""
    return BallotApi(client, app, database, session)
