"""Use cases of a ballot's life: create (draft), open (snapshot the electorate), close (tally), vote again.

Opening and closing lock the ballot row FOR UPDATE; casting holds it FOR SHARE until its commit. So a
vote either committed before the close took the lock (and the tally, counted after, includes it) or
it waits for the close and then finds the ballot closed (409 ``ballot_closed``).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import msgspec
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from uuid_utils.compat import uuid7

from assembly.assemblies.models import Assembly, AssemblyStatus
from assembly.assemblies.rules import MajorityRule, RuleSet, encode_rule_set
from assembly.assemblies.services import VotingRight, compute_voting_rights, get_assembly
from assembly.audit.services import publish_secret_votes, record_event
from assembly.ballots.checks import ballot_options, ballot_settings_problems
from assembly.ballots.digests import electorate_digest, question_digest
from assembly.ballots.models import (
    Ballot,
    BallotOutcome,
    BallotResult,
    BallotStatus,
    BallotSubjectKind,
    RightKind,
)
from assembly.ballots.rules import majority_kind, secret_weighted_ballot_refusal, split_votes_permitted
from assembly.ballots.rules import weight_classes_too_small as small_weight_classes
from assembly.ballots.services._common import (
    SUBJECT_KINDS,
    load_ballot,
    raise_problems,
    read_turnout,
    require_chair,
)
from assembly.ballots.services.subjects import subject_assembly, subject_closed, subject_opened
from assembly.ballots.services.tallying import count_ballot, decide_ballot
from assembly.core.errors import Conflict, InvalidInput, NotFound
from assembly.core.security import Principal
from assembly.live.services import emit

__all__ = (
    "ELECTORATE_CHUNK",
    "BallotView",
    "Candidate",
    "close_ballot",
    "create_ballot",
    "create_revote",
    "create_second_ballot",
    "open_ballot",
    "view_ballot",
)

ELECTORATE_CHUNK = 150
"""Rights per ``ballot.electorate`` audit event: a right takes at most ~400 bytes of canonical JSON, so a
part stays well under the log's 65,535-byte entry limit (docs/audit-log-spec.md 3.1)."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """A candidate on an election's ballot paper."""

    key: str
    name: str


@dataclass(frozen=True, slots=True)
class BallotView:
    """A ballot as the API shows it: its row, its stored result once closed, its turnout once opened."""

    ballot: Ballot
    result: BallotResult | None
    turnout: tuple[int, int] | None
    """(rights that voted, their weight); None for a draft."""


async def view_ballot(session: AsyncSession, ballot: Ballot) -> BallotView:
    """Read what the API shows with ``ballot``: its result (closed) and turnout (open or closed)."""
    result = None
    if ballot.status == BallotStatus.CLOSED:
        result = await session.scalar(select(BallotResult).where(BallotResult.ballot_id == ballot.id))
    turnout = await read_turnout(session, ballot.id) if ballot.status != BallotStatus.DRAFT else None
    return BallotView(ballot, result, turnout)


def _settings(ballot: Ballot) -> dict[str, Any]:
    """The ballot's settings for the audit trail (JSON-ready, integers only)."""
    return {
        "subject_kind": str(ballot.subject_kind),
        "subject_id": str(ballot.subject_id) if ballot.subject_id else None,
        "question": ballot.question,
        "options": list(ballot.options),
        "candidates": [dict(c) for c in ballot.candidates] if ballot.candidates is not None else None,
        "seats": ballot.seats,
        "weighted": ballot.weighted,
        "secret": ballot.secret,
        "k_anonymity": ballot.k_anonymity,
        "majority_rule": ballot.majority_rule,
        "revote_of_id": str(ballot.revote_of_id) if ballot.revote_of_id else None,
        "revote_reason": ballot.revote_reason,
        "runoff_of_id": str(ballot.runoff_of_id) if ballot.runoff_of_id else None,
    }


