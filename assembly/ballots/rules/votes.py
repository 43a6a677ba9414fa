"""Which votes count: the last recorded choice of each right, and split votes (pure)."""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

from assembly.assemblies.rules import DoubleMajority, MajorityRule

__all__ = (
    "SPLIT_CODES",
    "SplitProblem",
    "VoteChange",
    "effective_votes",
    "split_votes_permitted",
    "validate_split",
)

RightT = TypeVar("RightT", bound=Hashable)
ChoiceT = TypeVar("ChoiceT")

SPLIT_CODES = (
    "split_votes_not_allowed",
    "split_option_unknown",
    "split_part_invalid",
    "split_sum_mismatch",
)
"""The stable codes :func:`validate_split` returns (the API returns them as 422 problem codes)."""


@dataclass(frozen=True, slots=True)
class VoteChange(Generic[RightT, ChoiceT]):
    """One recorded vote of a right: its place in the ballot's log, the right, and the choice."""

    sequence: int
    """Position in the ballot's log; later records have larger numbers."""
    right: RightT
    choice: ChoiceT


def effective_votes(changes: Iterable[VoteChange[RightT, ChoiceT]]) -> dict[RightT, ChoiceT]:
    """The vote that counts for each right: its last recorded choice (highest ``sequence``).

    Where the rule set allows a vote to be changed before the ballot closes
    (``vote_change_allowed``), each change is recorded, never overwritten, and the last one counts;
    where it does not, the service refuses a second vote and each right has one record. The input
    order does not matter; two records with the same sequence number are an error in the log. The
    result lists the rights in the order of their counting record.
    """
    latest: dict[RightT, VoteChange[RightT, ChoiceT]] = {}
    seen: set[int] = set()
    for change in changes:
        if change.sequence in seen:
            raise ValueError(f"two vote records with sequence {change.sequence}")
        seen.add(change.sequence)
        current = latest.get(change.right)
        if current is None or change.sequence > current.sequence:
            latest[change.right] = change
    return {c.right: c.choice for c in sorted(latest.values(), key=lambda c: c.sequence)}


def split_votes_permitted(*, split_votes_allowed: bool, weighted: bool, rule: MajorityRule) -> bool:
    """Whether a ballot accepts split votes.

    Only where the assembly's rule set says so (``split_votes_allowed``), only in a weighted ballot
    (a weight of 1 cannot be divided), and never under a double majority, which counts each member
    as for or not for and so cannot count a member that is both.
    """
    return split_votes_allowed and weighted and not isinstance(rule, DoubleMajority)


@dataclass(frozen=True, slots=True)
class SplitProblem:
    """One reason a split vote is refused, naming the field (``split`` or ``split.<option>``)."""

    code: str
    field: str
    message: str


def validate_split(
    weight: int, parts: Mapping[str, int], *, options: Collection[str], allowed: bool
) -> list[SplitProblem]:
    """Check a split vote: an empty list means it is valid.

    A weighted right may divide its weight across the ballot's options where the rules allow it
    (:func:`split_votes_permitted`): each part a non-negative integer, each option one of the
    ballot's, the parts adding up exactly to the right's weight (no fractions, nothing left over,
    nothing added). When splitting is not allowed that is the only problem reported.
    """
    if not allowed:
        return [SplitProblem("split_votes_not_allowed", "split",
                             "this ballot does not accept split votes; cast the whole weight for one option")]
    problems: list[SplitProblem] = []
    total = 0
    for option, part in parts.items():
        if option not in options:
            problems.append(SplitProblem("split_option_unknown", f"split.{option}",
                                         f"not an option of this ballot (options: {', '.join(sorted(options))})"))
        if not isinstance(part, int) or isinstance(part, bool) or part < 0:
            problems.append(SplitProblem("split_part_invalid", f"split.{option}",
                                         "each part must be a non-negative whole number of votes"))
        else:
            total += part
    if not problems and total != weight:
        problems.append(SplitProblem("split_sum_mismatch", "split",
                                     f"the parts add up to {total}, not to the right's weight {weight}"))
    return problems
