"""HTTP routes of ballots: create, open, cast, close, vote again; ballots, turnout, electorate, roll call.

Handlers parse and authorize (the token; who is chair or voter depends on data and is checked in the
services), call one service method and shape the response. Who may call what is in docs/ballots.md.
"""

from __future__ import annotations

import uuid
from functools import partial
from typing import Annotated, Any

import msgspec
from advanced_alchemy.service import OffsetPagination
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.security.jwt import Token
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.assemblies.rules import MajorityRule, QuorumRule
from assembly.ballots import services
from assembly.ballots.models import Ballot, BallotResult, BallotStatus
from assembly.ballots.schemas import (
    BallotCreate,
    BallotRead,
    BallotSummary,
    CandidateRead,
    CastReceipt,
    CastVotes,
    ElectionRead,
    ElectorateRead,
    ElectorateRight,
    MyRightRead,
    MyRightsRead,
    OptionCount,
    ResultRead,
    RevoteCreate,
    RollCallEntryRead,
    RollCallRead,
    TurnoutRead,
    VoteReceipt,
)
from assembly.core.guards import current_principal, requires_login
from assembly.core.openapi import DEFAULT_PROBLEM_DESCRIPTIONS, problem_responses
from assembly.core.security import Principal

__all__ = ("AssemblyBallotController", "BallotController")

Limit = Annotated[int, QueryParameter(ge=1, le=200, description="Page size (1 to 200)")]
RowsLimit = Annotated[int, QueryParameter(ge=1, le=1000, description="Rows per page (1 to 1000)")]
Offset = Annotated[int, QueryParameter(ge=0, le=10_000_000, description="Items to skip")]
CallerRequest = Request[Principal, Token, Any]
PUBLIC: dict[str, Any] = {"exclude_from_auth": True}
"""Public read routes: no token needed (observers and the public read results)."""

_PROBLEM_DESCRIPTIONS = {
    **DEFAULT_PROBLEM_DESCRIPTIONS,
    404: "No such assembly or ballot",
}
_problems = partial(problem_responses, _PROBLEM_DESCRIPTIONS)


# -- Shaping responses ------------------------------------------------------------------------------


def _result_read(result: BallotResult) -> ResultRead:
    return ResultRead(
        outcome=result.outcome, reason=result.reason, rule=result.rule, unit=result.unit, base=result.base,
        base_heads=result.base_heads, base_weight=result.base_weight,
        counts=[OptionCount(option=c["option"], heads=c["heads"], weight=c["weight"]) for c in result.counts],
        split_heads=result.split_heads, present_heads=result.present_heads, present_weight=result.present_weight,
        membership_heads=result.membership_heads, membership_weight=result.membership_weight,
        weighted=result.weighted, quorum_kind=result.quorum_kind, quorum_met=result.quorum_met,
        quorum_arithmetic=result.quorum_arithmetic, arithmetic=result.arithmetic,
        majority_arithmetic=result.majority_arithmetic,
        election=msgspec.convert(result.election, ElectionRead) if result.election is not None else None,
        lot_seed=result.lot_seed, computed_at=result.computed_at,
    )


def _turnout_read(ballot: Ballot, voted: int, weight: int) -> TurnoutRead:
    return TurnoutRead(ballot_id=ballot.id, status=ballot.status, electorate_rights=ballot.electorate_rights or 0,
                       electorate_weight=ballot.electorate_weight or 0, voted=voted, voted_weight=weight)


