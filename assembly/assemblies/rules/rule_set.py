"""An assembly's rule set: the document, its defaults and its validation (pure, no I/O).

The rule set is one msgspec document, decoded from the request body (shape and bounds checked by
msgspec, errors naming the JSON path), checked across fields by :func:`rule_set_problems`, and stored
as JSONB, one row per version (``assembly_rule_set``). Its parts:

- ``weighting``: the weighting scheme, a tagged union on ``scheme`` (see :mod:`.weighting`);
- ``eligibility``: which member kinds vote and the fees rule (see :mod:`.eligibility`);
- ``quorum``: thresholds to debate and to decide (data only; the agenda engineer does the arithmetic);
- ``default_majority``: the majority a ballot uses unless it names another (data only; ballots);
- ``proxies``: whether proxies are allowed and how many one delegation may hold;
- ``vote_change_allowed``, ``substitute_votes_only_when_delegate_absent``, ``split_votes_allowed``.

The defaults are the UCLG Constitution's where it has a rule (Art 36-38: one member one vote, local
governments and the other voting kinds vote, fees paid up to the year preceding the meeting, simple
majority of the votes cast, the substitute votes only when the delegate is absent) and the reference
models of docs/assemblies.md where it has none (quorum: UN GA r.67; proxies: not allowed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import msgspec

from assembly.members.models import MemberKind

__all__ = (
    "BasicPlusProportional",
    "CategoryTable",
    "CategoryWeight",
    "DoubleMajority",
    "EligibilityRule",
    "FieldProblem",
    "FractionOfMembers",
    "FractionOfWeight",
    "MajorityOfMembers",
    "MajorityOfMembersPresent",
    "MajorityOfMembership",
    "MajorityRule",
    "OneMemberOneVote",
    "PopulationTier",
    "PopulationTiers",
    "ProxyPolicy",
    "QuorumRule",
    "QuorumThreshold",
    "RuleSet",
    "ShareOfTotalWeight",
    "SimpleMajorityOfVotesCast",
    "TwoThirdsOfVotesCast",
    "WeightingScheme",
    "decode_rule_set",
    "default_rule_set",
    "encode_rule_set",
    "rule_set_problems",
    "scheme_name",
)

PPM = 1_000_000
"""Parts per million: the unit of ``basic_share_ppm`` (55_020 ppm = 5.502 %)."""

MAX_BASIC_SHARE_PPM = 500_000
"""Largest basic share of the basic-plus-proportional scheme (half of all votes)."""

MAX_WEIGHT = 1_000_000
"""Largest weight a tier or category may give (bounds every sum far below 2**53)."""

MAX_POPULATION = 100_000_000_000
"""Largest population threshold a tier may name."""

Weight = Annotated[int, msgspec.Meta(ge=1, le=MAX_WEIGHT, description="Votes of one delegation")]
Term = Annotated[int, msgspec.Meta(ge=1, le=1000, description="Numerator or denominator of a fraction")]
Category = Annotated[str, msgspec.Meta(min_length=1, max_length=32, description="A membership category")]


class _Document(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of every part of the rule set: unknown fields are refused."""


# -- Weighting schemes: a tagged union on "scheme" -------------------------------------------------


class _Scheme(_Document, tag_field="scheme"):
    """Base of the weighting schemes."""


class OneMemberOneVote(_Scheme, tag="one_member_one_vote"):
    """Every voting delegation has weight 1 (UCLG Constitution Art 37; UN Charter Art 18)."""


class PopulationTier(_Document):
    """From ``min_population`` inhabitants (inclusive) up to the next tier's threshold: ``weight`` votes."""

    min_population: Annotated[int, msgspec.Meta(ge=0, le=MAX_POPULATION)]
    weight: Weight


class PopulationTiers(_Scheme, tag="population_tiers"):
    """Weight by population tier; the first tier starts at 0, thresholds rise, weights never fall."""

    tiers: Annotated[list[PopulationTier], msgspec.Meta(min_length=1, max_length=32)]


class CategoryWeight(_Document):
    """One row of a membership category table."""

    category: Category
    weight: Weight


class CategoryTable(_Scheme, tag="category_table"):
    """Weight by membership category; ``default_weight`` for a category not in the table.

    With ``default_weight`` null, a member whose category is missing or not in the table holds no
    vote (eligibility reason ``category_not_in_table``) until the table or the register is fixed.
    """

    categories: Annotated[list[CategoryWeight], msgspec.Meta(min_length=1, max_length=64)]
    default_weight: Weight | None = None


class BasicPlusProportional(_Scheme, tag="basic_plus_proportional"):
    """IMF shape: equal basic votes making ``basic_share_ppm`` of the total, plus floor(quantity / unit).

    The basic share is at most half of the total (500,000 ppm; the IMF's is 55,020), which keeps
    every weight and total below 2**53 for any register (populations up to 10**10).
    """

    basic_share_ppm: Annotated[int, msgspec.Meta(ge=0, le=MAX_BASIC_SHARE_PPM)]
    unit: Annotated[int, msgspec.Meta(ge=1, le=MAX_POPULATION)]
    quantity: Annotated[str, msgspec.Meta(pattern="^population$")] = "population"


