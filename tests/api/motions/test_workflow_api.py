"""The chair's side of the workflow through the API: admission, rulings, debate, consensus and objections,
resolution by hand, division of the question. Each transition is recorded and emits one live event."""

from __future__ import annotations

from typing import TYPE_CHECKING

from assembly.motions.rules import MOTION_WORKFLOW

if TYPE_CHECKING:
    from tests.api.motions.conftest import MotionApi


async def test_the_chair_admits_and_opens_the_debate_and_the_motion_becomes_public(api: MotionApi) -> None:
    motion = await api.submitted()
    admitted = await api.ok("POST", f"/api/motions/{motion['id']}/admit")
    assert admitted["status"] == "admitted"
    assert admitted["admitted_at"] is not None
    # Public from now on: any logged-in user reads it.
    assert (await api.motion(motion["id"], api.stranger_headers))["status"] == "admitted"
    debated = await api.ok("POST", f"/api/motions/{motion['id']}/open-debate")
    assert debated["status"] == "under_debate"
    assert await api.live("motion.admitted") == [("public", {"motion_id": motion["id"], "status": "admitted"})]
    assert (await api.events("motion.debate_opened"))[0] == {"from_status": "admitted", "reason": None}


async def test_the_chair_rules_a_motion_out_of_order_with_a_reason(api: MotionApi) -> None:
    motion = await api.submitted()
    await api.refused("POST", f"/api/motions/{motion['id']}/rule-out-of-order", {"reason": "   "}, None, 422,
                      "reason_required", field="reason")
    ruled = await api.ok("POST", f"/api/motions/{motion['id']}/rule-out-of-order",
                         {"reason": "outside the competence of the Council"})
    assert ruled["status"] == "out_of_order"
    assert ruled["status_reason"] == "outside the competence of the Council"
    await api.refused("POST", f"/api/motions/{motion['id']}/admit", None, None, 409, "motion_wrong_state")


async def test_acting_in_the_wrong_state_is_refused_for_every_command(api: MotionApi) -> None:
    draft = await api.draft()
    mid = draft["id"]
    # Sponsor commands on a motion under debate, chair commands on a draft the chair cannot see.
    await api.refused("POST", f"/api/motions/{mid}/admit", None, None, 404, "motion_not_found")
    debated = await api.debated()
    did = debated["id"]
    for path, body in ((f"/api/motions/{did}/submit", None),
                       (f"/api/motions/{did}/cosponsors", {"delegation_id": api.c.delegation_id})):
        await api.refused("POST", path, body, api.a.headers, 409, "motion_wrong_state")
    for path, body in ((f"/api/motions/{did}/admit", None), (f"/api/motions/{did}/open-debate", None),
                       (f"/api/motions/{did}/adopt-by-consensus", None),
                       (f"/api/motions/{did}/rule-out-of-order", {"reason": "late"})):
        problem = await api.refused("POST", path, body, None, 409, "motion_wrong_state")
        assert "under_debate" in problem["detail"]


async def test_adoption_by_consensus_when_no_objection_is_recorded(api: MotionApi) -> None:
    motion = await api.debated()
    called = await api.ok("POST", f"/api/motions/{motion['id']}/call-consensus")
    assert called["status"] == "consensus_call"
    adopted = await api.ok("POST", f"/api/motions/{motion['id']}/adopt-by-consensus")
    assert (adopted["status"], adopted["resolution"]) == ("adopted", "consensus")
    recorded = (await api.events("motion.adopted"))[0]
    assert recorded["resolution"] == "consensus"
    assert recorded["from_status"] == "consensus_call"


