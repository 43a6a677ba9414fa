"""Positions use cases: created at adoption, versions (translations, corrections, metadata), public reads,
webhook subscriptions and the outbox. Who may do what is in docs/positions.md.

The adoption path (``on_motion_adopted``) runs inside the motion's transaction, under its row lock: the
position, its symbol number, its first version, an audit event and one outbox row per subscriber
commit together with the adoption or not at all.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NoReturn
from urllib.parse import urlsplit

from sqlalchemy import Select, and_, exists, func, or_, select, text
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.agenda.models import AgendaItem, SpeakerRequest, SpeakerRequestStatus
from assembly.assemblies.models import Assembly, Delegation
from assembly.assemblies.rules import Refusal
from assembly.audit.models import AuditEvent
from assembly.audit.services import record_event
from assembly.ballots.models import Ballot, BallotResult, BallotRight, Vote
from assembly.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from assembly.core.security import Principal
from assembly.members.models import Member
from assembly.motions.models import Amendment, Motion, MotionStatus, MotionVersion
from assembly.positions.formats import PositionDoc
from assembly.positions.minutes import MinutesBallot, MinutesItem, MinutesMotion, MinutesRecord
from assembly.positions.models import (
    DeliveryStatus,
    Position,
    PositionSymbolPattern,
    PositionVersion,
    VersionKind,
    WebhookDelivery,
    WebhookSubscription,
)
from assembly.positions.rules import (
    EVENTS,
    LANGUAGES,
    normalize_sdgs,
    pattern_refusal,
    series_of,
    symbol_of,
    target_refusal,
    url_refusal,
    version_kind,
)

__all__ = (
    "DEFAULT_LANGUAGE",
    "PositionFilters",
    "VersionInput",
    "add_version",
    "ballot_result_rows",
    "create_subscription",
    "deactivate_subscription",
    "feed_docs",
    "list_deliveries",
    "list_positions",
    "list_subscriptions",
    "list_versions",
    "minutes_record",
    "next_symbol",
    "on_motion_adopted",
    "position_doc",
    "publish_motion",
    "redeliver",
    "resolve_host",
    "roll_call_rows",
    "set_symbol_pattern",
    "titles_of",
)

DEFAULT_LANGUAGE = "en"
"""Language of the adopted text (motions are drafted in English; translations follow)."""
_FALLBACK_PATTERN = "UCLG/{year}/RES/{number}"


def _raise(refusal: Refusal) -> NoReturn:
    if refusal.kind == "invalid":
        raise InvalidInput.for_field(refusal.field or "body", refusal.message, code=refusal.code)
    raise Conflict(refusal.message, code=refusal.code)


def _require_secretariat(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden("only the secretariat manages positions and webhooks", code="secretariat_only")


# -- Created at adoption ----------------------------------------------------------------------------


async def next_symbol(session: AsyncSession, body: str, year: int) -> str:
    """Next number of the body's series for ``year``: gap-free, because the counter row stays locked until commit."""
    pattern = await session.scalar(select(PositionSymbolPattern.pattern).where(PositionSymbolPattern.body == body))
    pattern = pattern or _FALLBACK_PATTERN
    number = await session.scalar(text(
        "INSERT INTO position_series (series, last) VALUES (:series, 1) "
        "ON CONFLICT (series) DO UPDATE SET last = position_series.last + 1 RETURNING last"),
        {"series": series_of(pattern, year)})
    assert number is not None
    return symbol_of(pattern, year, int(number))


