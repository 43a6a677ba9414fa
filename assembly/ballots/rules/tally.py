"""What a ballot counts: votes by option, in heads and in weight (pure, integer arithmetic only).

A *head* is one voting right (one delegation, or one proxy it holds); its *weight* is the number of
votes the electorate snapshot gives it (1 in a one-member-one-vote ballot; the population when a
double majority weighs by population). Options are ``yes``, ``no`` and ``abstain``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = (
    "OPTIONS",
    "Counts",
    "Option",
    "Tally",
    "Vote",
    "VoteCounts",
    "count_votes",
)

Option = Literal["yes", "no", "abstain"]
OPTIONS: tuple[Option, ...] = ("yes", "no", "abstain")
"""The options of a motion ballot, in the order they are reported."""


def _check_count(name: str, value: object) -> None:
    # bool is an int subclass; True as a count is always a caller's bug.
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")


@dataclass(frozen=True, slots=True)
class Counts:
    """Yes, no and abstain in one unit (heads or weight)."""

    yes: int
    no: int
    abstain: int

    def __post_init__(self) -> None:
        for name in ("yes", "no", "abstain"):
            _check_count(name, getattr(self, name))

    @property
    def cast(self) -> int:
        """Votes cast, V = Y + N: abstentions are not votes cast (UN GA r.86; RONR)."""
        return self.yes + self.no

    @property
    def total(self) -> int:
        """Everything recorded, Y + N + A."""
        return self.yes + self.no + self.abstain


@dataclass(frozen=True, slots=True)
class Tally:
    """The counts a majority rule and a quorum are applied to, frozen when the ballot closes.

    ``present_*`` counts every voting right present when the ballot closed, and a right that voted
    is present (a vote is presence), so ``heads.total + split_heads <= present_heads``;
    ``membership_*`` counts every right in the electorate snapshot, present or not. In a
    one-member-one-vote ballot the weight counts equal the head counts, except under a double
    majority by population, where they are populations.
    """

    heads: Counts
    weight: Counts
    present_heads: int
    present_weight: int
    membership_heads: int
    membership_weight: int
    weighted: bool
    split_heads: int = 0
    """Rights that divided their weight between options: in the weight counts, not in the head counts."""

    def __post_init__(self) -> None:
        for name in ("present_heads", "present_weight", "membership_heads", "membership_weight", "split_heads"):
            _check_count(name, getattr(self, name))
        if self.split_heads and not self.weighted:
            raise ValueError("only a weighted ballot has split votes")
        voted = self.heads.total + self.split_heads
        if not voted <= self.present_heads <= self.membership_heads:
            raise ValueError(
                f"need rights voting ({voted}) <= present ({self.present_heads}) <= membership "
                f"({self.membership_heads})"
            )
        if not self.weight.total <= self.present_weight <= self.membership_weight:
            raise ValueError(
                f"need weight voting ({self.weight.total}) <= present ({self.present_weight}) <= membership "
                f"({self.membership_weight})"
            )


@dataclass(frozen=True, slots=True)
class Vote:
    """One right's effective vote: its weight and the part of it given to each option.

    A whole vote gives all the weight to one option (:meth:`whole`); a split vote (where the rules
    allow it, see :func:`assembly.ballots.rules.validate_split`) divides it in integer parts.
    """

    weight: int
    parts: Mapping[Option, int]

    @classmethod
    def whole(cls, option: Option, weight: int = 1) -> Vote:
        """All of ``weight`` to ``option``."""
        return cls(weight, {option: weight})

    def __post_init__(self) -> None:
        _check_count("weight", self.weight)
        if self.weight == 0:
            raise ValueError("a voting right has a weight of at least 1")
        for option, part in self.parts.items():
            if option not in OPTIONS:
                raise ValueError(f"unknown option {option!r}")
            _check_count(f"part for {option}", part)
        if sum(self.parts.values()) != self.weight:
            raise ValueError(f"parts add up to {sum(self.parts.values())}, not the weight {self.weight}")


@dataclass(frozen=True, slots=True)
class VoteCounts:
    """The result of :func:`count_votes`."""

    heads: Counts
    weight: Counts
    split_heads: int


def count_votes(votes: Iterable[Vote]) -> VoteCounts:
    """Count effective votes by option, in heads and in weight.

    Weight: each option receives the sum of the parts given to it. Heads: a right whose weight goes
    to one option (every positive part on that option) counts one head there; a right that divides
    its weight between two or more options counts in ``split_heads`` and under no option, because
    one head cannot be divided.
    """
    heads = dict.fromkeys(OPTIONS, 0)
    weight = dict.fromkeys(OPTIONS, 0)
    split_heads = 0
    for vote in votes:
        used = [option for option, part in vote.parts.items() if part > 0]
        if len(used) > 1:
            split_heads += 1
        else:  # weight >= 1, so exactly one option holds it all
            heads[used[0]] += 1
        for option, part in vote.parts.items():
            weight[option] += part
    return VoteCounts(
        heads=Counts(heads["yes"], heads["no"], heads["abstain"]),
        weight=Counts(weight["yes"], weight["no"], weight["abstain"]),
        split_heads=split_heads,
    )