def _ballot_read(view: services.BallotView) -> BallotRead:
    b = view.ballot
    return BallotRead(
        id=b.id, assembly_id=b.assembly_id, subject_kind=b.subject_kind, subject_id=b.subject_id,
        question=b.question, options=list(b.options),
        candidates=[CandidateRead(key=c["key"], name=c["name"]) for c in b.candidates]
        if b.candidates is not None else None,
        seats=b.seats, weighted=b.weighted, secret=b.secret, k_anonymity=b.k_anonymity,
        majority=msgspec.convert(b.majority_rule, MajorityRule) if b.majority_rule is not None else None,
        quorum=msgspec.convert(b.quorum_rule, QuorumRule) if b.quorum_rule is not None else None,
        vote_change_allowed=b.vote_change_allowed, split_votes_allowed=b.split_votes_allowed,
        substitute_only_when_delegate_absent=b.substitute_only_when_delegate_absent,
        rule_set_version=b.rule_set_version, status=b.status, opened_at=b.opened_at, closed_at=b.closed_at,
        text_sha256=b.text_sha256, electorate_sha256=b.electorate_sha256,
        turnout=_turnout_read(b, *view.turnout) if view.turnout is not None else None,
        result=_result_read(view.result) if view.result is not None else None,
        revote_of_id=b.revote_of_id, revote_reason=b.revote_reason, runoff_of_id=b.runoff_of_id,
        created_at=b.created_at,
    )


def _summary(b: Ballot) -> BallotSummary:
    return BallotSummary(id=b.id, assembly_id=b.assembly_id, subject_kind=b.subject_kind, subject_id=b.subject_id,
                         question=b.question, weighted=b.weighted, secret=b.secret, status=b.status,
                         opened_at=b.opened_at, closed_at=b.closed_at)


# -- Routes -----------------------------------------------------------------------------------------


class AssemblyBallotController(Controller):
    """An assembly's ballots."""

    path = "/api/assemblies"
    tags = ["ballots"]  # noqa: RUF012  (Litestar reads a plain class attribute)

    @post("/{assembly_id:uuid}/ballots", operation_id="CreateBallot", summary="Create a draft ballot",
          guards=[requires_login], responses=_problems(401, 403, 404, 409, 422))
    async def create(self, assembly_id: FromPath[uuid.UUID], data: JSONBody[BallotCreate], request: CallerRequest,
                     db_session: NamedDependency[AsyncSession]) -> BallotRead:
        """Chair or secretariat: a draft ballot on a motion, amendment, motion part, question or election."""
        view = await services.create_ballot(
            db_session, current_principal(request), assembly_id, subject_kind=data.subject_kind,
            subject_id=data.subject_id, question=data.question, weighted=data.weighted, secret=data.secret,
            majority=data.majority,
            candidates=[services.Candidate(c.key, c.name) for c in data.candidates]
            if data.candidates is not None else None,
            seats=data.seats, k_anonymity=data.k_anonymity,
        )
        return _ballot_read(view)

    @get("/{assembly_id:uuid}/ballots", operation_id="ListBallots", summary="List an assembly's ballots",
         opt=PUBLIC, security=[{}], responses=_problems(404))
    async def list_all(self, assembly_id: FromPath[uuid.UUID], db_session: NamedDependency[AsyncSession], *,
                       status: FromQuery[BallotStatus | None] = None, limit: Limit = 50,
                       offset: Offset = 0) -> OffsetPagination[BallotSummary]:
        """Public: a page of the assembly's ballots, oldest first, optionally of one status."""
        items, total = await services.list_ballots(db_session, assembly_id, status=status, limit=limit, offset=offset)
        return OffsetPagination(items=[_summary(b) for b in items], limit=limit, offset=offset, total=total)


