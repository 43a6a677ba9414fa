"""HTTP routes of motions, their versions, co-sponsors, amendments and divisions.

Handlers parse and authorize (a valid token; the data-dependent rights, sponsor, invited delegation
or chair, are checked in the services), call one service method and shape the response. Who may call
what is in docs/motions.md.
"""

from __future__ import annotations

import uuid
from functools import partial
from typing import Annotated, Any

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.security.jwt import Token
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.core.guards import current_principal, requires_login
from assembly.core.openapi import DEFAULT_PROBLEM_DESCRIPTIONS, problem_responses
from assembly.core.security import Principal
from assembly.motions import services
from assembly.motions.models import (
    Amendment,
    AmendmentStatus,
    Motion,
    MotionCosponsor,
    MotionPart,
    MotionStatus,
    MotionVersion,
)
from assembly.motions.rules import OperationInput, ParagraphInput
from assembly.motions.schemas import (
    AmendmentCreate,
    AmendmentRead,
    AmendmentSummary,
    CosponsorInvite,
    CosponsorRead,
    DiffSegmentRead,
    DivisionCreate,
    DivisionRead,
    MotionCompare,
    MotionCreate,
    MotionDetail,
    MotionRead,
    MotionSummary,
    MotionVersionCreate,
    ObjectionCreate,
    OperationRead,
    ParagraphDiffRead,
    ParagraphRead,
    PartRead,
    ReasonIn,
    ReasonOptional,
    ResolveIn,
    SupportRead,
    VersionRead,
    VersionSummary,
    VotingOrderIn,
)

__all__ = ("AmendmentController", "AssemblyMotionsController", "MotionController", "MotionPartController")

Limit = Annotated[int, QueryParameter(ge=1, le=200, description="Page size (1 to 200)")]
Offset = Annotated[int, QueryParameter(ge=0, le=1_000_000, description="Items to skip")]
SearchText = Annotated[str | None, QueryParameter(min_length=1, max_length=200,
                                                  description="Case-insensitive substring of the title or text")]
VersionNumber = Annotated[int | None, QueryParameter(ge=1, le=1_000_000)]
"""An optional version number (the bound sits outside the union: inside it, it was not enforced)."""
CallerRequest = Request[Principal, Token, Any]

_PROBLEM_DESCRIPTIONS = {
    **DEFAULT_PROBLEM_DESCRIPTIONS,
    403: "The caller has no right to do this (the code says which right)",
    404: "No such motion, amendment, version or part, or not one the caller may see",
}
_problems = partial(problem_responses, _PROBLEM_DESCRIPTIONS)


# -- Shaping responses ------------------------------------------------------------------------------


def _motion_read(m: Motion) -> MotionRead:
    return MotionRead(
        id=m.id, assembly_id=m.assembly_id, title=m.title, status=m.status, status_reason=m.status_reason,
        sponsor_delegation_id=m.sponsor_delegation_id, current_version=m.current_version,
        submitted_version=m.submitted_version, divided_version=m.divided_version, resolution=m.resolution,
        ballot_id=m.ballot_id, submitted_at=m.submitted_at, admitted_at=m.admitted_at, decided_at=m.decided_at,
        created_at=m.created_at, updated_at=m.updated_at,
    )


def _version_read(v: MotionVersion) -> VersionRead:
    return VersionRead(
        motion_id=v.motion_id, number=v.number, kind=v.kind, title=v.title, rationale=v.rationale,
        paragraphs=[ParagraphRead(id=p["id"], kind=p["kind"], text=p["text"]) for p in v.paragraphs],
        text_sha256=v.text_sha256, based_on=v.based_on, lineage=v.lineage, created_at=v.created_at,
        created_by_user_id=v.created_by_user_id,
    )


def _operations(a: Amendment) -> list[OperationRead]:
    return [OperationRead(id=o["id"], op=o["op"], paragraph_id=o.get("paragraph_id"),
                          operation_id=o.get("operation_id"), text=o.get("text"), kind=o.get("kind"))
            for o in a.operations]


