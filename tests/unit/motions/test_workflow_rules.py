"""Workflow tables, visibility, the support threshold, when things may be voted on, division, versions."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from assembly.assemblies.rules import RuleSet
from assembly.motions.models import AmendmentStatus, MotionStatus, PartStatus
from assembly.motions.rules import (
    AMENDMENT_WORKFLOW,
    DEFAULT_SUPPORT_THRESHOLD,
    MOTION_WORKFLOW,
    PART_WORKFLOW,
    DiffSegment,
    Paragraph,
    ParagraphInput,
    Transition,
    after_division,
    amendment_transition_refusal,
    amendment_vote_refusal,
    can_see_motion,
    compare_paragraphs,
    division_falls,
    division_refusal,
    event_audience,
    motion_transition_refusal,
    motion_visibility,
    motion_vote_refusal,
    paragraphs_from_input,
    part_transition_refusal,
    part_vote_refusal,
    submission_refusal,
    support_threshold,
)

DOCS = Path(__file__).resolve().parents[3] / "docs" / "motions.md"


def _row(t: Transition) -> str:
    return (f"| `{t.command}` | {', '.join(f'`{s}`' for s in t.sources)} | "
            f"{', '.join(f'`{s}`' for s in t.targets)} | {t.actor} | {t.rule} |")


@pytest.mark.parametrize("table", [MOTION_WORKFLOW, AMENDMENT_WORKFLOW, PART_WORKFLOW])
def test_the_docs_print_the_transition_tables_of_the_code(table: tuple[Transition, ...]) -> None:
    docs = DOCS.read_text(encoding="utf-8")
    for row in table:
        assert _row(row) in docs, _row(row)


@pytest.mark.parametrize(("table", "states"), [(MOTION_WORKFLOW, MotionStatus), (AMENDMENT_WORKFLOW, AmendmentStatus),
                                               (PART_WORKFLOW, PartStatus)])
def test_tables_name_only_real_states(table: tuple[Transition, ...], states: type) -> None:
    known = {str(s) for s in states}  # type: ignore[attr-defined]
    for row in table:
        assert set(row.sources) <= known
        assert set(row.targets) <= known


@pytest.mark.parametrize("row", MOTION_WORKFLOW, ids=lambda r: r.command)
def test_each_motion_command_runs_from_its_states_only(row: Transition) -> None:
    for status in MotionStatus:
        refusal = motion_transition_refusal(str(status), row.command)
        if str(status) in row.sources:
            assert refusal is None
        else:
            assert refusal is not None
            assert refusal.code == "motion_wrong_state"
            assert str(status) in refusal.message


def test_terminal_states_have_no_way_out() -> None:
    for terminal in ("adopted", "rejected", "withdrawn", "out_of_order"):
        assert all(terminal not in row.sources for row in MOTION_WORKFLOW)
    for terminal in ("adopted", "rejected", "withdrawn", "out_of_order", "lapsed"):
        assert all(terminal not in row.sources for row in AMENDMENT_WORKFLOW)


def test_amendment_and_part_transitions() -> None:
    assert amendment_transition_refusal("submitted", "admit", "admitted") is None
    refused = amendment_transition_refusal("lapsed", "resolve")
    assert refused is not None
    assert refused.code == "amendment_wrong_state"
    assert part_transition_refusal("pending", "resolve") is None
    refused_part = part_transition_refusal("adopted", "resolve")
    assert refused_part is not None
    assert refused_part.code == "part_wrong_state"
    with pytest.raises(ValueError, match="cannot lead"):
        motion_transition_refusal("draft", "submit", "adopted")


def test_visibility_and_audiences() -> None:
    sponsor = uuid.uuid4()
    assert motion_visibility("draft", submitted=False, admitted=False) == "sponsors"
    assert motion_visibility("submitted", submitted=True, admitted=False) == "chair"
    assert motion_visibility("out_of_order", submitted=True, admitted=False) == "public"
    assert motion_visibility("draft", submitted=True, admitted=True) == "public"  # sent back to drafting
    assert motion_visibility("withdrawn", submitted=False, admitted=False) == "sponsors"
    assert not can_see_motion("sponsors", is_sponsor=False, is_chair=True)
    assert can_see_motion("chair", is_sponsor=False, is_chair=True)
    assert can_see_motion("chair", is_sponsor=True, is_chair=False)
    assert can_see_motion("public", is_sponsor=False, is_chair=False)
    assert event_audience("sponsors", sponsor) == f"delegation:{sponsor}"
    assert event_audience("chair", sponsor) == "chair"
    assert event_audience("public", sponsor) == "public"


def test_support_threshold() -> None:
    assert support_threshold(RuleSet()) == DEFAULT_SUPPORT_THRESHOLD == 2

    class WithThreshold:
        motion_support_threshold = 5

    assert support_threshold(WithThreshold()) == 5
    assert submission_refusal(2, 2) is None
    refusal = submission_refusal(1, 2)
    assert refusal is not None
    assert refusal.code == "support_below_threshold"


def test_when_a_motion_may_be_voted_on() -> None:
    assert motion_vote_refusal(status="under_debate", pending_amendments=[], unapplied_adopted=[],
                               pending_parts=[]) is None
    for kwargs, words in (
        ({"status": "admitted"}, "only a motion under debate"),
        ({"pending_amendments": ["A2"]}, "still to decide: A2"),
        ({"unapplied_adopted": ["A1"]}, "consolidate the motion first"),
        ({"pending_parts": [2]}, "parts still to vote on: 2"),
    ):
        args = {"status": "under_debate", "pending_amendments": [], "unapplied_adopted": [], "pending_parts": [],
                **kwargs}
        refusal = motion_vote_refusal(**args)  # type: ignore[arg-type]
        assert refusal is not None
        assert refusal.code == "not_votable"
        assert words in refusal.message


def test_when_an_amendment_may_be_voted_on() -> None:
    labels = {"a": "A1", "b": "A2"}
    ok = {"motion_status": "under_debate", "status": "admitted", "voting_now": None,
          "positions": {"a": 1, "b": 2}, "labels": labels}
    assert amendment_vote_refusal("a", **ok) is None  # type: ignore[arg-type]
    cases = [
        ("b", {}, "A1 comes first"),
        ("a", {"motion_status": "admitted"}, "while it is under debate"),
        ("a", {"status": "submitted"}, "only an admitted amendment"),
        ("a", {"voting_now": "A3"}, "A3 is being voted on"),
        ("a", {"positions": {"a": 1, "b": None}}, "not placed every admitted amendment"),
    ]
    for key, changes, words in cases:
        refusal = amendment_vote_refusal(key, **{**ok, **changes})  # type: ignore[arg-type]
        assert refusal is not None
        assert words in refusal.message


def test_when_a_part_may_be_voted_on() -> None:
    assert part_vote_refusal(1, motion_status="under_debate", status="pending", voting_now=None,
                             next_pending=1) is None
    later = part_vote_refusal(2, motion_status="under_debate", status="pending", voting_now=None, next_pending=1)
    assert later is not None
    assert "part 1 comes first" in later.message


TEXT = [Paragraph("p1", "preambular", "Recalling,"), Paragraph("p2", "operative", "Calls;"),
        Paragraph("p3", "operative", "Invites;")]


def test_division() -> None:
    assert division_refusal([["p2"], ["p3", "p1"]], TEXT) is None
    unknown = division_refusal([["p2", "p7"]], TEXT)
    assert unknown is not None
    assert (unknown.code, unknown.field) == ("unknown_paragraph", "parts[0].paragraph_ids[1]")
    twice = division_refusal([["p2"], ["p3", "p2"]], TEXT)
    assert twice is not None
    assert (twice.code, twice.field) == ("paragraph_in_two_parts", "parts[1].paragraph_ids[1]")
    kept, lineage = after_division(TEXT, [(1, ["p2"])], based_on=3)
    assert [p.id for p in kept] == ["p1", "p3"]
    assert lineage["deleted"] == [{"paragraph_id": "p2", "part_number": 1}]
    # r.89: the motion falls when no operative paragraph is left, not merely when the divided parts fell.
    assert not division_falls(TEXT, kept)
    assert division_falls(TEXT, [TEXT[0]])
    assert division_falls(TEXT, [])
    preambular_only = [Paragraph("p1", "preambular", "Recalling,"), Paragraph("p2", "preambular", "Noting,")]
    assert not division_falls(preambular_only, preambular_only[:1])


def test_paragraphs_from_input_keep_ids_and_number_new_ones() -> None:
    built = paragraphs_from_input([ParagraphInput("p2", "operative", "Calls <b>now</b>;"),
                                   ParagraphInput(None, "operative", "New;")], TEXT, 4)
    assert built == ([Paragraph("p2", "operative", "Calls <strong>now</strong>;"),
                      Paragraph("p4", "operative", "New;")], 5)
    refusal = paragraphs_from_input([ParagraphInput("p9", "operative", "x")], TEXT, 4)
    assert not isinstance(refusal, tuple)
    assert refusal.code == "unknown_paragraph"


def test_compare_paragraphs_shows_deletions_where_they_stood() -> None:
    new = [TEXT[0], Paragraph("p3", "operative", "Invites all;"), Paragraph("p4", "operative", "New;")]
    diff = compare_paragraphs(TEXT, new)
    assert [(d.paragraph_id, d.status) for d in diff] == [
        ("p1", "unchanged"), ("p2", "deleted"), ("p3", "changed"), ("p4", "inserted")]
    assert diff[2].segments == [DiffSegment("delete", "Invites;"), DiffSegment("insert", "Invites all;")]
    assert diff[1].segments == [DiffSegment("delete", "Calls;")]
