"""Webhooks that never lose a publication, against real HTTP receivers on 127.0.0.1: signed deliveries,
retries with backoff, dead letters and re-delivery, a worker killed mid-delivery, two workers at once."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import replace
from typing import Any

import httpx

from assembly.positions.rules import verify_signature
from assembly.positions.worker import deliver_one
from assembly.settings import Settings
from tests.api.ballots.conftest import BallotApi
from tests.api.positions.conftest import Receiver, adopt_by_consensus, position_of


async def _subscribe(api: BallotApi, url: str, events: list[str] | None = None) -> dict[str, Any]:
    return await api.ok("POST", "/api/webhooks/subscriptions",
                        {"url": url, "events": events or ["position.published", "position.corrected"],
                         "description": "HLPF secretariat"}, api.admin_headers, status=201)


async def _statuses(api: BallotApi) -> list[tuple[str, str, int]]:
    rows = await api.rows("SELECT id::text, status::text, attempts FROM webhook_delivery ORDER BY id")
    return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]


async def _drain(api: BallotApi, settings: Settings) -> None:
    """Run the worker's step in this process until no delivery is pending (retries are milliseconds apart)."""
    async with httpx.AsyncClient() as client:
        for _ in range(5000):
            await deliver_one(api.database, settings, client)
            if all(status != "pending" for _, status, _ in await _statuses(api)):
                return
            await asyncio.sleep(0.002)
    raise AssertionError("deliveries still pending")


async def test_an_adoption_is_delivered_signed_once(api: BallotApi, settings: Settings, receiver: Any) -> None:
    await api.setup(parties=2)
    hook: Receiver = receiver()
    subscription = await _subscribe(api, hook.url)
    assert len(subscription["secret"]) >= 24
    listed = await api.ok("GET", "/api/webhooks/subscriptions", headers=api.admin_headers)
    assert "secret" not in listed[0]

    position = await position_of(api, await adopt_by_consensus(api, api.parties[0]))
    [(delivery_id, status, _)] = await _statuses(api)   # the outbox row committed with the adoption
    assert status == "pending"
    await _drain(api, settings)

    [request] = hook.requests
    assert request.headers["assembly-delivery"] == delivery_id
    assert request.headers["assembly-event"] == "position.published"
    assert verify_signature(subscription["secret"], request.headers["assembly-signature"], request.body,
                            now=int(time.time()))
    assert not verify_signature("not-the-secret-" + "x" * 20, request.headers["assembly-signature"], request.body,
                                now=int(time.time()))
    document = request.json()
    assert document["position"]["id"] == position["id"]
    assert document["position"]["symbol"] == position["symbol"]
    assert document["links"]["akn"] == f"/api/positions/{position['id']}/akn"
    assert await _statuses(api) == [(delivery_id, "delivered", 1)]

    # A correction is published too, as a new delivery.
    await api.ok("POST", f"/api/positions/{position['id']}/versions", {"sdgs": ["11.1"]}, api.admin_headers,
                 status=201)
    await _drain(api, settings)
    assert [r.headers["assembly-event"] for r in hook.requests] == ["position.published", "position.corrected"]


async def test_a_receiver_failing_twice_gets_the_delivery_exactly_once_more(
        api: BallotApi, settings: Settings, receiver: Any) -> None:
    await api.setup(parties=2)
    hook: Receiver = receiver([500, 503, 200])
    await _subscribe(api, hook.url)
    await adopt_by_consensus(api, api.parties[0])
    await _drain(api, settings)
    [(delivery_id, status, attempts)] = await _statuses(api)
    assert (status, attempts) == ("delivered", 3)
    assert hook.ids() == [delivery_id] * 3      # the same delivery id each time: the receiver dedupes on it
    assert len({r.headers["assembly-signature"] for r in hook.requests}) >= 1
    async with httpx.AsyncClient() as client:
        assert not await deliver_one(api.database, settings, client)  # nothing left: no fourth post
    assert len(hook.requests) == 3


