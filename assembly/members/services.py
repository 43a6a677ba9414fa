"""Member register use cases: create, replace, suspend, reinstate, list and import.

Every write records an audit event in the same transaction. Services never commit: the request's
session commits after the handler returns, before the response is sent.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, cast

from advanced_alchemy.filters import CollectionFilter, LimitOffset, OrderBy, SearchFilter, StatementFilter
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import Boolean, Table, func, literal_column, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.audit.services import record_event
from assembly.core.errors import Conflict, InvalidInput, NotFound
from assembly.members.models import Member, MemberKind, MemberSection, MemberStatus, WorldRegion
from assembly.members.rules import (
    EDITABLE_FIELDS,
    OPTIONAL_COLUMNS,
    CsvProblem,
    FieldProblem,
    MemberRecord,
    RawValue,
    RegisterRefused,
    check_key,
    check_search,
    normalize_country,
    parse_register_csv,
    validate_member,
)

__all__ = (
    "ImportOutcome",
    "MemberFilters",
    "MemberRepository",
    "create_member",
    "get_member",
    "get_member_by_key",
    "import_register",
    "list_members",
    "reinstate_member",
    "replace_member",
    "suspend_member",
)

IMPORT_LOCK_ID = 0x6D656D62_72656769  # "membregi": one register import at a time, in any process
"""Key of the transaction-level advisory lock that serializes register imports."""

IMPORT_BATCH_ROWS = 1000
"""Rows per INSERT statement of an import: 11 parameters a row stays far below PostgreSQL's 32,767."""


class MemberRepository(SQLAlchemyAsyncRepository[Member]):
    """advanced-alchemy repository of members (filters, pagination and counting)."""

    model_type = Member


@dataclass(frozen=True, slots=True)
class MemberFilters:
    """What the member list is asked for; ``None`` means no filter on that field."""

    kind: MemberKind | None = None
    region: WorldRegion | None = None
    country: str | None = None
    section: MemberSection | None = None
    status: MemberStatus | None = None
    search: str | None = None
    sort_by: str = "name"
    descending: bool = False
    limit: int = 50
    offset: int = 0


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """Counts of one register import."""

    created: int
    updated: int
    unchanged: int
    total: int
    dry_run: bool


def _invalid(problems: Sequence[FieldProblem]) -> InvalidInput:
    detail = "; ".join(f"{field}: {message}" for field, message in problems)
    return InvalidInput(detail, errors=[{"field": field, "message": message} for field, message in problems])


def _audit_values(member: Member) -> dict[str, Any]:
    return {field: _plain(getattr(member, field)) for field in ("key", *EDITABLE_FIELDS, "status")}


def _plain(value: object) -> str | int | None:
    if value is None or isinstance(value, int | str):
        return value
    return str(value)


async def _load_for_update(session: AsyncSession, member_id: uuid.UUID) -> Member:
    member = await session.scalar(select(Member).where(Member.id == member_id).with_for_update())
    if member is None:
        raise NotFound(f"no member with id {member_id}", code="member_not_found")
    return member


async def get_member(session: AsyncSession, member_id: uuid.UUID) -> Member:
    """Return the member with ``member_id``; 404 ``member_not_found`` when there is none."""
    member = await session.get(Member, member_id)
    if member is None:
        raise NotFound(f"no member with id {member_id}", code="member_not_found")
    return member


async def get_member_by_key(session: AsyncSession, key: str) -> Member:
    """Return the member whose register key is ``key`` (case-sensitive); 404 ``member_not_found`` otherwise."""
    valid_key, _ = check_key(key)
    member = None
    if valid_key == key:  # a string that cannot be a key names no member; no need to ask the database
        member = await session.scalar(select(Member).where(Member.key == key))
    if member is None:
        raise NotFound(f"no member with key '{key}'", code="member_not_found")
    return member