class BallotController(Controller):
    """One ballot: its life, the votes, and what is published."""

    path = "/api/ballots"
    tags = ["ballots"]  # noqa: RUF012

    @get("/{ballot_id:uuid}", operation_id="GetBallot", summary="Read a ballot with its turnout and result",
         opt=PUBLIC, security=[{}], responses=_problems(404))
    async def get_one(self, ballot_id: FromPath[uuid.UUID], db_session: NamedDependency[AsyncSession]) -> BallotRead:
        """Public: settings, turnout while open, the stored result once closed (counts only if secret)."""
        return _ballot_read(await services.get_ballot(db_session, ballot_id))

    @post("/{ballot_id:uuid}/open", operation_id="OpenBallot", summary="Open a draft ballot", status_code=200,
          guards=[requires_login], responses=_problems(401, 403, 404, 409))
    async def open_ballot(self, ballot_id: FromPath[uuid.UUID], request: CallerRequest,
                          db_session: NamedDependency[AsyncSession]) -> BallotRead:
        """Chair or secretariat: fix the settings, freeze the electorate, move the subject to voting."""
        return _ballot_read(await services.open_ballot(db_session, current_principal(request), ballot_id))

    @post("/{ballot_id:uuid}/close", operation_id="CloseBallot", summary="Close a ballot and store its tally",
          status_code=200, guards=[requires_login], responses=_problems(401, 403, 404, 409))
    async def close_ballot(self, ballot_id: FromPath[uuid.UUID], request: CallerRequest,
                           db_session: NamedDependency[AsyncSession]) -> BallotRead:
        """Chair or secretariat: count the votes once, decide, store the result; the ballot never reopens."""
        return _ballot_read(await services.close_ballot(db_session, current_principal(request), ballot_id))

    @post("/{ballot_id:uuid}/votes", operation_id="CastVotes", summary="Cast the votes your delegation holds",
          status_code=200, guards=[requires_login], responses=_problems(401, 403, 404, 409, 422))
    async def cast(self, ballot_id: FromPath[uuid.UUID], data: JSONBody[CastVotes], request: CallerRequest,
                   db_session: NamedDependency[AsyncSession]) -> CastReceipt:
        """A delegation's voter: one choice for every right held (or those named), or one entry per right.

        The answer comes after the votes are committed: a receipt is a vote that counts.
        """
        result = await services.cast_votes(
            db_session, current_principal(request), ballot_id, choice=data.choice,
            delegation_ids=data.delegation_ids,
            votes=[services.VoteRequest(v.delegation_id, v.choice, v.split) for v in data.votes]
            if data.votes is not None else None,
        )
        return CastReceipt(
            ballot_id=result.ballot_id, tracker=result.votes[0].tracker,
            votes=[VoteReceipt(right_id=v.right_id, delegation_id=v.delegation_id, kind=v.kind, weight=v.weight,
                               revision=v.revision, cast_at=v.cast_at, choice=v.choice, split=v.split,
                               tracker=v.tracker)
                   for v in result.votes],
            voted=result.turnout[0], voted_weight=result.turnout[1],
        )

    @get("/{ballot_id:uuid}/turnout", operation_id="GetBallotTurnout", summary="How many rights have voted",
         opt=PUBLIC, security=[{}], responses=_problems(404))
    async def turnout(self, ballot_id: FromPath[uuid.UUID], db_session: NamedDependency[AsyncSession]) -> TurnoutRead:
        """Public: rights that have voted and their weight, against the electorate."""
        t = await services.turnout(db_session, ballot_id)
        return TurnoutRead(ballot_id=t.ballot_id, status=t.status, electorate_rights=t.electorate_rights,
                           electorate_weight=t.electorate_weight, voted=t.voted, voted_weight=t.voted_weight)

    @get("/{ballot_id:uuid}/electorate", operation_id="GetBallotElectorate",
         summary="The electorate frozen when the ballot opened", opt=PUBLIC, security=[{}],
         responses=_problems(404, 409))
    async def electorate(self, ballot_id: FromPath[uuid.UUID], db_session: NamedDependency[AsyncSession], *,
                         limit: RowsLimit = 1000, offset: Offset = 0) -> ElectorateRead:
        """Public: every delegation's right (holder, kind, weight, eligibility), in member-name order."""
        ballot, page, total = await services.electorate_page(db_session, ballot_id, limit=limit, offset=offset)
        return ElectorateRead(
            ballot_id=ballot.id, electorate_sha256=ballot.electorate_sha256,
            electorate_rights=ballot.electorate_rights or 0, electorate_weight=ballot.electorate_weight or 0,
            total=total, limit=limit, offset=offset,
            items=[ElectorateRight(right_id=e.right.id, delegation_id=e.right.delegation_id,
                                   member_name=e.member_name, holder_delegation_id=e.right.holder_delegation_id,
                                   kind=e.right.kind, proxy_id=e.right.proxy_id, weight=e.right.weight,
                                   eligible=e.right.eligible, reasons=list(e.right.reasons))
                   for e in page],
        )

    @get("/{ballot_id:uuid}/roll-call", operation_id="GetBallotRollCall",
         summary="Each right's vote in a closed roll-call ballot", opt=PUBLIC, security=[{}],
         responses=_problems(404, 409))
    async def roll_call(self, ballot_id: FromPath[uuid.UUID], db_session: NamedDependency[AsyncSession], *,
                        limit: RowsLimit = 1000, offset: Offset = 0) -> RollCallRead:
        """Public, roll-call ballots once closed: how each right voted. Refused for secret ballots."""
        ballot, page, total = await services.roll_call_page(db_session, ballot_id, limit=limit, offset=offset)
        return RollCallRead(ballot_id=ballot.id, total=total, limit=limit, offset=offset, items=[
            RollCallEntryRead(right_id=e.right.id, delegation_id=e.right.delegation_id, member_name=e.member_name,
                              holder_delegation_id=e.right.holder_delegation_id, kind=e.right.kind,
                              weight=e.right.weight, voted=e.vote is not None,
                              choice=e.vote.choice if e.vote else None, split=e.vote.split if e.vote else None)
            for e in page
        ])

    @get("/{ballot_id:uuid}/my-rights", operation_id="GetMyBallotRights",
         summary="The rights your delegation holds in a ballot", guards=[requires_login],
         responses=_problems(401, 403, 404))
    async def mine(self, ballot_id: FromPath[uuid.UUID], request: CallerRequest,
                   db_session: NamedDependency[AsyncSession]) -> MyRightsRead:
        """A delegate: your delegation's rights, whether each has voted (and how, in a roll-call ballot)."""
        view = await services.my_rights(db_session, current_principal(request), ballot_id)
        return MyRightsRead(ballot_id=view.ballot.id, status=view.ballot.status, delegation_id=view.delegation_id,
                            rights=[MyRightRead(right_id=r.right.id, delegation_id=r.right.delegation_id,
                                                kind=r.right.kind, weight=r.right.weight,
                                                voted=r.revision is not None, revision=r.revision,
                                                choice=r.choice, split=r.split) for r in view.rights])

    @post("/{ballot_id:uuid}/revote", operation_id="RevoteBallot", summary="Vote a closed ballot's question again",
          guards=[requires_login], responses=_problems(401, 403, 404, 409, 422))
    async def revote(self, ballot_id: FromPath[uuid.UUID], data: JSONBody[RevoteCreate], request: CallerRequest,
                     db_session: NamedDependency[AsyncSession]) -> BallotRead:
        """Chair or secretariat: a new draft ballot with the same settings, naming the first and the reason."""
        view = await services.create_revote(db_session, current_principal(request), ballot_id, reason=data.reason)
        return _ballot_read(view)

    @post("/{ballot_id:uuid}/second-ballot", operation_id="CreateSecondBallot",
          summary="Create the second ballot of an election nobody won", guards=[requires_login],
          responses=_problems(401, 403, 404, 409))
    async def second_ballot(self, ballot_id: FromPath[uuid.UUID], request: CallerRequest,
                            db_session: NamedDependency[AsyncSession]) -> BallotRead:
        """Chair or secretariat: a draft ballot between the two leaders of a single-seat election (UN GA r.93)."""
        return _ballot_read(await services.create_second_ballot(db_session, current_principal(request), ballot_id))
