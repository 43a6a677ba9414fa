"""The read side: a motion with everything about it, lists and search, versions, comparisons, exports."""

from __future__ import annotations

import html
import uuid
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import ColumnElement, Text, and_, cast, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.assemblies.models import Assembly
from assembly.core.errors import InvalidInput, NotFound
from assembly.core.security import Principal
from assembly.motions.exports import AmendmentExport, MotionExport, render_html, render_markdown
from assembly.motions.models import (
    Amendment,
    AmendmentStatus,
    CosponsorStatus,
    Motion,
    MotionCosponsor,
    MotionPart,
    MotionStatus,
    MotionVersion,
)
from assembly.motions.rules import ParagraphDiff, compare_paragraphs
from assembly.motions.services._common import (
    Caller,
    MotionState,
    amendment_label,
    caller_in,
    conflict_map,
    load_amendment,
    load_motion,
    load_state,
    operations_of,
    paragraphs_of,
    require_visible,
    sponsor_names,
    support_of,
)

__all__ = (
    "AmendmentView",
    "Comparison",
    "CosponsorView",
    "MotionView",
    "amendment_views",
    "compare_versions",
    "export_motion",
    "get_amendment",
    "get_motion",
    "get_version",
    "list_amendments",
    "list_motions",
    "list_versions",
    "motion_view",
)


@dataclass(frozen=True, slots=True)
class AmendmentView:
    """An amendment with its sponsor's name and the pending amendments it conflicts with."""

    amendment: Amendment
    sponsor_name: str
    conflicts_with: list[uuid.UUID]


@dataclass(frozen=True, slots=True)
class CosponsorView:
    """A co-sponsorship with the delegation's member name."""

    cosponsor: MotionCosponsor
    name: str


@dataclass(frozen=True, slots=True)
class MotionView:
    """A motion with its current version, co-sponsors, support, amendments (and their states) and parts."""

    motion: Motion
    sponsor_name: str
    version: MotionVersion
    cosponsors: list[CosponsorView]
    supporters: int
    threshold: int
    amendments: list[AmendmentView]
    parts: list[MotionPart]
    voting_order: list[uuid.UUID]
    """Admitted amendments awaiting a vote, in the chair's order (those not yet placed last)."""


async def amendment_views(session: AsyncSession, state: MotionState) -> dict[uuid.UUID, AmendmentView]:
    """Every amendment of the motion as a view, with conflicts among the pending ones."""
    found = conflict_map(state)
    names = await sponsor_names(session, (a.sponsor_delegation_id for a in state.amendments))
    return {a.id: AmendmentView(a, names.get(a.sponsor_delegation_id, ""), found.get(a.id, []))
            for a in state.amendments}


async def motion_view(session: AsyncSession, motion: Motion) -> MotionView:
    state = await load_state(session, motion)
    cosponsors = (await session.scalars(select(MotionCosponsor).where(MotionCosponsor.motion_id == motion.id)
                                        .order_by(MotionCosponsor.created_at, MotionCosponsor.id))).all()
    names = await sponsor_names(session, [motion.sponsor_delegation_id, *(c.delegation_id for c in cosponsors)])
    supporters, threshold = await support_of(session, motion)
    views = await amendment_views(session, state)
    awaiting = [a for a in state.amendments if a.status == AmendmentStatus.ADMITTED]
    awaiting.sort(key=lambda a: (a.vote_position is None, a.vote_position or 0, a.number))
    return MotionView(
        motion=motion, sponsor_name=names.get(motion.sponsor_delegation_id, ""), version=state.version,
        cosponsors=[CosponsorView(c, names.get(c.delegation_id, "")) for c in cosponsors],
        supporters=supporters, threshold=threshold, amendments=[views[a.id] for a in state.amendments],
        parts=state.parts, voting_order=[a.id for a in awaiting],
    )


async def _visible_motion(session: AsyncSession, principal: Principal, motion_id: uuid.UUID) -> tuple[Caller, Motion]:
    motion = await load_motion(session, motion_id)
    caller = await caller_in(session, principal, motion.assembly_id)
    await require_visible(session, caller, motion)
    return caller, motion


async def get_motion(session: AsyncSession, principal: Principal, motion_id: uuid.UUID) -> MotionView:
    """The motion with all its amendments and their states; 404 ``motion_not_found`` if the caller may not see it."""
    _, motion = await _visible_motion(session, principal, motion_id)
    return await motion_view(session, motion)