async def _insert_draft(session: AsyncSession, actor: Principal, ballot: Ballot) -> BallotView:
    session.add(ballot)
    await session.flush()
    await record_event(session, "ballot.created", assembly_id=ballot.assembly_id, subject_id=ballot.id,
                       actor_user_id=actor.user_id, payload=_settings(ballot))
    await emit(session, stream_id=ballot.assembly_id, event_type="ballot.created", subject_id=ballot.id,
               data={"status": "draft"})
    return BallotView(ballot, None, None)


async def create_ballot(
    session: AsyncSession,
    actor: Principal,
    assembly_id: uuid.UUID,
    *,
    subject_kind: BallotSubjectKind,
    subject_id: uuid.UUID | None,
    question: str,
    weighted: bool,
    secret: bool,
    majority: MajorityRule | None,
    candidates: Sequence[Candidate] | None,
    seats: int | None,
    k_anonymity: int,
) -> BallotView:
    """Create a draft ballot (the assembly's chair or the secretariat).

    Its options follow from its kind (yes / no / abstain, or the candidates and abstain); the rules
    that come from the rule set (majority when none is given, quorum, vote change, split votes,
    substitutes) are fixed when it opens. 404 ``assembly_not_found``; 403 ``assembly_role_required``;
    409 ``assembly_closed``; 422 naming each field (:func:`assembly.ballots.checks.ballot_settings_problems`),
    and 422 ``subject_not_found`` when the motion, amendment or part is not one of this assembly's.
    """
    status = await session.scalar(select(Assembly.status).where(Assembly.id == assembly_id))
    if status is None:
        raise NotFound(f"no assembly with id {assembly_id}", code="assembly_not_found")
    await require_chair(session, actor, assembly_id)
    if status == AssemblyStatus.CLOSED:
        raise Conflict("the assembly is closed; it holds no more ballots", code="assembly_closed")
    keys = [c.key for c in candidates] if candidates is not None else None
    problems = ballot_settings_problems(subject_kind=str(subject_kind), subject_id=subject_id, question=question,
                                        majority=majority, candidate_keys=keys, seats=seats)
    if problems:
        raise_problems(problems)
    if subject_id is not None and await subject_assembly(
            session, subject_kind=str(subject_kind), subject_id=subject_id) != assembly_id:
        raise InvalidInput.for_field("subject_id", f"no {subject_kind} of this assembly has this id",
                                     code="subject_not_found")
    ballot = Ballot(
        assembly_id=assembly_id, subject_kind=subject_kind, subject_id=subject_id, question=question.strip(),
        options=ballot_options(str(subject_kind), keys),
        candidates=[{"key": c.key, "name": c.name} for c in candidates] if candidates is not None else None,
        seats=seats, weighted=weighted, secret=secret, k_anonymity=k_anonymity,
        majority_rule=msgspec.to_builtins(majority) if majority is not None else None,
        status=BallotStatus.DRAFT, created_by_user_id=actor.user_id,
    )
    return await _insert_draft(session, actor, ballot)


