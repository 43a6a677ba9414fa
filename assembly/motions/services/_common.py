"""Helpers shared by the motions services: loading under lock, who the caller is, versions, records.

Every command on a motion, its amendments or its parts locks the motion row first (``SELECT ... FOR
UPDATE``) and only then reads or changes the rest: one lock order, so concurrent commands on one
motion are serialized and never deadlock, and numbers (versions, amendments, parts) are allocated
safely under it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NoReturn

from sqlalchemy import exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.assemblies.models import Assembly, AssemblyRole, AssemblyRoleKind, AssemblyStatus, Delegation
from assembly.assemblies.rules import Refusal
from assembly.assemblies.services import delegation_of_user, get_assembly, require_assembly_role
from assembly.audit.services import record_event
from assembly.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from assembly.core.security import Principal
from assembly.live.services import emit
from assembly.members.models import Member
from assembly.motions.models import (
    Amendment,
    AmendmentStatus,
    CosponsorStatus,
    Motion,
    MotionCosponsor,
    MotionPart,
    MotionVersion,
    VersionKind,
)
from assembly.motions.rules import (
    AmendmentRef,
    EffectiveOp,
    Operation,
    Paragraph,
    can_see_motion,
    canonical_text,
    conflicts,
    effective_operations,
    event_audience,
    motion_visibility,
    sha256_hex,
    support_threshold,
    touched_operations,
    touched_paragraphs,
)

__all__ = (
    "UNDECIDED",
    "Caller",
    "MotionState",
    "amendment_label",
    "caller_in",
    "conflict_map",
    "effective_ops_of",
    "load_amendment",
    "load_motion",
    "load_state",
    "lock_motion",
    "make_version",
    "now",
    "operations_of",
    "paragraphs_of",
    "raise_refusal",
    "record",
    "refuse_if_closed",
    "require_chair",
    "require_sponsor",
    "require_visible",
    "sponsor_names",
    "support_of",
)

UNDECIDED = (AmendmentStatus.SUBMITTED, AmendmentStatus.ADMITTED, AmendmentStatus.VOTING)
"""Amendments still before the assembly."""


def now() -> datetime:
    """The current time, UTC."""
    return datetime.now(UTC)


def raise_refusal(refusal: Refusal) -> NoReturn:
    """Turn a rule's refusal into the domain error the API renders (409, or 422 naming the field)."""
    if refusal.kind == "invalid":
        raise InvalidInput.for_field(refusal.field or "body", refusal.message, code=refusal.code)
    raise Conflict(refusal.message, code=refusal.code)


# -- Who is calling ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Caller:
    """The caller as the motions domain sees them in one assembly."""

    principal: Principal
    delegation_id: uuid.UUID | None
    """The delegation they sit in at the assembly, if any."""
    oversees: bool
    """Chair or auditor of the assembly, or the secretariat: sees submitted motions."""


async def caller_in(session: AsyncSession, principal: Principal, assembly_id: uuid.UUID) -> Caller:
    """Where ``principal`` stands in the assembly (two small queries)."""
    seat = await delegation_of_user(session, assembly_id, principal.user_id)
    oversees = principal.is_admin or bool(await session.scalar(select(exists().where(
        AssemblyRole.assembly_id == assembly_id, AssemblyRole.user_id == principal.user_id,
        AssemblyRole.role.in_([AssemblyRoleKind.CHAIR, AssemblyRoleKind.AUDITOR])))))
    return Caller(principal, seat.delegation_id if seat else None, oversees)


async def require_chair(session: AsyncSession, principal: Principal, assembly_id: uuid.UUID) -> None:
    """403 ``assembly_role_required`` unless the caller chairs the assembly or is the secretariat."""
    await require_assembly_role(session, principal, assembly_id, [AssemblyRoleKind.CHAIR])


async def refuse_if_closed(session: AsyncSession, assembly_id: uuid.UUID) -> None:
    """409 ``assembly_closed``: a closed assembly's motions and amendments no longer change."""
    status = await session.scalar(select(Assembly.status).where(Assembly.id == assembly_id))
    if status is None:
        raise NotFound(f"no assembly with id {assembly_id}", code="assembly_not_found")
    if status == AssemblyStatus.CLOSED:
        raise Conflict("the assembly is closed; its motions and amendments no longer change", code="assembly_closed")


async def _cosponsor_delegations(session: AsyncSession, motion_id: uuid.UUID) -> set[uuid.UUID]:
    rows = await session.scalars(select(MotionCosponsor.delegation_id).where(
        MotionCosponsor.motion_id == motion_id,
        MotionCosponsor.status.in_([CosponsorStatus.INVITED, CosponsorStatus.ACCEPTED])))
    return set(rows.all())


