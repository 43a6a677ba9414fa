"""Request and response bodies of the ballots API (msgspec Structs, snake_case, bounded)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from assembly.assemblies.rules import MajorityRule, QuorumRule
from assembly.ballots.models import BallotOutcome, BallotStatus, BallotSubjectKind, RightKind

__all__ = (
    "BallotCreate",
    "BallotRead",
    "BallotSummary",
    "CandidateIn",
    "CandidateRead",
    "CastReceipt",
    "CastVotes",
    "ElectionRead",
    "ElectorateRead",
    "ElectorateRight",
    "LotRead",
    "LotTicket",
    "MyRightRead",
    "MyRightsRead",
    "OptionCount",
    "RankingEntry",
    "ResultRead",
    "RevoteCreate",
    "RightVote",
    "RollCallEntryRead",
    "RollCallRead",
    "TurnoutRead",
    "VoteReceipt",
)

Question = Annotated[str, msgspec.Meta(min_length=1, max_length=2000, description="1 to 2000 characters")]
OptionName = Annotated[str, msgspec.Meta(min_length=1, max_length=64, description="An option of the ballot")]
CandidateKey = Annotated[str, msgspec.Meta(min_length=1, max_length=64,
                                           description="[a-z0-9][a-z0-9_-]*, up to 64 characters")]
CandidateName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
ReasonText = Annotated[str, msgspec.Meta(min_length=1, max_length=1000, description="1 to 1000 characters")]
Split = Annotated[dict[OptionName, int], msgspec.Meta(min_length=1, max_length=101,
                                                       description="Weight given to each option")]
MAX_RIGHTS_PER_CAST = 200
"""At most this many rights in one cast (a delegation holds its own and a few proxies)."""


class _In(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of request bodies: unknown fields are refused."""


class _Out(msgspec.Struct, kw_only=True):
    """Base of response bodies."""


# -- Requests --------------------------------------------------------------------------------------


class CandidateIn(_In):
    """A candidate on an election's ballot paper: a stable key (the option voted) and a name."""

    key: CandidateKey
    name: CandidateName


class BallotCreate(_In):
    """A new draft ballot. Rules the body leaves out come from the assembly's rule set when it opens."""

    subject_kind: BallotSubjectKind
    question: Question
    subject_id: uuid.UUID | None = None
    """The motion, amendment or motion part voted on; none for procedural questions and elections."""
    weighted: bool = False
    """Weighted (each right counts its weight) or one member one vote."""
    secret: bool = False
    """Secret (counts only, ever) or roll-call (each right's choice published with the result)."""
    majority: MajorityRule | None = None
    """The majority rule; none: the rule set's ``default_majority`` when the ballot opens. Not for elections."""
    candidates: Annotated[list[CandidateIn], msgspec.Meta(min_length=1, max_length=100)] | None = None
    """Elections only."""
    seats: Annotated[int, msgspec.Meta(ge=1, le=100)] | None = None
    """Elections only: seats to fill."""
    k_anonymity: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 5
    """A secret weighted ballot opens only if every weight is held by at least k rights."""


class RevoteCreate(_In):
    """Why a closed ballot's question is voted again."""

    reason: ReasonText


class RightVote(_In):
    """One right's vote: ``choice``, or ``split`` (weight per option) where the ballot allows splits."""

    delegation_id: uuid.UUID
    """The delegation whose right this is (your own, or one whose proxy you hold)."""
    choice: OptionName | None = None
    split: Split | None = None


class CastVotes(_In):
    """Either ``choice`` for every right you hold (or those of ``delegation_ids``), or ``votes``, one per right."""

    choice: OptionName | None = None
    delegation_ids: Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=MAX_RIGHTS_PER_CAST)] | None = None
    votes: Annotated[list[RightVote], msgspec.Meta(min_length=1, max_length=MAX_RIGHTS_PER_CAST)] | None = None


# -- Responses -------------------------------------------------------------------------------------


class CandidateRead(_Out):
    """A candidate."""

    key: str
    name: str


class TurnoutRead(_Out):
    """How many rights have voted, and their weight, against the electorate (never who chose what)."""

    ballot_id: uuid.UUID
    status: BallotStatus
    electorate_rights: int
    electorate_weight: int
    voted: int
    voted_weight: int


class OptionCount(_Out):
    """Votes for one option, in rights (heads) and in weight."""

    option: str
    heads: int
    weight: int


class LotTicket(_Out):
    """A candidate's ticket in a drawing of lots: SHA-256(seed || key), ascending first."""

    candidate: str
    ticket: str


class LotRead(_Out):
    """A drawing of lots, with everything needed to redraw it."""

    seed: str
    candidates: list[str]
    places: int
    order: list[LotTicket]
    drawn: list[str]
    arithmetic: str


class RankingEntry(_Out):
    """A candidate's votes, in the unit the ballot counts."""

    candidate: str
    votes: int


