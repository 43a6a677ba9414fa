"""Casting votes: the hot path, kept to a few round trips.

1. One query takes the ballot's shared advisory lock and reads the ballot row FOR SHARE (both held
   until commit, so a close waits for this cast; a cast arriving after the close asked waits for it
   and then finds the ballot closed), the caller's seat in a delegation, and the rights that
   delegation holds in the frozen electorate.
2. The rules decide who may cast what (pure; refusals name their reason and the field).
3. One statement writes every vote: an upsert into ``vote`` (UNIQUE (ballot, right) settles double
   votes: with vote change allowed the revision goes up, otherwise the second vote is refused), an
   append to ``vote_change``, and a bump of one turnout shard.
4. One statement records an audit event per vote (participation only in a secret ballot) with its
   log entry, and sends the unsequenced turnout hint (NOTIFY, delivered on commit).

The request's transaction commits before the response: a vote is acknowledged only once committed.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn

from sqlalchemy import Executable, Integer, Uuid, and_, bindparam, exists, func, select, text
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from uuid_utils.compat import uuid7

from assembly.assemblies.models import DelegateRole, Delegation, DelegationMember, Proxy
from assembly.assemblies.rules import casting_problem
from assembly.audit.services import EventRecord, hold_secret_vote, record_logged_events
from assembly.ballots.checks import CastTarget, cast_request_problem, normalize_split
from assembly.ballots.models import Ballot, BallotRight, RightKind, Vote
from assembly.ballots.rules import validate_split
from assembly.ballots.services._common import LOCK_NAMESPACE, ballot_lock_key, raise_problems, refuse_unless_open
from assembly.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from assembly.core.security import Principal
from assembly.live.services import unsequenced_hint

__all__ = ("TURNOUT_SHARDS", "CastResult", "CastVote", "VoteRequest", "cast_votes")

TURNOUT_SHARDS = 16
"""Turnout counter rows per ballot: concurrent first votes rarely wait on the same row."""


@dataclass(frozen=True, slots=True)
class VoteRequest:
    """One right named in a cast, with its choice or its split."""

    delegation_id: uuid.UUID
    choice: str | None = None
    split: Mapping[str, int] | None = None


@dataclass(frozen=True, slots=True)
class CastVote:
    """A vote recorded for one right (the receipt the API returns)."""

    right_id: uuid.UUID
    delegation_id: uuid.UUID
    kind: RightKind
    weight: int
    revision: int
    cast_at: datetime
    choice: str | None
    """None in a secret ballot, and for a split."""
    split: dict[str, int] | None
    """None in a secret ballot, and for a whole vote."""
    tracker: str
    """Hex leaf hash of the vote's log entry (a secret ballot's: of its entry in the close-time batch)."""


@dataclass(frozen=True, slots=True)
class CastResult:
    """What one cast recorded."""

    ballot_id: uuid.UUID
    secret: bool
    votes: list[CastVote]
    turnout: tuple[int, int]
    """(rights that voted, their weight), as this cast saw it: a hint, re-read it for the exact figure."""


@dataclass(frozen=True, slots=True)
class _Right:
    id: uuid.UUID
    delegation_id: uuid.UUID
    kind: RightKind
    weight: int
    eligible: bool
    reasons: list[str]


@dataclass(frozen=True, slots=True)
class _Entry:
    right: _Right
    choice: str | None
    split: dict[str, int] | None


_WRITE = """
WITH input AS (
    SELECT t.right_id, t.vote_id, t.change_id, t.choice, CAST(t.split AS jsonb) AS split, t.weight
    FROM unnest(CAST(:right_ids AS uuid[]), CAST(:vote_ids AS uuid[]), CAST(:change_ids AS uuid[]),
                CAST(:choices AS text[]), CAST(:splits AS text[]), CAST(:weights AS bigint[]))
         AS t(right_id, vote_id, change_id, choice, split, weight)
), upserted AS (
    INSERT INTO vote AS v (id, ballot_id, right_id, choice, split, revision, cast_by_user_id, cast_at,
                           created_at, updated_at)
    SELECT i.vote_id, :ballot_id, i.right_id, i.choice, i.split, 1, :user_id, clock_timestamp(), now(), now()
    FROM input AS i ORDER BY i.right_id
    ON CONFLICT (ballot_id, right_id) DO {on_conflict}
    RETURNING v.right_id, v.revision, v.cast_at
), changes AS (
    INSERT INTO vote_change (id, ballot_id, right_id, revision, choice, split, cast_by_user_id, cast_at,
                             created_at, updated_at)
    SELECT i.change_id, :ballot_id, u.right_id, u.revision, i.choice, i.split, :user_id, u.cast_at, now(), now()
    FROM upserted AS u JOIN input AS i ON i.right_id = u.right_id
), bump AS (
    INSERT INTO ballot_turnout AS t (ballot_id, shard, rights, weight)
    SELECT :ballot_id, :shard, count(*), coalesce(sum(i.weight), 0)
    FROM upserted AS u JOIN input AS i ON i.right_id = u.right_id WHERE u.revision = 1
    HAVING count(*) > 0
    ON CONFLICT (ballot_id, shard) DO UPDATE SET rights = t.rights + excluded.rights,
                                                 weight = t.weight + excluded.weight
), before AS (
    SELECT coalesce(sum(rights), 0) AS rights, coalesce(sum(weight), 0) AS weight
    FROM ballot_turnout WHERE ballot_id = :ballot_id
)
SELECT u.right_id, u.revision, u.cast_at, before.rights AS turnout_rights, before.weight AS turnout_weight
FROM upserted AS u CROSS JOIN before
"""
_CHANGE = text(_WRITE.format(on_conflict=(
    "UPDATE SET choice = excluded.choice, split = excluded.split, revision = v.revision + 1, "
    "cast_by_user_id = excluded.cast_by_user_id, cast_at = excluded.cast_at, updated_at = excluded.updated_at")))
"""Vote change allowed: a second vote replaces the first (revision + 1); every vote is in vote_change."""
_ONCE = text(_WRITE.format(on_conflict="NOTHING"))
"""Vote change not allowed: a right that has voted returns no row, and the cast is refused."""


async def cast_votes(
    session: AsyncSession,
    actor: Principal,
    ballot_id: uuid.UUID,
    *,
    choice: str | None = None,
    delegation_ids: Sequence[uuid.UUID] | None = None,
    votes: Sequence[VoteRequest] | None = None,
) -> CastResult:
    """Record votes of the rights the caller's delegation holds, in one step.

    Either ``choice`` for every right held (or for those of ``delegation_ids``), or ``votes`` with a
    choice or a split per right. Each right gets its own vote row and revision. Refusals (nothing is
    written; docs/ballots.md explains each): 404 ``ballot_not_found``; 409 ``ballot_not_open``,
    ``ballot_closed``, ``delegation_absent``, ``grantor_voted``, ``already_voted``; 403
    ``not_a_delegate``, ``not_the_voter``, ``substitute_while_delegate_present``,
    ``delegation_not_eligible``, ``not_in_electorate``, ``right_held_by_proxy``, ``right_not_held``;
    422 ``invalid_input`` (the form of the request), ``unknown_option`` and the split codes.
    """
    problem = cast_request_problem(
        choice=choice, delegation_ids=delegation_ids,
        votes=[(v.delegation_id, v.choice, v.split) for v in votes] if votes is not None else None)
    if problem is not None:
        raise_problems([problem])
    rows = await _load(session, actor, ballot_id)
    if not rows:
        raise NotFound(f"no ballot with id {ballot_id}", code="ballot_not_found")
    head = rows[0]
    refuse_unless_open(str(head.status))
    my_delegation: uuid.UUID | None = head.my_delegation_id
    if my_delegation is None:
        raise Forbidden("you sit in no delegation of this assembly: only a delegation's voter casts its votes",
                        code="not_a_delegate")
    why = casting_problem(
        role=str(head.role), is_designated_voter=head.designated_voter_user_id == actor.user_id,
        delegate_present=bool(head.delegate_present),
        substitute_votes_only_when_delegate_absent=bool(head.substitute_only_when_delegate_absent))
    if why == "not_the_voter":
        raise Forbidden("only the head or the designated voter of the delegation casts its votes", code=why)
    if why is not None:
        raise Forbidden("a substitute votes only while the delegation's delegates are absent "
                        "(UCLG Constitution Art 36)", code=why)
    held = {r.delegation_id: r for r in (_right(row) for row in rows) if r is not None}
    mine = held.get(my_delegation)
    if mine is not None and not mine.eligible:
        raise Forbidden(f"your delegation held no vote when the ballot opened ({', '.join(mine.reasons)})",
                        code="delegation_not_eligible", extra={"reasons": mine.reasons})
    usable = {d: r for d, r in held.items() if r.eligible}
    if not usable:
        await _refuse_own_right(session, ballot_id, my_delegation, field="choice")
    if not head.checked_in:
        raise Conflict("your delegation is not checked in: a delegation votes while present", code="delegation_absent")
    targets = _targets(choice, delegation_ids, votes, usable)
    entries: list[_Entry] = []
    for target in targets:
        right = usable.get(target.delegation_id) if target.delegation_id is not None else None
        if right is None:
            assert target.delegation_id is not None  # the default form only names rights held
            await _refuse_target(session, ballot_id, my_delegation, target.delegation_id, target.field)
        entries.append(_entry(right, target, head))
    return await _write(session, actor, head, entries)


def _load_statement() -> Executable:
    """The statement of step 1, built once: the ballot, the caller's seat and the rights it holds.

    Built at import with bound parameters (``ballot_id``, ``lock_key``, ``user_id``) rather than per
    cast: constructing it (two aliases of delegation_member and their column proxies) cost more CPU
    than the rest of a cast (docs/performance.md, the profile of scenario 1).
    """
    me = aliased(DelegationMember)
    other = aliased(DelegationMember)
    user_id = bindparam("user_id", type_=Uuid())
    delegate_present = exists().where(
        other.delegation_id == me.delegation_id, other.user_id != user_id,
        other.role.in_([DelegateRole.HEAD, DelegateRole.DELEGATE]))
    gate = select(func.pg_advisory_xact_lock_shared(LOCK_NAMESPACE, bindparam("lock_key", type_=Integer())))
    return (
        select(
            Ballot.id, Ballot.assembly_id, Ballot.status, Ballot.options, Ballot.secret, Ballot.vote_change_allowed,
            Ballot.split_votes_allowed, Ballot.substitute_only_when_delegate_absent,
            me.delegation_id.label("my_delegation_id"), me.role, Delegation.designated_voter_user_id,
            Delegation.checked_in, delegate_present.label("delegate_present"),
            BallotRight.id.label("right_id"), BallotRight.delegation_id.label("right_delegation_id"),
            BallotRight.kind, BallotRight.weight, BallotRight.eligible, BallotRight.reasons,
        )
        .select_from(Ballot)
        .outerjoin(me, and_(me.assembly_id == Ballot.assembly_id, me.user_id == user_id))
        .outerjoin(Delegation, Delegation.id == me.delegation_id)
        .outerjoin(BallotRight, and_(BallotRight.ballot_id == Ballot.id,
                                     BallotRight.holder_delegation_id == me.delegation_id))
        # The advisory lock as a scalar subquery (an InitPlan, run before the row is read and locked),
        # like ballot_gate.
        .where(Ballot.id == bindparam("ballot_id", type_=Uuid()), gate.scalar_subquery().is_not(None))
        .order_by(BallotRight.kind, BallotRight.delegation_id)
        .with_for_update(read=True, of=Ballot)
    )


_LOAD = _load_statement()


async def _load(session: AsyncSession, actor: Principal, ballot_id: uuid.UUID) -> Sequence[Any]:
    """The ballot (FOR SHARE, after its shared advisory lock), the caller's seat and delegation, and each
    right that delegation holds."""
    params = {"ballot_id": ballot_id, "lock_key": ballot_lock_key(ballot_id), "user_id": actor.user_id}
    return (await session.execute(_LOAD, params)).all()


def _right(row: Any) -> _Right | None:
    if row.right_id is None:
        return None
    return _Right(row.right_id, row.right_delegation_id, RightKind(row.kind), int(row.weight), bool(row.eligible),
                  list(row.reasons or []))


def _targets(choice: str | None, delegation_ids: Sequence[uuid.UUID] | None, votes: Sequence[VoteRequest] | None,
             usable: Mapping[uuid.UUID, _Right]) -> list[CastTarget]:
    if votes is not None:
        return [CastTarget(v.delegation_id, v.choice, v.split, f"votes[{i}]") for i, v in enumerate(votes)]
    if delegation_ids is not None:
        return [CastTarget(d, choice, None, f"delegation_ids[{i}]") for i, d in enumerate(delegation_ids)]
    return [CastTarget(d, choice, None, "choice") for d in usable]


def _entry(right: _Right, target: CastTarget, head: Any) -> _Entry:
    """Check the choice or split of one right against the ballot (422 naming the field)."""
    options: list[str] = list(head.options)
    prefix = "" if target.field == "choice" or target.field.startswith("delegation_ids") else f"{target.field}."
    if target.split is not None:
        problems = validate_split(right.weight, target.split, options=options, allowed=bool(head.split_votes_allowed))
        if problems:
            first = problems[0]
            raise InvalidInput(first.message, code=first.code,
                               errors=[{"field": f"{prefix}{p.field}", "message": p.message} for p in problems])
        choice, split = normalize_split(target.split)
        return _Entry(right, choice, split)
    if target.choice not in options:
        raise InvalidInput.for_field(f"{prefix}choice", f"not an option of this ballot (options: {', '.join(options)})",
                                     code="unknown_option")
    return _Entry(right, target.choice, None)


async def _refuse_own_right(session: AsyncSession, ballot_id: uuid.UUID, delegation_id: uuid.UUID,
                            *, field: str) -> NoReturn:
    """The caller's delegation holds no right: its own went to a proxy holder, or it is not in the electorate."""
    own = (await session.execute(select(BallotRight.holder_delegation_id).where(
        BallotRight.ballot_id == ballot_id, BallotRight.delegation_id == delegation_id))).first()
    if own is not None and own.holder_delegation_id != delegation_id:
        raise Forbidden(f"your delegation's vote in this ballot is held by delegation {own.holder_delegation_id} "
                        "through a proxy given before the ballot opened", code="right_held_by_proxy",
                        extra={"holder_delegation_id": str(own.holder_delegation_id)},
                        errors=[{"field": field, "message": "this right is held by the proxy holder"}])
    raise Forbidden("your delegation is not in this ballot's electorate (it was registered after the ballot opened)",
                    code="not_in_electorate")