async def _vote_record(session: AsyncSession, motion: Motion) -> dict[str, Any]:
    """The vote as published: counts, rule, quorum, outcome; each right's vote when the ballot was a roll call."""
    if motion.ballot_id is None or str(motion.resolution) != "ballot":
        return {"method": str(motion.resolution or "chair"), "outcome": "adopted",
                "reason": motion.status_reason}
    ballot = await session.get(Ballot, motion.ballot_id)
    result = await session.scalar(select(BallotResult).where(BallotResult.ballot_id == motion.ballot_id))
    if ballot is None or result is None:
        # The motions domain accepts a decision for a ballot it does not see (its own tests do this):
        # publish what is known rather than refuse the adoption.
        return {"method": "ballot", "ballot_id": str(motion.ballot_id), "outcome": "adopted", "counts": [],
                "roll_call": None}
    record: dict[str, Any] = {
        "method": "ballot", "ballot_id": str(ballot.id), "question": ballot.question, "weighted": ballot.weighted,
        "secret": ballot.secret, "outcome": str(result.outcome), "reason": result.reason, "rule": result.rule,
        "unit": result.unit, "base": result.base, "counts": list(result.counts),
        "present_heads": result.present_heads, "present_weight": result.present_weight,
        "membership_heads": result.membership_heads, "membership_weight": result.membership_weight,
        "quorum": {"kind": result.quorum_kind, "met": result.quorum_met, "arithmetic": result.quorum_arithmetic},
        "arithmetic": result.arithmetic, "roll_call": None,
    }
    if not ballot.secret:
        rows = (await session.execute(
            select(BallotRight, Member.name, Vote)
            .join(Delegation, Delegation.id == BallotRight.delegation_id)
            .join(Member, Member.id == Delegation.member_id)
            .outerjoin(Vote, and_(Vote.ballot_id == BallotRight.ballot_id, Vote.right_id == BallotRight.id))
            .where(BallotRight.ballot_id == ballot.id, BallotRight.eligible)
            .order_by(Member.name, BallotRight.delegation_id))).all()
        record["roll_call"] = [
            {"delegation_id": str(right.delegation_id), "member_name": name, "kind": str(right.kind),
             "weight": right.weight, "choice": vote.choice if vote else None,
             "split": vote.split if vote else None}
            for right, name, vote in rows]
    return record


def _payload(event: str, position: Position, version: PositionVersion) -> str:
    """The webhook body: compact JSON, signed as sent."""
    base = f"/api/positions/{position.id}"
    document = {
        "event": event,
        "position": {
            "id": str(position.id), "symbol": position.symbol, "title": version.title,
            "adopted_on": position.adopted_on.isoformat(), "body": position.body,
            "assembly_id": str(position.assembly_id), "sdgs": list(position.sdgs), "process": position.process,
            "session": position.session, "version": version.number, "version_kind": str(version.kind),
            "language": version.language, "text_sha256": position.text_sha256,
        },
        "links": {"json": base, "markdown": f"{base}/markdown", "akn": f"{base}/akn", "popolo": f"{base}/popolo"},
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True)


async def _enqueue(session: AsyncSession, event: str, position: Position, version: PositionVersion) -> int:
    """One outbox row per active subscriber of ``event``, in the caller's transaction."""
    subscriptions = (await session.scalars(select(WebhookSubscription).where(
        WebhookSubscription.active, WebhookSubscription.events.contains([event])))).all()
    body = _payload(event, position, version)
    for subscription in subscriptions:
        session.add(WebhookDelivery(subscription_id=subscription.id, event=event, position_id=position.id,
                                    body=body, status=DeliveryStatus.PENDING, attempts=0))
    await session.flush()
    return len(subscriptions)


async def on_motion_adopted(session: AsyncSession, motion: Motion, version: MotionVersion, *,
                            actor_user_id: uuid.UUID | None) -> Position:
    """The motion was just adopted: publish its consolidated version as a position (same transaction).

    Called by ``motions.services.outcomes.decide_motion``, the one place where a motion becomes adopted
    (by ballot, by consensus or by the chair's declaration).
    """
    assembly = await session.get_one(Assembly, motion.assembly_id)
    adopted_at = motion.decided_at or datetime.now(UTC)
    body = str(assembly.body_kind)
    symbol = await next_symbol(session, body, adopted_at.year)
    position = Position(
        motion_id=motion.id, assembly_id=motion.assembly_id, body=body, symbol=symbol, adopted_at=adopted_at,
        adopted_on=adopted_at.date(), resolution=str(motion.resolution), ballot_id=motion.ballot_id,
        motion_version=version.number, text_sha256=version.text_sha256, vote=await _vote_record(session, motion),
        language=DEFAULT_LANGUAGE, sdgs=[], process=None, session=None, keywords=[], current_version=1)
    session.add(position)
    await session.flush()
    first = PositionVersion(position_id=position.id, number=1, kind=VersionKind.ADOPTED, language=DEFAULT_LANGUAGE,
                            title=version.title, paragraphs=list(version.paragraphs), metadata_=_metadata(position),
                            reason=None, created_by_user_id=actor_user_id)
    session.add(first)
    await session.flush()
    await record_event(session, "position.published", assembly_id=position.assembly_id, subject_id=position.id,
                       actor_user_id=actor_user_id, payload={
                           "position_id": str(position.id), "motion_id": str(motion.id), "symbol": symbol,
                           "motion_version": version.number, "text_sha256": version.text_sha256})
    await _enqueue(session, "position.published", position, first)
    return position


