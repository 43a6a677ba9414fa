"""The tally of a closing ballot: one aggregate query over its votes, then the rules of procedure.

The counts come from the ``vote`` rows in a single statement (one snapshot, taken while the ballot
row is locked FOR UPDATE, so every vote committed before the close is in it and no other can
follow). The decision is :func:`assembly.ballots.rules.decide` for questions and the election rules
of :mod:`assembly.ballots.rules.elections` for elections; nothing is computed here but the record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.assemblies.rules import MajorityRule, QuorumRule
from assembly.ballots.digests import lot_seed
from assembly.ballots.models import Ballot, BallotOutcome
from assembly.ballots.rules import (
    Counts,
    ElectionResult,
    LotDraw,
    Tally,
    decide,
    quorum_met,
    second_ballot_candidates,
    second_ballot_result,
    several_seats_result,
    single_seat_first_ballot,
)

__all__ = ("BallotCounts", "ResultRecord", "count_ballot", "decide_ballot")

_COUNT = text("""
SELECT
    r.choice AS option,
    grouping(r.choice) AS is_total,
    count(*) AS heads,
    coalesce(sum(r.weight), 0) AS weight,
    count(*) FILTER (WHERE r.present) AS present_heads,
    coalesce(sum(r.weight) FILTER (WHERE r.present), 0) AS present_weight,
    count(*) FILTER (WHERE r.split IS NOT NULL) AS split_heads,
    jsonb_agg(r.split) FILTER (WHERE r.split IS NOT NULL) AS splits
FROM (
    SELECT br.weight, v.choice, v.split,
           -- A vote is presence; the holder's check-in is read only for a right that has not voted
           -- (a CASE evaluates its ELSE lazily: a ballot where everyone voted reads no delegation row).
           CASE WHEN v.id IS NOT NULL THEN true
                ELSE (SELECT d.checked_in FROM delegation AS d WHERE d.id = br.holder_delegation_id) END AS present
    FROM ballot_right AS br
    LEFT JOIN vote AS v ON v.ballot_id = br.ballot_id AND v.right_id = br.id
    WHERE br.ballot_id = :ballot_id AND br.eligible
) AS r
GROUP BY GROUPING SETS ((r.choice), ())
""").columns(splits=JSONB)
"""One pass over the ballot's eligible rights and their votes: a row per choice, and the total row
(``is_total``) with membership, presence, and the splits, whose parts are added up in Python."""


@dataclass(frozen=True, slots=True)
class BallotCounts:
    """What the aggregate query returned."""

    membership_heads: int
    membership_weight: int
    present_heads: int
    present_weight: int
    split_heads: int
    by_option: dict[str, tuple[int, int]]
    """option -> (heads, weight); options nobody chose are absent."""

    def as_list(self, options: list[str]) -> list[dict[str, Any]]:
        """``[{"option", "heads", "weight"}]`` for every option of the ballot, in ballot order."""
        return [{"option": o, "heads": self.by_option.get(o, (0, 0))[0], "weight": self.by_option.get(o, (0, 0))[1]}
                for o in options]

    def counts(self, unit: int) -> Counts:
        """Yes, no and abstain in heads (``unit`` 0) or weight (``unit`` 1)."""
        def value(option: str) -> int:
            return self.by_option.get(option, (0, 0))[unit]
        return Counts(value("yes"), value("no"), value("abstain"))


async def count_ballot(session: AsyncSession, ballot_id: Any) -> BallotCounts:
    """Count a ballot's votes by option (heads and weight), its electorate and who is present, in one query.

    Present: the right's holder delegation is checked in at this moment, or the right voted (a vote
    is presence). Membership: the eligible rights of the frozen electorate.
    """
    rows = (await session.execute(_COUNT, {"ballot_id": ballot_id})).all()
    total = next((row for row in rows if row.is_total), None)
    by_option: dict[str, tuple[int, int]] = {}
    for row in rows:
        if not row.is_total and row.option is not None:
            by_option[str(row.option)] = (int(row.heads), int(row.weight))
    for split in (total.splits if total is not None else None) or []:
        parts = json.loads(split) if isinstance(split, str) else split
        for option, weight in parts.items():  # a split's parts carry weight, not heads
            heads, so_far = by_option.get(str(option), (0, 0))
            by_option[str(option)] = (heads, so_far + int(weight))
    if total is None:  # no eligible right at all: the total row of an empty input is still returned
        return BallotCounts(0, 0, 0, 0, 0, by_option)
    return BallotCounts(
        membership_heads=int(total.heads),
        membership_weight=int(total.weight),
        present_heads=int(total.present_heads),
        present_weight=int(total.present_weight),
        split_heads=int(total.split_heads),
        by_option=by_option,
    )


@dataclass(frozen=True, slots=True)
class ResultRecord:
    """Everything ``ballot_result`` stores, ready to insert (and to put in the audit trail)."""

    outcome: BallotOutcome
    adopted: bool | None
    """For questions: whether the proposal was adopted (None when no decision was taken)."""
    reason: str
    rule: str
    unit: str
    base: str
    base_heads: int | None
    base_weight: int | None
    counts: list[dict[str, Any]]
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
    election: dict[str, Any] | None
    lot_seed: str | None

    def columns(self) -> dict[str, Any]:
        """The ``ballot_result`` column values."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "adopted"}


def _tally(ballot: Ballot, counts: BallotCounts) -> Tally:
    return Tally(
        heads=counts.counts(0),
        weight=counts.counts(1),
        present_heads=counts.present_heads,
        present_weight=counts.present_weight,
        membership_heads=counts.membership_heads,
        membership_weight=counts.membership_weight,
        weighted=ballot.weighted,
        split_heads=counts.split_heads,
    )