async def open_ballot(session: AsyncSession, actor: Principal, ballot_id: uuid.UUID) -> BallotView:
    """Open a draft ballot: fix its settings, snapshot the electorate, move its subject to voting.

    The electorate is :func:`assembly.assemblies.services.compute_voting_rights` at this moment: one
    row per delegation of the assembly, eligible or not (with its reasons), each eligible right held
    by its delegation or by its proxy holder, with its weight (1 in a one-member-one-vote ballot).
    Later changes to credentials, weights or proxies do not touch it.

    404 ``ballot_not_found``; 403 ``assembly_role_required``; 409 ``ballot_already_open``,
    ``ballot_closed`` (a closed ballot never reopens), ``assembly_not_open``, ``empty_electorate``,
    ``weights_identify_voters`` (a secret weighted ballot with a weight class smaller than k),
    ``subject_has_open_ballot``, ``not_votable`` (from the motions domain).
    """
    ballot = await load_ballot(session, ballot_id, lock="update")
    await require_chair(session, actor, ballot.assembly_id)
    if ballot.status == BallotStatus.OPEN:
        raise Conflict("the ballot is already open", code="ballot_already_open")
    if ballot.status == BallotStatus.CLOSED:
        raise Conflict("a closed ballot is never reopened; vote again with a new ballot (revote)",
                       code="ballot_closed")
    details = await get_assembly(session, ballot.assembly_id)
    if details.assembly.status != AssemblyStatus.OPEN:
        raise Conflict(f"the assembly is {details.assembly.status}; ballots open only while it is open",
                       code="assembly_not_open")
    rules = details.rules
    is_election = ballot.subject_kind == BallotSubjectKind.ELECTION
    majority: MajorityRule | None = None
    if not is_election:
        majority = (msgspec.convert(ballot.majority_rule, MajorityRule)
                    if ballot.majority_rule is not None else rules.default_majority)
    rights = await compute_voting_rights(session, ballot.assembly_id, ballot.id)
    eligible = [r for r in rights if r.eligible]
    if not eligible:
        raise Conflict("no delegation holds a vote in this assembly: the ballot would have no electorate",
                       code="empty_electorate")
    weights = [r.weight if ballot.weighted else 1 for r in eligible]
    if ballot.secret and ballot.weighted:
        _refuse_identifying_weights(weights, ballot.k_anonymity)
    # The electorate first: its foreign keys lock the delegation rows (KEY SHARE) before the motions
    # domain locks the motion and the assembly's live stream, the order attendance changes use too.
    snapshot = [_SnapshotRight.of(r, weighted=ballot.weighted) for r in rights]
    await _insert_electorate(session, ballot.id, snapshot)
    if ballot.subject_kind in SUBJECT_KINDS:
        assert ballot.subject_id is not None  # the schema ties a subject to these kinds
        text_sha256 = await subject_opened(session, subject_kind=str(ballot.subject_kind),
                                           subject_id=ballot.subject_id, ballot_id=ballot.id)
    else:
        text_sha256 = question_digest(ballot.question, ballot.options, seats=ballot.seats,
                                      candidates=ballot.candidates)
    _fix_settings(ballot, actor, rules, majority, rule_set_version=details.assembly.rule_set_version)
    ballot.text_sha256 = text_sha256
    ballot.electorate_sha256 = electorate_digest(
        (r.delegation_id, r.holder_delegation_id, str(r.kind), r.weight) for r in snapshot if r.eligible)
    ballot.electorate_rights = len(eligible)
    ballot.electorate_weight = sum(weights)
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        if "uq_ballot_one_open_per_subject" not in str(exc.orig):
            raise
        raise Conflict(f"another ballot on this {ballot.subject_kind} is open; close it first",
                       code="subject_has_open_ballot") from None
    await session.refresh(ballot)
    await _record_opening(session, actor, ballot, rules=rules, majority=majority, snapshot=snapshot)
    await emit(session, stream_id=ballot.assembly_id, event_type="ballot.opened", subject_id=ballot.id,
               data={"status": "open"})
    return BallotView(ballot, None, (0, 0))


def _fix_settings(ballot: Ballot, actor: Principal, rules: RuleSet, majority: MajorityRule | None, *,
                  rule_set_version: int) -> None:
    """Open the ballot with the rules in force: what a draft left to the rule set is fixed now."""
    ballot.status = BallotStatus.OPEN
    ballot.opened_at = func.clock_timestamp()  # database time, taken after the row lock
    ballot.opened_by_user_id = actor.user_id
    ballot.majority_rule = msgspec.to_builtins(majority) if majority is not None else None
    ballot.quorum_rule = msgspec.to_builtins(rules.quorum)
    ballot.vote_change_allowed = rules.vote_change_allowed
    ballot.split_votes_allowed = majority is not None and split_votes_permitted(
        split_votes_allowed=rules.split_votes_allowed, weighted=ballot.weighted, rule=majority)
    ballot.substitute_only_when_delegate_absent = rules.substitute_votes_only_when_delegate_absent
    ballot.rule_set_version = rule_set_version