async def publish_motion(session: AsyncSession, principal: Principal, motion_id: uuid.UUID) -> Position:
    """The secretariat publishes an adopted motion that has no position yet (one adopted before positions existed).

    Refused: 403 ``secretariat_only``; 404 ``motion_not_found``; 409 ``motion_not_adopted`` (only what
    the assembly adopted is published), ``position_exists``.
    """
    _require_secretariat(principal)
    motion = await session.scalar(select(Motion).where(Motion.id == motion_id).with_for_update())
    if motion is None:
        raise NotFound(f"no motion with id {motion_id}", code="motion_not_found")
    if motion.status != MotionStatus.ADOPTED:
        raise Conflict(f"the motion is {motion.status}; only an adopted motion is published as a position",
                       code="motion_not_adopted")
    if await session.scalar(select(exists().where(Position.motion_id == motion.id))):
        raise Conflict("the motion is already published as a position", code="position_exists")
    version = await session.scalar(select(MotionVersion).where(
        MotionVersion.motion_id == motion.id, MotionVersion.number == motion.current_version))
    assert version is not None
    return await on_motion_adopted(session, motion, version, actor_user_id=principal.user_id)


# -- Versions ---------------------------------------------------------------------------------------


def _metadata(position: Position) -> dict[str, Any]:
    return {"sdgs": list(position.sdgs), "process": position.process, "session": position.session,
            "keywords": list(position.keywords)}


async def _latest(session: AsyncSession, position_id: uuid.UUID, language: str | None) -> PositionVersion | None:
    query = select(PositionVersion).where(PositionVersion.position_id == position_id)
    if language is not None:
        query = query.where(PositionVersion.language == language)
    return await session.scalar(query.order_by(PositionVersion.number.desc()).limit(1))


@dataclass(frozen=True, slots=True)
class VersionInput:
    """What the secretariat sends for a new version; ``None`` keeps the current value."""

    language: str
    title: str | None = None
    paragraphs: list[dict[str, str]] | None = None
    reason: str | None = None
    sdgs: list[str] | None = None
    process: str | None = None
    session: str | None = None
    keywords: list[str] | None = None


async def add_version(session: AsyncSession, principal: Principal, position_id: uuid.UUID,
                      change: VersionInput) -> PositionVersion:
    """A translation, a correction or new metadata: always a new version; nothing is overwritten.

    - A text in a language that has none yet is a translation (title and paragraphs both required).
    - A text in a language that has one is a correction: ``reason`` is required (422 ``reason_required``).
    - No text: new metadata (SDG tags, process, session, keywords) over the latest text.
    Refused: 403 ``secretariat_only``; 404 ``position_not_found``; 422 ``unknown_sdg``, ``bad_language``,
    ``text_incomplete``, ``nothing_changed``.
    """
    _require_secretariat(principal)
    position = await session.scalar(select(Position).where(Position.id == position_id).with_for_update())
    if position is None:
        raise NotFound(f"no position with id {position_id}", code="position_not_found")
    if change.language not in LANGUAGES:
        raise InvalidInput.for_field("language", f"one of the working languages {', '.join(LANGUAGES)}",
                                     code="bad_language")
    if change.sdgs is not None:
        sdgs = normalize_sdgs(change.sdgs)
        if isinstance(sdgs, Refusal):
            _raise(sdgs)
        position.sdgs = sdgs
    languages = list((await session.scalars(select(PositionVersion.language).where(
        PositionVersion.position_id == position.id).distinct())).all())
    text_given = change.title is not None or change.paragraphs is not None
    kind = version_kind(languages, change.language, text_given=text_given)
    previous = await _latest(session, position.id, change.language if text_given else None)
    if kind == "translation" and (change.title is None or change.paragraphs is None):
        raise InvalidInput.for_field("paragraphs", "a translation gives both the title and the paragraphs",
                                     code="text_incomplete")
    if kind == "correction" and not (change.reason or "").strip():
        raise InvalidInput.for_field("reason", "a correction says why the text changes", code="reason_required")
    if kind == "metadata" and all(v is None for v in (change.sdgs, change.process, change.session, change.keywords)):
        raise InvalidInput.for_field("body", "nothing to change: give a text or metadata", code="nothing_changed")
    if change.process is not None:
        position.process = change.process.strip() or None
    if change.session is not None:
        position.session = change.session.strip() or None
    if change.keywords is not None:
        position.keywords = sorted({k.strip() for k in change.keywords if k.strip()})
    base = previous if previous is not None else await _latest(session, position.id, position.language)
    assert base is not None
    paragraphs = ([{"id": p.get("id") or f"p{i}", "kind": p.get("kind") or "operative", "text": p["text"]}
                   for i, p in enumerate(change.paragraphs, start=1)]
                  if change.paragraphs is not None else list(base.paragraphs))
    number = position.current_version + 1
    version = PositionVersion(
        position_id=position.id, number=number, kind=VersionKind(kind),
        language=change.language if text_given else base.language, title=change.title or base.title,
        paragraphs=paragraphs, metadata_=_metadata(position), reason=(change.reason or "").strip() or None,
        created_by_user_id=principal.user_id)
    session.add(version)
    position.current_version = number
    await session.flush()
    await record_event(session, f"position.{kind}", assembly_id=position.assembly_id, subject_id=position.id,
                       actor_user_id=principal.user_id, payload={
                           "position_id": str(position.id), "version": number, "language": version.language,
                           "reason": version.reason, "metadata": _metadata(position)})
    await _enqueue(session, "position.corrected", position, version)
    return version