async def list_members(session: AsyncSession, filters: MemberFilters) -> tuple[Sequence[Member], int]:
    """Return one page of members matching ``filters`` and how many match in all.

    ``search`` matches a case-insensitive substring of the name or the key (``%`` and ``_`` are
    literal characters). The order is by name or key, then by key, so pages never overlap.
    """
    statement_filters: list[StatementFilter] = []
    for field in ("kind", "region", "section", "status"):
        value = getattr(filters, field)
        if value is not None:
            statement_filters.append(CollectionFilter(field_name=field, values=[value]))
    if filters.country is not None:
        country, problem = normalize_country(filters.country)
        if problem:
            raise _invalid([("country", problem)])
        statement_filters.append(CollectionFilter(field_name="country", values=[country]))
    if filters.search is not None:
        search, problem = check_search(filters.search)
        if problem:
            raise _invalid([("search", problem)])
        if search:
            statement_filters.append(
                SearchFilter(field_name={"name", "key"}, value=search, ignore_case=True, escape_wildcards=True)
            )
    order: Literal["asc", "desc"] = "desc" if filters.descending else "asc"
    statement_filters.append(OrderBy(field_name=filters.sort_by, sort_order=order))
    if filters.sort_by != "key":
        statement_filters.append(OrderBy(field_name="key", sort_order=order))
    statement_filters.append(LimitOffset(limit=filters.limit, offset=filters.offset))
    repository = MemberRepository(session=session)
    return await repository.get_many_and_count(*statement_filters)


def _record_or_refuse(raw: Mapping[str, RawValue]) -> MemberRecord:
    record, problems = validate_member(raw)
    if record is None:
        raise _invalid(problems)
    return record


async def create_member(session: AsyncSession, *, actor_user_id: uuid.UUID, values: Mapping[str, RawValue]) -> Member:
    """Register a new, active member; 409 ``member_key_taken`` when its key is registered already.

    The insert is ``ON CONFLICT (key) DO NOTHING``, so two requests racing with the same key end
    with one member and one refusal, never a half-done transaction.
    """
    record = _record_or_refuse({**values, "status": MemberStatus.ACTIVE})
    now = datetime.now(UTC)
    statement = (
        pg_insert(Member)
        .values(
            key=record.key,
            name=record.name,
            kind=record.kind,
            country=record.country,
            region=record.region,
            section=record.section,
            population=record.population,
            membership_category=record.membership_category,
            fees_paid_through=record.fees_paid_through,
            status=record.status,
            # One instant for both, so a member never edited shows created_at == updated_at.
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=[Member.key])
        .returning(Member)
    )
    member = await session.scalar(statement)
    if member is None:
        raise Conflict(f"a member with the key '{record.key}' is registered already", code="member_key_taken",
                       errors=[{"field": "key", "message": "is registered already"}])
    await record_event(session, "member.created", subject_id=member.id, actor_user_id=actor_user_id,
                       payload=_audit_values(member))
    return member


async def replace_member(
    session: AsyncSession, *, actor_user_id: uuid.UUID, member_id: uuid.UUID, values: Mapping[str, RawValue]
) -> Member:
    """Replace every editable field of a member (not its key, not its status).

    Only the fields that really change are written; a replace that changes nothing writes nothing,
    keeps ``updated_at`` and records no event.
    """
    member = await _load_for_update(session, member_id)
    record = _record_or_refuse({**values, "key": member.key, "status": member.status})
    changes: dict[str, Any] = {}
    for field in EDITABLE_FIELDS:
        new = getattr(record, field)
        old = getattr(member, field)
        if new != old:
            changes[field] = {"from": _plain(old), "to": _plain(new)}
            setattr(member, field, new)
    if changes:
        await session.flush()
        await record_event(session, "member.updated", subject_id=member.id, actor_user_id=actor_user_id,
                           payload={"key": member.key, "changes": changes})
    return member


async def _set_status(
    session: AsyncSession, *, actor_user_id: uuid.UUID, member_id: uuid.UUID, reason: str, status: MemberStatus
) -> Member:
    member = await _load_for_update(session, member_id)
    if member.status == status:
        if status is MemberStatus.SUSPENDED:
            raise Conflict(f"member '{member.key}' is suspended already", code="member_already_suspended")
        raise Conflict(f"member '{member.key}' is not suspended", code="member_not_suspended")
    text = reason.strip()
    if not text:
        raise _invalid([("reason", "must not be blank")])
    member.status = status
    await session.flush()
    kind = "member.suspended" if status is MemberStatus.SUSPENDED else "member.reinstated"
    await record_event(session, kind, subject_id=member.id, actor_user_id=actor_user_id,
                       payload={"key": member.key, "reason": text})
    return member


async def suspend_member(
    session: AsyncSession, *, actor_user_id: uuid.UUID, member_id: uuid.UUID, reason: str
) -> Member:
    """Suspend an active member (Constitution Art 23: it keeps its record but holds no vote).

    409 ``member_already_suspended`` when it is suspended. The row is locked, so of two concurrent
    suspensions one succeeds and the other is refused.
    """
    return await _set_status(session, actor_user_id=actor_user_id, member_id=member_id, reason=reason,
                             status=MemberStatus.SUSPENDED)