WeightingScheme = OneMemberOneVote | PopulationTiers | CategoryTable | BasicPlusProportional


# -- Eligibility and proxies ----------------------------------------------------------------------


_DEFAULT_VOTING_KINDS = (
    MemberKind.LOCAL_GOVERNMENT,
    MemberKind.REGION,
    MemberKind.METROPOLIS,
    MemberKind.NATIONAL_ASSOCIATION,
    MemberKind.SECTION,
    MemberKind.INTERNATIONAL_ORGANISATION,
)


class EligibilityRule(_Document):
    """Who votes: voting member kinds and the fees rule (UCLG Constitution Art 36; UN Charter Art 19).

    Fees are up to date when ``fees_paid_through >= starts_on.year - 1 - arrears_grace_years``: by
    default (grace 0) paid through the year preceding the meeting. Members of a kind in
    ``fees_exempt_member_kinds`` vote without the fees condition (Art 36 gives the regional sections
    one vote each as of right).
    """

    voting_member_kinds: Annotated[list[MemberKind], msgspec.Meta(min_length=1, max_length=16)] = msgspec.field(
        default_factory=lambda: list(_DEFAULT_VOTING_KINDS)
    )
    arrears_grace_years: Annotated[int, msgspec.Meta(ge=0, le=10)] = 0
    fees_exempt_member_kinds: Annotated[list[MemberKind], msgspec.Meta(max_length=16)] = msgspec.field(
        default_factory=lambda: [MemberKind.SECTION]
    )


class ProxyPolicy(_Document):
    """Whether a delegation may authorize another to vote for it, and how many one may hold."""

    allowed: bool = False
    max_per_holder: Annotated[int, msgspec.Meta(ge=1, le=100)] = 1


# -- Quorum (data only) -----------------------------------------------------------------------------


class _Quorum(_Document, tag_field="kind"):
    """Base of the quorum thresholds."""


class MajorityOfMembers(_Quorum, tag="majority_of_members"):
    """More than half of the delegations entitled to vote are present (UN GA r.67, to decide)."""


class FractionOfMembers(_Quorum, tag="fraction_of_members"):
    """At least numerator/denominator of the delegations entitled to vote are present (r.67: 1/3)."""

    numerator: Term
    denominator: Term


class FractionOfWeight(_Quorum, tag="fraction_of_weight"):
    """The delegations present hold at least numerator/denominator of the total voting weight."""

    numerator: Term
    denominator: Term


QuorumThreshold = MajorityOfMembers | FractionOfMembers | FractionOfWeight


class QuorumRule(_Document):
    """Separate thresholds to open the debate and to take a decision (UN GA r.67 shape)."""

    to_debate: QuorumThreshold = msgspec.field(default_factory=lambda: FractionOfMembers(numerator=1, denominator=3))
    to_decide: QuorumThreshold = msgspec.field(default_factory=MajorityOfMembers)


# -- Majorities (data only) -------------------------------------------------------------------------


class _Majority(_Document, tag_field="kind"):
    """Base of the majority rules."""


class SimpleMajorityOfVotesCast(_Majority, tag="simple_majority_of_votes_cast"):
    """Yes > No; abstentions are not votes cast (UCLG Constitution Art 38; UN GA r.85-86)."""


class TwoThirdsOfVotesCast(_Majority, tag="two_thirds_of_votes_cast"):
    """3 x Yes >= 2 x (Yes + No) (UN GA r.83; RONR)."""


class MajorityOfMembersPresent(_Majority, tag="majority_of_members_present"):
    """2 x Yes > weight present; an abstention counts as no (RONR)."""


class MajorityOfMembership(_Majority, tag="majority_of_membership"):
    """2 x Yes > weight of every delegation entitled to vote (RONR)."""


class ShareOfTotalWeight(_Majority, tag="share_of_total_weight"):
    """Yes x denominator >= numerator x total weight (IMF special majorities)."""

    numerator: Term
    denominator: Term


class DoubleMajority(_Majority, tag="double_majority"):
    """Enough members and enough weight say yes (EU Council QMV, TEU Art 16(4)).

    Adopted iff yes members x members_denominator >= members_numerator x members, and (yes weight x
    weight_denominator >= weight_numerator x total weight, or fewer than ``blocking_minority_members``
    members did not vote yes). Null ``blocking_minority_members``: no blocking-minority clause.
    """

    members_numerator: Term
    members_denominator: Term
    weight_numerator: Term
    weight_denominator: Term
    blocking_minority_members: Annotated[int, msgspec.Meta(ge=1, le=1000)] | None = None


MajorityRule = (
    SimpleMajorityOfVotesCast
    | TwoThirdsOfVotesCast
    | MajorityOfMembersPresent
    | MajorityOfMembership
    | ShareOfTotalWeight
    | DoubleMajority
)


# -- The rule set -----------------------------------------------------------------------------------


