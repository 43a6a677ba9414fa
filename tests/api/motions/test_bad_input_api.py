"""Every refusal of the motions API: problem details with the stable code (and the field), nothing changed."""

from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING, Any

import pytest

from assembly.assemblies import services as assemblies
from assembly.assemblies.models import BodyKind
from assembly.core.security import Principal
from assembly.members.models import Member, MemberKind, WorldRegion
from assembly.motions.rules import MAX_PARAGRAPH_CHARS
from tests.helpers import make_user

if TYPE_CHECKING:
    from tests.api.motions.conftest import MotionApi

NOBODY = "00000000-0000-0000-0000-000000000000"


# -- Drafting ---------------------------------------------------------------------------------------


async def test_editing_someone_elses_draft_is_refused(api: MotionApi) -> None:
    motion = await api.draft()
    await api.ok("POST", f"/api/motions/{motion['id']}/cosponsors", {"delegation_id": api.b.delegation_id},
                 api.a.headers, status=201)
    body = {"expected_version": 1, "title": "Hijacked", "paragraphs": [{"text": "Something else."}]}
    path = f"/api/motions/{motion['id']}/versions"
    # The invited co-sponsor sees the draft but may not edit it; another delegation does not even see it.
    await api.refused("POST", path, body, api.b.headers, 403, "not_sponsor")
    await api.refused("POST", path, body, api.c.headers, 404, "motion_not_found")
    await api.refused("POST", f"/api/motions/{motion['id']}/submit", None, api.b.headers, 403, "not_sponsor")
    await api.refused("POST", f"/api/motions/{motion['id']}/withdraw", None, api.b.headers, 403, "not_sponsor")
    await api.refused("POST", f"/api/motions/{motion['id']}/cosponsors", {"delegation_id": api.c.delegation_id},
                      api.b.headers, 403, "not_sponsor")


@pytest.mark.parametrize(("body", "code", "field"), [
    ({"title": " \t ", "paragraphs": [{"text": "x"}]}, "empty_text", "title"),
    ({"title": "T", "paragraphs": [{"text": "<em> </em>"}]}, "empty_text", "paragraphs[0].text"),
    ({"title": "T", "paragraphs": [{"text": "x" * (MAX_PARAGRAPH_CHARS + 1)}]}, "invalid_input", "paragraphs[0].text"),
    ({"title": "T" * 301, "paragraphs": [{"text": "x"}]}, "invalid_input", "title"),
    ({"title": "T", "paragraphs": []}, "invalid_input", "paragraphs"),
    ({"title": "T", "paragraphs": [{"text": "x"}] * 201}, "invalid_input", "paragraphs"),
    ({"title": "T", "paragraphs": [{"text": "x", "kind": "decorative"}]}, "invalid_input", "paragraphs[0].kind"),
    ({"title": "T", "paragraphs": [{"text": "x", "id": "p1"}]}, "invalid_input", "paragraphs[0]"),
    ({"title": "T", "paragraphs": [{"text": "x"}], "sponsor": "me"}, "invalid_input", "body"),
])
async def test_bad_drafts_are_refused(api: MotionApi, body: dict[str, Any], code: str, field: str) -> None:
    response = await api.client.post(f"/api/assemblies/{api.assembly_id}/motions", json=body, headers=api.a.headers)
    problem = api.problem(response, 422, code)
    if field == "body":
        assert "sponsor" in problem["detail"]  # unknown fields are refused
    else:
        assert field in [error["field"] for error in problem["errors"]], problem
    assert (await api.snapshot())["motion"] == []


@pytest.mark.parametrize(("paragraphs", "code", "field"), [
    ([{"id": "p9", "text": "x"}], "unknown_paragraph", "paragraphs[0].id"),
    ([{"id": "p1", "text": "x"}, {"id": "p1", "text": "y"}], "duplicate_paragraph", "paragraphs[1].id"),
    ([{"id": "p1", "text": "  "}], "empty_text", "paragraphs[0].text"),
])
async def test_bad_revisions_are_refused(api: MotionApi, paragraphs: list[dict[str, str]], code: str,
                                         field: str) -> None:
    motion = await api.draft()
    await api.refused("POST", f"/api/motions/{motion['id']}/versions",
                      {"expected_version": 1, "title": "T", "paragraphs": paragraphs}, api.a.headers, 422, code,
                      field=field)


