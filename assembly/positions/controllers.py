"""HTTP routes of positions: the public read side (JSON, Markdown, Akoma Ntoso, Popolo, Atom), the
secretariat's versions and symbol patterns, webhook subscriptions and the outbox.

Handlers parse and authorize, call one service and shape the response. docs/positions.md has examples.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime
from functools import partial
from typing import Annotated, Any

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.security.jwt import Token
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.core.guards import current_principal, requires_login
from assembly.core.openapi import DEFAULT_PROBLEM_DESCRIPTIONS, problem_responses
from assembly.core.security import Principal
from assembly.positions import formats, minutes, services
from assembly.positions.models import DeliveryStatus, Position, WebhookDelivery, WebhookSubscription
from assembly.positions.schemas import (
    AuditLink,
    DeliveryRead,
    PatternUpdate,
    PositionRead,
    PositionSummary,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionRead,
    VersionCreate,
    VersionRead,
)
from assembly.settings import Settings

__all__ = (
    "BallotResultsController",
    "MinutesController",
    "MotionPositionController",
    "PositionController",
    "SymbolPatternController",
    "WebhookController",
)

Limit = Annotated[int, QueryParameter(ge=1, le=200, description="Page size (1 to 200)")]
Offset = Annotated[int, QueryParameter(ge=0, le=10_000_000, description="Items to skip")]
VersionNumber = Annotated[int | None, QueryParameter(ge=1, le=1_000_000, description="A version number")]
CallerRequest = Request[Principal, Token, Any]
PUBLIC: dict[str, Any] = {"exclude_from_auth": True}
"""Public read routes: no token needed."""
AKN_MEDIA_TYPE = "application/akn+xml"

_PROBLEM_DESCRIPTIONS = {
    **DEFAULT_PROBLEM_DESCRIPTIONS,
    404: "No such position, version, subscription or delivery",
}
_problems = partial(problem_responses, _PROBLEM_DESCRIPTIONS)


def _base_url(request: Request[Any, Any, Any]) -> str:
    return str(request.base_url).rstrip("/")


def _summary(position: Position, title: str) -> PositionSummary:
    return PositionSummary(
        id=position.id, symbol=position.symbol, title=title, adopted_on=position.adopted_on, body=position.body,
        assembly_id=position.assembly_id, process=position.process, session=position.session,
        sdgs=list(position.sdgs), language=position.language, version=position.current_version,
        vote=_vote_summary(position.vote))


def _vote_summary(vote: dict[str, Any]) -> dict[str, Any]:
    """The vote without the roll call (the full record is on the position)."""
    return {key: value for key, value in vote.items() if key != "roll_call"}


def _read(doc: formats.PositionDoc) -> PositionRead:
    base = doc.url
    return PositionRead(
        id=doc.id, symbol=doc.symbol, title=doc.title, adopted_on=doc.adopted_on, body=doc.body,
        assembly_id=doc.assembly_id, process=doc.process, session=doc.session, sdgs=doc.sdgs, language=doc.language,
        version=doc.version, vote=doc.vote, motion_id=doc.motion_id, adopted_at=doc.adopted_at,
        updated_at=doc.updated_at, resolution=doc.resolution, paragraphs=doc.paragraphs, languages=doc.languages,
        keywords=doc.keywords, text_sha256=doc.text_sha256,
        audit_events=[AuditLink(id=uuid.UUID(e["id"]), kind=e["kind"]) for e in doc.audit_events],
        links={"self": base, "markdown": f"{base}/markdown", "akn": f"{base}/akn", "popolo": f"{base}/popolo",
               "versions": f"{base}/versions", "feed": f"{doc.base_url}/api/positions/feed.atom"})


def _subscription(row: WebhookSubscription) -> SubscriptionRead:
    return SubscriptionRead(id=row.id, url=row.url, events=list(row.events), active=row.active,
                            description=row.description, created_at=row.created_at)


def _delivery(row: WebhookDelivery) -> DeliveryRead:
    return DeliveryRead(id=row.id, subscription_id=row.subscription_id, event=row.event, position_id=row.position_id,
                        status=row.status, attempts=row.attempts, next_attempt_at=row.next_attempt_at,
                        last_status=row.last_status, last_error=row.last_error, delivered_at=row.delivered_at,
                        created_at=row.created_at)


class PositionController(Controller):
    """Published positions: public reads in open formats; versions by the secretariat."""

    path = "/api/positions"
    tags = ["positions"]  # noqa: RUF012

    @get("", operation_id="ListPositions", summary="List and filter adopted positions", opt=PUBLIC, security=[{}],
         responses=_problems(422))
    async def list_all(self, db_session: NamedDependency[AsyncSession], *,
                       body_kind: Annotated[str | None, QueryParameter(name="body")] = None,
                       assembly_id: FromQuery[uuid.UUID | None] = None, sdg: FromQuery[str | None] = None,
                       process: FromQuery[str | None] = None, language: FromQuery[str | None] = None,
                       adopted_from: FromQuery[date | None] = None, adopted_to: FromQuery[date | None] = None,
                       limit: Limit = 50, offset: Offset = 0) -> OffsetPagination[PositionSummary]:
        """Public: newest adoption first; ``sdg`` a goal matches its targets too."""
        filters = services.PositionFilters(body=body_kind, assembly_id=assembly_id, sdg=sdg, process=process,
                                           language=language, adopted_from=adopted_from, adopted_to=adopted_to)
        items, total = await services.list_positions(db_session, filters, limit=limit, offset=offset)
        titles = await services.titles_of(db_session, items)
        return OffsetPagination(items=[_summary(p, titles.get(p.id, "")) for p in items], limit=limit,
                                offset=offset, total=total)

    @get("/feed.atom", operation_id="PositionsFeed", summary="Atom feed (RFC 4287) of positions", opt=PUBLIC,
         security=[{}], media_type="application/atom+xml; charset=utf-8")
    async def feed(self, request: Request[Any, Any, Any], db_session: NamedDependency[AsyncSession]) -> Response[str]:
        """Public: the 50 most recently changed positions."""
        base = _base_url(request)
        docs = await services.feed_docs(db_session, limit=50, base_url=base)
        updated = max((d.updated_at for d in docs), default=datetime(2026, 1, 1, tzinfo=UTC))
        feed_id = f"{base}/api/positions/feed.atom"
        return Response(formats.atom_feed(docs, base_url=base, feed_id=feed_id, updated=updated),
                        media_type="application/atom+xml; charset=utf-8")

    @get("/{position_id:uuid}", operation_id="GetPosition", summary="A position as JSON", opt=PUBLIC,
         security=[{}], responses=_problems(404))
    async def get_one(self, position_id: FromPath[uuid.UUID], request: Request[Any, Any, Any],
                      db_session: NamedDependency[AsyncSession], *, language: FromQuery[str | None] = None,
                      version: VersionNumber = None) -> PositionRead:
        """Public: the latest text in ``language`` (default the adopted one), or a given ``version``."""
        return _read(await services.position_doc(db_session, position_id, language=language, version=version,
                                                 base_url=_base_url(request)))

    @get("/{position_id:uuid}/markdown", operation_id="GetPositionMarkdown", summary="A position as Markdown",
         opt=PUBLIC, security=[{}], media_type="text/markdown; charset=utf-8", responses=_problems(404))
    async def markdown(self, position_id: FromPath[uuid.UUID], request: Request[Any, Any, Any],
                       db_session: NamedDependency[AsyncSession], *, language: FromQuery[str | None] = None,
                       version: VersionNumber = None) -> Response[str]:
        """Public: CommonMark."""
        doc = await services.position_doc(db_session, position_id, language=language, version=version,
                                          base_url=_base_url(request))
        return Response(formats.markdown(doc), media_type="text/markdown; charset=utf-8")

    @get("/{position_id:uuid}/akn", operation_id="GetPositionAkomaNtoso",
         summary="A position as an Akoma Ntoso 3.0 statement", opt=PUBLIC, security=[{}],
         media_type=AKN_MEDIA_TYPE, responses=_problems(404))
    async def akn(self, position_id: FromPath[uuid.UUID], request: Request[Any, Any, Any],
                  db_session: NamedDependency[AsyncSession], *, language: FromQuery[str | None] = None,
                  version: VersionNumber = None) -> Response[str]:
        """Public: OASIS LegalDocML (Akoma Ntoso 3.0), validated in the tests against the official XSD."""
        doc = await services.position_doc(db_session, position_id, language=language, version=version,
                                          base_url=_base_url(request))
        return Response(formats.akn_statement(doc, generated=datetime.now(UTC).date()), media_type=AKN_MEDIA_TYPE)

    @get("/{position_id:uuid}/popolo", operation_id="GetPositionPopolo", summary="The motion and vote as Popolo",
         opt=PUBLIC, security=[{}], responses=_problems(404))
    async def popolo(self, position_id: FromPath[uuid.UUID], request: Request[Any, Any, Any],
                     db_session: NamedDependency[AsyncSession]) -> dict[str, Any]:
        """Public: motions, vote_events (counts, votes of a roll call) and organizations."""
        doc = await services.position_doc(db_session, position_id, base_url=_base_url(request), with_audit=False)
        return formats.popolo(doc)

    @get("/{position_id:uuid}/versions", operation_id="ListPositionVersions", summary="Every version of a position",
         opt=PUBLIC, security=[{}], responses=_problems(404))
    async def versions(self, position_id: FromPath[uuid.UUID],
                       db_session: NamedDependency[AsyncSession]) -> list[VersionRead]:
        """Public: the adopted text, translations, corrections (with their reasons) and metadata changes."""
        return [VersionRead(number=v.number, kind=v.kind, language=v.language, title=v.title,
                            paragraphs=list(v.paragraphs), metadata=dict(v.metadata_), reason=v.reason,
                            created_at=v.created_at)
                for v in await services.list_versions(db_session, position_id)]

    @post("/{position_id:uuid}/versions", operation_id="AddPositionVersion",
          summary="Add a translation, a correction or metadata", guards=[requires_login], status_code=201,
          responses=_problems(401, 403, 404, 422))
    async def add_version(self, position_id: FromPath[uuid.UUID], data: JSONBody[VersionCreate],
                          request: CallerRequest, db_session: NamedDependency[AsyncSession]) -> VersionRead:
        """Secretariat: a new version; the previous ones stay readable. A correction needs a reason."""
        change = services.VersionInput(
            language=data.language, title=data.title,
            paragraphs=[{"text": p.text, "kind": p.kind, "id": p.id or ""} for p in data.paragraphs]
            if data.paragraphs is not None else None,
            reason=data.reason, sdgs=data.sdgs, process=data.process, session=data.session, keywords=data.keywords)
        v = await services.add_version(db_session, current_principal(request), position_id, change)
        return VersionRead(number=v.number, kind=v.kind, language=v.language, title=v.title,
                           paragraphs=list(v.paragraphs), metadata=dict(v.metadata_), reason=v.reason,
                           created_at=v.created_at)


class SymbolPatternController(Controller):
    """Symbol patterns per body (secretariat)."""

    path = "/api/position-symbol-patterns"
    tags = ["positions"]  # noqa: RUF012

    @put("/{body_kind:str}", operation_id="SetSymbolPattern", summary="Set a body's symbol pattern",
         guards=[requires_login], responses=_problems(401, 403, 404, 422))
    async def set_pattern(self, body_kind: FromPath[str], data: JSONBody[PatternUpdate], request: CallerRequest,
                          db_session: NamedDependency[AsyncSession]) -> dict[str, str]:
        """Secretariat: e.g. ``UCLG/WC/{year}/RES/{number}``; numbering runs per series (pattern and year)."""
        await services.set_symbol_pattern(db_session, current_principal(request), body_kind, data.pattern)
        return {"body": body_kind, "pattern": data.pattern.strip()}


class MotionPositionController(Controller):
    """Publishing an adopted motion that has no position yet."""

    path = "/api/motions"
    tags = ["positions"]  # noqa: RUF012

    @post("/{motion_id:uuid}/position", operation_id="PublishMotion", summary="Publish an adopted motion",
          guards=[requires_login], status_code=201, responses=_problems(401, 403, 404, 409))
    async def publish(self, motion_id: FromPath[uuid.UUID], request: CallerRequest,
                      db_session: NamedDependency[AsyncSession]) -> PositionRead:
        """Secretariat: refused unless the motion was adopted and has no position (adoption publishes by itself)."""
        position = await services.publish_motion(db_session, current_principal(request), motion_id)
        return _read(await services.position_doc(db_session, position.id, base_url=_base_url(request)))


def _csv(columns: Sequence[str], rows: Sequence[Sequence[object]], filename: str) -> Response[str]:
    """A CSV download (RFC 4180 text, offered as an attachment named ``filename``)."""
    return Response(formats.csv_text(columns, rows), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


class BallotResultsController(Controller):
    """Ballot results as CSV, for spreadsheets and archives."""

    path = "/api/ballots"
    tags = ["ballots"]  # noqa: RUF012

    @get("/{ballot_id:uuid}/results.csv", operation_id="GetBallotResultsCsv",
         summary="A closed ballot's result, one row per option", opt=PUBLIC, security=[{}],
         media_type="text/csv; charset=utf-8", responses=_problems(404, 409))
    async def results_csv(self, ballot_id: FromPath[uuid.UUID],
                          db_session: NamedDependency[AsyncSession]) -> Response[str]:
        """Public once closed: counts in heads and weight per option, the rule, quorum and outcome."""
        rows = await services.ballot_result_rows(db_session, ballot_id)
        return _csv(services.RESULT_COLUMNS, rows, f"ballot-{ballot_id}-results.csv")

    @get("/{ballot_id:uuid}/roll-call.csv", operation_id="GetBallotRollCallCsv",
         summary="A closed roll-call ballot, one row per voting right", opt=PUBLIC, security=[{}],
         media_type="text/csv; charset=utf-8", responses=_problems(404, 409))
    async def roll_call_csv(self, ballot_id: FromPath[uuid.UUID],
                            db_session: NamedDependency[AsyncSession]) -> Response[str]:
        """Public once closed; refused for a secret ballot (409 ``ballot_secret``)."""
        rows = await services.roll_call_rows(db_session, ballot_id)
        return _csv(services.ROLL_CALL_COLUMNS, rows, f"ballot-{ballot_id}-roll-call.csv")


class MinutesController(Controller):
    """Minutes of an assembly's sitting, generated from the record."""

    path = "/api/assemblies"
    tags = ["positions"]  # noqa: RUF012

    @get("/{assembly_id:uuid}/minutes.md", operation_id="GetMinutesMarkdown", summary="Minutes as Markdown",
         opt=PUBLIC, security=[{}], media_type="text/markdown; charset=utf-8", responses=_problems(404))
    async def markdown(self, assembly_id: FromPath[uuid.UUID],
                       db_session: NamedDependency[AsyncSession]) -> Response[str]:
        """Public: agenda items and speakers, motions and amendments, ballots, rulings."""
        record = await services.minutes_record(db_session, assembly_id)
        return Response(minutes.minutes_markdown(record), media_type="text/markdown; charset=utf-8")

    @get("/{assembly_id:uuid}/minutes.html", operation_id="GetMinutesHtml", summary="Minutes, printable HTML",
         opt=PUBLIC, security=[{}], media_type="text/html; charset=utf-8", responses=_problems(404))
    async def printable(self, assembly_id: FromPath[uuid.UUID],
                        db_session: NamedDependency[AsyncSession]) -> Response[str]:
        """Public: the same content as a page to print."""
        record = await services.minutes_record(db_session, assembly_id)
        return Response(minutes.minutes_html(record), media_type="text/html; charset=utf-8")

    @get("/{assembly_id:uuid}/minutes.akn", operation_id="GetMinutesAkomaNtoso",
         summary="Minutes as an Akoma Ntoso debateReport", opt=PUBLIC, security=[{}], media_type=AKN_MEDIA_TYPE,
         responses=_problems(404))
    async def akn(self, assembly_id: FromPath[uuid.UUID], db_session: NamedDependency[AsyncSession]) -> Response[str]:
        """Public: OASIS LegalDocML ``debateReport``, validated in the tests against the official XSD."""
        record = await services.minutes_record(db_session, assembly_id)
        return Response(minutes.akn_debate_report(record, generated=datetime.now(UTC).date()),
                        media_type=AKN_MEDIA_TYPE)


