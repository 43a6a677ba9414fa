"""Weighting schemes with worked examples and their boundaries."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from assembly.assemblies.rules import (
    BasicPlusProportional,
    CategoryTable,
    CategoryWeight,
    MemberQuantities,
    OneMemberOneVote,
    PopulationTier,
    PopulationTiers,
    basic_plus_proportional,
    basic_votes,
    category_table,
    compute_weights,
    one_member_one_vote,
    population_tiers,
    weights_digest,
)

TIERS = PopulationTiers(tiers=[
    PopulationTier(min_population=0, weight=1),
    PopulationTier(min_population=100_000, weight=2),
    PopulationTier(min_population=1_000_000, weight=3),
    PopulationTier(min_population=10_000_000, weight=5),
])


def test_one_member_one_vote_is_one() -> None:
    weight = one_member_one_vote()
    assert weight.weight == 1
    assert weight.derivation == "one member, one vote: weight 1"
    assert weight.inputs == {"scheme": "one_member_one_vote"}
    assert weight.problem is None


@pytest.mark.parametrize(
    ("population", "expected", "tier"),
    [
        (0, 1, 0),  # zero population: the first tier, which starts at 0
        (99_999, 1, 0),  # one below a threshold stays in the lower tier
        (100_000, 2, 1),  # a population equal to a threshold is in that tier
        (100_001, 2, 1),
        (999_999, 2, 1),
        (1_000_000, 3, 2),
        (9_999_999, 3, 2),
        (10_000_000, 5, 3),  # the top tier has no upper bound
        (8_000_000_000, 5, 3),
    ],
)
def test_population_tiers_edges(population: int, expected: int, tier: int) -> None:
    weight = population_tiers(TIERS, population)
    assert weight.weight == expected
    assert weight.inputs["tier"] == tier
    assert weight.inputs["population"] == population


def test_population_tiers_derivation_names_the_tier_and_its_span() -> None:
    assert population_tiers(TIERS, 1_250_000).derivation == (
        "population 1,250,000 is in tier 3 (from 1,000,000 to 9,999,999): weight 3"
    )
    assert population_tiers(TIERS, 12_000_000).derivation == (
        "population 12,000,000 is in tier 4 (from 10,000,000 up): weight 5"
    )


def test_population_unknown_takes_the_lowest_tier_and_says_so() -> None:
    weight = population_tiers(TIERS, None)
    assert weight.weight == 1
    assert weight.derivation.startswith("population unknown: lowest tier")
    assert weight.inputs["population"] is None


def test_single_tier_weighs_everyone_alike() -> None:
    scheme = PopulationTiers(tiers=[PopulationTier(min_population=0, weight=4)])
    assert [population_tiers(scheme, p).weight for p in (None, 0, 10**9)] == [4, 4, 4]


CATEGORIES = [CategoryWeight(category="A", weight=10), CategoryWeight(category="B", weight=4)]


def test_category_table_looks_up_the_category() -> None:
    scheme = CategoryTable(categories=CATEGORIES)
    weight = category_table(scheme, "A")
    assert (weight.weight, weight.problem) == (10, None)
    assert weight.derivation == "membership category 'A': weight 10"
    assert category_table(scheme, "B").weight == 4


def test_category_match_is_exact() -> None:
    weight = category_table(CategoryTable(categories=CATEGORIES, default_weight=1), "a")
    assert weight.weight == 1
    assert "'a' is not in the table: default weight 1" in weight.derivation


@pytest.mark.parametrize("category", ["Z", None])
def test_unknown_or_missing_category_takes_the_default(category: str | None) -> None:
    weight = category_table(CategoryTable(categories=CATEGORIES, default_weight=2), category)
    assert (weight.weight, weight.problem) == (2, None)
    assert "default weight 2" in weight.derivation


@pytest.mark.parametrize("category", ["Z", None])
def test_unknown_category_without_default_cannot_be_weighed(category: str | None) -> None:
    weight = category_table(CategoryTable(categories=CATEGORIES), category)
    assert weight.weight == 0
    assert weight.problem == "category_not_in_table"
    assert "no default" in weight.derivation


def test_imf_worked_example_of_procedure_2_2() -> None:
    # Quota votes 1000/300/100/50 (SDR 100,000 each), basic votes 5.502 % of the total.
    scheme = BasicPlusProportional(basic_share_ppm=55_020, unit=100_000)
    weights = basic_plus_proportional(scheme, [100_000_000, 30_000_000, 10_000_000, 5_000_000])
    assert [w.weight for w in weights] == [1021, 321, 121, 71]
    first = weights[0]
    assert first.inputs["basic_votes"] == 21
    assert first.inputs["proportional_votes"] == 1000
    assert first.inputs["total_proportional_votes"] == 1450
    assert first.inputs["members"] == 4
    assert first.derivation == (
        "basic votes 21 = floor(55020 x 1,450 / ((1000000 - 55020) x 4)) + "
        "proportional votes 1,000 = floor(100,000,000 / 100,000) = 1,021"
    )


def test_imf_member_1_voting_no_is_not_outvoted_by_the_three_others() -> None:
    # procedure.md 2.2: 321 + 121 + 71 = 513 < 1021.
    scheme = BasicPlusProportional(basic_share_ppm=55_020, unit=1)
    weights = [w.weight for w in basic_plus_proportional(scheme, [1000, 300, 100, 50])]
    assert sum(weights[1:]) == 513 < weights[0]


def test_basic_votes_round_down_and_never_exceed_the_share() -> None:
    # s * Q / ((1 - s) * n) = 55020 * 1450 / (944980 * 4) = 21.106...
    assert basic_votes(55_020, 1450, 4) == 21
    for q, n in [(1450, 4), (7, 3), (10**9, 250_000), (1, 1)]:
        b = basic_votes(55_020, q, n)
        # the basic votes make at most the set share of the total: b*n*1e6 <= s*(b*n + Q)
        assert b * n * 1_000_000 <= 55_020 * (b * n + q)
        assert (b + 1) * n * 1_000_000 > 55_020 * ((b + 1) * n + q)


def test_basic_votes_with_no_members_or_no_share_are_zero() -> None:
    assert basic_votes(55_020, 1000, 0) == 0
    assert basic_votes(0, 1000, 4) == 0


def test_proportional_votes_are_floored_and_unknown_quantity_counts_zero() -> None:
    scheme = BasicPlusProportional(basic_share_ppm=500_000, unit=1000)
    weights = basic_plus_proportional(scheme, [2999, None, 1000])
    # p = 2, 0, 1; Q = 3; b = floor(500000 * 3 / (500000 * 3)) = 1
    assert [w.inputs["proportional_votes"] for w in weights] == [2, 0, 1]
    assert [w.weight for w in weights] == [3, 1, 2]
    assert "population unknown" in weights[1].derivation


def test_a_subset_with_the_membership_totals_weighs_as_the_whole() -> None:
    scheme = BasicPlusProportional(basic_share_ppm=55_020, unit=1)
    whole = basic_plus_proportional(scheme, [1000, 300, 100, 50])
    part = basic_plus_proportional(scheme, [100, 50], membership=(4, 1450))
    assert part == whole[2:]


def test_zero_population_everywhere_gives_zero_weights() -> None:
    scheme = BasicPlusProportional(basic_share_ppm=55_020, unit=100)
    assert [w.weight for w in basic_plus_proportional(scheme, [0, 99])] == [0, 0]


def test_compute_weights_dispatches_on_the_scheme() -> None:
    members = [MemberQuantities(population=150_000, membership_category="B"), MemberQuantities()]
    assert [w.weight for w in compute_weights(OneMemberOneVote(), members)] == [1, 1]
    assert [w.weight for w in compute_weights(TIERS, members)] == [2, 1]
    table = CategoryTable(categories=CATEGORIES, default_weight=1)
    assert [w.weight for w in compute_weights(table, members)] == [4, 1]
    imf = BasicPlusProportional(basic_share_ppm=0, unit=50_000)
    assert [w.weight for w in compute_weights(imf, members)] == [3, 0]


def test_weights_digest_is_order_free_and_pins_every_value() -> None:
    a = uuid.UUID("00000000-0000-7000-8000-000000000001")
    b = uuid.UUID("00000000-0000-7000-8000-000000000002")
    expected = hashlib.sha256(f"{a},3,1\n{b},1,0\n".encode()).hexdigest()
    assert weights_digest([(b, 1, False), (a, 3, True)]) == expected
    assert weights_digest([(a, 3, True), (b, 1, True)]) != expected
    assert weights_digest([]) == hashlib.sha256(b"").hexdigest()