async def test_an_objection_sends_the_motion_back_for_a_vote(api: MotionApi) -> None:
    motion = await api.debated()
    await api.ok("POST", f"/api/motions/{motion['id']}/call-consensus")
    back = await api.ok("POST", f"/api/motions/{motion['id']}/objection",
                        {"reason": "paragraph 2 goes too far"}, api.c.headers)
    assert back["status"] == "under_debate"
    assert back["status_reason"] == "objection: paragraph 2 goes too far"
    assert (await api.events("motion.objection_recorded"))[0]["delegation_id"] == api.c.delegation_id
    # No consensus without a new call.
    await api.refused("POST", f"/api/motions/{motion['id']}/adopt-by-consensus", None, None, 409,
                      "motion_wrong_state")


async def test_the_chair_records_an_objection_sending_the_motion_back_to_drafting(api: MotionApi) -> None:
    motion = await api.debated()
    await api.ok("POST", f"/api/motions/{motion['id']}/call-consensus")
    back = await api.ok("POST", f"/api/motions/{motion['id']}/objection",
                        {"reason": "no agreement on the text", "return_to": "drafting",
                         "delegation_id": api.c.delegation_id})
    assert back["status"] == "draft"
    # The sponsor redrafts (a new version) and submits again; the motion stays public.
    revised = await api.ok("POST", f"/api/motions/{motion['id']}/versions",
                           {"expected_version": 1, "title": "Localizing climate finance",
                            "paragraphs": [{"id": "p2", "text": "Calls on local governments to consider budgets;"}]},
                           api.a.headers, status=201)
    assert revised["kind"] == "revision"
    assert (await api.ok("POST", f"/api/motions/{motion['id']}/submit", headers=api.a.headers))["status"] == \
        "submitted"
    assert (await api.motion(motion["id"], api.stranger_headers))["current_version"]["number"] == 2


async def test_objection_refusals(api: MotionApi) -> None:
    motion = await api.debated()
    path = f"/api/motions/{motion['id']}/objection"
    await api.refused("POST", path, {"reason": "no"}, api.c.headers, 409, "motion_wrong_state")
    await api.ok("POST", f"/api/motions/{motion['id']}/call-consensus")
    await api.refused("POST", path, {"reason": "no", "delegation_id": api.b.delegation_id}, api.c.headers, 403,
                      "not_your_delegation")
    await api.refused("POST", path, {"reason": "no"}, api.stranger_headers, 403, "not_your_delegation")
    await api.refused("POST", path, {"reason": "no", "delegation_id": "00000000-0000-0000-0000-000000000000"}, None,
                      422, "delegation_not_in_assembly", field="delegation_id")
    await api.refused("POST", path, {"reason": "no", "return_to": "somewhere"}, api.c.headers, 422, "invalid_input",
                      field="return_to")


async def test_consensus_needs_a_votable_motion(api: MotionApi) -> None:
    motion = await api.debated()
    await api.table(motion["id"], [{"op": "delete", "paragraph_id": "p4"}])
    problem = await api.refused("POST", f"/api/motions/{motion['id']}/call-consensus", None, None, 409,
                                "not_votable")
    assert "A1" in problem["detail"]