def decide_ballot(ballot: Ballot, counts: BallotCounts, *, closed_at: datetime) -> ResultRecord:
    """Apply the ballot's rules (fixed at opening) to its counts."""
    quorum = msgspec.convert(ballot.quorum_rule, QuorumRule)
    listed = counts.as_list(list(ballot.options))
    if ballot.subject_kind == "election":
        return _decide_election(ballot, counts, listed, quorum, closed_at)
    majority: MajorityRule = msgspec.convert(ballot.majority_rule, MajorityRule)
    decision = decide(majority, _tally(ballot, counts), quorum)
    return ResultRecord(
        outcome=BallotOutcome(decision.outcome),
        adopted=decision.adopted if decision.outcome != "no_quorum" else None,
        reason=decision.reason,
        rule=decision.rule,
        unit=decision.unit,
        base=decision.base,
        base_heads=decision.base_heads,
        base_weight=decision.base_weight,
        counts=listed,
        split_heads=counts.split_heads,
        present_heads=counts.present_heads,
        present_weight=counts.present_weight,
        membership_heads=counts.membership_heads,
        membership_weight=counts.membership_weight,
        weighted=ballot.weighted,
        quorum_kind=decision.quorum_kind,
        quorum_met=decision.quorum_met,
        quorum_arithmetic=decision.quorum_arithmetic,
        arithmetic=decision.arithmetic,
        majority_arithmetic=decision.majority_arithmetic,
        election=None,
        lot_seed=None,
    )


def _lot(lot: LotDraw) -> dict[str, Any]:
    return {
        "seed": lot.seed_hex,
        "candidates": list(lot.candidates),
        "places": lot.places,
        "order": [{"candidate": c, "ticket": t} for c, t in lot.order],
        "drawn": list(lot.drawn),
        "arithmetic": lot.arithmetic,
    }


def _decide_election(ballot: Ballot, counts: BallotCounts, listed: list[dict[str, Any]], quorum: QuorumRule,
                     closed_at: datetime) -> ResultRecord:
    """One seat: absolute majority, else a second ballot between the two leaders; several: most votes."""
    unit_index, unit = (1, "weight") if ballot.weighted else (0, "heads")
    keys = [c["key"] for c in ballot.candidates or []]
    votes = {key: counts.by_option.get(key, (0, 0))[unit_index] for key in keys}
    blank = counts.by_option.get("abstain", (0, 0))[unit_index]
    seed = lot_seed(ballot.id, closed_at, listed)
    check = quorum_met(quorum, present_heads=counts.present_heads, present_weight=counts.present_weight,
                       membership_heads=counts.membership_heads, membership_weight=counts.membership_weight,
                       purpose="decide")
    result: ElectionResult
    lots: list[dict[str, Any]] = []
    second: list[str] | None = None
    second_text = ""
    if ballot.runoff_of_id is not None:
        rule = "second_ballot_most_votes"
        result = second_ballot_result(votes, seed, blank=blank)
        reason = "lot" if result.lot else "most_votes"
    elif ballot.seats == 1:
        rule = "single_seat_absolute_majority"
        result = single_seat_first_ballot(votes, blank=blank)
        reason = "absolute_majority" if result.elected else "no_absolute_majority"
        if not result.elected and check.met:
            follow = second_ballot_candidates(votes, seed)
            second = list(follow.candidates)
            second_text = follow.arithmetic
            if follow.lot:
                lots.append(_lot(follow.lot))
    else:
        rule = "several_seats_most_votes"
        result = several_seats_result(votes, seats=ballot.seats or 1, seed=seed, blank=blank)
        reason = ("most_votes_and_lot" if result.lot else "most_votes") if result.elected else "no_valid_votes"
    if result.lot:
        lots.insert(0, _lot(result.lot))
    if not check.met:
        outcome, reason, arithmetic = BallotOutcome.NO_QUORUM, "no_quorum", f"no decision: {check.arithmetic}"
    elif result.elected:
        outcome, arithmetic = BallotOutcome.ELECTED, result.arithmetic
    elif second is not None:
        outcome, arithmetic = BallotOutcome.SECOND_BALLOT_REQUIRED, f"{result.arithmetic}; {second_text}"
    else:
        outcome, arithmetic = BallotOutcome.NONE_ELECTED, result.arithmetic
    return ResultRecord(
        outcome=outcome,
        adopted=None,
        reason=reason,
        rule=rule,
        unit=unit,
        base="valid_votes",
        base_heads=result.valid_votes if unit == "heads" else None,
        base_weight=result.valid_votes if unit == "weight" else None,
        counts=listed,
        split_heads=counts.split_heads,
        present_heads=counts.present_heads,
        present_weight=counts.present_weight,
        membership_heads=counts.membership_heads,
        membership_weight=counts.membership_weight,
        weighted=ballot.weighted,
        quorum_kind=check.kind,
        quorum_met=check.met,
        quorum_arithmetic=check.arithmetic,
        arithmetic=arithmetic,
        majority_arithmetic=result.arithmetic,
        election={
            "seats": ballot.seats,
            "elected": list(result.elected) if check.met else [],
            "ranking": [{"candidate": c, "votes": v} for c, v in result.ranking],
            "valid_votes": result.valid_votes,
            "blank": result.blank,
            "second_ballot_candidates": second,
            "lots": lots,
        },
        lot_seed=seed.hex(),
    )