async def reinstate_member(
    session: AsyncSession, *, actor_user_id: uuid.UUID, member_id: uuid.UUID, reason: str
) -> Member:
    """Lift a member's suspension (Constitution Art 23); 409 ``member_not_suspended`` when it is active."""
    return await _set_status(session, actor_user_id=actor_user_id, member_id=member_id, reason=reason,
                             status=MemberStatus.ACTIVE)


def _refusal(refused: RegisterRefused) -> InvalidInput:
    errors = [_problem_dict(problem) for problem in refused.problems]
    return InvalidInput(
        refused.summary,
        code=refused.code,
        extra={"errors": errors, "error_count": refused.problem_count},
    )


def _problem_dict(problem: CsvProblem) -> dict[str, Any]:
    return {"row": problem.row, "column": problem.column, "message": problem.message}


async def import_register(
    session: AsyncSession, *, actor_user_id: uuid.UUID, data: bytes, dry_run: bool = False
) -> ImportOutcome:
    """Import a member register from CSV: every row valid, or nothing written.

    Rows are matched to members on ``key``. A new key creates a member; a registered key whose row
    differs updates it; a row equal to the member leaves it untouched (``updated_at`` stays), so
    importing the same file again changes nothing. Members absent from the file stay as they are;
    optional columns absent from the file are not touched on registered members.

    The file is parsed off the event loop; the rows go in batches of ``INSERT ... ON CONFLICT (key)
    DO UPDATE ... WHERE <the row differs>``, sorted by key so that concurrent writers lock rows in
    one order, under an advisory lock that lets one import run at a time. A dry run does the same
    inside a savepoint that it rolls back, so its counts are exactly what the import would do.
    One audit event records the counts and the file's SHA-256 (none for a dry run).
    """
    parsed = await asyncio.to_thread(parse_register_csv, data)
    if isinstance(parsed, RegisterRefused):
        raise _refusal(parsed)
    await session.execute(select(func.pg_advisory_xact_lock(IMPORT_LOCK_ID)))
    records = sorted((row.record for row in parsed.rows), key=lambda record: record.key)
    if dry_run:
        savepoint = await session.begin_nested()
        try:
            created, updated = await _upsert(session, records, parsed.columns)
        finally:
            await savepoint.rollback()
    else:
        created, updated = await _upsert(session, records, parsed.columns)
    total = len(records)
    outcome = ImportOutcome(created=created, updated=updated, unchanged=total - created - updated, total=total,
                            dry_run=dry_run)
    if not dry_run:
        await record_event(
            session,
            "member.register_imported",
            actor_user_id=actor_user_id,
            payload={
                "sha256": hashlib.sha256(data).hexdigest(),
                "bytes": len(data),
                "columns": sorted(parsed.columns),
                "total": outcome.total,
                "created": outcome.created,
                "updated": outcome.updated,
                "unchanged": outcome.unchanged,
            },
        )
    return outcome


async def _upsert(session: AsyncSession, records: Sequence[MemberRecord], columns: frozenset[str]) -> tuple[int, int]:
    """Insert or update ``records``; return (created, updated). Rows equal to the member are skipped."""
    table = cast("Table", Member.__table__)
    # Optional columns the file leaves out get their defaults on new members and are kept on old ones.
    updatable = [field for field in EDITABLE_FIELDS if field in columns or field not in OPTIONAL_COLUMNS]
    if "status" in columns:
        updatable.append("status")
    now = datetime.now(UTC)
    inserted = pg_insert(table)
    statement = (
        inserted.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={field: inserted.excluded[field] for field in (*updatable, "updated_at")},
            where=or_(*(table.c[field].is_distinct_from(inserted.excluded[field]) for field in updatable)),
        )
        # xmax is 0 only on a row version this statement inserted; an ON CONFLICT update sets it.
        .returning(literal_column("xmax = 0", type_=Boolean).label("inserted"))
    )
    created = updated = 0
    for start in range(0, len(records), IMPORT_BATCH_ROWS):
        parameters = [
            {
                "key": record.key,
                "name": record.name,
                "kind": record.kind,
                "country": record.country,
                "region": record.region,
                "section": record.section,
                "population": record.population,
                "membership_category": record.membership_category,
                "fees_paid_through": record.fees_paid_through,
                "status": record.status,
                "created_at": now,
                "updated_at": now,
            }
            for record in records[start : start + IMPORT_BATCH_ROWS]
        ]
        result = await session.execute(statement, parameters)
        for (was_inserted,) in result:
            if was_inserted:
                created += 1
            else:
                updated += 1
    return created, updated