def _amendment_read(view: services.AmendmentView) -> AmendmentRead:
    a = view.amendment
    return AmendmentRead(
        id=a.id, motion_id=a.motion_id, number=a.number, label=f"A{a.number}", degree=a.degree,
        parent_amendment_id=a.parent_amendment_id, target_version=a.target_version, rebased_from=a.rebased_from,
        sponsor_delegation_id=a.sponsor_delegation_id, sponsor_name=view.sponsor_name, rationale=a.rationale,
        operations=_operations(a), status=a.status, status_reason=a.status_reason, vote_position=a.vote_position,
        conflicts_with=view.conflicts_with, resolution=a.resolution, ballot_id=a.ballot_id, decided_at=a.decided_at,
        applied_in_version=a.applied_in_version, created_at=a.created_at,
    )


def _cosponsor_read(row: MotionCosponsor, name: str = "") -> CosponsorRead:
    return CosponsorRead(delegation_id=row.delegation_id, name=name, status=row.status, invited_at=row.created_at,
                         decided_at=row.decided_at)


def _part_read(p: MotionPart) -> PartRead:
    return PartRead(id=p.id, number=p.number, paragraph_ids=list(p.paragraph_ids), operative=p.operative,
                    status=p.status, status_reason=p.status_reason, resolution=p.resolution, ballot_id=p.ballot_id)


def _detail(view: services.MotionView) -> MotionDetail:
    m = view.motion
    return MotionDetail(
        id=m.id, assembly_id=m.assembly_id, title=m.title, status=m.status, status_reason=m.status_reason,
        sponsor_delegation_id=m.sponsor_delegation_id, sponsor_name=view.sponsor_name,
        cosponsors=[_cosponsor_read(c.cosponsor, c.name) for c in view.cosponsors],
        support=SupportRead(supporters=view.supporters, threshold=view.threshold),
        current_version=_version_read(view.version), submitted_version=m.submitted_version,
        amendments=[_amendment_read(a) for a in view.amendments], voting_order=view.voting_order,
        divided_version=m.divided_version, parts=[_part_read(p) for p in view.parts], resolution=m.resolution,
        ballot_id=m.ballot_id, submitted_at=m.submitted_at, admitted_at=m.admitted_at, decided_at=m.decided_at,
        created_at=m.created_at, updated_at=m.updated_at,
    )


def _paragraphs(items: list[Any]) -> list[ParagraphInput]:
    return [ParagraphInput(id=getattr(p, "id", None), kind=p.kind, text=p.text) for p in items]


# -- Routes under an assembly -----------------------------------------------------------------------


class AssemblyMotionsController(Controller):
    """Drafting motions in an assembly, and listing its motions and amendments."""

    path = "/api/assemblies"
    tags = ["motions"]  # noqa: RUF012  (Litestar reads a plain class attribute)
    guards = [requires_login]  # noqa: RUF012

    @post("/{assembly_id:uuid}/motions", operation_id="CreateMotion",
          summary="Draft a motion sponsored by the caller's delegation", responses=_problems(401, 403, 404, 409, 422))
    async def create(self, assembly_id: FromPath[uuid.UUID], data: JSONBody[MotionCreate], request: CallerRequest,
                     db_session: NamedDependency[AsyncSession]) -> MotionDetail:
        """A delegate of a delegation of the assembly: a draft, version 1, visible to its sponsors only."""
        view = await services.create_motion(db_session, current_principal(request), assembly_id, title=data.title,
                                            rationale=data.rationale, paragraphs=_paragraphs(data.paragraphs))
        return _detail(view)

    @get("/{assembly_id:uuid}/motions", operation_id="ListMotions",
         summary="List and search the motions of an assembly the caller may see", responses=_problems(401, 404))
    async def list_motions(self, assembly_id: FromPath[uuid.UUID], request: CallerRequest,
                           db_session: NamedDependency[AsyncSession], *, status: FromQuery[MotionStatus | None] = None,
                           sponsor_delegation_id: FromQuery[uuid.UUID | None] = None, q: SearchText = None,
                           limit: Limit = 50, offset: Offset = 0) -> OffsetPagination[MotionSummary]:
        """Any logged-in user: newest first; drafts only for their sponsors, submitted ones for the chair too."""
        items, total = await services.list_motions(
            db_session, current_principal(request), assembly_id, status=status,
            sponsor_delegation_id=sponsor_delegation_id, q=q, limit=limit, offset=offset)
        return OffsetPagination(items=[
            MotionSummary(id=m.id, assembly_id=m.assembly_id, title=m.title, status=m.status,
                          sponsor_delegation_id=m.sponsor_delegation_id, sponsor_name=name,
                          current_version=m.current_version, submitted_at=m.submitted_at, admitted_at=m.admitted_at,
                          decided_at=m.decided_at, created_at=m.created_at)
            for m, name in items], limit=limit, offset=offset, total=total)

    @get("/{assembly_id:uuid}/amendments", operation_id="ListAmendments",
         summary="List and search the amendments of an assembly's motions", responses=_problems(401, 404))
    async def list_amendments(self, assembly_id: FromPath[uuid.UUID], request: CallerRequest,
                              db_session: NamedDependency[AsyncSession], *,
                              motion_id: FromQuery[uuid.UUID | None] = None,
                              status: FromQuery[AmendmentStatus | None] = None,
                              sponsor_delegation_id: FromQuery[uuid.UUID | None] = None, q: SearchText = None,
                              limit: Limit = 50, offset: Offset = 0) -> OffsetPagination[AmendmentSummary]:
        """Any logged-in user: by motion, then number; ``q`` searches the rationale and the operations' text."""
        items, total = await services.list_amendments(
            db_session, current_principal(request), assembly_id, motion_id=motion_id, status=status,
            sponsor_delegation_id=sponsor_delegation_id, q=q, limit=limit, offset=offset)
        return OffsetPagination(items=[
            AmendmentSummary(id=a.id, motion_id=a.motion_id, number=a.number, label=f"A{a.number}", degree=a.degree,
                             parent_amendment_id=a.parent_amendment_id, target_version=a.target_version,
                             sponsor_delegation_id=a.sponsor_delegation_id, sponsor_name=name, status=a.status,
                             status_reason=a.status_reason, vote_position=a.vote_position,
                             operations=_operations(a), created_at=a.created_at)
            for a, name in items], limit=limit, offset=offset, total=total)