async def _refuse_target(session: AsyncSession, ballot_id: uuid.UUID, my_delegation: uuid.UUID,
                         target: uuid.UUID, field: str) -> NoReturn:
    """Say why the caller's delegation does not hold ``target``'s right in this ballot."""
    if target == my_delegation:
        await _refuse_own_right(session, ballot_id, target, field=field)
    row = (await session.execute(
        select(BallotRight.id, BallotRight.holder_delegation_id, BallotRight.kind, Vote.id.label("vote_id"))
        .outerjoin(Vote, and_(Vote.ballot_id == BallotRight.ballot_id, Vote.right_id == BallotRight.id))
        .where(BallotRight.ballot_id == ballot_id, BallotRight.delegation_id == target)
    )).first()
    if row is not None and row.kind == RightKind.OWN and row.vote_id is not None:
        late_proxy = await session.scalar(select(Proxy.id).where(
            Proxy.grantor_delegation_id == target, Proxy.holder_delegation_id == my_delegation,
            Proxy.revoked_at.is_(None)).limit(1))
        if late_proxy is not None:
            raise Conflict("the granting delegation voted itself in this ballot: its proxy, given after the ballot "
                           "opened, does not carry its vote", code="grantor_voted",
                           errors=[{"field": field, "message": "the grantor has voted itself"}])
    raise Forbidden("your delegation does not hold this delegation's vote in this ballot (the electorate was "
                    "frozen when the ballot opened)", code="right_not_held",
                    errors=[{"field": field, "message": "not a right your delegation holds in this ballot"}])