class WebhookController(Controller):
    """Subscriber endpoints and the outbox (secretariat)."""

    path = "/api/webhooks"
    tags = ["webhooks"]  # noqa: RUF012

    @post("/subscriptions", operation_id="CreateWebhookSubscription", summary="Register a subscriber endpoint",
          guards=[requires_login], status_code=201, responses=_problems(401, 403, 422))
    async def subscribe(self, data: JSONBody[SubscriptionCreate], request: CallerRequest,
                        db_session: NamedDependency[AsyncSession]) -> SubscriptionCreated:
        """Secretariat: the secret (generated unless given) is shown in this answer only."""
        settings: Settings = request.app.state.settings
        row = await services.create_subscription(
            db_session, current_principal(request), url=data.url, events=data.events, secret=data.secret,
            description=data.description, allow_private=settings.webhook_allow_private)
        return SubscriptionCreated(id=row.id, url=row.url, events=list(row.events), active=row.active,
                                   description=row.description, created_at=row.created_at, secret=row.secret)

    @get("/subscriptions", operation_id="ListWebhookSubscriptions", summary="Subscriber endpoints",
         guards=[requires_login], responses=_problems(401, 403))
    async def subscriptions(self, request: CallerRequest,
                            db_session: NamedDependency[AsyncSession]) -> list[SubscriptionRead]:
        """Secretariat: every endpoint, without secrets."""
        return [_subscription(s) for s in await services.list_subscriptions(db_session, current_principal(request))]

    @post("/subscriptions/{subscription_id:uuid}/deactivate", operation_id="DeactivateWebhookSubscription",
          summary="Stop sending to an endpoint", guards=[requires_login], status_code=200,
          responses=_problems(401, 403, 404))
    async def deactivate(self, subscription_id: FromPath[uuid.UUID], request: CallerRequest,
                         db_session: NamedDependency[AsyncSession]) -> SubscriptionRead:
        """Secretariat: pending deliveries to it are not sent."""
        return _subscription(await services.deactivate_subscription(db_session, current_principal(request),
                                                                    subscription_id))

    @get("/deliveries", operation_id="ListWebhookDeliveries", summary="The outbox (status=dead: dead letters)",
         guards=[requires_login], responses=_problems(401, 403))
    async def deliveries(self, request: CallerRequest, db_session: NamedDependency[AsyncSession], *,
                         status: FromQuery[DeliveryStatus | None] = None, limit: Limit = 50,
                         offset: Offset = 0) -> OffsetPagination[DeliveryRead]:
        """Secretariat: newest first."""
        items, total = await services.list_deliveries(db_session, current_principal(request), status=status,
                                                      limit=limit, offset=offset)
        return OffsetPagination(items=[_delivery(d) for d in items], limit=limit, offset=offset, total=total)

    @post("/deliveries/{delivery_id:uuid}/redeliver", operation_id="RedeliverWebhook",
          summary="Send a dead letter again", guards=[requires_login], status_code=200,
          responses=_problems(401, 403, 404, 409))
    async def redeliver(self, delivery_id: FromPath[uuid.UUID], request: CallerRequest,
                        db_session: NamedDependency[AsyncSession]) -> DeliveryRead:
        """Secretariat: back to pending with the same delivery id (receivers dedupe on it)."""
        return _delivery(await services.redeliver(db_session, current_principal(request), delivery_id))