# -- Motions ----------------------------------------------------------------------------------------


class MotionController(Controller):
    """One motion: reading, versions, exports, co-sponsors, the workflow, amendments, division."""

    path = "/api/motions"
    tags = ["motions"]  # noqa: RUF012
    guards = [requires_login]  # noqa: RUF012

    @get("/{motion_id:uuid}", operation_id="GetMotion",
         summary="A motion with its current text and all its amendments and their states",
         responses=_problems(401, 404))
    async def get_one(self, motion_id: FromPath[uuid.UUID], request: CallerRequest,
                      db_session: NamedDependency[AsyncSession]) -> MotionDetail:
        """Anyone who may see the motion (docs/motions.md, Who sees what)."""
        return _detail(await services.get_motion(db_session, current_principal(request), motion_id))

    @get("/{motion_id:uuid}/versions", operation_id="ListMotionVersions", summary="List a motion's versions",
         responses=_problems(401, 404))
    async def versions(self, motion_id: FromPath[uuid.UUID], request: CallerRequest,
                       db_session: NamedDependency[AsyncSession]) -> list[VersionSummary]:
        """Anyone who may see the motion: every version, oldest first."""
        rows = await services.list_versions(db_session, current_principal(request), motion_id)
        return [VersionSummary(number=v.number, kind=v.kind, title=v.title, text_sha256=v.text_sha256,
                               based_on=v.based_on, created_at=v.created_at, created_by_user_id=v.created_by_user_id)
                for v in rows]

    @get("/{motion_id:uuid}/versions/{number:int}", operation_id="GetMotionVersion",
         summary="Read one version of a motion", responses=_problems(401, 404))
    async def version(self, motion_id: FromPath[uuid.UUID], number: FromPath[int], request: CallerRequest,
                      db_session: NamedDependency[AsyncSession]) -> VersionRead:
        """Anyone who may see the motion: the version with its paragraphs and lineage."""
        return _version_read(await services.get_version(db_session, current_principal(request), motion_id, number))

    @post("/{motion_id:uuid}/versions", operation_id="ReviseMotion",
          summary="Make the sponsor's new text the next version (optimistic concurrency)",
          responses=_problems(401, 403, 404, 409, 422))
    async def revise(self, motion_id: FromPath[uuid.UUID], data: JSONBody[MotionVersionCreate],
                     request: CallerRequest, db_session: NamedDependency[AsyncSession]) -> VersionRead:
        """The sponsoring delegation, while the motion is a draft or submitted; 409 ``version_conflict`` if stale."""
        version = await services.revise_motion(
            db_session, current_principal(request), motion_id, expected_version=data.expected_version,
            title=data.title, rationale=data.rationale, paragraphs=_paragraphs(data.paragraphs))
        return _version_read(version)

    @get("/{motion_id:uuid}/compare", operation_id="CompareMotionVersions",
         summary="Compare two versions paragraph by paragraph, word by word", responses=_problems(401, 404, 422))
    async def compare(self, motion_id: FromPath[uuid.UUID], request: CallerRequest,
                      db_session: NamedDependency[AsyncSession], *,
                      from_version: Annotated[int | None, QueryParameter(name="from", ge=1, le=1_000_000)] = None,
                      to_version: Annotated[int | None, QueryParameter(name="to", ge=1, le=1_000_000)] = None,
                      ) -> MotionCompare:
        """Anyone who may see the motion: ``?from=<n>&to=<m>``, any two versions (default: first submitted, current)."""
        result = await services.compare_versions(db_session, current_principal(request), motion_id,
                                                 from_version=from_version, to_version=to_version)
        return MotionCompare(
            motion_id=result.motion_id, from_version=result.old.number, to_version=result.new.number,
            from_text_sha256=result.old.text_sha256, to_text_sha256=result.new.text_sha256,
            paragraphs=[ParagraphDiffRead(paragraph_id=d.paragraph_id, status=d.status, kind=d.kind,
                                          segments=[DiffSegmentRead(op=s.op, text=s.text) for s in d.segments])
                        for d in result.paragraphs])

    @get("/{motion_id:uuid}/export/markdown", operation_id="ExportMotionMarkdown",
         summary="The motion with its amendments and diff, as Markdown", media_type="text/markdown; charset=utf-8",
         responses=_problems(401, 404, 422))
    async def export_markdown(self, motion_id: FromPath[uuid.UUID], request: CallerRequest,
                              db_session: NamedDependency[AsyncSession], *,
                              diff_from: VersionNumber = None) -> Response[str]:
        """Anyone who may see the motion; the diff runs from ``diff_from`` (default: the submitted version)."""
        text = await services.export_motion(db_session, current_principal(request), motion_id, fmt="markdown",
                                            diff_from=diff_from)
        return Response(text, media_type="text/markdown; charset=utf-8")

    @get("/{motion_id:uuid}/export/html", operation_id="ExportMotionHtml",
         summary="The motion with its amendments and diff, as a printable HTML page",
         media_type="text/html; charset=utf-8", responses=_problems(401, 404, 422))
    async def export_html(self, motion_id: FromPath[uuid.UUID], request: CallerRequest,
                          db_session: NamedDependency[AsyncSession], *,
                          diff_from: VersionNumber = None) -> Response[str]:
        """Anyone who may see the motion; one self-contained page with a print style sheet."""
        text = await services.export_motion(db_session, current_principal(request), motion_id, fmt="html",
                                            diff_from=diff_from)
        return Response(text, media_type="text/html; charset=utf-8",
                        headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})

    @post("/{motion_id:uuid}/cosponsors", operation_id="InviteCosponsor",
          summary="Invite another delegation to co-sponsor a draft", responses=_problems(401, 403, 404, 409, 422))
    async def invite(self, motion_id: FromPath[uuid.UUID], data: JSONBody[CosponsorInvite], request: CallerRequest,
                     db_session: NamedDependency[AsyncSession]) -> CosponsorRead:
        """The sponsoring delegation, while the motion is a draft."""
        row = await services.invite_cosponsor(db_session, current_principal(request), motion_id,
                                              delegation_id=data.delegation_id)
        return _cosponsor_read(row)

    @post("/{motion_id:uuid}/cosponsors/{delegation_id:uuid}/accept", operation_id="AcceptCosponsorship",
          summary="Accept an invitation to co-sponsor", status_code=200, responses=_problems(401, 403, 404, 409))
    async def accept(self, motion_id: FromPath[uuid.UUID], delegation_id: FromPath[uuid.UUID],
                     request: CallerRequest, db_session: NamedDependency[AsyncSession]) -> CosponsorRead:
        """A delegate of the invited delegation."""
        row = await services.answer_invitation(db_session, current_principal(request), motion_id,
                                               delegation_id=delegation_id, accept=True)
        return _cosponsor_read(row)

    @post("/{motion_id:uuid}/cosponsors/{delegation_id:uuid}/decline", operation_id="DeclineCosponsorship",
          summary="Decline an invitation to co-sponsor", status_code=200, responses=_problems(401, 403, 404, 409))
    async def decline(self, motion_id: FromPath[uuid.UUID], delegation_id: FromPath[uuid.UUID],
                      request: CallerRequest, db_session: NamedDependency[AsyncSession]) -> CosponsorRead:
        """A delegate of the invited delegation."""
        row = await services.answer_invitation(db_session, current_principal(request), motion_id,
                                               delegation_id=delegation_id, accept=False)
        return _cosponsor_read(row)

    @post("/{motion_id:uuid}/submit", operation_id="SubmitMotion", summary="Submit a draft motion",
          status_code=200, responses=_problems(401, 403, 404, 409))
    async def submit(self, motion_id: FromPath[uuid.UUID], request: CallerRequest,
                     db_session: NamedDependency[AsyncSession]) -> MotionRead:
        """The sponsoring delegation, once the support threshold is met."""
        return _motion_read(await services.submit_motion(db_session, current_principal(request), motion_id))

    @post("/{motion_id:uuid}/withdraw", operation_id="WithdrawMotion", summary="Withdraw a motion before the vote",
          status_code=200, responses=_problems(401, 403, 404, 409, 422))
    async def withdraw(self, motion_id: FromPath[uuid.UUID], request: CallerRequest,
                       db_session: NamedDependency[AsyncSession],
                       data: JSONBody[ReasonOptional | None] = None) -> MotionRead:
        """The sponsoring delegation; body ``{reason?}`` or none."""
        motion = await services.withdraw_motion(db_session, current_principal(request), motion_id,
                                                reason=data.reason if data else None)
        return _motion_read(motion)

    @post("/{motion_id:uuid}/admit", operation_id="AdmitMotion", summary="Admit a submitted motion",
          status_code=200, responses=_problems(401, 403, 404, 409))
    async def admit(self, motion_id: FromPath[uuid.UUID], request: CallerRequest,
                    db_session: NamedDependency[AsyncSession]) -> MotionRead:
        """The chair of the assembly (or the secretariat)."""
        return _motion_read(await services.admit_motion(db_session, current_principal(request), motion_id))

    @post("/{motion_id:uuid}/rule-out-of-order", operation_id="RuleMotionOutOfOrder",
          summary="Rule a submitted motion out of order, with a reason", status_code=200,
          responses=_problems(401, 403, 404, 409, 422))
    async def rule_out_of_order(self, motion_id: FromPath[uuid.UUID], data: JSONBody[ReasonIn],
                                request: CallerRequest, db_session: NamedDependency[AsyncSession]) -> MotionRead:
        """The chair."""
        return _motion_read(await services.rule_motion_out_of_order(db_session, current_principal(request), motion_id,
                                                                    reason=data.reason))

    @post("/{motion_id:uuid}/open-debate", operation_id="OpenMotionDebate", summary="Open the debate on a motion",
          status_code=200, responses=_problems(401, 403, 404, 409))
    async def open_debate(self, motion_id: FromPath[uuid.UUID], request: CallerRequest,
                          db_session: NamedDependency[AsyncSession]) -> MotionRead:
        """The chair."""
        return _motion_read(await services.open_debate(db_session, current_principal(request), motion_id))

    @post("/{motion_id:uuid}/call-consensus", operation_id="CallConsensus",
          summary="Ask whether there is any objection to adoption by consensus", status_code=200,
          responses=_problems(401, 403, 404, 409))
    async def call_consensus(self, motion_id: FromPath[uuid.UUID], request: CallerRequest,
                             db_session: NamedDependency[AsyncSession]) -> MotionRead:
        """The chair."""
        return _motion_read(await services.call_consensus(db_session, current_principal(request), motion_id))

    @post("/{motion_id:uuid}/adopt-by-consensus", operation_id="AdoptMotionByConsensus",
          summary="Declare the motion adopted by consensus (no objection recorded)", status_code=200,
          responses=_problems(401, 403, 404, 409))
    async def adopt_by_consensus(self, motion_id: FromPath[uuid.UUID], request: CallerRequest,
                                 db_session: NamedDependency[AsyncSession]) -> MotionRead:
        """The chair, after a consensus call that drew no objection."""
        return _motion_read(await services.adopt_by_consensus(db_session, current_principal(request), motion_id))

    @post("/{motion_id:uuid}/objection", operation_id="RecordObjection",
          summary="Object to adoption by consensus: back to a vote or to drafting", status_code=200,
          responses=_problems(401, 403, 404, 409, 422))
    async def objection(self, motion_id: FromPath[uuid.UUID], data: JSONBody[ObjectionCreate],
                        request: CallerRequest, db_session: NamedDependency[AsyncSession]) -> MotionRead:
        """A delegate, for their delegation; or the chair, naming the delegation."""
        motion = await services.record_objection(db_session, current_principal(request), motion_id,
                                                 delegation_id=data.delegation_id, reason=data.reason,
                                                 return_to=data.return_to)
        return _motion_read(motion)

    @post("/{motion_id:uuid}/resolve", operation_id="ResolveMotion",
          summary="Declare the result of a vote on the motion taken by hand", status_code=200,
          responses=_problems(401, 403, 404, 409, 422))
    async def resolve(self, motion_id: FromPath[uuid.UUID], data: JSONBody[ResolveIn], request: CallerRequest,
                      db_session: NamedDependency[AsyncSession]) -> MotionRead:
        """The chair, before ballots exist."""
        return _motion_read(await services.resolve_motion(db_session, current_principal(request), motion_id,
                                                          adopted=data.adopted, reason=data.reason))

    @post("/{motion_id:uuid}/voting-order", operation_id="SetVotingOrder",
          summary="Rule on the order in which the amendments are voted", status_code=200,
          responses=_problems(401, 403, 404, 409, 422))
    async def voting_order(self, motion_id: FromPath[uuid.UUID], data: JSONBody[VotingOrderIn],
                           request: CallerRequest, db_session: NamedDependency[AsyncSession]) -> MotionDetail:
        """The chair: the amendment furthest removed in substance first (UN GA r.90)."""
        view = await services.set_voting_order(db_session, current_principal(request), motion_id,
                                               amendment_ids=data.amendment_ids, reason=data.reason)
        return _detail(view)

    @post("/{motion_id:uuid}/consolidate", operation_id="ConsolidateMotion",
          summary="Apply the adopted amendments: a new version with lineage", responses=_problems(401, 403, 404, 409))
    async def consolidate(self, motion_id: FromPath[uuid.UUID], request: CallerRequest,
                          db_session: NamedDependency[AsyncSession]) -> VersionRead:
        """The chair, once every amendment is decided. 201: the new version."""
        version = await services.consolidate(db_session, motion_id, actor=current_principal(request))
        return _version_read(version)

    @post("/{motion_id:uuid}/divide", operation_id="DivideMotion",
          summary="Divide the question into parts voted separately", status_code=200,
          responses=_problems(401, 403, 404, 409, 422))
    async def divide(self, motion_id: FromPath[uuid.UUID], data: JSONBody[DivisionCreate], request: CallerRequest,
                     db_session: NamedDependency[AsyncSession]) -> DivisionRead:
        """The chair (UN GA r.89)."""
        state = await services.divide_motion(db_session, current_principal(request), motion_id,
                                             parts=[part.paragraph_ids for part in data.parts], reason=data.reason)
        return DivisionRead(motion=_motion_read(state.motion), parts=[_part_read(p) for p in state.parts])

    @post("/{motion_id:uuid}/amendments", operation_id="TableAmendment",
          summary="Table an amendment to the motion or to one of its amendments",
          responses=_problems(401, 403, 404, 409, 422))
    async def table_amendment(self, motion_id: FromPath[uuid.UUID], data: JSONBody[AmendmentCreate],
                              request: CallerRequest, db_session: NamedDependency[AsyncSession]) -> AmendmentRead:
        """A delegate of any delegation of the assembly, while the motion is admitted or under debate."""
        view = await services.table_amendment(
            db_session, current_principal(request), motion_id, motion_version=data.motion_version,
            parent_amendment_id=data.parent_amendment_id, rationale=data.rationale,
            operations=[OperationInput(op=o.op, paragraph_id=o.paragraph_id, operation_id=o.operation_id,
                                       text=o.text, kind=o.kind) for o in data.operations])
        return _amendment_read(view)