async def test_a_dead_letter_is_visible_to_the_secretariat_and_can_be_redelivered(
        api: BallotApi, settings: Settings, receiver: Any) -> None:
    await api.setup(parties=2)
    hook: Receiver = receiver([500, 500, 500])
    await _subscribe(api, hook.url)
    await adopt_by_consensus(api, api.parties[0])
    await _drain(api, replace(settings, webhook_max_attempts=3))
    dead = await api.ok("GET", "/api/webhooks/deliveries", headers=api.admin_headers, json=None)
    assert dead["total"] == 1
    letter = dead["items"][0]
    assert (letter["status"], letter["attempts"], letter["last_status"]) == ("dead", 3, 500)
    only_dead = await api.client.get("/api/webhooks/deliveries", params={"status": "dead"},
                                     headers=api.admin_headers)
    assert only_dead.json()["total"] == 1
    forbidden = await api.client.get("/api/webhooks/deliveries", headers=api.chair_headers)
    api.problem(forbidden, 403, "secretariat_only")

    again = await api.ok("POST", f"/api/webhooks/deliveries/{letter['id']}/redeliver", headers=api.admin_headers)
    assert (again["status"], again["attempts"]) == ("pending", 0)
    await _drain(api, settings)
    assert await _statuses(api) == [(letter["id"], "delivered", 1)]
    assert hook.ids() == [letter["id"]] * 4
    refused = await api.client.post(f"/api/webhooks/deliveries/{letter['id']}/redeliver", headers=api.admin_headers)
    api.problem(refused, 409, "delivery_not_dead")


def _start_worker(database_url: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSEMBLY_")}
    env.update({"ASSEMBLY_DATABASE_URL": database_url, "ASSEMBLY_WEBHOOK_ALLOW_PRIVATE": "true",
                "ASSEMBLY_DELIVERY_POLL_MS": "50", "ASSEMBLY_WEBHOOK_RETRY_BASE_MS": "5",
                "ASSEMBLY_LOG_FORMAT": "console", "ASSEMBLY_LOG_LEVEL": "warning"})
    return subprocess.Popen([sys.executable, "-m", "assembly", "worker"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)


def _stop(process: subprocess.Popen[str], *, may_be_starting: bool = False) -> None:
    """SIGTERM: the worker finishes the delivery in hand and exits 0.

    ``may_be_starting``: the worker may not have installed its handler yet (the other worker did all the
    work first), in which case SIGTERM ends it before it did anything: that is also a clean stop.
    """
    process.send_signal(signal.SIGTERM)
    try:
        _, errors = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    clean = {0, -signal.SIGTERM} if may_be_starting else {0}
    assert process.returncode in clean, errors


async def _until_delivered(api: BallotApi, count: int) -> None:
    for _ in range(1200):
        statuses = await _statuses(api)
        if len(statuses) == count and all(s == "delivered" for _, s, _ in statuses):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"not delivered: {await _statuses(api)}")


async def test_a_worker_killed_mid_delivery_redelivers_after_restart(
        api: BallotApi, database_url: str, receiver: Any) -> None:
    await api.setup(parties=2)
    hook: Receiver = receiver(hang_first=True)
    await _subscribe(api, hook.url)
    await adopt_by_consensus(api, api.parties[0])
    worker = _start_worker(database_url)
    try:
        assert await asyncio.to_thread(hook.got_request.wait, 120), "the worker never posted"
    finally:
        worker.send_signal(signal.SIGKILL)       # dies holding the row lock, before recording anything
        worker.communicate(timeout=30)
    hook.release.set()
    [(delivery_id, status, attempts)] = await _statuses(api)
    assert (status, attempts) == ("pending", 0)   # rolled back with the dead worker's connection: not lost
    restarted = _start_worker(database_url)
    try:
        await _until_delivered(api, 1)
    finally:
        _stop(restarted)
    assert hook.ids() == [delivery_id, delivery_id]


async def test_two_workers_deliver_each_publication_once(api: BallotApi, database_url: str, receiver: Any) -> None:
    await api.setup(parties=3)
    hook: Receiver = receiver()
    for _ in range(4):
        await _subscribe(api, hook.url, ["position.published"])
    await adopt_by_consensus(api, api.parties[0], "Housing first")
    await adopt_by_consensus(api, api.parties[1], "Water as a commons")
    assert len(await _statuses(api)) == 8
    workers = [_start_worker(database_url), _start_worker(database_url)]
    try:
        await _until_delivered(api, 8)
    finally:
        stops = []
        for worker in workers:   # stop both before judging either: no worker process outlives the test
            try:
                _stop(worker, may_be_starting=True)
            except AssertionError as error:
                stops.append(error)
        assert not stops, stops
    counts = Counter(hook.ids())
    assert len(counts) == 8
    assert set(counts.values()) == {1}
