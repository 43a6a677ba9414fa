"""Weighting schemes: a delegation's weight, with its derivation (pure, integer arithmetic only).

Every function returns a :class:`Weight`: the integer weight, a sentence a person can check by hand,
and the structured inputs the sentence was made from (integers and strings only, so they go into the
audit log unchanged). No floating point anywhere: rounding is always stated and always down.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from assembly.assemblies.rules.rule_set import (
    PPM,
    BasicPlusProportional,
    CategoryTable,
    OneMemberOneVote,
    PopulationTiers,
    WeightingScheme,
)

__all__ = (
    "MemberQuantities",
    "Weight",
    "basic_plus_proportional",
    "basic_votes",
    "category_table",
    "compute_weights",
    "one_member_one_vote",
    "population_tiers",
    "proportional_votes",
    "weights_digest",
)

InputValue = int | str | None


@dataclass(frozen=True, slots=True)
class Weight:
    """A delegation's weight under a scheme, and how it was reached."""

    weight: int
    """Votes the delegation carries (0 when the scheme gives none)."""

    derivation: str
    """The computation in words and numbers, e.g. ``basic votes 21 + proportional votes 1000 = 1021``."""

    inputs: dict[str, InputValue] = field(default_factory=dict)
    """The values the computation used (scheme, population, category, n, Q, ...)."""

    problem: str | None = None
    """A reason code when the scheme cannot weigh this member (``category_not_in_table``)."""


@dataclass(frozen=True, slots=True)
class MemberQuantities:
    """What a scheme may read about the member behind a delegation."""

    population: int | None = None
    membership_category: str | None = None


def _n(value: int) -> str:
    """Format an integer with thousands separators for derivations (1,250,000)."""
    return f"{value:,}"


def one_member_one_vote() -> Weight:
    """One member, one vote: w = 1 (UCLG Constitution Art 37; UN Charter Art 18)."""
    return Weight(1, "one member, one vote: weight 1", {"scheme": "one_member_one_vote"})


def population_tiers(scheme: PopulationTiers, population: int | None) -> Weight:
    """Population tiers: w = weight of the last tier whose ``min_population`` <= population.

    Thresholds are inclusive lower bounds: a population equal to a threshold is in that tier. A
    member with no recorded population is put in the lowest tier, and the derivation says so.
    (Not a UCLG rule: an option of the rule set, docs/assemblies.md.)
    """
    tiers = scheme.tiers
    if population is None:
        lowest = tiers[0]
        return Weight(
            lowest.weight,
            f"population unknown: lowest tier (from {_n(lowest.min_population)}) applies, weight {lowest.weight}",
            {"scheme": "population_tiers", "population": None, "tier": 0, "tier_min_population": lowest.min_population},
        )
    index = 0
    for position, tier in enumerate(tiers):
        if tier.min_population <= population:
            index = position
    tier = tiers[index]
    if index + 1 < len(tiers):
        span = f"from {_n(tier.min_population)} to {_n(tiers[index + 1].min_population - 1)}"
    else:
        span = f"from {_n(tier.min_population)} up"
    return Weight(
        tier.weight,
        f"population {_n(population)} is in tier {index + 1} ({span}): weight {tier.weight}",
        {"scheme": "population_tiers", "population": population, "tier": index,
         "tier_min_population": tier.min_population},
    )


def category_table(scheme: CategoryTable, category: str | None) -> Weight:
    """Membership category table: w = the table's weight for the member's category.

    A category that is missing or not in the table takes ``default_weight``; with no default the
    member cannot be weighed: weight 0 and problem ``category_not_in_table``, so it holds no vote
    (the refusal is per member, the rule set itself stays valid). Categories match exactly.
    """
    inputs: dict[str, InputValue] = {"scheme": "category_table", "category": category}
    for row in scheme.categories:
        if row.category == category:
            return Weight(row.weight, f"membership category {category!r}: weight {row.weight}", inputs)
    shown = "no membership category" if category is None else f"membership category {category!r} is not in the table"
    if scheme.default_weight is not None:
        return Weight(scheme.default_weight, f"{shown}: default weight {scheme.default_weight}", inputs)
    return Weight(0, f"{shown} and the table has no default: no weight", inputs, problem="category_not_in_table")