async def list_versions(session: AsyncSession, position_id: uuid.UUID) -> list[PositionVersion]:
    """Every version, oldest first; 404 ``position_not_found``."""
    await _position(session, position_id)
    return list((await session.scalars(select(PositionVersion).where(PositionVersion.position_id == position_id)
                                       .order_by(PositionVersion.number))).all())


async def set_symbol_pattern(session: AsyncSession, principal: Principal, body: str, pattern: str) -> None:
    """The secretariat sets a body's symbol pattern (422 ``bad_symbol_pattern``); numbers run per series."""
    _require_secretariat(principal)
    refusal = pattern_refusal(pattern)
    if refusal:
        _raise(refusal)
    row = await session.get(PositionSymbolPattern, body)
    if row is None:
        raise NotFound(f"no body {body!r}", code="body_not_found")
    row.pattern = pattern.strip()
    await session.flush()


# -- Public reads -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PositionFilters:
    """Filters of the public list (all optional)."""

    body: str | None = None
    assembly_id: uuid.UUID | None = None
    sdg: str | None = None
    process: str | None = None
    language: str | None = None
    adopted_from: date | None = None
    adopted_to: date | None = None


def _filtered(filters: PositionFilters) -> Select[Position]:
    query = select(Position)
    if filters.body:
        query = query.where(Position.body == filters.body)
    if filters.assembly_id:
        query = query.where(Position.assembly_id == filters.assembly_id)
    if filters.sdg:
        sdgs = normalize_sdgs([filters.sdg], field="sdg")
        if isinstance(sdgs, Refusal):
            _raise(sdgs)
        code = sdgs[0]
        condition = Position.sdgs.contains([code])
        if "." not in code:  # a goal matches its targets too
            condition = or_(condition, text(
                "EXISTS (SELECT 1 FROM jsonb_array_elements_text(position.sdgs) AS tag WHERE tag LIKE :prefix)"
            ).bindparams(prefix=f"{code}.%"))
        query = query.where(condition)
    if filters.process:
        query = query.where(func.lower(Position.process) == filters.process.strip().lower())
    if filters.language:
        query = query.where(exists().where(PositionVersion.position_id == Position.id,
                                           PositionVersion.language == filters.language))
    if filters.adopted_from:
        query = query.where(Position.adopted_on >= filters.adopted_from)
    if filters.adopted_to:
        query = query.where(Position.adopted_on <= filters.adopted_to)
    return query


async def list_positions(session: AsyncSession, filters: PositionFilters, *, limit: int,
                         offset: int) -> tuple[list[Position], int]:
    """A page of positions, newest adoption first; 422 ``unknown_sdg`` for a bad ``sdg`` filter."""
    query = _filtered(filters)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.scalars(query.order_by(Position.adopted_at.desc(), Position.symbol.desc())
                                 .limit(limit).offset(offset))
    return list(rows.all()), int(total)