async def _write(session: AsyncSession, actor: Principal, head: Any, entries: list[_Entry]) -> CastResult:
    """Upsert the votes, append the changes, bump turnout: one statement; then audit and notify."""
    ballot_id: uuid.UUID = head.id
    entries.sort(key=lambda e: e.right.id)  # one lock order for every cast: concurrent casts never deadlock
    statement = _CHANGE if head.vote_change_allowed else _ONCE
    params = {
        "ballot_id": ballot_id,
        "user_id": actor.user_id,
        "shard": entries[0].right.id.int % TURNOUT_SHARDS,
        "right_ids": [e.right.id for e in entries],
        "vote_ids": [uuid7() for _ in entries],
        "change_ids": [uuid7() for _ in entries],
        "choices": [e.choice for e in entries],
        "splits": [json.dumps(e.split, sort_keys=True) if e.split is not None else None for e in entries],
        "weights": [e.right.weight for e in entries],
    }
    try:
        rows = (await session.execute(statement, params)).all()
    except StatementError as exc:
        # Its parameters pair rights with choices: an error logged with them would break a secret ballot.
        exc.hide_parameters = True
        raise
    written = {row.right_id: row for row in rows}
    if len(written) < len(entries):
        voted = [str(e.right.delegation_id) for e in entries if e.right.id not in written]
        raise Conflict("already voted: this ballot does not allow a vote to be changed", code="already_voted",
                       extra={"delegation_ids": voted})
    secret = bool(head.secret)
    events: list[EventRecord] = []
    new_rights = new_weight = 0
    for entry in entries:
        revision = int(written[entry.right.id].revision)
        if revision == 1:
            new_rights, new_weight = new_rights + 1, new_weight + entry.right.weight
        payload: dict[str, Any] = {
            "ballot_id": str(ballot_id), "right_id": str(entry.right.id),
            "delegation_id": str(entry.right.delegation_id), "holder_delegation_id": str(head.my_delegation_id),
            "kind": str(entry.right.kind), "weight": entry.right.weight, "revision": revision,
        }
        if not secret:  # a secret ballot records participation only; its choices exist only as counts
            payload["choice"] = entry.choice
            payload["split"] = entry.split
        events.append(EventRecord("ballot.vote_cast" if revision == 1 else "ballot.vote_changed", payload,
                                  assembly_id=head.assembly_id, subject_id=ballot_id, actor_user_id=actor.user_id))
    first = next(iter(written.values()))
    turnout = (int(first.turnout_rights) + new_rights, int(first.turnout_weight) + new_weight)
    hint = unsequenced_hint(stream_id=head.assembly_id, event_type="ballot.turnout", subject_id=ballot_id,
                            data={"voted": turnout[0], "weight": turnout[1]})
    logged = await record_logged_events(session, events, notify=hint)
    recorded: list[CastVote] = []
    for entry, (_, event_hash) in zip(entries, logged, strict=True):
        row = written[entry.right.id]
        tracker = event_hash
        if secret:  # the choice enters the log at close, in a batch sorted by hash, unlinked from the right
            tracker = await hold_secret_vote(session, ballot_id=ballot_id, right_id=entry.right.id,
                                            choice=entry.choice, split=entry.split, weight=entry.right.weight)
        recorded.append(CastVote(
            right_id=entry.right.id, delegation_id=entry.right.delegation_id, kind=entry.right.kind,
            weight=entry.right.weight, revision=int(row.revision), cast_at=row.cast_at,
            choice=None if secret else entry.choice, split=None if secret else entry.split, tracker=tracker.hex()))
    return CastResult(ballot_id=ballot_id, secret=secret, votes=recorded, turnout=turnout)
