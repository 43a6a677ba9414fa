"""The rule-set document: defaults, decoding errors naming the field, cross-field validation."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from assembly.assemblies.rules import (
    DoubleMajority,
    FractionOfMembers,
    MajorityOfMembers,
    OneMemberOneVote,
    RuleSet,
    SimpleMajorityOfVotesCast,
    decode_rule_set,
    default_rule_set,
    encode_rule_set,
    rule_set_problems,
    scheme_name,
)
from assembly.members.models import MemberKind


def _problems(document: dict[str, Any]) -> list[tuple[str, str]]:
    return [(p.field, p.message) for p in rule_set_problems(msgspec.convert(document, RuleSet))]


def _decode_error(document: dict[str, Any]) -> str:
    with pytest.raises(msgspec.ValidationError) as caught:
        msgspec.convert(document, RuleSet)
    return str(caught.value)


def test_defaults_are_the_uclg_rules() -> None:
    rules = default_rule_set()
    assert isinstance(rules.weighting, OneMemberOneVote)  # Art 37
    assert isinstance(rules.default_majority, SimpleMajorityOfVotesCast)  # Art 38
    assert rules.substitute_votes_only_when_delegate_absent is True  # Art 36
    assert rules.eligibility.arrears_grace_years == 0  # fees paid through the year preceding the meeting
    assert set(rules.eligibility.voting_member_kinds) == {
        MemberKind.LOCAL_GOVERNMENT, MemberKind.REGION, MemberKind.METROPOLIS, MemberKind.NATIONAL_ASSOCIATION,
        MemberKind.SECTION, MemberKind.INTERNATIONAL_ORGANISATION,
    }  # associate and honorary members do not vote
    assert rules.quorum.to_debate == FractionOfMembers(numerator=1, denominator=3)  # UN GA r.67
    assert rules.quorum.to_decide == MajorityOfMembers()
    assert (rules.proxies.allowed, rules.split_votes_allowed, rules.vote_change_allowed) == (False, False, False)
    assert rule_set_problems(rules) == []


def test_encode_decode_round_trip() -> None:
    rules = msgspec.convert({
        "weighting": {"scheme": "basic_plus_proportional", "basic_share_ppm": 55020, "unit": 100000},
        "default_majority": {"kind": "double_majority", "members_numerator": 55, "members_denominator": 100,
                             "weight_numerator": 65, "weight_denominator": 100, "blocking_minority_members": 4},
        "proxies": {"allowed": True, "max_per_holder": 2},
    }, RuleSet)
    document = encode_rule_set(rules)
    assert document["weighting"] == {"scheme": "basic_plus_proportional", "basic_share_ppm": 55020,
                                     "unit": 100000, "quantity": "population"}
    assert decode_rule_set(document) == rules
    assert isinstance(rules.default_majority, DoubleMajority)
    assert scheme_name(rules.weighting) == "basic_plus_proportional"


def test_missing_scheme_parameter_names_it() -> None:
    message = _decode_error({"weighting": {"scheme": "population_tiers"}})
    assert "missing required field `tiers`" in message
    assert "$.weighting" in message
    message = _decode_error({"weighting": {"scheme": "basic_plus_proportional", "basic_share_ppm": 55020}})
    assert "missing required field `unit`" in message


def test_unknown_scheme_and_unknown_field_are_refused() -> None:
    assert "$.weighting.scheme" in _decode_error({"weighting": {"scheme": "one_dollar_one_vote"}})
    assert "unknown field `weight`" in _decode_error({"weighting": {"scheme": "one_member_one_vote", "weight": 2}})


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ({"weighting": {"scheme": "population_tiers", "tiers": [{"min_population": 0, "weight": 0}]}},
         "$.weighting.tiers[0].weight"),
        ({"weighting": {"scheme": "population_tiers", "tiers": []}}, "$.weighting.tiers"),
        ({"weighting": {"scheme": "basic_plus_proportional", "basic_share_ppm": 500_001, "unit": 1}},
         "$.weighting.basic_share_ppm"),
        ({"weighting": {"scheme": "basic_plus_proportional", "basic_share_ppm": 5, "unit": 0}}, "$.weighting.unit"),
        ({"quorum": {"to_decide": {"kind": "fraction_of_weight", "numerator": 0, "denominator": 2}}},
         "$.quorum.to_decide.numerator"),
        ({"proxies": {"allowed": True, "max_per_holder": 0}}, "$.proxies.max_per_holder"),
        ({"eligibility": {"voting_member_kinds": []}}, "$.eligibility.voting_member_kinds"),
        ({"eligibility": {"voting_member_kinds": ["mayor"]}}, "$.eligibility.voting_member_kinds[0]"),
    ],
)
def test_out_of_bounds_values_name_their_path(document: dict[str, Any], path: str) -> None:
    assert path in _decode_error(document)


def test_tiers_must_start_at_zero_rise_and_not_lose_weight() -> None:
    problems = _problems({"weighting": {"scheme": "population_tiers", "tiers": [
        {"min_population": 10, "weight": 2},
        {"min_population": 5, "weight": 1},
        {"min_population": 100, "weight": 3},
    ]}})
    fields = [field for field, _ in problems]
    assert fields == ["weighting.tiers[0].min_population", "weighting.tiers[1].min_population",
                      "weighting.tiers[1].weight"]
    assert "start at 0" in problems[0][1]
    assert "previous tier's weight (2)" in problems[2][1]


def test_equal_thresholds_are_refused() -> None:
    problems = _problems({"weighting": {"scheme": "population_tiers", "tiers": [
        {"min_population": 0, "weight": 1}, {"min_population": 0, "weight": 1}]}})
    assert [f for f, _ in problems] == ["weighting.tiers[1].min_population"]


def test_duplicate_category_is_refused() -> None:
    problems = _problems({"weighting": {"scheme": "category_table", "categories": [
        {"category": "A", "weight": 3}, {"category": "B", "weight": 2}, {"category": "A", "weight": 1}]}})
    assert [f for f, _ in problems] == ["weighting.categories[2].category"]


def test_fractions_above_one_are_refused() -> None:
    problems = _problems({
        "quorum": {"to_debate": {"kind": "fraction_of_members", "numerator": 4, "denominator": 3},
                   "to_decide": {"kind": "fraction_of_weight", "numerator": 2, "denominator": 3}},
        "default_majority": {"kind": "double_majority", "members_numerator": 55, "members_denominator": 100,
                             "weight_numerator": 101, "weight_denominator": 100},
    })
    assert [f for f, _ in problems] == ["quorum.to_debate.numerator", "default_majority.weight_numerator"]
    problems = _problems({"default_majority": {"kind": "share_of_total_weight", "numerator": 3, "denominator": 2}})
    assert [f for f, _ in problems] == ["default_majority.numerator"]


def test_duplicate_member_kinds_are_refused() -> None:
    problems = _problems({"eligibility": {"voting_member_kinds": ["region", "region"],
                                          "fees_exempt_member_kinds": ["section", "section"]}})
    assert [f for f, _ in problems] == ["eligibility.voting_member_kinds[1]", "eligibility.fees_exempt_member_kinds[1]"]
