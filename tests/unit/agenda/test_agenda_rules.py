"""Rules of the agenda, the speakers' list and the quorum call, without a database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from assembly.agenda.rules import (
    QueuedRequest,
    SpeechTiming,
    agenda_change_refusal,
    clear_current_refusal,
    end_speech_refusal,
    floor_request_refusal,
    floor_right_refusal,
    give_floor_refusal,
    item_edit_refusal,
    item_transition_refusal,
    list_switch_refusal,
    reorder_problems,
    sitting_quorum,
    sitting_refusal,
    speaking_order,
    speech_timing,
    time_used,
    withdraw_refusal,
)
from assembly.assemblies.rules import FractionOfMembers, FractionOfWeight, MajorityOfMembers, QuorumRule

T0 = datetime(2026, 10, 12, 9, 0, tzinfo=UTC)


def _code(refusal: object) -> str | None:
    return getattr(refusal, "code", None)


# -- Sitting and items -----------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "code"), [("planned", None), ("open", None), ("closed", "assembly_closed")])
def test_agenda_is_built_until_the_assembly_closes(status: str, code: str | None) -> None:
    assert _code(agenda_change_refusal(status)) == code


@pytest.mark.parametrize(("status", "code"),
                         [("planned", "assembly_not_open"), ("open", None), ("closed", "assembly_not_open")])
def test_the_sitting_runs_only_while_the_assembly_is_open(status: str, code: str | None) -> None:
    assert _code(sitting_refusal(status)) == code


@pytest.mark.parametrize(
    ("current", "target", "code"),
    [
        ("pending", "open", None),
        ("deferred", "open", None),
        ("open", "open", "item_already_open"),
        ("closed", "open", "item_closed"),
        ("open", "closed", None),
        ("pending", "closed", "item_not_open"),
        ("deferred", "closed", "item_not_open"),
        ("closed", "closed", "item_already_closed"),
        ("pending", "deferred", None),
        ("open", "deferred", None),
        ("deferred", "deferred", "item_already_deferred"),
        ("closed", "deferred", "item_closed"),
    ],
)
def test_item_status_transitions(current: str, target: str, code: str | None) -> None:
    assert _code(item_transition_refusal(current, target)) == code


def test_a_closed_item_is_not_edited() -> None:
    assert item_edit_refusal("closed") is not None
    assert all(item_edit_refusal(s) is None for s in ("pending", "open", "deferred"))


def test_reorder_accepts_a_permutation() -> None:
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert reorder_problems([a, b, c], [c, a, b]) == []


def test_reorder_names_each_duplicate_unknown_and_missing_item() -> None:
    a, b, c, stranger = uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    problems = reorder_problems([a, b, c], [a, a, stranger])
    assert [(p.code, p.field) for p in problems] == [
        ("duplicate_items", "item_ids[1]"),
        ("unknown_items", "item_ids[2]"),
        ("missing_items", "item_ids"),
    ]
    assert str(b) in problems[2].message
    assert str(c) in problems[2].message
    assert "2 item(s)" in problems[2].message


def test_reorder_refuses_a_partial_list() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    problems = reorder_problems([a, b], [b])
    assert [(p.code, p.field) for p in problems] == [("missing_items", "item_ids")]


def test_making_current_what_already_is_is_refused() -> None:
    item = uuid.uuid4()
    assert _code(clear_current_refusal(item, item)) == "already_current"
    assert _code(clear_current_refusal(None, None)) == "already_current"
    assert clear_current_refusal(None, item) is None
    assert clear_current_refusal(item, None) is None
    assert clear_current_refusal(item, uuid.uuid4()) is None


# -- The speakers' list ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item_status", "list_open", "kind", "has_pending", "code"),
    [
        ("open", True, "speech", False, None),
        ("open", True, "point_of_order", False, None),
        ("closed", True, "speech", False, "item_closed"),
        ("pending", True, "speech", False, "item_not_open"),
        ("deferred", True, "point_of_order", False, "item_not_open"),
        ("open", False, "speech", False, "speakers_list_closed"),
        ("open", False, "point_of_order", False, None),
        ("open", True, "speech", True, "request_pending"),
        ("open", True, "point_of_order", True, "request_pending"),
    ],
)
def test_asking_for_the_floor(item_status: str, list_open: bool, kind: str, has_pending: bool,
                              code: str | None) -> None:
    refusal = floor_request_refusal(item_status=item_status, list_open=list_open, kind=kind, has_pending=has_pending)
    assert _code(refusal) == code


def test_a_delegation_whose_credentials_were_rejected_may_not_ask() -> None:
    assert _code(floor_right_refusal("rejected")) == "credentials_rejected"
    assert floor_right_refusal("submitted") is None
    assert floor_right_refusal("accepted") is None


def test_only_pending_requests_are_withdrawn() -> None:
    assert withdraw_refusal("pending") is None
    for status in ("speaking", "spoken", "withdrawn", "lapsed"):
        assert _code(withdraw_refusal(status)) == "request_not_pending"


@pytest.mark.parametrize(
    ("item_status", "speaking", "waiting", "code"),
    [
        ("open", False, 2, None),
        ("open", True, 2, "speaker_has_floor"),
        ("open", False, 0, "no_pending_requests"),
        ("closed", False, 2, "item_closed"),
        ("deferred", False, 2, "item_not_open"),
    ],
)
def test_giving_the_floor(item_status: str, speaking: bool, waiting: int, code: str | None) -> None:
    assert _code(give_floor_refusal(item_status=item_status, someone_speaking=speaking, waiting=waiting)) == code


def test_ending_a_speech_needs_a_speaker() -> None:
    assert end_speech_refusal(item_status="open", someone_speaking=True) is None
    assert _code(end_speech_refusal(item_status="open", someone_speaking=False)) == "no_current_speaker"
    assert _code(end_speech_refusal(item_status="closed", someone_speaking=False)) == "item_closed"


def test_closing_and_reopening_the_list() -> None:
    assert list_switch_refusal(item_status="open", list_open=True, open_it=False) is None
    assert list_switch_refusal(item_status="open", list_open=False, open_it=True) is None
    assert _code(list_switch_refusal(item_status="open", list_open=False, open_it=False)) == \
        "speakers_list_already_closed"
    assert _code(list_switch_refusal(item_status="open", list_open=True, open_it=True)) == "speakers_list_already_open"
    assert _code(list_switch_refusal(item_status="pending", list_open=True, open_it=False)) == "item_not_open"


def test_points_of_order_go_first_then_order_of_request() -> None:
    ids = [uuid.uuid4() for _ in range(5)]
    requests = [
        QueuedRequest(ids[0], "speech", 1),
        QueuedRequest(ids[1], "speech", 2),
        QueuedRequest(ids[2], "point_of_order", 4),
        QueuedRequest(ids[3], "speech", 3),
        QueuedRequest(ids[4], "point_of_order", 5),
    ]
    assert [r.request_id for r in speaking_order(reversed(requests))] == [ids[2], ids[4], ids[0], ids[1], ids[3]]


def test_speech_timing_within_and_past_the_limit() -> None:
    assert speech_timing(T0, T0 + timedelta(seconds=42.9), 180) == SpeechTiming(42, 138, 0)
    assert speech_timing(T0, T0 + timedelta(seconds=200), 180) == SpeechTiming(200, 0, 20)
    assert speech_timing(T0, T0 + timedelta(seconds=180), 180) == SpeechTiming(180, 0, 0)
    assert speech_timing(T0, T0 + timedelta(seconds=75), None) == SpeechTiming(75, None, 0)
    # A timestamp pair out of order never gives a negative time.
    assert speech_timing(T0, T0 - timedelta(seconds=1), 60) == SpeechTiming(0, 60, 0)


def test_time_used_sums_whole_seconds_of_each_speech() -> None:
    speeches = [(T0, T0 + timedelta(seconds=61.7)), (T0 + timedelta(minutes=5), T0 + timedelta(minutes=7))]
    assert time_used(speeches) == 61 + 120
    assert time_used([]) == 0


# -- The quorum call -------------------------------------------------------------------------------


def test_default_quorum_one_third_to_debate_majority_to_decide() -> None:
    rule = QuorumRule()  # UN GA r.67 shape: 1/3 of members to debate, a majority of members to decide
    nine_three_present = [(True, i < 3, 1) for i in range(9)]
    outcome = sitting_quorum(rule, nine_three_present)
    assert (outcome.membership_count, outcome.present_count) == (9, 3)
    assert outcome.may_debate  # 3 x 3 = 9 >= 1 x 9
    assert not outcome.may_decide  # 2 x 3 = 6 <= 9
    assert "3 x 3 = 9 >= 1 x 9 = 9" in outcome.debate.arithmetic
    assert "2 x 3 present = 6 <= 9 members" in outcome.decide.arithmetic

    five_present = sitting_quorum(rule, [(True, i < 5, 1) for i in range(9)])
    assert five_present.may_decide  # 2 x 5 = 10 > 9
    two_present = sitting_quorum(rule, [(True, i < 2, 1) for i in range(9)])
    assert not two_present.may_debate  # 2 x 3 = 6 < 9


def test_delegations_without_a_vote_are_present_but_not_counted() -> None:
    rows = [(True, True, 1), (False, True, 1), (False, True, 1), (True, False, 1), (False, False, 1)]
    outcome = sitting_quorum(QuorumRule(), rows)
    assert (outcome.membership_count, outcome.present_count, outcome.present_without_vote_count) == (2, 1, 2)
    assert not outcome.may_decide  # 2 x 1 = 2 <= 2


def test_quorum_by_weight_counts_the_weight_present() -> None:
    rule = QuorumRule(to_debate=FractionOfMembers(numerator=1, denominator=4),
                      to_decide=FractionOfWeight(numerator=1, denominator=2))
    big_present = [(True, True, 10), (True, False, 1), (True, False, 1), (True, False, 1)]
    outcome = sitting_quorum(rule, big_present)
    assert (outcome.membership_weight, outcome.present_weight) == (13, 10)
    assert outcome.may_debate  # 1 x 4 >= 1 x 4
    assert outcome.may_decide  # 10 x 2 = 20 >= 1 x 13
    small_present = [(True, False, 10), (True, True, 1), (True, True, 1), (True, True, 1)]
    outcome = sitting_quorum(rule, small_present)
    assert outcome.may_debate
    assert not outcome.may_decide  # 3 x 2 = 6 < 13


def test_nobody_present_is_never_a_quorum() -> None:
    rule = QuorumRule(to_debate=FractionOfMembers(numerator=1, denominator=3), to_decide=MajorityOfMembers())
    # With no delegation entitled to vote, 0 x 3 >= 1 x 0 would hold: nobody present still makes no quorum.
    empty = sitting_quorum(rule, [(False, True, 1)])
    assert (empty.membership_count, empty.present_without_vote_count) == (0, 1)
    assert not empty.may_debate
    assert not empty.may_decide
    assert "nobody is present" in empty.debate.arithmetic