class ElectionRead(_Out):
    """What an election decided."""

    seats: int
    elected: list[str]
    ranking: list[RankingEntry]
    valid_votes: int
    blank: int
    second_ballot_candidates: list[str] | None
    lots: list[LotRead]


class ResultRead(_Out):
    """The stored tally of a closed ballot: counts, base, quorum check, outcome and the arithmetic."""

    outcome: BallotOutcome
    reason: str
    rule: str
    unit: str
    base: str
    base_heads: int | None
    base_weight: int | None
    counts: list[OptionCount]
    split_heads: int
    present_heads: int
    present_weight: int
    membership_heads: int
    membership_weight: int
    weighted: bool
    quorum_kind: str
    quorum_met: bool
    quorum_arithmetic: str
    arithmetic: str
    majority_arithmetic: str | None
    election: ElectionRead | None
    lot_seed: str | None
    computed_at: datetime


class BallotSummary(_Out):
    """A ballot in a list."""

    id: uuid.UUID
    assembly_id: uuid.UUID
    subject_kind: BallotSubjectKind
    subject_id: uuid.UUID | None
    question: str
    weighted: bool
    secret: bool
    status: BallotStatus
    opened_at: datetime | None
    closed_at: datetime | None


class BallotRead(_Out):
    """A ballot: its settings (those from the rule set are null until it opens), turnout and result."""

    id: uuid.UUID
    assembly_id: uuid.UUID
    subject_kind: BallotSubjectKind
    subject_id: uuid.UUID | None
    question: str
    options: list[str]
    candidates: list[CandidateRead] | None
    seats: int | None
    weighted: bool
    secret: bool
    k_anonymity: int
    majority: MajorityRule | None
    quorum: QuorumRule | None
    vote_change_allowed: bool | None
    split_votes_allowed: bool | None
    substitute_only_when_delegate_absent: bool | None
    rule_set_version: int | None
    status: BallotStatus
    opened_at: datetime | None
    closed_at: datetime | None
    text_sha256: str | None
    electorate_sha256: str | None
    turnout: TurnoutRead | None
    result: ResultRead | None
    revote_of_id: uuid.UUID | None
    revote_reason: str | None
    runoff_of_id: uuid.UUID | None
    created_at: datetime


class VoteReceipt(_Out):
    """A vote recorded for one right; ``choice``/``split`` are echoed in roll-call ballots only."""

    right_id: uuid.UUID
    delegation_id: uuid.UUID
    kind: RightKind
    weight: int
    revision: int
    cast_at: datetime
    choice: str | None
    split: dict[str, int] | None
    tracker: str
    """Hex leaf hash of the vote's audit-log entry: fetch its receipt at /api/audit/receipts/{tracker}."""


class CastReceipt(_Out):
    """What a cast recorded, after it committed."""

    ballot_id: uuid.UUID
    tracker: str
    """The first vote's tracker (the only one when a single right was cast); each vote has its own."""
    votes: list[VoteReceipt]
    voted: int
    """Rights that have voted so far (a hint: re-read the turnout for the exact figure)."""
    voted_weight: int


class ElectorateRight(_Out):
    """One row of the frozen electorate."""

    right_id: uuid.UUID
    delegation_id: uuid.UUID
    member_name: str
    holder_delegation_id: uuid.UUID
    kind: RightKind
    proxy_id: uuid.UUID | None
    weight: int
    eligible: bool
    reasons: list[str]


class ElectorateRead(_Out):
    """A page of a ballot's electorate, in member-name order."""

    ballot_id: uuid.UUID
    electorate_sha256: str | None
    electorate_rights: int
    electorate_weight: int
    total: int
    limit: int
    offset: int
    items: list[ElectorateRight]


class RollCallEntryRead(_Out):
    """How one right voted in a closed roll-call ballot (``voted`` false: it did not vote)."""

    right_id: uuid.UUID
    delegation_id: uuid.UUID
    member_name: str
    holder_delegation_id: uuid.UUID
    kind: RightKind
    weight: int
    voted: bool
    choice: str | None
    split: dict[str, int] | None


class RollCallRead(_Out):
    """A page of a closed roll-call ballot's votes."""

    ballot_id: uuid.UUID
    total: int
    limit: int
    offset: int
    items: list[RollCallEntryRead]


class MyRightRead(_Out):
    """A right your delegation holds; ``choice``/``split`` shown back in roll-call ballots only."""

    right_id: uuid.UUID
    delegation_id: uuid.UUID
    kind: RightKind
    weight: int
    voted: bool
    revision: int | None
    choice: str | None
    split: dict[str, int] | None


class MyRightsRead(_Out):
    """Your delegation's rights in one ballot."""

    ballot_id: uuid.UUID
    status: BallotStatus
    delegation_id: uuid.UUID
    rights: list[MyRightRead]

