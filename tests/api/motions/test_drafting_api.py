"""Drafting through the API: a draft, its versions, co-sponsors, the support threshold, submission, withdrawal."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from assembly.motions.rules import canonical_text, sha256_hex

if TYPE_CHECKING:
    from tests.api.motions.conftest import MotionApi


async def test_a_delegate_drafts_a_motion_with_stable_paragraph_ids(api: MotionApi) -> None:
    motion = await api.draft(rationale="Cities need\r\nbudgets.")
    assert motion["status"] == "draft"
    assert motion["sponsor_delegation_id"] == api.a.delegation_id
    assert motion["sponsor_name"] == "City of Barcelona"
    version = motion["current_version"]
    assert version["number"] == 1
    assert version["kind"] == "draft"
    assert version["rationale"] == "Cities need\nbudgets."
    assert [p["id"] for p in version["paragraphs"]] == ["p1", "p2", "p3", "p4"]
    assert [p["kind"] for p in version["paragraphs"]] == ["preambular", "operative", "operative", "operative"]
    texts = [p["text"] for p in version["paragraphs"]]
    assert texts[2] == "Invites the secretariat to report to the <em>World Council</em> every year;"
    assert version["text_sha256"] == sha256_hex(canonical_text(texts))
    assert motion["support"] == {"supporters": 1, "threshold": 2}
    created = await api.events("motion.created")
    assert created[0]["version"] == 1
    # A draft is its sponsors' business: the live event goes to the sponsoring delegation only.
    assert await api.live("motion.created") == [(f"delegation:{api.a.delegation_id}", {"motion_id": motion["id"]})]


async def test_inline_formatting_is_sanitized_on_input(api: MotionApi) -> None:
    motion = await api.draft([{"text": 'A <script>alert(1)</script> <b>bold</b> <a href="x">link</a> & <i>it'}])
    text = motion["current_version"]["paragraphs"][0]["text"]
    assert text == ("A &lt;script&gt;alert(1)&lt;/script&gt; <strong>bold</strong> "
                    "&lt;a href=\"x\"&gt;link&lt;/a&gt; &amp; <em>it</em>")


async def test_a_draft_is_seen_by_its_sponsors_only(api: MotionApi) -> None:
    motion = await api.draft()
    path = f"/api/motions/{motion['id']}"
    for headers in (api.chair_headers, api.c.headers, api.stranger_headers, api.auditor_headers):
        api.problem(await api.get(path, headers), 404, "motion_not_found")
    listed = await api.ok("GET", f"/api/assemblies/{api.assembly_id}/motions", headers=api.c.headers)
    assert listed["total"] == 0
    # Invited, the other delegation may read it (to decide whether to co-sponsor).
    await api.ok("POST", f"/api/motions/{motion['id']}/cosponsors", {"delegation_id": api.b.delegation_id},
                 api.a.headers, status=201)
    assert (await api.motion(motion["id"], api.b.headers))["id"] == motion["id"]
    assert await api.live("motion.cosponsor_invited") == [
        (f"delegation:{api.a.delegation_id}", {"motion_id": motion["id"], "delegation_id": api.b.delegation_id}),
        (f"delegation:{api.b.delegation_id}", {"motion_id": motion["id"]}),
    ]


async def test_every_edit_is_a_new_immutable_version(api: MotionApi) -> None:
    motion = await api.draft()
    revised = await api.ok("POST", f"/api/motions/{motion['id']}/versions", {
        "expected_version": 1, "title": "Localizing climate finance, revised",
        "paragraphs": [{"id": "p1", "kind": "preambular", "text": "Recalling the New Urban Agenda,"},
                       {"text": "Urges every member to publish a climate budget;"},
                       {"id": "p2", "text": "Calls on local governments to publish their climate budgets;"}],
    }, api.a.headers, status=201)
    assert revised["number"] == 2
    assert revised["based_on"] == 1
    assert [p["id"] for p in revised["paragraphs"]] == ["p1", "p5", "p2"]
    versions = await api.ok("GET", f"/api/motions/{motion['id']}/versions", headers=api.a.headers)
    assert [v["number"] for v in versions] == [1, 2]  # type: ignore[index]
    first = await api.ok("GET", f"/api/motions/{motion['id']}/versions/1", headers=api.a.headers)
    assert first["paragraphs"] == motion["current_version"]["paragraphs"]
    detail = await api.motion(motion["id"], api.a.headers)
    assert detail["title"] == "Localizing climate finance, revised"
    assert detail["current_version"]["number"] == 2


async def test_a_stale_edit_gets_409_with_the_current_version(api: MotionApi) -> None:
    motion = await api.draft()
    body = {"expected_version": 1, "title": "T", "paragraphs": [{"text": "First edit."}]}
    await api.ok("POST", f"/api/motions/{motion['id']}/versions", body, api.a.headers, status=201)
    stale = {"expected_version": 1, "title": "T", "paragraphs": [{"text": "Second edit, from version 1."}]}
    problem = await api.refused("POST", f"/api/motions/{motion['id']}/versions", stale, api.a.headers, 409,
                                "version_conflict")
    assert problem["current_version"] == 2
    assert problem["current_paragraphs"] == [{"id": "p5", "kind": "operative", "text": "First edit."}]


async def test_two_concurrent_edits_of_one_draft_one_wins_the_other_gets_409(api: MotionApi) -> None:
    motion = await api.draft()
    path = f"/api/motions/{motion['id']}/versions"
    first, second = await asyncio.gather(
        api.client.post(path, json={"expected_version": 1, "title": "T", "paragraphs": [{"text": "Edit one."}]},
                        headers=api.a.headers),
        api.client.post(path, json={"expected_version": 1, "title": "T", "paragraphs": [{"text": "Edit two."}]},
                        headers=api.a.headers),
    )
    statuses = sorted([first.status_code, second.status_code])
    assert statuses == [201, 409], (first.text, second.text)
    loser = first if first.status_code == 409 else second
    winner = second if loser is first else first
    body = api.problem(loser, 409, "version_conflict")
    assert body["current_version"] == 2
    assert body["current_paragraphs"] == winner.json()["paragraphs"]
    versions = await api.ok("GET", f"/api/motions/{motion['id']}/versions", headers=api.a.headers)
    assert [v["number"] for v in versions] == [1, 2]  # type: ignore[index]  # no lost update, no third version


async def test_co_sponsors_are_invited_then_accept_or_decline(api: MotionApi) -> None:
    motion = await api.draft()
    invited = await api.ok("POST", f"/api/motions/{motion['id']}/cosponsors", {"delegation_id": api.b.delegation_id},
                           api.a.headers, status=201)
    assert invited["status"] == "invited"
    declined = await api.ok("POST", f"/api/motions/{motion['id']}/cosponsors/{api.b.delegation_id}/decline",
                            headers=api.b.headers)
    assert declined["status"] == "declined"
    await api.ok("POST", f"/api/motions/{motion['id']}/cosponsors", {"delegation_id": api.b.delegation_id},
                 api.a.headers, status=201)
    accepted = await api.ok("POST", f"/api/motions/{motion['id']}/cosponsors/{api.b.delegation_id}/accept",
                            headers=api.b.headers)
    assert accepted["status"] == "accepted"
    detail = await api.motion(motion["id"], api.a.headers)
    assert [(c["name"], c["status"]) for c in detail["cosponsors"]] == [("City of Durban", "accepted")]
    assert detail["support"] == {"supporters": 2, "threshold": 2}


async def test_submission_needs_the_support_threshold(api: MotionApi) -> None:
    motion = await api.draft()
    problem = await api.refused("POST", f"/api/motions/{motion['id']}/submit", None, api.a.headers, 409,
                                "support_below_threshold")
    assert "2 are needed" in problem["detail"]
    await api.cosponsor(motion["id"])
    submitted = await api.ok("POST", f"/api/motions/{motion['id']}/submit", headers=api.a.headers)
    assert submitted["status"] == "submitted"
    assert submitted["submitted_version"] == 1
    assert (await api.events("motion.submitted"))[0] == {"version": 1, "supporters": 2, "threshold": 2}
    # Submitted, not yet admitted: the chair sees it, the public does not.
    assert (await api.motion(motion["id"]))["status"] == "submitted"
    api.problem(await api.get(f"/api/motions/{motion['id']}", api.c.headers), 404, "motion_not_found")
    assert (await api.live("motion.submitted"))[0][0] == "chair"


async def test_a_submitted_motion_can_be_revised_before_admission_and_not_after(api: MotionApi) -> None:
    motion = await api.submitted()
    body = {"expected_version": 1, "title": "Revised", "paragraphs": [{"id": "p2", "text": "Calls on members;"}]}
    revised = await api.ok("POST", f"/api/motions/{motion['id']}/versions", body, api.a.headers, status=201)
    assert revised["kind"] == "revision"
    await api.ok("POST", f"/api/motions/{motion['id']}/admit")
    again = {"expected_version": 2, "title": "Revised", "paragraphs": [{"id": "p2", "text": "Calls on all;"}]}
    await api.refused("POST", f"/api/motions/{motion['id']}/versions", again, api.a.headers, 409, "motion_wrong_state")


async def test_the_sponsor_withdraws_before_the_vote(api: MotionApi) -> None:
    motion = await api.admitted()
    withdrawn = await api.ok("POST", f"/api/motions/{motion['id']}/withdraw", {"reason": "merged into L.4"},
                             api.a.headers)
    assert withdrawn["status"] == "withdrawn"
    assert withdrawn["status_reason"] == "merged into L.4"
    await api.refused("POST", f"/api/motions/{motion['id']}/withdraw", None, api.a.headers, 409, "motion_wrong_state")


async def test_withdrawal_without_a_body(api: MotionApi) -> None:
    motion = await api.draft()
    response = await api.client.post(f"/api/motions/{motion['id']}/withdraw", headers=api.a.headers)
    assert response.status_code == 200, response.text
    assert response.json()["status_reason"] is None