async def _position(session: AsyncSession, position_id: uuid.UUID) -> Position:
    position = await session.get(Position, position_id)
    if position is None:
        raise NotFound(f"no position with id {position_id}", code="position_not_found")
    return position


async def _audit_events(session: AsyncSession, position: Position) -> list[dict[str, str]]:
    """The audit events that prove the decision: the ballot's (opening, electorate, votes, close) and the adoption."""
    subjects = [position.id] + ([position.ballot_id] if position.ballot_id else [])
    rows = await session.execute(select(AuditEvent.id, AuditEvent.kind).where(or_(
        AuditEvent.subject_id.in_(subjects),
        and_(AuditEvent.subject_id == position.motion_id, AuditEvent.kind == "motion.adopted"),
    )).order_by(AuditEvent.id))
    return [{"id": str(event_id), "kind": kind} for event_id, kind in rows.all()]


async def position_doc(session: AsyncSession, position_id: uuid.UUID, *, language: str | None = None,
                       version: int | None = None, base_url: str = "", with_audit: bool = True) -> PositionDoc:
    """A position as the formats render it: its latest text in ``language`` (default: the adopted language).

    404 ``position_not_found``, ``translation_not_found`` (no text in that language), ``version_not_found``.
    """
    position = await _position(session, position_id)
    if version is not None:
        row = await session.scalar(select(PositionVersion).where(PositionVersion.position_id == position.id,
                                                                  PositionVersion.number == version))
        if row is None:
            raise NotFound(f"the position has no version {version}", code="version_not_found")
    else:
        row = await _latest(session, position.id, language or position.language)
        if row is None:
            raise NotFound(f"the position has no text in {language!r}", code="translation_not_found")
    languages = list((await session.scalars(select(PositionVersion.language).where(
        PositionVersion.position_id == position.id).distinct())).all())
    latest = await _latest(session, position.id, None)
    assert latest is not None
    assembly = await session.get_one(Assembly, position.assembly_id)
    metadata = row.metadata_ if version is not None else _metadata(position)
    return PositionDoc(
        id=position.id, symbol=position.symbol, title=row.title, paragraphs=list(row.paragraphs),
        language=row.language, languages=sorted(languages), body=position.body, assembly_id=position.assembly_id,
        assembly_name=assembly.name, motion_id=position.motion_id, adopted_on=position.adopted_on,
        adopted_at=position.adopted_at, updated_at=latest.created_at, version=row.number,
        resolution=position.resolution, vote=dict(position.vote), sdgs=list(metadata.get("sdgs", [])),
        process=metadata.get("process"), session=metadata.get("session"),
        keywords=list(metadata.get("keywords", [])), text_sha256=position.text_sha256,
        audit_events=await _audit_events(session, position) if with_audit else [], base_url=base_url)


# -- Webhook subscriptions and deliveries -----------------------------------------------------------


async def resolve_host(url: str) -> list[str]:
    """The addresses a URL's host resolves to (an IP literal: itself); empty when it does not resolve."""
    host = urlsplit(url).hostname or ""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None)
    except OSError:
        return []
    return sorted({str(info[4][0]) for info in infos})


async def create_subscription(session: AsyncSession, principal: Principal, *, url: str, events: Sequence[str],
                              secret: str | None, description: str | None,
                              allow_private: bool) -> WebhookSubscription:
    """The secretariat registers an endpoint; the secret is generated unless given (at least 24 characters).

    Refused (422): ``bad_webhook_url`` (not http(s); where private targets are forbidden, not https or
    resolving to a loopback, private, link-local or reserved address), ``unknown_event``, ``weak_secret``.
    """
    _require_secretariat(principal)
    refusal = url_refusal(url) or (None if allow_private else target_refusal(
        url, await resolve_host(url), allow_private=allow_private))
    if refusal:
        _raise(refusal)
    unknown = [e for e in events if e not in EVENTS]
    if unknown or not events:
        raise InvalidInput.for_field("events", f"give one or more of {', '.join(EVENTS)}", code="unknown_event")
    if secret is not None and len(secret) < 24:
        raise InvalidInput.for_field("secret", "at least 24 characters", code="weak_secret")
    subscription = WebhookSubscription(url=url, secret=secret or secrets.token_urlsafe(32),
                                       events=sorted(set(events)), active=True, description=description)
    session.add(subscription)
    await session.flush()
    return subscription