# -- Amendments and parts ---------------------------------------------------------------------------


class AmendmentController(Controller):
    """One amendment: reading it and its workflow."""

    path = "/api/amendments"
    tags = ["amendments"]  # noqa: RUF012
    guards = [requires_login]  # noqa: RUF012

    @get("/{amendment_id:uuid}", operation_id="GetAmendment", summary="Read an amendment with its conflicts",
         responses=_problems(401, 404))
    async def get_one(self, amendment_id: FromPath[uuid.UUID], request: CallerRequest,
                      db_session: NamedDependency[AsyncSession]) -> AmendmentRead:
        """Anyone who may see its motion."""
        return _amendment_read(await services.get_amendment(db_session, current_principal(request), amendment_id))

    @post("/{amendment_id:uuid}/admit", operation_id="AdmitAmendment", summary="Admit a submitted amendment",
          status_code=200, responses=_problems(401, 403, 404, 409))
    async def admit(self, amendment_id: FromPath[uuid.UUID], request: CallerRequest,
                    db_session: NamedDependency[AsyncSession]) -> AmendmentRead:
        """The chair."""
        return _amendment_read(await services.admit_amendment(db_session, current_principal(request), amendment_id))

    @post("/{amendment_id:uuid}/rule-out-of-order", operation_id="RuleAmendmentOutOfOrder",
          summary="Rule a submitted amendment out of order, with a reason", status_code=200,
          responses=_problems(401, 403, 404, 409, 422))
    async def rule_out_of_order(self, amendment_id: FromPath[uuid.UUID], data: JSONBody[ReasonIn],
                                request: CallerRequest, db_session: NamedDependency[AsyncSession]) -> AmendmentRead:
        """The chair."""
        view = await services.rule_amendment_out_of_order(db_session, current_principal(request), amendment_id,
                                                          reason=data.reason)
        return _amendment_read(view)

    @post("/{amendment_id:uuid}/withdraw", operation_id="WithdrawAmendment",
          summary="Withdraw an amendment before the vote", status_code=200,
          responses=_problems(401, 403, 404, 409, 422))
    async def withdraw(self, amendment_id: FromPath[uuid.UUID], request: CallerRequest,
                       db_session: NamedDependency[AsyncSession],
                       data: JSONBody[ReasonOptional | None] = None) -> AmendmentRead:
        """The amendment's sponsoring delegation; body ``{reason?}`` or none."""
        view = await services.withdraw_amendment(db_session, current_principal(request), amendment_id,
                                                 reason=data.reason if data else None)
        return _amendment_read(view)

    @post("/{amendment_id:uuid}/resolve", operation_id="ResolveAmendment",
          summary="Declare the result of a vote on the amendment taken by hand", status_code=200,
          responses=_problems(401, 403, 404, 409, 422))
    async def resolve(self, amendment_id: FromPath[uuid.UUID], data: JSONBody[ResolveIn], request: CallerRequest,
                      db_session: NamedDependency[AsyncSession]) -> AmendmentRead:
        """The chair, in the voting order, before ballots exist."""
        view = await services.resolve_amendment(db_session, current_principal(request), amendment_id,
                                                adopted=data.adopted, reason=data.reason)
        return _amendment_read(view)


class MotionPartController(Controller):
    """The parts of a divided motion."""

    path = "/api/motion-parts"
    tags = ["motions"]  # noqa: RUF012
    guards = [requires_login]  # noqa: RUF012

    @post("/{part_id:uuid}/resolve", operation_id="ResolveMotionPart",
          summary="Declare the result of a vote on a part taken by hand", status_code=200,
          responses=_problems(401, 403, 404, 409, 422))
    async def resolve(self, part_id: FromPath[uuid.UUID], data: JSONBody[ResolveIn], request: CallerRequest,
                      db_session: NamedDependency[AsyncSession]) -> DivisionRead:
        """The chair, part after part (UN GA r.89)."""
        state = await services.resolve_part(db_session, current_principal(request), part_id, adopted=data.adopted,
                                            reason=data.reason)
        return DivisionRead(motion=_motion_read(state.motion), parts=[_part_read(p) for p in state.parts])