def _like(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _visible_to(caller: Caller) -> ColumnElement[bool]:
    conditions: list[ColumnElement[bool]] = [Motion.admitted_at.is_not(None),
                                             Motion.status == MotionStatus.OUT_OF_ORDER]
    if caller.oversees:
        conditions.append(Motion.submitted_at.is_not(None))
    if caller.delegation_id is not None:
        conditions.append(Motion.sponsor_delegation_id == caller.delegation_id)
        conditions.append(exists().where(
            MotionCosponsor.motion_id == Motion.id, MotionCosponsor.delegation_id == caller.delegation_id,
            MotionCosponsor.status.in_([CosponsorStatus.INVITED, CosponsorStatus.ACCEPTED])))
    return or_(*conditions)


async def _assembly_caller(session: AsyncSession, principal: Principal, assembly_id: uuid.UUID) -> Caller:
    if await session.scalar(select(Assembly.id).where(Assembly.id == assembly_id)) is None:
        raise NotFound(f"no assembly with id {assembly_id}", code="assembly_not_found")
    return await caller_in(session, principal, assembly_id)


async def list_motions(
    session: AsyncSession, principal: Principal, assembly_id: uuid.UUID, *, status: MotionStatus | None,
    sponsor_delegation_id: uuid.UUID | None, q: str | None, limit: int, offset: int,
) -> tuple[list[tuple[Motion, str]], int]:
    """A page of the motions of the assembly the caller may see (newest first), with sponsor names, and the total.

    ``q`` matches the title or the current text, case-insensitively, as a substring.
    """
    caller = await _assembly_caller(session, principal, assembly_id)
    conditions: list[ColumnElement[bool]] = [Motion.assembly_id == assembly_id, _visible_to(caller)]
    if status is not None:
        conditions.append(Motion.status == status)
    if sponsor_delegation_id is not None:
        conditions.append(Motion.sponsor_delegation_id == sponsor_delegation_id)
    if q:
        text_match = exists().where(
            MotionVersion.motion_id == Motion.id, MotionVersion.number == Motion.current_version,
            cast(MotionVersion.paragraphs, Text).ilike(_like(html.escape(q, quote=False)), escape="\\"))
        conditions.append(or_(Motion.title.ilike(_like(q), escape="\\"), text_match))
    total = await session.scalar(select(func.count()).select_from(Motion).where(*conditions)) or 0
    motions = (await session.scalars(select(Motion).where(*conditions).order_by(Motion.id.desc())
                                     .limit(limit).offset(offset))).all()
    names = await sponsor_names(session, (m.sponsor_delegation_id for m in motions))
    return [(m, names.get(m.sponsor_delegation_id, "")) for m in motions], total


async def list_amendments(
    session: AsyncSession, principal: Principal, assembly_id: uuid.UUID, *, motion_id: uuid.UUID | None,
    status: AmendmentStatus | None, sponsor_delegation_id: uuid.UUID | None, q: str | None, limit: int, offset: int,
) -> tuple[list[tuple[Amendment, str]], int]:
    """A page of the amendments of the assembly's motions the caller may see (motion, then number), and the total.

    ``q`` matches the rationale or the text of the operations.
    """
    caller = await _assembly_caller(session, principal, assembly_id)
    conditions: list[ColumnElement[bool]] = [Amendment.assembly_id == assembly_id, _visible_to(caller)]
    if motion_id is not None:
        conditions.append(Amendment.motion_id == motion_id)
    if status is not None:
        conditions.append(Amendment.status == status)
    if sponsor_delegation_id is not None:
        conditions.append(Amendment.sponsor_delegation_id == sponsor_delegation_id)
    if q:
        conditions.append(or_(Amendment.rationale.ilike(_like(q), escape="\\"),
                              cast(Amendment.operations, Text).ilike(_like(html.escape(q, quote=False)), escape="\\")))
    joined = select(Amendment).join(Motion, and_(Motion.id == Amendment.motion_id)).where(*conditions)
    total = await session.scalar(select(func.count()).select_from(joined.subquery())) or 0
    rows = (await session.scalars(joined.order_by(Amendment.motion_id, Amendment.number).limit(limit)
                                  .offset(offset))).all()
    names = await sponsor_names(session, (a.sponsor_delegation_id for a in rows))
    return [(a, names.get(a.sponsor_delegation_id, "")) for a in rows], total


async def get_amendment(session: AsyncSession, principal: Principal, amendment_id: uuid.UUID) -> AmendmentView:
    """One amendment with its conflicts; 404 ``amendment_not_found``."""
    amendment = await load_amendment(session, amendment_id)
    try:
        _, motion = await _visible_motion(session, principal, amendment.motion_id)
    except NotFound:
        raise NotFound(f"no amendment with id {amendment_id}", code="amendment_not_found") from None
    views = await amendment_views(session, await load_state(session, motion))
    return views[amendment_id]


async def list_versions(session: AsyncSession, principal: Principal, motion_id: uuid.UUID) -> list[MotionVersion]:
    """Every version of the motion, oldest first."""
    await _visible_motion(session, principal, motion_id)
    rows = await session.scalars(select(MotionVersion).where(MotionVersion.motion_id == motion_id)
                                 .order_by(MotionVersion.number))
    return list(rows.all())


async def _version(session: AsyncSession, motion_id: uuid.UUID, number: int, field: str | None = None
                   ) -> MotionVersion:
    version = await session.scalar(select(MotionVersion).where(MotionVersion.motion_id == motion_id,
                                                               MotionVersion.number == number))
    if version is None:
        if field:
            raise InvalidInput.for_field(field, f"the motion has no version {number}", code="unknown_version")
        raise NotFound(f"the motion has no version {number}", code="version_not_found")
    return version


async def get_version(session: AsyncSession, principal: Principal, motion_id: uuid.UUID,
                      number: int) -> MotionVersion:
    """One version; 404 ``version_not_found``."""
    await _visible_motion(session, principal, motion_id)
    return await _version(session, motion_id, number)


@dataclass(frozen=True, slots=True)
class Comparison:
    """Two versions and their paragraph-by-paragraph, word-level differences."""

    motion_id: uuid.UUID
    old: MotionVersion
    new: MotionVersion
    paragraphs: list[ParagraphDiff]


async def compare_versions(session: AsyncSession, principal: Principal, motion_id: uuid.UUID, *,
                           from_version: int | None, to_version: int | None) -> Comparison:
    """Compare any two versions (422 ``unknown_version`` naming ``from``/``to`` when one does not exist).

    ``from`` defaults to the version first submitted (version 1 for a draft), ``to`` to the current one.
    """
    _, motion = await _visible_motion(session, principal, motion_id)
    old = await _version(session, motion_id, from_version or motion.submitted_version or 1, "from")
    new = await _version(session, motion_id, to_version or motion.current_version, "to")
    return Comparison(motion_id, old, new, compare_paragraphs(paragraphs_of(old), paragraphs_of(new)))


def _operation_lines(amendment: Amendment) -> list[tuple[str, str | None]]:
    lines: list[tuple[str, str | None]] = []
    for op in operations_of(amendment):
        target = op.paragraph_id or op.operation_id
        if amendment.degree == 2:
            what = {"replace": f"in {op.operation_id}, replace the text",
                    "delete": f"strike out {op.operation_id}",
                    "insert_after": f"after what {op.operation_id} produces, insert"}[op.op]
        else:
            what = {"replace": f"replace {target}", "delete": f"delete {target}",
                    "insert_after": f"insert after {target}" if target else "insert before the first paragraph"}[op.op]
        lines.append((f"{op.id}: {what}", op.text))
    return lines


def _origins(versions: list[MotionVersion], current: MotionVersion) -> dict[str, str]:
    """Which amendment (or division) made each paragraph of ``current`` what it is.

    Walks the lineage back from the current version through consolidations and divisions, and stops
    at a version the sponsor wrote (it has no lineage: the sponsor's text is the origin from there).
    """
    by_number = {v.number: v for v in versions}
    wanted = {p["id"] for p in current.paragraphs}
    origins: dict[str, str] = {}
    version: MotionVersion | None = current
    while version is not None and version.lineage is not None and wanted - set(origins):
        for line in version.lineage.get("paragraphs", []):
            pid = line["paragraph_id"]
            if pid in wanted and pid not in origins and line.get("change") in {"replaced", "inserted"}:
                seconds = [f"A{s['amendment_number']}" for s in line.get("second_degree", [])]
                origins[pid] = (f"{line['change']} by A{line['amendment_number']}"
                                + (f" as amended by {', '.join(seconds)}" if seconds else "")
                                + f", version {version.number}")
        based_on = version.based_on
        version = by_number.get(based_on) if based_on is not None else None
    return origins


async def export_motion(session: AsyncSession, principal: Principal, motion_id: uuid.UUID, *,
                        fmt: Literal["markdown", "html"], diff_from: int | None) -> str:
    """The motion with its amendments and a diff, as Markdown or printable HTML (docs/motions.md, Exports).

    The diff compares ``diff_from`` (default: the version first submitted, else version 1) with the
    current version; 422 ``unknown_version`` (field ``diff_from``) for a version that does not exist.
    """
    view = await get_motion(session, principal, motion_id)
    motion = view.motion
    base = diff_from if diff_from is not None else (motion.submitted_version or 1)
    old = await _version(session, motion.id, base, "diff_from")
    assembly_name = await session.scalar(select(Assembly.name).where(Assembly.id == motion.assembly_id)) or ""
    versions = await list_versions(session, principal, motion.id)
    by_id = {item.amendment.id: item.amendment for item in view.amendments}
    amendments = []
    for item in view.amendments:
        a = item.amendment
        label = amendment_label(a)
        if a.parent_amendment_id is not None:
            label += f" (to {amendment_label(by_id[a.parent_amendment_id])})"
        amendments.append(AmendmentExport(label=label, sponsor=item.sponsor_name, status=str(a.status),
                                          status_reason=a.status_reason, rationale=a.rationale,
                                          operations=_operation_lines(a)))
    data = MotionExport(
        assembly_name=assembly_name, title=view.version.title, status=str(motion.status),
        status_reason=motion.status_reason, sponsor=view.sponsor_name,
        cosponsors=[c.name for c in view.cosponsors if c.cosponsor.status == CosponsorStatus.ACCEPTED],
        version=view.version.number, version_kind=str(view.version.kind), text_sha256=view.version.text_sha256,
        created_at=view.version.created_at, rationale=view.version.rationale, paragraphs=paragraphs_of(view.version),
        origins=_origins(versions, view.version), amendments=amendments,
        diff_from=base if base != view.version.number else None,
        diff=compare_paragraphs(paragraphs_of(old), paragraphs_of(view.version)),
    )
    return render_markdown(data) if fmt == "markdown" else render_html(data)