async def list_subscriptions(session: AsyncSession, principal: Principal) -> list[WebhookSubscription]:
    """Every subscription, oldest first (secretariat)."""
    _require_secretariat(principal)
    return list((await session.scalars(select(WebhookSubscription).order_by(WebhookSubscription.id))).all())


async def deactivate_subscription(session: AsyncSession, principal: Principal,
                                  subscription_id: uuid.UUID) -> WebhookSubscription:
    """Stop sending to an endpoint; its pending deliveries are not sent (the worker marks them dead)."""
    _require_secretariat(principal)
    subscription = await session.get(WebhookSubscription, subscription_id)
    if subscription is None:
        raise NotFound(f"no subscription with id {subscription_id}", code="subscription_not_found")
    subscription.active = False
    await session.flush()
    return subscription


async def list_deliveries(session: AsyncSession, principal: Principal, *, status: DeliveryStatus | None,
                          limit: int, offset: int) -> tuple[list[WebhookDelivery], int]:
    """The outbox, newest first, optionally one status (``dead``: the dead letters)."""
    _require_secretariat(principal)
    query = select(WebhookDelivery)
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    total = await session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = await session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit).offset(offset))
    return list(rows.all()), int(total)


async def redeliver(session: AsyncSession, principal: Principal, delivery_id: uuid.UUID) -> WebhookDelivery:
    """A dead letter goes back to pending with its attempts reset (same delivery id: receivers dedupe on it).

    409 ``delivery_not_dead``: a pending delivery is already due, a delivered one is done.
    """
    _require_secretariat(principal)
    delivery = await session.scalar(select(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
                                    .with_for_update())
    if delivery is None:
        raise NotFound(f"no delivery with id {delivery_id}", code="delivery_not_found")
    if delivery.status != DeliveryStatus.DEAD:
        raise Conflict(f"the delivery is {delivery.status}; only a dead letter is re-delivered",
                       code="delivery_not_dead")
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = datetime.now(UTC)
    await session.flush()
    return delivery


async def titles_of(session: AsyncSession, positions: Sequence[Position]) -> dict[uuid.UUID, str]:
    """Each position's current title in its adopted language (one query for a page)."""
    if not positions:
        return {}
    rows = await session.execute(
        select(PositionVersion.position_id, PositionVersion.title)
        .join(Position, Position.id == PositionVersion.position_id)
        .where(PositionVersion.position_id.in_([p.id for p in positions]),
               PositionVersion.language == Position.language)
        .order_by(PositionVersion.position_id, PositionVersion.number.desc())
        .ext(distinct_on(PositionVersion.position_id)))
    return dict(rows.all())


async def feed_docs(session: AsyncSession, *, limit: int, base_url: str) -> list[PositionDoc]:
    """The latest positions (by last change) as documents for the Atom feed."""
    last_change = (select(PositionVersion.position_id, func.max(PositionVersion.created_at).label("changed"))
                   .group_by(PositionVersion.position_id).subquery())
    ids = (await session.scalars(select(last_change.c.position_id)
                                 .order_by(last_change.c.changed.desc()).limit(limit))).all()
    return [await position_doc(session, position_id, base_url=base_url, with_audit=False) for position_id in ids]


# -- Ballot results as CSV --------------------------------------------------------------------------

RESULT_COLUMNS = ("ballot_id", "question", "option", "heads", "weight", "rule", "unit", "quorum_met", "outcome",
                  "closed_at")
ROLL_CALL_COLUMNS = ("ballot_id", "right_id", "delegation_id", "member_name", "kind", "holder_delegation_id",
                     "weight", "voted", "choice", "split")


async def ballot_result_rows(session: AsyncSession, ballot_id: uuid.UUID) -> list[list[object]]:
    """One row per option of a closed ballot (404 ``ballot_not_found``, 409 ``ballot_not_closed``)."""
    ballot = await session.get(Ballot, ballot_id)
    if ballot is None:
        raise NotFound(f"no ballot with id {ballot_id}", code="ballot_not_found")
    result = await session.scalar(select(BallotResult).where(BallotResult.ballot_id == ballot.id))
    if result is None:
        raise Conflict("the results are published when the ballot closes", code="ballot_not_closed")
    closed = ballot.closed_at.isoformat() if ballot.closed_at else ""
    return [[ballot.id, ballot.question, c["option"], c["heads"], c["weight"], result.rule, result.unit,
             result.quorum_met, str(result.outcome), closed] for c in result.counts]


async def roll_call_rows(session: AsyncSession, ballot_id: uuid.UUID) -> list[list[object]]:
    """One row per voting right of a closed roll-call ballot (409 ``ballot_secret``, ``ballot_not_closed``)."""
    # Imported here: the ballots services import the motions services, which import this module.
    from assembly.ballots.services import roll_call_page  # noqa: PLC0415
    rows: list[list[object]] = []
    offset = 0
    while True:
        _ballot, page, total = await roll_call_page(session, ballot_id, limit=1000, offset=offset)
        rows += [[ballot_id, e.right.id, e.right.delegation_id, e.member_name, str(e.right.kind),
                  e.right.holder_delegation_id, e.right.weight, e.vote is not None,
                  e.vote.choice if e.vote else None,
                  json.dumps(e.vote.split, sort_keys=True) if e.vote and e.vote.split else None] for e in page]
        offset += len(page)
        if not page or offset >= total:
            return rows


# -- Minutes ----------------------------------------------------------------------------------------


async def minutes_record(session: AsyncSession, assembly_id: uuid.UUID) -> MinutesRecord:
    """The record the minutes are generated from (404 ``assembly_not_found``); public, like the ballots it shows."""
    assembly = await session.get(Assembly, assembly_id)
    if assembly is None:
        raise NotFound(f"no assembly with id {assembly_id}", code="assembly_not_found")
    members = dict((await session.execute(
        select(Delegation.id, Member.name).join(Member, Member.id == Delegation.member_id)
        .where(Delegation.assembly_id == assembly_id))).all())
    items = []
    for item in (await session.scalars(select(AgendaItem).where(AgendaItem.assembly_id == assembly_id)
                                       .order_by(AgendaItem.position))).all():
        speeches = (await session.scalars(select(SpeakerRequest).where(
            SpeakerRequest.agenda_item_id == item.id,
            SpeakerRequest.status.in_([SpeakerRequestStatus.SPEAKING, SpeakerRequestStatus.SPOKEN]))
            .order_by(SpeakerRequest.started_at, SpeakerRequest.request_no))).all()
        items.append(MinutesItem(item.position, item.title, str(item.kind), str(item.status),
                                 [(members.get(s.delegation_id, "?"), str(s.kind)) for s in speeches]))
    symbols = dict((await session.execute(select(Position.motion_id, Position.symbol)
                                          .where(Position.assembly_id == assembly_id))).all())
    motions = []
    for motion in (await session.scalars(select(Motion).where(Motion.assembly_id == assembly_id)
                                         .order_by(Motion.created_at))).all():
        if motion.status == MotionStatus.DRAFT:
            continue  # drafts are the sponsor's, not the assembly's
        amendments = (await session.execute(select(Amendment.number, Amendment.status, Amendment.status_reason)
                                             .where(Amendment.motion_id == motion.id)
                                             .order_by(Amendment.number))).all()
        motions.append(MinutesMotion(
            motion.title, members.get(motion.sponsor_delegation_id, "?"), str(motion.status),
            str(motion.resolution) if motion.resolution else None, motion.status_reason, symbols.get(motion.id),
            [(int(n), str(status), reason) for n, status, reason in amendments]))
    ballots = []
    for ballot, result in (await session.execute(
            select(Ballot, BallotResult).join(BallotResult, BallotResult.ballot_id == Ballot.id)
            .where(Ballot.assembly_id == assembly_id).order_by(Ballot.closed_at))).all():
        roll_call: list[tuple[str, str | None, int]] = []
        if not ballot.secret:
            rows = (await session.execute(
                select(BallotRight.delegation_id, BallotRight.weight, Vote.choice)
                .outerjoin(Vote, and_(Vote.ballot_id == BallotRight.ballot_id, Vote.right_id == BallotRight.id))
                .where(BallotRight.ballot_id == ballot.id, BallotRight.eligible))).all()
            roll_call = sorted((members.get(d, "?"), choice, int(w)) for d, w, choice in rows)
        ballots.append(MinutesBallot(
            ballot.question, ballot.closed_at, ballot.secret, ballot.weighted, result.rule, str(result.outcome),
            f"{'met' if result.quorum_met else 'not met'} ({result.quorum_arithmetic})", list(result.counts),
            roll_call))
    return MinutesRecord(str(assembly.id), assembly.name, str(assembly.body_kind), assembly.starts_on,
                         assembly.ends_on, assembly.venue, items, motions, ballots)