async def test_the_same_text_again_makes_no_version(api: MotionApi) -> None:
    motion = await api.draft()
    same = [{"id": p["id"], "kind": p["kind"], "text": p["text"]} for p in motion["current_version"]["paragraphs"]]
    await api.refused("POST", f"/api/motions/{motion['id']}/versions",
                      {"expected_version": 1, "title": motion["title"], "paragraphs": same,
                       "rationale": "Cities need budgets."}, api.a.headers, 409, "text_unchanged")


async def test_only_a_delegate_drafts_and_not_in_a_closed_assembly(api: MotionApi) -> None:
    body = {"title": "T", "paragraphs": [{"text": "x"}]}
    path = f"/api/assemblies/{api.assembly_id}/motions"
    await api.refused("POST", path, body, api.chair_headers, 403, "not_a_delegate")
    await api.refused("POST", path, body, api.admin_headers, 403, "not_a_delegate")
    await api.refused("POST", f"/api/assemblies/{uuid.uuid4()}/motions", body, api.a.headers, 404,
                      "assembly_not_found")
    await api.ok("POST", f"/api/assemblies/{api.assembly_id}/close", headers=api.admin_headers)
    await api.refused("POST", path, body, api.a.headers, 409, "assembly_closed")


async def test_a_co_sponsor_must_be_a_delegation_of_the_assembly(api: MotionApi) -> None:
    motion = await api.draft()
    path = f"/api/motions/{motion['id']}/cosponsors"
    await api.refused("POST", path, {"delegation_id": NOBODY}, api.a.headers, 422, "delegation_not_in_assembly",
                      field="delegation_id")
    # A delegation of another assembly is no better.
    admin = Principal(user_id=(await make_user(api.session, is_admin=True)).id, is_admin=True)
    other = await assemblies.create_assembly(api.session, admin, name="Executive Bureau",
                                             body_kind=BodyKind.EXECUTIVE_BUREAU, starts_on=date(2026, 5, 1),
                                             ends_on=date(2026, 5, 1), venue=None, rules=None)
    member = Member(key=f"X-{uuid.uuid4().hex[:8]}", name="Elsewhere", kind=MemberKind.LOCAL_GOVERNMENT,
                    country="FR", region=WorldRegion.EUROPE)
    api.session.add(member)
    await api.session.flush()
    foreign = await assemblies.register_delegation(api.session, admin, other.assembly.id, member_id=member.id)
    await api.session.commit()
    await api.refused("POST", path, {"delegation_id": str(foreign.assessment.delegation.id)}, api.a.headers, 422,
                      "delegation_not_in_assembly", field="delegation_id")
    await api.refused("POST", path, {"delegation_id": api.a.delegation_id}, api.a.headers, 422,
                      "sponsor_cannot_cosponsor", field="delegation_id")
    await api.refused("POST", path, {"delegation_id": "not-a-uuid"}, api.a.headers, 422, "invalid_input",
                      field="delegation_id")


async def test_invitation_refusals(api: MotionApi) -> None:
    motion = await api.draft()
    mid = motion["id"]
    accept_b = f"/api/motions/{mid}/cosponsors/{api.b.delegation_id}/accept"
    await api.refused("POST", accept_b, None, api.b.headers, 404, "motion_not_found")  # not invited: cannot see it
    await api.ok("POST", f"/api/motions/{mid}/cosponsors", {"delegation_id": api.b.delegation_id}, api.a.headers,
                 status=201)
    await api.refused("POST", f"/api/motions/{mid}/cosponsors", {"delegation_id": api.b.delegation_id},
                      api.a.headers, 409, "already_invited")
    await api.refused("POST", accept_b, None, api.a.headers, 403, "not_invited_delegation")
    await api.refused("POST", f"/api/motions/{mid}/cosponsors/{api.a.delegation_id}/accept", None, api.a.headers, 404,
                      "invitation_not_found")
    await api.ok("POST", accept_b, headers=api.b.headers)
    await api.refused("POST", f"/api/motions/{mid}/cosponsors/{api.b.delegation_id}/decline", None, api.b.headers,
                      409, "invitation_answered")