async def require_visible(session: AsyncSession, caller: Caller, motion: Motion) -> None:
    """404 ``motion_not_found`` for a motion the caller may not see (a draft of another delegation ...)."""
    visibility = motion_visibility(str(motion.status), submitted=motion.submitted_at is not None,
                                   admitted=motion.admitted_at is not None)
    if visibility == "public":
        return
    is_sponsor = caller.delegation_id is not None and (
        caller.delegation_id == motion.sponsor_delegation_id
        or caller.delegation_id in await _cosponsor_delegations(session, motion.id))
    if not can_see_motion(visibility, is_sponsor=is_sponsor, is_chair=caller.oversees):
        raise NotFound(f"no motion with id {motion.id}", code="motion_not_found")


def require_sponsor(caller: Caller, motion: Motion) -> None:
    """403 ``not_sponsor`` unless the caller sits in the motion's sponsoring delegation."""
    if caller.delegation_id != motion.sponsor_delegation_id:
        raise Forbidden("only the delegates of the sponsoring delegation may do this", code="not_sponsor")


# -- Loading ----------------------------------------------------------------------------------------


async def load_motion(session: AsyncSession, motion_id: uuid.UUID) -> Motion:
    """The motion without a lock; 404 ``motion_not_found``."""
    motion = await session.scalar(select(Motion).where(Motion.id == motion_id))
    if motion is None:
        raise NotFound(f"no motion with id {motion_id}", code="motion_not_found")
    return motion


async def lock_motion(session: AsyncSession, motion_id: uuid.UUID) -> Motion:
    """The motion, locked FOR UPDATE and read fresh; 404 ``motion_not_found``."""
    motion = await session.scalar(
        select(Motion).where(Motion.id == motion_id).with_for_update().execution_options(populate_existing=True))
    if motion is None:
        raise NotFound(f"no motion with id {motion_id}", code="motion_not_found")
    return motion


async def load_amendment(session: AsyncSession, amendment_id: uuid.UUID) -> Amendment:
    """The amendment (read fresh); 404 ``amendment_not_found``."""
    amendment = await session.scalar(
        select(Amendment).where(Amendment.id == amendment_id).execution_options(populate_existing=True))
    if amendment is None:
        raise NotFound(f"no amendment with id {amendment_id}", code="amendment_not_found")
    return amendment


@dataclass(slots=True)
class MotionState:
    """A motion with its current version, amendments (by number) and parts (by number)."""

    motion: Motion
    version: MotionVersion
    amendments: list[Amendment]
    parts: list[MotionPart]

    def amendment(self, amendment_id: uuid.UUID) -> Amendment:
        """One of the motion's amendments."""
        for item in self.amendments:
            if item.id == amendment_id:
                return item
        raise NotFound(f"no amendment with id {amendment_id}", code="amendment_not_found")

    @property
    def labels(self) -> dict[uuid.UUID, str]:
        """``A<number>`` of every amendment."""
        return {a.id: amendment_label(a) for a in self.amendments}

    def undecided(self, *, degree: int | None = None) -> list[Amendment]:
        """Amendments submitted, admitted or being voted on."""
        return [a for a in self.amendments if a.status in UNDECIDED and (degree is None or a.degree == degree)]

    def children(self, parent_id: uuid.UUID) -> list[Amendment]:
        """The second-degree amendments of one amendment."""
        return [a for a in self.amendments if a.parent_amendment_id == parent_id]

    def unapplied_adopted(self) -> list[Amendment]:
        """Adopted first-degree amendments not yet consolidated into the text, in order of adoption."""
        items = [a for a in self.amendments
                 if a.degree == 1 and a.status == AmendmentStatus.ADOPTED and a.applied_in_version is None]
        return sorted(items, key=lambda a: a.decided_seq or 0)


async def load_state(session: AsyncSession, motion: Motion) -> MotionState:
    """The current version, the amendments and the parts of ``motion`` (locked by the caller if it changes them)."""
    version = await session.scalar(select(MotionVersion).where(
        MotionVersion.motion_id == motion.id, MotionVersion.number == motion.current_version))
    assert version is not None  # the composite foreign key guarantees it
    amendments = (await session.scalars(
        select(Amendment).where(Amendment.motion_id == motion.id).order_by(Amendment.number)
        .execution_options(populate_existing=True))).all()
    parts = (await session.scalars(
        select(MotionPart).where(MotionPart.motion_id == motion.id).order_by(MotionPart.number)
        .execution_options(populate_existing=True))).all()
    return MotionState(motion, version, list(amendments), list(parts))


