"""Voting eligibility and its reasons; who may cast a delegation's vote."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from assembly.assemblies.rules import (
    REASON_CODES,
    EligibilityRule,
    Weight,
    assess_eligibility,
    casting_problem,
    fees_required_through,
)
from assembly.members.models import MemberKind

STARTS = date(2026, 10, 12)
RULE = EligibilityRule()


def _assess(rule: EligibilityRule = RULE, **overrides: Any) -> list[str]:
    facts: dict[str, Any] = {
        "assembly_starts_on": STARTS,
        "credentials_status": "accepted",
        "member_kind": "local_government",
        "member_status": "active",
        "fees_paid_through": 2025,
    }
    facts.update(overrides)
    result = assess_eligibility(rule, **facts)
    codes = [reason.code for reason in result.reasons]
    assert result.eligible == (not codes)
    return codes


def test_accredited_member_with_fees_paid_through_last_year_votes() -> None:
    assert _assess() == []


@pytest.mark.parametrize("status", ["submitted", "rejected"])
def test_credentials_must_be_accepted(status: str) -> None:
    assert _assess(credentials_status=status) == ["credentials_not_accepted"]


def test_suspended_member_never_votes() -> None:
    assert _assess(member_status="suspended") == ["member_suspended"]


@pytest.mark.parametrize("kind", ["associate", "honorary"])
def test_associate_and_honorary_members_do_not_vote(kind: str) -> None:
    assert _assess(member_kind=kind) == ["kind_not_voting"]


@pytest.mark.parametrize(("paid", "in_arrears"), [(2025, False), (2026, False), (2024, True), (None, True)])
def test_fees_paid_through_the_year_before_the_assembly(paid: int | None, in_arrears: bool) -> None:
    assert fees_required_through(RULE, STARTS) == 2025
    assert _assess(fees_paid_through=paid) == (["fees_in_arrears"] if in_arrears else [])


def test_grace_years_move_the_required_year_back() -> None:
    rule = EligibilityRule(arrears_grace_years=1)  # UN Charter Art 19 shape
    assert fees_required_through(rule, STARTS) == 2024
    assert _assess(rule, fees_paid_through=2024) == []
    assert _assess(rule, fees_paid_through=2023) == ["fees_in_arrears"]


def test_fees_exempt_kind_votes_in_arrears() -> None:
    assert _assess(member_kind="section", fees_paid_through=None) == []
    rule = EligibilityRule(fees_exempt_member_kinds=[])
    assert _assess(rule, member_kind="section", fees_paid_through=None) == ["fees_in_arrears"]


def test_configured_voting_kinds_are_used() -> None:
    rule = EligibilityRule(voting_member_kinds=[MemberKind.METROPOLIS])
    assert _assess(rule, member_kind="metropolis") == []
    assert _assess(rule) == ["kind_not_voting"]


def test_arrears_message_says_what_is_paid_and_what_is_required() -> None:
    result = assess_eligibility(RULE, assembly_starts_on=STARTS, credentials_status="accepted",
                                member_kind="local_government", member_status="active", fees_paid_through=2023)
    assert result.reasons[0].message == "fees paid through 2023; this assembly requires fees paid through 2025"


def test_every_reason_at_once_in_a_stable_order() -> None:
    codes = _assess(credentials_status="submitted", member_status="suspended", member_kind="honorary",
                    fees_paid_through=None, weight=Weight(0, "x", problem="category_not_in_table"))
    assert codes == ["credentials_not_accepted", "member_suspended", "kind_not_voting", "fees_in_arrears",
                     "category_not_in_table"]
    assert all(code in REASON_CODES for code in codes)


def test_zero_weight_holds_no_vote() -> None:
    assert _assess(weight=Weight(0, "basic votes 0 + proportional votes 0 = 0")) == ["zero_weight"]
    assert _assess(weight=Weight(3, "fine")) == []


@pytest.mark.parametrize(
    ("role", "designated", "present", "rule", "expected"),
    [
        ("head", False, True, True, None),
        ("delegate", True, True, True, None),
        ("delegate", False, True, True, "not_the_voter"),
        ("substitute", False, False, True, "not_the_voter"),
        ("substitute", True, True, True, "substitute_while_delegate_present"),
        ("substitute", True, False, True, None),
        ("substitute", True, True, False, None),
    ],
)
def test_who_may_cast(role: str, designated: bool, present: bool, rule: bool, expected: str | None) -> None:
    assert casting_problem(role=role, is_designated_voter=designated, delegate_present=present,
                           substitute_votes_only_when_delegate_absent=rule) == expected