# -- Amendments -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("operations", "status", "code", "field"), [
    ([{"op": "replace", "paragraph_id": "p9", "text": "x"}], 422, "unknown_paragraph", "operations[0].paragraph_id"),
    ([{"op": "insert_after", "paragraph_id": "p1", "text": "x"}, {"op": "delete", "paragraph_id": "p7"}], 422,
     "unknown_paragraph", "operations[1].paragraph_id"),
    ([{"op": "replace", "paragraph_id": "p2", "text": "  "}], 422, "empty_text", "operations[0].text"),
    ([{"op": "replace", "paragraph_id": "p2"}], 422, "empty_text", "operations[0].text"),
    ([{"op": "replace", "paragraph_id": "p2", "text": ""}], 422, "invalid_input", "operations[0].text"),
    ([{"op": "replace", "paragraph_id": "p2", "text": "y" * (MAX_PARAGRAPH_CHARS + 1)}], 422, "invalid_input",
     "operations[0].text"),
    ([{"op": "replace", "text": "x"}], 422, "paragraph_required", "operations[0].paragraph_id"),
    ([{"op": "delete", "paragraph_id": "p2", "text": "x"}], 422, "text_not_allowed", "operations[0].text"),
    ([{"op": "replace", "paragraph_id": "p2", "text": "x", "kind": "preambular"}], 422, "kind_not_allowed",
     "operations[0].kind"),
    ([{"op": "delete", "paragraph_id": "p2"}, {"op": "replace", "paragraph_id": "p2", "text": "x"}], 422,
     "paragraph_touched_twice", "operations[1].paragraph_id"),
    ([{"op": "replace", "paragraph_id": "p4", "text": "Decides to remain seized of the matter."}], 422, "no_change",
     "operations[0].text"),
    ([{"op": "delete", "paragraph_id": p} for p in ("p1", "p2", "p3", "p4")], 422, "deletes_whole_motion",
     "operations"),
    ([{"op": "replace", "operation_id": "o1", "text": "x"}], 422, "operation_id_not_allowed",
     "operations[0].operation_id"),
    ([{"op": "move", "paragraph_id": "p2"}], 422, "invalid_input", "operations[0].op"),
    ([], 422, "invalid_input", "operations"),
])
async def test_bad_first_degree_amendments_are_refused(api: MotionApi, operations: list[dict[str, Any]], status: int,
                                                       code: str, field: str) -> None:
    motion = await api.debated()
    await api.refused("POST", f"/api/motions/{motion['id']}/amendments",
                      {"motion_version": 1, "operations": operations}, api.c.headers, status, code, field=field)


@pytest.mark.parametrize(("operations", "code", "field"), [
    ([{"op": "replace", "operation_id": "o9", "text": "x"}], "unknown_operation", "operations[0].operation_id"),
    ([{"op": "replace", "text": "x"}], "operation_required", "operations[0].operation_id"),
    ([{"op": "replace", "operation_id": "o1", "paragraph_id": "p2", "text": "x"}], "paragraph_id_not_allowed",
     "operations[0].paragraph_id"),
    ([{"op": "replace", "operation_id": "o2", "text": "x"}], "nothing_to_replace", "operations[0].operation_id"),
    ([{"op": "replace", "operation_id": "o1", "text": "Calls on all."}], "no_change", "operations[0].text"),
    ([{"op": "delete", "operation_id": "o1"}, {"op": "replace", "operation_id": "o1", "text": "x"}],
     "operation_touched_twice", "operations[1].operation_id"),
    ([{"op": "delete", "operation_id": "o1"}, {"op": "delete", "operation_id": "o2"}], "deletes_whole_amendment",
     "operations"),
])
async def test_bad_second_degree_amendments_are_refused(api: MotionApi, operations: list[dict[str, Any]], code: str,
                                                        field: str) -> None:
    motion = await api.debated()
    parent = await api.table(motion["id"], [{"op": "replace", "paragraph_id": "p2", "text": "Calls on all."},
                                            {"op": "delete", "paragraph_id": "p4"}])
    await api.refused("POST", f"/api/motions/{motion['id']}/amendments",
                      {"parent_amendment_id": parent["id"], "operations": operations}, api.b.headers, 422, code,
                      field=field)