def amendment_label(amendment: Amendment) -> str:
    """How people name an amendment: ``A3``."""
    return f"A{amendment.number}"


def paragraphs_of(version: MotionVersion) -> list[Paragraph]:
    """The version's paragraphs."""
    return [Paragraph.from_json(item) for item in version.paragraphs]


def operations_of(amendment: Amendment) -> list[Operation]:
    """The amendment's stored operations."""
    return [Operation.from_json(item) for item in amendment.operations]


def _ref(amendment: Amendment) -> AmendmentRef:
    return AmendmentRef(str(amendment.id), amendment.number)


def effective_ops_of(state: MotionState, amendment: Amendment) -> list[EffectiveOp]:
    """A first-degree amendment's operations as amended by its adopted second-degree amendments."""
    seconds = sorted((a for a in state.children(amendment.id) if a.status == AmendmentStatus.ADOPTED),
                     key=lambda a: a.decided_seq or 0)
    return effective_operations(_ref(amendment), operations_of(amendment),
                                [(_ref(a), operations_of(a)) for a in seconds])


def conflict_map(state: MotionState) -> dict[uuid.UUID, list[uuid.UUID]]:
    """For each pending amendment, the pending amendments it conflicts with (same paragraph, or same operation)."""
    found = conflicts({a.id: touched_paragraphs(effective_ops_of(state, a)) for a in state.undecided(degree=1)})
    parents = {a.parent_amendment_id for a in state.undecided(degree=2)}
    for parent in parents:
        found.update(conflicts({a.id: touched_operations(operations_of(a)) for a in state.undecided(degree=2)
                                if a.parent_amendment_id == parent}))
    return found


def make_version(motion: Motion, *, number: int, kind: VersionKind, title: str, rationale: str | None,
                 paragraphs: Sequence[Paragraph], based_on: int | None, lineage: Mapping[str, Any] | None,
                 actor: Principal | None) -> MotionVersion:
    """A new immutable version, its canonical-text digest computed."""
    return MotionVersion(
        motion_id=motion.id, number=number, kind=kind, title=title, rationale=rationale,
        paragraphs=[p.to_json() for p in paragraphs],
        text_sha256=sha256_hex(canonical_text([p.text for p in paragraphs])),
        based_on=based_on, lineage=dict(lineage) if lineage is not None else None,
        created_by_user_id=actor.user_id if actor else None,
    )


async def sponsor_names(session: AsyncSession, delegation_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The member name of each delegation."""
    ids = set(delegation_ids)
    if not ids:
        return {}
    rows = await session.execute(select(Delegation.id, Member.name).join(Member, Member.id == Delegation.member_id)
                                 .where(Delegation.id.in_(ids)))
    return {row[0]: row[1] for row in rows}


async def support_of(session: AsyncSession, motion: Motion) -> tuple[int, int]:
    """(supporting delegations: the sponsor and accepted co-sponsors, the threshold of the assembly's rules)."""
    accepted = await session.scalar(select(func.count()).select_from(MotionCosponsor).where(
        MotionCosponsor.motion_id == motion.id, MotionCosponsor.status == CosponsorStatus.ACCEPTED)) or 0
    rules = (await get_assembly(session, motion.assembly_id)).rules
    return 1 + accepted, support_threshold(rules)


# -- Recording --------------------------------------------------------------------------------------


async def record(session: AsyncSession, motion: Motion, kind: str, actor: Principal | None, *,
                 payload: Mapping[str, Any], subject_id: uuid.UUID | None = None,
                 data: Mapping[str, Any] | None = None, audience: str | None = None) -> None:
    """Record the audit event and emit the live event of one change, in the current transaction.

    The live event goes to the motion's audience (sponsoring delegation while a draft, the chair
    while submitted, the public once admitted); ``audience`` overrides it (an invitation goes to the
    invited delegation).
    """
    await record_event(session, kind, assembly_id=motion.assembly_id, subject_id=subject_id or motion.id,
                       actor_user_id=actor.user_id if actor else None, payload=payload)
    visibility = motion_visibility(str(motion.status), submitted=motion.submitted_at is not None,
                                   admitted=motion.admitted_at is not None)
    await emit(session, stream_id=motion.assembly_id, event_type=kind, subject_id=subject_id or motion.id,
               version=motion.current_version,
               audience=audience or event_audience(visibility, motion.sponsor_delegation_id),
               data={"motion_id": str(motion.id), **(data or {})})