def _refuse_identifying_weights(weights: list[int], k: int) -> None:
    """409 ``weights_identify_voters`` when a weight of a secret weighted ballot is held by fewer than k rights."""
    refusal = secret_weighted_ballot_refusal(weights, k)
    if refusal is not None:
        classes = small_weight_classes(weights, k)
        raise Conflict(refusal, code="weights_identify_voters", extra={
            "k": k, "weight_classes": [{"weight": c.weight, "holders": c.holders} for c in classes],
        })


@dataclass(frozen=True, slots=True)
class _SnapshotRight:
    """One row of the electorate as it is frozen (the id is made here so the audit trail can name it)."""

    id: uuid.UUID
    delegation_id: uuid.UUID
    holder_delegation_id: uuid.UUID
    kind: RightKind
    proxy_id: uuid.UUID | None
    weight: int
    eligible: bool
    reasons: list[str]

    @classmethod
    def of(cls, right: VotingRight, *, weighted: bool) -> _SnapshotRight:
        # One member one vote: every eligible right counts 1 (an ineligible one 0).
        weight = right.weight if weighted else (1 if right.eligible else 0)
        return cls(uuid7(), right.delegation_id, right.holder_delegation_id, RightKind(right.kind),
                   right.proxy_id, weight, right.eligible, [reason.code for reason in right.reasons])

    def payload(self) -> dict[str, Any]:
        return {"right_id": str(self.id), "delegation_id": str(self.delegation_id),
                "holder_delegation_id": str(self.holder_delegation_id), "kind": str(self.kind),
                "proxy_id": str(self.proxy_id) if self.proxy_id else None, "weight": self.weight,
                "eligible": self.eligible, "reasons": self.reasons}


_INSERT_ELECTORATE = text("""
INSERT INTO ballot_right (id, ballot_id, delegation_id, holder_delegation_id, kind, proxy_id, weight, eligible,
                          reasons, created_at, updated_at)
SELECT r.id, :ballot_id, r.delegation_id, r.holder_delegation_id, CAST(r.kind AS ballot_right_kind), r.proxy_id,
       r.weight, r.eligible, CAST(r.reasons AS jsonb), now(), now()
FROM unnest(CAST(:ids AS uuid[]), CAST(:delegation_ids AS uuid[]), CAST(:holder_ids AS uuid[]),
            CAST(:kinds AS text[]), CAST(:proxy_ids AS uuid[]), CAST(:weights AS bigint[]),
            CAST(:eligible AS boolean[]), CAST(:reasons AS text[]))
     AS r(id, delegation_id, holder_delegation_id, kind, proxy_id, weight, eligible, reasons)
""")
_ELECTORATE_CHUNK = 50_000
"""Rights per statement: a 250,000-member consultation opens in five statements, not 250,000 rows
through the ORM's bulk insert (a quarter of the opening's time in the profile, docs/performance.md)."""


async def _insert_electorate(session: AsyncSession, ballot_id: uuid.UUID, snapshot: list[_SnapshotRight]) -> None:
    """Freeze the electorate: one row per right, written by a few array statements."""
    for start in range(0, len(snapshot), _ELECTORATE_CHUNK):
        part = snapshot[start:start + _ELECTORATE_CHUNK]
        await session.execute(_INSERT_ELECTORATE, {
            "ballot_id": ballot_id, "ids": [r.id for r in part], "delegation_ids": [r.delegation_id for r in part],
            "holder_ids": [r.holder_delegation_id for r in part], "kinds": [str(r.kind) for r in part],
            "proxy_ids": [r.proxy_id for r in part], "weights": [r.weight for r in part],
            "eligible": [r.eligible for r in part], "reasons": [json.dumps(r.reasons) for r in part],
        })