async def test_division_parts_voted_separately_then_the_whole(api: MotionApi) -> None:
    motion = await api.debated()
    mid = motion["id"]
    divided = await api.ok("POST", f"/api/motions/{mid}/divide",
                           {"parts": [{"paragraph_ids": ["p3", "p2"]}, {"paragraph_ids": ["p1"]}],
                            "reason": "requested by Quito; no objection"})
    assert divided["motion"]["divided_version"] == 1
    parts = divided["parts"]
    assert [(p["number"], p["paragraph_ids"], p["operative"]) for p in parts] == [
        (1, ["p2", "p3"], True), (2, ["p1"], False)]
    # Amendments are closed once the question is divided; parts go in order.
    await api.refused("POST", f"/api/motions/{mid}/amendments",
                      {"motion_version": 1, "operations": [{"op": "delete", "paragraph_id": "p4"}]}, api.c.headers,
                      409, "motion_divided")
    await api.refused("POST", f"/api/motion-parts/{parts[1]['id']}/resolve", {"adopted": True, "reason": "hands"},
                      None, 409, "not_votable")
    await api.refused("POST", f"/api/motions/{mid}/resolve", {"adopted": True, "reason": "hands"}, None, 409,
                      "not_votable")
    await api.ok("POST", f"/api/motion-parts/{parts[0]['id']}/resolve", {"adopted": False, "reason": "hands"})
    after = await api.ok("POST", f"/api/motion-parts/{parts[1]['id']}/resolve", {"adopted": True, "reason": "hands"})
    # Part 1 fell; p4 (in no part) is still operative, so the motion stands: a division version without p2, p3.
    assert after["motion"]["status"] == "under_debate"
    assert after["motion"]["current_version"] == 2
    version = await api.ok("GET", f"/api/motions/{mid}/versions/2")
    assert version["kind"] == "division"
    assert [p["id"] for p in version["paragraphs"]] == ["p1", "p4"]
    assert version["lineage"]["deleted"] == [{"paragraph_id": "p2", "part_number": 1},
                                             {"paragraph_id": "p3", "part_number": 1}]
    decided = await api.ok("POST", f"/api/motions/{mid}/resolve", {"adopted": True, "reason": "as a whole"})
    assert decided["status"] == "adopted"


async def test_when_every_operative_part_falls_the_motion_falls(api: MotionApi) -> None:
    motion = await api.debated()
    mid = motion["id"]
    divided = await api.ok("POST", f"/api/motions/{mid}/divide",
                           {"parts": [{"paragraph_ids": ["p2"]}, {"paragraph_ids": ["p3", "p4"]}]})
    first, second = divided["parts"]
    await api.ok("POST", f"/api/motion-parts/{first['id']}/resolve", {"adopted": False, "reason": "hands"})
    after = await api.ok("POST", f"/api/motion-parts/{second['id']}/resolve", {"adopted": False, "reason": "hands"})
    assert after["motion"]["status"] == "rejected"
    assert after["motion"]["resolution"] == "division"
    assert after["motion"]["status_reason"] == "every operative part was rejected on the division (UN GA r.89)"


async def test_division_refusals(api: MotionApi) -> None:
    motion = await api.debated()
    path = f"/api/motions/{motion['id']}/divide"
    await api.refused("POST", path, {"parts": [{"paragraph_ids": ["p2", "p9"]}]}, None, 422, "unknown_paragraph",
                      field="parts[0].paragraph_ids[1]")
    await api.refused("POST", path, {"parts": [{"paragraph_ids": ["p2"]}, {"paragraph_ids": ["p2"]}]}, None, 422,
                      "paragraph_in_two_parts", field="parts[1].paragraph_ids[0]")
    await api.refused("POST", path, {"parts": []}, None, 422, "invalid_input", field="parts")
    await api.table(motion["id"], [{"op": "delete", "paragraph_id": "p4"}])
    await api.refused("POST", path, {"parts": [{"paragraph_ids": ["p2"]}]}, None, 409, "not_divisible")
    await api.refused("POST", path, {"parts": [{"paragraph_ids": ["p2"]}]}, api.a.headers, 403,
                      "assembly_role_required")


async def test_every_transition_of_a_full_run_is_recorded_and_emitted_once(api: MotionApi) -> None:
    motion = await api.debated()
    await api.ok("POST", f"/api/motions/{motion['id']}/resolve", {"adopted": False, "reason": "show of hands"})
    kinds = ["motion.created", "motion.cosponsor_invited", "motion.cosponsor_accepted", "motion.submitted",
             "motion.admitted", "motion.debate_opened", "motion.rejected"]
    for kind in kinds:
        assert len(await api.events(kind)) == 1, kind
    assert [audience for audience, _ in await api.live("motion.submitted")] == ["chair"]
    assert [audience for audience, _ in await api.live("motion.rejected")] == ["public"]
    # The table the docs print covers every command used here.
    assert {"submit", "admit", "open_debate", "resolve"} <= {row.command for row in MOTION_WORKFLOW}