async def test_amendment_target_refusals(api: MotionApi) -> None:
    motion = await api.debated()
    path = f"/api/motions/{motion['id']}/amendments"
    ops = [{"op": "delete", "paragraph_id": "p4"}]
    await api.refused("POST", path, {"operations": ops}, api.c.headers, 422, "motion_version_required",
                      field="motion_version")
    await api.refused("POST", path, {"motion_version": 7, "operations": ops}, api.c.headers, 422, "unknown_version",
                      field="motion_version")
    await api.refused("POST", path, {"parent_amendment_id": NOBODY, "operations": ops}, api.c.headers, 422,
                      "parent_not_found", field="parent_amendment_id")
    parent = await api.table(motion["id"], ops)
    await api.refused("POST", path, {"parent_amendment_id": parent["id"], "motion_version": 2,
                                     "operations": [{"op": "delete", "operation_id": "o1"}]},
                      api.c.headers, 422, "version_mismatch", field="motion_version")
    await api.ok("POST", f"/api/amendments/{parent['id']}/withdraw", headers=api.c.headers)
    await api.refused("POST", path, {"parent_amendment_id": parent["id"],
                                     "operations": [{"op": "insert_after", "operation_id": "o1", "text": "x"}]},
                      api.c.headers, 409, "amendment_wrong_state")
    await api.refused("POST", path, {"motion_version": 1, "operations": ops}, api.chair_headers, 403, "not_a_delegate")


async def test_amendments_are_tabled_only_while_the_motion_is_before_the_assembly(api: MotionApi) -> None:
    submitted = await api.submitted()
    body = {"motion_version": 1, "operations": [{"op": "delete", "paragraph_id": "p4"}]}
    # B co-sponsors it and so sees it; it is not yet admitted.
    await api.refused("POST", f"/api/motions/{submitted['id']}/amendments", body, api.b.headers, 409,
                      "motion_wrong_state")
    await api.refused("POST", f"/api/motions/{submitted['id']}/amendments", body, api.c.headers, 404,
                      "motion_not_found")


async def test_amendment_workflow_refusals(api: MotionApi) -> None:
    motion = await api.debated()
    amendment = await api.table(motion["id"], [{"op": "delete", "paragraph_id": "p4"}], admit=False)
    aid = amendment["id"]
    await api.refused("POST", f"/api/amendments/{aid}/withdraw", None, api.b.headers, 403, "not_sponsor")
    await api.refused("POST", f"/api/amendments/{aid}/admit", None, api.c.headers, 403, "assembly_role_required")
    await api.refused("POST", f"/api/amendments/{aid}/resolve", {"adopted": True, "reason": "x"}, None, 409,
                      "amendment_wrong_state")
    await api.refused("POST", f"/api/amendments/{aid}/rule-out-of-order", {"reason": " "}, None, 422,
                      "reason_required", field="reason")
    ruled = await api.ok("POST", f"/api/amendments/{aid}/rule-out-of-order", {"reason": "not germane"})
    assert (ruled["status"], ruled["status_reason"]) == ("out_of_order", "not germane")
    await api.refused("POST", f"/api/amendments/{aid}/admit", None, None, 409, "amendment_wrong_state")
    await api.refused("POST", f"/api/amendments/{aid}/withdraw", None, api.c.headers, 409, "amendment_wrong_state")
    await api.refused("POST", f"/api/amendments/{uuid.uuid4()}/admit", None, None, 404, "amendment_not_found")