async def _record_opening(session: AsyncSession, actor: Principal, ballot: Ballot, *, rules: RuleSet,
                          majority: MajorityRule | None, snapshot: list[_SnapshotRight]) -> None:
    """Audit the opening (settings, text hash, electorate digest) and the electorate, in chunks."""
    await record_event(session, "ballot.opened", assembly_id=ballot.assembly_id, subject_id=ballot.id,
                       actor_user_id=actor.user_id, payload={
                           **_settings(ballot),
                           "majority_kind": majority_kind(majority) if majority is not None else None,
                           "quorum_rule": ballot.quorum_rule,
                           "vote_change_allowed": ballot.vote_change_allowed,
                           "split_votes_allowed": ballot.split_votes_allowed,
                           "substitute_only_when_delegate_absent": ballot.substitute_only_when_delegate_absent,
                           "rule_set_version": ballot.rule_set_version,
                           "rules": encode_rule_set(rules),
                           "text_sha256": ballot.text_sha256,
                           "electorate_sha256": ballot.electorate_sha256,
                           "electorate_rights": ballot.electorate_rights,
                           "electorate_weight": ballot.electorate_weight,
                           "delegations_without_vote": sum(1 for r in snapshot if not r.eligible),
                           "opened_at": ballot.opened_at.isoformat() if ballot.opened_at else None,
                       })
    parts = max(1, -(-len(snapshot) // ELECTORATE_CHUNK))
    for part in range(parts):
        chunk = snapshot[part * ELECTORATE_CHUNK:(part + 1) * ELECTORATE_CHUNK]
        await record_event(session, "ballot.electorate", assembly_id=ballot.assembly_id, subject_id=ballot.id,
                           actor_user_id=actor.user_id, payload={
                               "ballot_id": str(ballot.id), "part": part + 1, "parts": parts,
                               "rights": [r.payload() for r in chunk],
                           })


async def close_ballot(session: AsyncSession, actor: Principal, ballot_id: uuid.UUID) -> BallotView:
    """Close an open ballot: count its votes once, decide, store the result, give the subject its outcome.

    The row lock (FOR UPDATE) waits for every cast holding the ballot FOR SHARE to commit or roll back;
    the count then sees exactly the votes committed before the close. Motions, amendments and parts
    are adopted or rejected; with no quorum no decision is taken and the subject goes back to be voted
    again (a re-vote, a new ballot, may follow). 404 ``ballot_not_found``; 403 ``assembly_role_required``; 409
    ``ballot_not_open``, ``ballot_closed``.
    """
    ballot = await load_ballot(session, ballot_id, lock="update")
    await require_chair(session, actor, ballot.assembly_id)
    if ballot.status == BallotStatus.DRAFT:
        raise Conflict("the ballot has not been opened", code="ballot_not_open")
    if ballot.status == BallotStatus.CLOSED:
        raise Conflict("the ballot is already closed", code="ballot_closed")
    ballot.status = BallotStatus.CLOSED
    ballot.closed_at = func.clock_timestamp()  # database time, taken after the row lock
    ballot.closed_by_user_id = actor.user_id
    await session.flush()
    await session.refresh(ballot)
    assert ballot.closed_at is not None
    counts = await count_ballot(session, ballot.id)
    record = decide_ballot(ballot, counts, closed_at=ballot.closed_at)
    result = BallotResult(ballot_id=ballot.id, **record.columns())
    session.add(result)
    await session.flush()
    if ballot.subject_kind in SUBJECT_KINDS:
        assert ballot.subject_id is not None
        await subject_closed(session, subject_kind=str(ballot.subject_kind), subject_id=ballot.subject_id,
                             ballot_id=ballot.id, adopted=record.adopted, reason=str(record.reason))
    if ballot.secret:  # the held-back vote entries enter the log now, one batch sorted by hash
        await publish_secret_votes(session, ballot.id)
    await record_event(session, "ballot.closed", assembly_id=ballot.assembly_id, subject_id=ballot.id,
                       actor_user_id=actor.user_id, payload={
                           "ballot_id": str(ballot.id),
                           "closed_at": ballot.closed_at.isoformat(),
                           **{key: value for key, value in record.columns().items() if key != "outcome"},
                           "outcome": str(record.outcome),
                       })
    await emit(session, stream_id=ballot.assembly_id, event_type="ballot.closed", subject_id=ballot.id,
               data={"status": "closed", "outcome": str(record.outcome)})
    turnout = await read_turnout(session, ballot.id)
    return BallotView(ballot, result, turnout)


def _copy(ballot: Ballot, actor: Principal, **changes: Any) -> Ballot:
    """A new draft with the settings of ``ballot`` (its majority as fixed at opening)."""
    values: dict[str, Any] = {
        "assembly_id": ballot.assembly_id, "subject_kind": ballot.subject_kind, "subject_id": ballot.subject_id,
        "question": ballot.question, "options": list(ballot.options),
        "candidates": [dict(c) for c in ballot.candidates] if ballot.candidates is not None else None,
        "seats": ballot.seats, "weighted": ballot.weighted, "secret": ballot.secret,
        "k_anonymity": ballot.k_anonymity, "majority_rule": ballot.majority_rule,
        "status": BallotStatus.DRAFT, "created_by_user_id": actor.user_id,
    }
    values.update(changes)
    return Ballot(**values)


async def create_revote(session: AsyncSession, actor: Principal, ballot_id: uuid.UUID, *, reason: str) -> BallotView:
    """Vote a closed ballot's question again: a new draft ballot naming the first and the reason.

    The closed ballot and its result stay as they are. A re-vote of an election's second ballot is a
    first ballot between the same candidates. 404 ``ballot_not_found``; 403 ``assembly_role_required``;
    409 ``ballot_not_closed``, ``assembly_closed``; 422 ``reason``.
    """
    ballot = await load_ballot(session, ballot_id)
    await require_chair(session, actor, ballot.assembly_id)
    if ballot.status != BallotStatus.CLOSED:
        raise Conflict("only a closed ballot is voted again", code="ballot_not_closed")
    if not reason.strip():
        raise InvalidInput.for_field("reason", "say why the question is voted again")
    await _refuse_if_assembly_closed(session, ballot.assembly_id)
    return await _insert_draft(session, actor, _copy(ballot, actor, revote_of_id=ballot.id,
                                                     revote_reason=reason.strip()))


async def create_second_ballot(session: AsyncSession, actor: Principal, ballot_id: uuid.UUID) -> BallotView:
    """Create the second ballot of a single-seat election nobody won, between the two leaders (UN GA r.93).

    The two candidates (and any lot that chose them) were fixed in the first ballot's result when it
    closed. One second ballot per first ballot. 404 ``ballot_not_found``; 403 ``assembly_role_required``;
    409 ``no_second_ballot``, ``second_ballot_exists``, ``assembly_closed``.
    """
    ballot = await load_ballot(session, ballot_id, lock="update")
    await require_chair(session, actor, ballot.assembly_id)
    result = await session.scalar(select(BallotResult).where(BallotResult.ballot_id == ballot.id))
    if result is None or result.outcome != BallotOutcome.SECOND_BALLOT_REQUIRED or result.election is None:
        raise Conflict("only a closed single-seat election that elected nobody has a second ballot",
                       code="no_second_ballot")
    existing = await session.scalar(select(Ballot.id).where(Ballot.runoff_of_id == ballot.id))
    if existing is not None:
        raise Conflict(f"the second ballot already exists ({existing})", code="second_ballot_exists",
                       extra={"ballot_id": str(existing)})
    await _refuse_if_assembly_closed(session, ballot.assembly_id)
    finalists = set(result.election["second_ballot_candidates"] or ())
    candidates = [dict(c) for c in ballot.candidates or [] if c["key"] in finalists]
    keys = [c["key"] for c in candidates]
    return await _insert_draft(session, actor, _copy(
        ballot, actor, candidates=candidates, options=ballot_options("election", keys), seats=1,
        runoff_of_id=ballot.id))


async def _refuse_if_assembly_closed(session: AsyncSession, assembly_id: uuid.UUID) -> None:
    status = await session.scalar(select(Assembly.status).where(Assembly.id == assembly_id))
    if status == AssemblyStatus.CLOSED:
        raise Conflict("the assembly is closed; it holds no more ballots", code="assembly_closed")