class RuleSet(_Document):
    """The rules of one assembly; a field left out takes its default (the UCLG defaults)."""

    weighting: WeightingScheme = msgspec.field(default_factory=OneMemberOneVote)
    eligibility: EligibilityRule = msgspec.field(default_factory=EligibilityRule)
    quorum: QuorumRule = msgspec.field(default_factory=QuorumRule)
    default_majority: MajorityRule = msgspec.field(default_factory=SimpleMajorityOfVotesCast)
    proxies: ProxyPolicy = msgspec.field(default_factory=ProxyPolicy)
    vote_change_allowed: bool = False
    """A delegation may replace its vote until the ballot closes."""
    substitute_votes_only_when_delegate_absent: bool = True
    """UCLG Constitution Art 36: the substitute votes only if the delegate is absent."""
    split_votes_allowed: bool = False
    """A weighted delegation may split its weight between options."""


def scheme_name(scheme: WeightingScheme) -> str:
    """The ``scheme`` tag of a weighting scheme (``population_tiers``)."""
    return str(type(scheme).__struct_config__.tag)


def default_rule_set() -> RuleSet:
    """The UCLG defaults (Constitution Art 36-38) completed by the reference models."""
    return RuleSet()


def encode_rule_set(rules: RuleSet) -> dict[str, object]:
    """The JSON-ready document stored in ``assembly_rule_set.rules``."""
    document: dict[str, object] = msgspec.to_builtins(rules)
    return document


def decode_rule_set(document: object) -> RuleSet:
    """Read a stored document back (raises msgspec.ValidationError if it was stored corrupt)."""
    return msgspec.convert(document, RuleSet)


# -- Validation across fields -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One refused value: the path of the field inside the rule set, and what is wrong with it."""

    field: str
    message: str


def rule_set_problems(rules: RuleSet) -> list[FieldProblem]:
    """Check what msgspec cannot check field by field; an empty list means the rule set is valid.

    - population tiers: the first starts at 0, thresholds strictly rise, weights never fall;
    - category table: each category once; a default weight or not (stated on :class:`CategoryTable`);
    - eligibility: each member kind once in each list;
    - fractions (quorum, majorities): numerator <= denominator.
    """
    problems: list[FieldProblem] = []
    problems += _weighting_problems(rules.weighting)
    problems += _duplicates("eligibility.voting_member_kinds", [str(k) for k in rules.eligibility.voting_member_kinds])
    problems += _duplicates(
        "eligibility.fees_exempt_member_kinds", [str(k) for k in rules.eligibility.fees_exempt_member_kinds]
    )
    for name, threshold in (("to_debate", rules.quorum.to_debate), ("to_decide", rules.quorum.to_decide)):
        if isinstance(threshold, FractionOfMembers | FractionOfWeight):
            problems += _fraction(f"quorum.{name}", "", threshold.numerator, threshold.denominator)
    majority = rules.default_majority
    if isinstance(majority, ShareOfTotalWeight):
        problems += _fraction("default_majority", "", majority.numerator, majority.denominator)
    elif isinstance(majority, DoubleMajority):
        problems += _fraction("default_majority", "members_", majority.members_numerator, majority.members_denominator)
        problems += _fraction("default_majority", "weight_", majority.weight_numerator, majority.weight_denominator)
    return problems


def _weighting_problems(scheme: WeightingScheme) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    if isinstance(scheme, PopulationTiers):
        first = scheme.tiers[0]
        if first.min_population != 0:
            problems.append(FieldProblem("weighting.tiers[0].min_population",
                                         "the first tier must start at 0, so that every member falls in a tier"))
        for index in range(1, len(scheme.tiers)):
            previous, tier = scheme.tiers[index - 1], scheme.tiers[index]
            if tier.min_population <= previous.min_population:
                problems.append(FieldProblem(
                    f"weighting.tiers[{index}].min_population",
                    f"must be greater than the previous tier's threshold ({previous.min_population})",
                ))
            if tier.weight < previous.weight:
                problems.append(FieldProblem(
                    f"weighting.tiers[{index}].weight",
                    f"must not be less than the previous tier's weight ({previous.weight})",
                ))
    elif isinstance(scheme, CategoryTable):
        seen: set[str] = set()
        for index, row in enumerate(scheme.categories):
            if row.category in seen:
                problems.append(FieldProblem(f"weighting.categories[{index}].category",
                                             f"category {row.category!r} appears twice"))
            seen.add(row.category)
    return problems


def _duplicates(field: str, values: list[str]) -> list[FieldProblem]:
    seen: set[str] = set()
    problems: list[FieldProblem] = []
    for index, value in enumerate(values):
        if value in seen:
            problems.append(FieldProblem(f"{field}[{index}]", f"{value!r} appears twice"))
        seen.add(value)
    return problems


def _fraction(prefix: str, stem: str, numerator: int, denominator: int) -> list[FieldProblem]:
    if numerator > denominator:
        return [FieldProblem(f"{prefix}.{stem}numerator", f"must not exceed the {stem}denominator ({denominator})")]
    return []