def basic_votes(basic_share_ppm: int, total_proportional: int, members: int) -> int:
    """Basic votes per member so that the basic votes make ``basic_share_ppm`` of all votes (IMF Art XII §5).

    With share s = basic_share_ppm / 1,000,000, Q the proportional votes of all members and n members,
    the total is T = Q / (1 - s) and the basic vote b = s * T / n = s * Q / ((1 - s) * n). In integers:

        b = floor(basic_share_ppm * Q / ((1,000,000 - basic_share_ppm) * n))

    rounded down, so the basic votes make at most the set share. No members: 0.
    """
    if members <= 0:
        return 0
    return (basic_share_ppm * total_proportional) // ((PPM - basic_share_ppm) * members)


def proportional_votes(scheme: BasicPlusProportional, quantity: int | None) -> int:
    """p = floor(quantity / unit); 0 when the quantity is unknown."""
    return 0 if quantity is None else quantity // scheme.unit


def basic_plus_proportional(
    scheme: BasicPlusProportional,
    quantities: Sequence[int | None],
    *,
    membership: tuple[int, int] | None = None,
) -> list[Weight]:
    """Basic plus proportional votes (the IMF shape).

    For member i with quantity q_i (population): proportional votes p_i = floor(q_i / unit), 0 when the
    quantity is unknown; Q = sum of p_i over the membership; n = number of members; b =
    :func:`basic_votes`; w_i = b + p_i. Worked example (procedure.md 2.2): proportional votes
    1000/300/100/50, share 55,020 ppm: Q = 1450, b = floor(55020 * 1450 / (944980 * 4)) = 21,
    weights 1021/321/121/71.

    ``quantities`` are the whole membership, unless ``membership`` = (n, Q) is given: then they may
    be any of its members (the database sums Q for one delegation's page).
    """
    proportional = [proportional_votes(scheme, q) for q in quantities]
    members, total = membership if membership is not None else (len(proportional), sum(proportional))
    basic = basic_votes(scheme.basic_share_ppm, total, members)
    basic_text = (
        f"basic votes {basic} = floor({scheme.basic_share_ppm} x {_n(total)} / "
        f"(({PPM} - {scheme.basic_share_ppm}) x {members}))"
    )
    weights: list[Weight] = []
    for quantity, votes in zip(quantities, proportional, strict=True):
        if quantity is None:
            part = f"proportional votes 0 ({scheme.quantity} unknown)"
        else:
            part = f"proportional votes {_n(votes)} = floor({_n(quantity)} / {_n(scheme.unit)})"
        weights.append(Weight(
            basic + votes,
            f"{basic_text} + {part} = {_n(basic + votes)}",
            {
                "scheme": "basic_plus_proportional",
                "quantity": scheme.quantity,
                "quantity_value": quantity,
                "unit": scheme.unit,
                "basic_share_ppm": scheme.basic_share_ppm,
                "members": members,
                "total_proportional_votes": total,
                "basic_votes": basic,
                "proportional_votes": votes,
            },
        ))
    return weights


def compute_weights(
    scheme: WeightingScheme, members: Sequence[MemberQuantities], *, membership: tuple[int, int] | None = None
) -> list[Weight]:
    """Weigh members of an assembly under ``scheme``, in the order given.

    The basic votes of :func:`basic_plus_proportional` depend on the whole membership: pass all of
    it as ``members``, or pass ``membership`` = (n, Q) with any subset.
    """
    if isinstance(scheme, OneMemberOneVote):
        return [one_member_one_vote() for _ in members]
    if isinstance(scheme, PopulationTiers):
        return [population_tiers(scheme, m.population) for m in members]
    if isinstance(scheme, CategoryTable):
        return [category_table(scheme, m.membership_category) for m in members]
    return basic_plus_proportional(scheme, [m.population for m in members], membership=membership)


def weights_digest(entries: Iterable[tuple[uuid.UUID, int, bool]]) -> str:
    """SHA-256 (hex) of a weights table, so the audit trail pins it without listing every delegation.

    The bytes hashed are one line per delegation, sorted by delegation id (its canonical lower-case
    hyphenated text): ``<delegation_id>,<weight>,<1 if eligible else 0>`` and a line feed, in UTF-8.
    Anyone can recompute it from ``GET /api/assemblies/{id}/weights`` (docs/assemblies.md).
    """
    lines = sorted(f"{delegation_id},{weight},{1 if eligible else 0}\n" for delegation_id, weight, eligible in entries)
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()
