"""The webhook delivery worker: posts the outbox, signed, at least once, never twice at the same time.

One delivery at a time per worker: in one transaction it takes the oldest due ``pending`` row with
``SELECT ... FOR UPDATE SKIP LOCKED`` (other workers skip it, so several workers never post the same
delivery concurrently), posts it, and records the outcome before committing. If the worker dies
mid-delivery its transaction is rolled back with the connection, the row is still ``pending`` and the
next worker posts it again with the same ``Assembly-Delivery`` id, which the receiver dedupes on.

Runs inside ``assembly serve`` (unless ASSEMBLY_DELIVERY_WORKER=false) and alone as ``assembly worker``.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from datetime import UTC, datetime, timedelta

import httpx
import structlog
from sqlalchemy import func, select

from assembly.db import Database
from assembly.positions.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from assembly.positions.rules import backoff_seconds, signature_header, target_refusal
from assembly.positions.services import resolve_host
from assembly.settings import Settings

__all__ = ("DeliveryWorker", "deliver_one", "run_worker")

log = structlog.get_logger("assembly.webhooks")
_jitter = random.SystemRandom()


async def _post(client: httpx.AsyncClient, settings: Settings, subscription: WebhookSubscription,
                delivery: WebhookDelivery) -> tuple[int | None, str | None]:
    """Post one delivery: (HTTP status, error); a 2xx status is success, anything else is retried."""
    if not settings.webhook_allow_private:
        # Checked again at delivery time: a host name may have been re-pointed since it was registered.
        refusal = target_refusal(subscription.url, await resolve_host(subscription.url), allow_private=False)
        if refusal is not None:
            return None, refusal.message
    body = delivery.body.encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "assembly-webhooks/1",
        "Assembly-Delivery": str(delivery.id),
        "Assembly-Event": delivery.event,
        "Assembly-Signature": signature_header(subscription.secret, int(time.time()), body),
    }
    try:
        response = await client.post(subscription.url, content=body, headers=headers,
                                     timeout=settings.webhook_timeout_seconds)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:1000]
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"the receiver answered {response.status_code}"


async def deliver_one(database: Database, settings: Settings, client: httpx.AsyncClient) -> bool:
    """Post the oldest due delivery, if any, and record what happened; False when nothing was due."""
    async with database.sessionmaker() as session, session.begin():
        delivery = await session.scalar(
            select(WebhookDelivery)
            .where(WebhookDelivery.status == DeliveryStatus.PENDING, WebhookDelivery.next_attempt_at <= func.now())
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(1)
            .with_for_update(skip_locked=True))
        if delivery is None:
            return False
        subscription = await session.get_one(WebhookSubscription, delivery.subscription_id)
        if not subscription.active:
            delivery.status = DeliveryStatus.DEAD
            delivery.last_error = "the subscription was deactivated"
            return True
        status, error = await _post(client, settings, subscription, delivery)
        delivery.attempts += 1
        delivery.last_status = status
        delivery.last_error = error
        now = datetime.now(UTC)
        if error is None:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = now
        elif delivery.attempts >= settings.webhook_max_attempts:
            delivery.status = DeliveryStatus.DEAD
        else:
            delay = backoff_seconds(delivery.attempts, base=settings.webhook_retry_base_ms / 1000,
                                    cap=settings.webhook_retry_cap_seconds, jitter=_jitter.random())
            delivery.next_attempt_at = now + timedelta(seconds=delay)
        log.info("webhook_attempt", delivery_id=str(delivery.id), attempt=delivery.attempts,
                 status=str(delivery.status), http_status=status, error=error)
    return True


async def run_worker(database: Database, settings: Settings, stop: asyncio.Event) -> None:
    """Deliver until ``stop`` is set: back to back while work is due, else wait one poll interval."""
    async with httpx.AsyncClient(follow_redirects=False) as client:
        while not stop.is_set():
            try:
                busy = await deliver_one(database, settings, client)
            except Exception:  # a database outage must not end the worker: log, wait, try again
                log.exception("webhook_worker_error")
                busy = False
            if not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), settings.delivery_poll_ms / 1000)


class DeliveryWorker:
    """The worker as a task of the application's lifespan."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self._database = database
        self._settings = settings
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start delivering in the background."""
        self._task = asyncio.create_task(run_worker(self._database, self._settings, self._stop))

    async def close(self) -> None:
        """Stop after the delivery in hand (if any)."""
        self._stop.set()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._task, self._settings.webhook_timeout_seconds + 5)