async def test_voting_order_refusals(api: MotionApi) -> None:
    motion = await api.debated()
    mid = motion["id"]
    a1 = await api.table(mid, [{"op": "delete", "paragraph_id": "p4"}])
    a2 = await api.table(mid, [{"op": "delete", "paragraph_id": "p3"}])
    pending = await api.table(mid, [{"op": "delete", "paragraph_id": "p2"}], admit=False)
    path = f"/api/motions/{mid}/voting-order"
    await api.refused("POST", path, {"amendment_ids": [a1["id"]]}, None, 422, "order_incomplete",
                      field="amendment_ids")
    await api.refused("POST", path, {"amendment_ids": [a1["id"], a1["id"], a2["id"]]}, None, 422,
                      "duplicate_amendment", field="amendment_ids[1]")
    await api.refused("POST", path, {"amendment_ids": [a1["id"], a2["id"], pending["id"]]}, None, 422,
                      "not_orderable", field="amendment_ids[2]")
    await api.refused("POST", path, {"amendment_ids": [a1["id"], a2["id"]]}, api.a.headers, 403,
                      "assembly_role_required")
    await api.refused("POST", path, {"amendment_ids": []}, None, 422, "invalid_input", field="amendment_ids")
    # An amendment admitted after the ruling must be placed by a new ruling before any vote.
    await api.order(mid, a1["id"], a2["id"])
    await api.ok("POST", f"/api/amendments/{pending['id']}/admit")
    problem = await api.refused("POST", f"/api/amendments/{a1['id']}/resolve", {"adopted": False, "reason": "x"},
                                None, 409, "not_votable")
    assert "A3" in problem["detail"]


async def test_consolidation_refusals(api: MotionApi) -> None:
    motion = await api.debated()
    mid = motion["id"]
    await api.refused("POST", f"/api/motions/{mid}/consolidate", None, None, 409, "nothing_to_consolidate")
    a1 = await api.table(mid, [{"op": "delete", "paragraph_id": "p4"}])
    await api.refused("POST", f"/api/motions/{mid}/consolidate", None, None, 409, "amendments_pending")
    await api.refused("POST", f"/api/motions/{mid}/consolidate", None, api.a.headers, 403, "assembly_role_required")
    await api.order(mid, a1["id"])
    await api.resolve(a1["id"], adopted=True)
    await api.ok("POST", f"/api/motions/{mid}/consolidate", status=201)
    await api.refused("POST", f"/api/motions/{mid}/consolidate", None, None, 409, "nothing_to_consolidate")


async def test_resolution_needs_a_reason(api: MotionApi) -> None:
    motion = await api.debated()
    await api.refused("POST", f"/api/motions/{motion['id']}/resolve", {"adopted": True, "reason": " "}, None, 422,
                      "reason_required", field="reason")
    await api.refused("POST", f"/api/motions/{motion['id']}/resolve", {"adopted": "yes", "reason": "x"}, None, 422,
                      "invalid_input", field="adopted")


async def test_nothing_changes_in_a_closed_assembly(api: MotionApi) -> None:
    motion = await api.debated()
    amendment = await api.table(motion["id"], [{"op": "delete", "paragraph_id": "p4"}], admit=False)
    await api.ok("POST", f"/api/assemblies/{api.assembly_id}/close", headers=api.admin_headers)
    await api.refused("POST", f"/api/amendments/{amendment['id']}/admit", None, None, 409, "assembly_closed")
    await api.refused("POST", f"/api/motions/{motion['id']}/resolve", {"adopted": True, "reason": "x"}, None, 409,
                      "assembly_closed")
    await api.refused("POST", f"/api/motions/{motion['id']}/amendments",
                      {"motion_version": 1, "operations": [{"op": "delete", "paragraph_id": "p3"}]}, api.c.headers,
                      409, "assembly_closed")
