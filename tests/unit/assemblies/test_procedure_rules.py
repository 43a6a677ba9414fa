"""Proxy rules and the state rules of assemblies, rule changes, credentials, attendance and delegates."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

import pytest

from assembly.assemblies.rules import (
    ProxyGrantFacts,
    ProxyPolicy,
    assembly_change_refusal,
    attendance_refusal,
    credentials_refusal,
    delegates_refusal,
    details_edit_refusal,
    proxies_held_in_worst_ballot,
    proxy_grant_refusal,
    rule_change_refusal,
    status_transition_refusal,
)

A, B = uuid.uuid4(), uuid.uuid4()
BALLOT_1, BALLOT_2 = uuid.uuid4(), uuid.uuid4()
ALLOWED = ProxyPolicy(allowed=True, max_per_holder=2)
OK = ProxyGrantFacts(grantor_id=A, holder_id=B, ballot_id=None, same_assembly=True, grantor_eligible=True,
                     holder_eligible=True)


def _code(policy: ProxyPolicy = ALLOWED, **changes: Any) -> str | None:
    refusal = proxy_grant_refusal(policy, replace(OK, **changes))
    return None if refusal is None else refusal.code


def test_a_proxy_between_two_eligible_delegations_is_granted() -> None:
    assert _code() is None


def test_proxy_to_self_names_the_field() -> None:
    refusal = proxy_grant_refusal(ALLOWED, replace(OK, holder_id=A))
    assert refusal is not None
    assert (refusal.code, refusal.kind, refusal.field) == ("proxy_to_self", "invalid", "holder_delegation_id")


@pytest.mark.parametrize(
    ("policy", "changes", "code"),
    [
        (ALLOWED, {"same_assembly": False}, "different_assembly"),
        (ProxyPolicy(allowed=False), {}, "proxies_not_allowed"),
        (ALLOWED, {"grantor_eligible": False}, "grantor_not_eligible"),
        (ALLOWED, {"holder_eligible": False}, "holder_not_eligible"),
        (ALLOWED, {"grantor_live_scopes": [None]}, "proxy_exists"),
        (ALLOWED, {"grantor_live_scopes": [BALLOT_1]}, "proxy_exists"),  # an assembly-wide one would cover it
        (ALLOWED, {"grantor_live_scopes": [BALLOT_1], "ballot_id": BALLOT_1}, "proxy_exists"),
        (ALLOWED, {"grantor_live_scopes": [None], "ballot_id": BALLOT_1}, "proxy_exists"),
        (ALLOWED, {"holder_gives_proxy": True}, "proxy_chain"),
        (ALLOWED, {"grantor_holds_proxies": True}, "proxy_chain"),
        (ALLOWED, {"holder_held_for_assembly": 2}, "proxy_limit_reached"),
    ],
)
def test_each_refusal(policy: ProxyPolicy, changes: dict[str, Any], code: str) -> None:
    assert _code(policy, **changes) == code


def test_refusals_come_in_the_documented_order() -> None:
    everything = {"same_assembly": False, "grantor_eligible": False, "holder_gives_proxy": True}
    assert _code(ProxyPolicy(allowed=False), **everything) == "different_assembly"
    assert _code(ProxyPolicy(allowed=False), grantor_eligible=False) == "proxies_not_allowed"


def test_ballot_scoped_proxies_for_other_ballots_coexist() -> None:
    assert _code(grantor_live_scopes=[BALLOT_1], ballot_id=BALLOT_2) is None


def test_limit_counts_proxies_carried_into_one_ballot() -> None:
    policy = ProxyPolicy(allowed=True, max_per_holder=2)
    by_ballot = {BALLOT_1: 1, BALLOT_2: 2}
    assert proxies_held_in_worst_ballot(0, by_ballot, None) == 2
    assert proxies_held_in_worst_ballot(1, by_ballot, BALLOT_1) == 2
    assert proxies_held_in_worst_ballot(1, {}, uuid.uuid4()) == 1
    # BALLOT_2 is full, so no new assembly-wide proxy; BALLOT_1 has room for one more.
    assert _code(policy, holder_held_by_ballot=by_ballot) == "proxy_limit_reached"
    assert _code(policy, holder_held_by_ballot=by_ballot, ballot_id=BALLOT_1) is None
    assert _code(policy, holder_held_for_assembly=1, holder_held_by_ballot=by_ballot,
                 ballot_id=BALLOT_1) == "proxy_limit_reached"


def test_limit_boundary() -> None:
    policy = ProxyPolicy(allowed=True, max_per_holder=3)
    assert _code(policy, holder_held_for_assembly=2) is None  # the third fits
    assert _code(policy, holder_held_for_assembly=3) == "proxy_limit_reached"


@pytest.mark.parametrize(
    ("current", "target", "code"),
    [("planned", "open", None), ("open", "open", "assembly_not_planned"), ("closed", "open", "assembly_not_planned"),
     ("open", "closed", None), ("planned", "closed", "assembly_not_open"), ("closed", "closed", "assembly_not_open")],
)
def test_status_transitions(current: str, target: str, code: str | None) -> None:
    refusal = status_transition_refusal(current, target)
    assert (refusal.code if refusal else None) == code


def test_changes_stop_when_the_assembly_closes() -> None:
    assert assembly_change_refusal("planned") is None
    assert assembly_change_refusal("open") is None
    refusal = assembly_change_refusal("closed")
    assert refusal is not None
    assert refusal.code == "assembly_closed"


def test_details_change_only_while_planned() -> None:
    assert details_edit_refusal("planned") is None
    for status in ("open", "closed"):
        refusal = details_edit_refusal(status)
        assert refusal is not None
        assert refusal.code == "assembly_not_planned"


@pytest.mark.parametrize(
    ("status", "reason", "expected"),
    [
        ("planned", None, None),
        ("planned", "typo", None),
        ("open", "adopted by the plenary", None),
        ("open", None, ("reason_required", "reason")),
        ("open", "   ", ("reason_required", "reason")),
        ("closed", "anything", ("assembly_closed", None)),
    ],
)
def test_rule_changes(status: str, reason: str | None, expected: tuple[str, str | None] | None) -> None:
    refusal = rule_change_refusal(status, reason)
    assert (None if refusal is None else (refusal.code, refusal.field)) == expected


@pytest.mark.parametrize(
    ("current", "target", "code"),
    [("submitted", "accepted", None), ("submitted", "rejected", None), ("rejected", "accepted", None),
     ("accepted", "rejected", None), ("accepted", "accepted", "credentials_already_accepted"),
     ("rejected", "rejected", "credentials_already_rejected")],
)
def test_credentials_decisions(current: str, target: Any, code: str | None) -> None:
    refusal = credentials_refusal(current, target)
    assert (refusal.code if refusal else None) == code


@pytest.mark.parametrize(
    ("kind", "checked_in", "credentials", "code"),
    [
        ("check_in", False, "submitted", None),  # seated provisionally
        ("check_in", False, "accepted", None),
        ("check_in", False, "rejected", "credentials_rejected"),
        ("check_in", True, "accepted", "already_checked_in"),
        ("check_out", True, "accepted", None),
        ("check_out", False, "accepted", "not_checked_in"),
    ],
)
def test_attendance(kind: Any, checked_in: bool, credentials: str, code: str | None) -> None:
    refusal = attendance_refusal(kind, checked_in=checked_in, credentials_status=credentials)
    assert (refusal.code if refusal else None) == code


def test_delegate_lists() -> None:
    u1, u2, u3 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert delegates_refusal([(u1, "head"), (u2, "delegate"), (u3, "substitute")], u2) is None
    assert delegates_refusal([], None) is None
    cases = [
        (([(u1, "head"), (u1, "delegate")], None), ("duplicate_delegate", "delegates[1].user_id")),
        (([(u1, "head"), (u2, "head")], None), ("multiple_heads", "delegates[1].role")),
        (([(u1, "head")], u2), ("designated_voter_not_delegate", "designated_voter_user_id")),
    ]
    for (people, voter), expected in cases:
        refusal = delegates_refusal(people, voter)
        assert refusal is not None
        assert (refusal.code, refusal.field) == expected
        assert refusal.kind == "invalid"
