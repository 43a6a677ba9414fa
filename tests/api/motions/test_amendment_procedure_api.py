"""The amendment procedure end to end through the API: two degrees, conflicts, the chair's order, resolution by
hand, lapses, consolidation with lineage and diff, rebasing, and the final vote."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assembly.motions.rules import canonical_text, sha256_hex

if TYPE_CHECKING:
    from tests.api.motions.conftest import MotionApi

A1_P2 = "Calls on local governments to publish and audit their climate budgets;"
A3_P2 = "Calls on all local and regional governments to publish and audit their climate budgets;"
A1_NEW = "Requests a progress report in 2028;"
A4_P4 = "Decides to review the matter at its next session."
A5_P4 = "Decides to close the matter."


def _ids(items: list[dict[str, Any]]) -> list[str]:
    return [item["id"] for item in items]


async def _table_the_five(api: MotionApi, motion_id: str) -> dict[str, dict[str, Any]]:
    """A1 (C): replace p2 and insert after p3; A2 (B): delete p2; A3 (B): amends A1's o1; A4 (B): replace p4;
    A5 (A): replace p4 too."""
    a1 = await api.table(motion_id, [{"op": "replace", "paragraph_id": "p2", "text": A1_P2},
                                     {"op": "insert_after", "paragraph_id": "p3", "text": A1_NEW}])
    a2 = await api.table(motion_id, [{"op": "delete", "paragraph_id": "p2"}], party=api.b)
    a3 = await api.table(motion_id, [{"op": "replace", "operation_id": "o1", "text": A3_P2}], parent=a1["id"],
                         party=api.b)
    a4 = await api.table(motion_id, [{"op": "replace", "paragraph_id": "p4", "text": A4_P4}], party=api.b)
    a5 = await api.table(motion_id, [{"op": "replace", "paragraph_id": "p4", "text": A5_P4}], party=api.a)
    return {"A1": a1, "A2": a2, "A3": a3, "A4": a4, "A5": a5}


async def test_two_degrees_conflicts_order_lapses_consolidation_and_final_vote(api: MotionApi) -> None:
    motion = await api.debated()
    mid = motion["id"]
    am = await _table_the_five(api, mid)
    assert [am[k]["label"] for k in am] == ["A1", "A2", "A3", "A4", "A5"]
    assert am["A3"]["degree"] == 2
    assert am["A3"]["parent_amendment_id"] == am["A1"]["id"]

    # A third degree is refused, and nothing changes.
    await api.refused("POST", f"/api/motions/{mid}/amendments",
                      {"parent_amendment_id": am["A3"]["id"],
                       "operations": [{"op": "replace", "operation_id": "o1", "text": "Something else;"}]},
                      api.c.headers, 422, "third_degree_amendment", field="parent_amendment_id")

    # Conflicts are flagged: A1 and A2 both touch p2, A4 and A5 both replace p4.
    detail = await api.motion(mid)
    conflicts = {a["label"]: a["conflicts_with"] for a in detail["amendments"]}
    assert conflicts == {"A1": [am["A2"]["id"]], "A2": [am["A1"]["id"]], "A3": [],
                         "A4": [am["A5"]["id"]], "A5": [am["A4"]["id"]]}

    # No vote before the chair's ruling on the order.
    await api.refused("POST", f"/api/amendments/{am['A3']['id']}/resolve", {"adopted": True, "reason": "hands"},
                      None, 409, "not_votable")
    # The order must put a second-degree amendment before the one it amends.
    await api.refused("POST", f"/api/motions/{mid}/voting-order",
                      {"amendment_ids": _ids([am["A1"], am["A3"], am["A2"], am["A4"], am["A5"]])}, None, 422,
                      "second_degree_after_parent", field="amendment_ids[1]")
    ordered = await api.order(mid, *_ids([am["A3"], am["A1"], am["A2"], am["A4"], am["A5"]]))
    assert ordered["voting_order"] == _ids([am["A3"], am["A1"], am["A2"], am["A4"], am["A5"]])
    assert (await api.events("motion.voting_order_set"))[0]["reason"] == "furthest removed first"

    # Out of order: A1 is not next.
    problem = await api.refused("POST", f"/api/amendments/{am['A1']['id']}/resolve",
                                {"adopted": True, "reason": "hands"}, None, 409, "not_votable")
    assert "A3 comes first" in problem["detail"]
    assert (await api.resolve(am["A3"]["id"], adopted=True))["status"] == "adopted"
    adopted_a1 = await api.resolve(am["A1"]["id"], adopted=True)
    assert adopted_a1["status"] == "adopted"
    # A1's adoption makes A2 moot: it lapses with its reason.
    a2 = await api.ok("GET", f"/api/amendments/{am['A2']['id']}")
    assert a2["status"] == "lapsed"
    assert a2["status_reason"] == "moot: amendment A1 was adopted, which also changes paragraph p2"
    await api.refused("POST", f"/api/amendments/{am['A2']['id']}/resolve", {"adopted": True, "reason": "hands"},
                      None, 409, "amendment_wrong_state")
    assert (await api.resolve(am["A4"]["id"], adopted=False))["status"] == "rejected"
    assert (await api.resolve(am["A5"]["id"], adopted=True))["status"] == "adopted"

    # The motion cannot be decided before consolidation.
    await api.refused("POST", f"/api/motions/{mid}/resolve", {"adopted": True, "reason": "hands"}, None, 409,
                      "not_votable")
    version = await api.ok("POST", f"/api/motions/{mid}/consolidate", status=201)
    assert version["number"] == 2
    assert version["kind"] == "consolidation"
    assert version["paragraphs"] == [
        {"id": "p1", "kind": "preambular", "text": "Recalling the New Urban Agenda,"},
        {"id": "p2", "kind": "operative", "text": A3_P2},
        {"id": "p3", "kind": "operative",
         "text": "Invites the secretariat to report to the <em>World Council</em> every year;"},
        {"id": "p5", "kind": "operative", "text": A1_NEW},
        {"id": "p4", "kind": "operative", "text": A5_P4},
    ]
    assert version["text_sha256"] == sha256_hex(canonical_text([p["text"] for p in version["paragraphs"]]))
    a1_ref = {"amendment_id": am["A1"]["id"], "amendment_number": 1}
    a3_ref = {"amendment_id": am["A3"]["id"], "amendment_number": 3}
    a5_ref = {"amendment_id": am["A5"]["id"], "amendment_number": 5}
    assert version["lineage"] == {
        "based_on": 1,
        "amendments": [a1_ref, a5_ref],
        "paragraphs": [
            {"paragraph_id": "p1", "change": "unchanged"},
            {"paragraph_id": "p2", "change": "replaced", **a1_ref, "second_degree": [a3_ref]},
            {"paragraph_id": "p3", "change": "unchanged"},
            {"paragraph_id": "p5", "change": "inserted", **a1_ref, "second_degree": []},
            {"paragraph_id": "p4", "change": "replaced", **a5_ref, "second_degree": []},
        ],
        "deleted": [],
    }
    amendments = {a["label"]: a for a in (await api.motion(mid))["amendments"]}
    assert {k: (a["status"], a["applied_in_version"]) for k, a in amendments.items()} == {
        "A1": ("adopted", 2), "A2": ("lapsed", None), "A3": ("adopted", None), "A4": ("rejected", None),
        "A5": ("adopted", 2)}

    # A readable word-level diff against the first version.
    compared = await api.ok("GET", f"/api/motions/{mid}/compare?from=1&to=2")
    by_id = {p["paragraph_id"]: p for p in compared["paragraphs"]}
    assert [p["paragraph_id"] for p in compared["paragraphs"]] == ["p1", "p2", "p3", "p5", "p4"]
    assert by_id["p2"]["status"] == "changed"
    assert by_id["p2"]["segments"] == [
        {"op": "equal", "text": "Calls on"},
        {"op": "insert", "text": "all"},
        {"op": "equal", "text": "local"},
        {"op": "insert", "text": "and regional"},
        {"op": "equal", "text": "governments to publish"},
        {"op": "insert", "text": "and audit"},
        {"op": "equal", "text": "their climate budgets;"},
    ]
    assert by_id["p5"] == {"paragraph_id": "p5", "status": "inserted", "kind": "operative",
                           "segments": [{"op": "insert", "text": A1_NEW}]}
    assert by_id["p4"]["segments"] == [{"op": "equal", "text": "Decides to"},
                                       {"op": "delete", "text": "remain seized of"}, {"op": "insert", "text": "close"},
                                       {"op": "equal", "text": "the matter."}]
    assert by_id["p1"]["status"] == "unchanged"

    # The final vote (by hand here; a ballot in the integration tests).
    decided = await api.ok("POST", f"/api/motions/{mid}/resolve", {"adopted": True, "reason": "show of hands"})
    assert decided["status"] == "adopted"
    assert decided["resolution"] == "chair"
    adopted = (await api.events("motion.adopted"))[0]
    assert adopted["version"] == 2
    assert adopted["text_sha256"] == version["text_sha256"]


async def test_an_amendment_against_an_outdated_version_is_rebased_or_refused(api: MotionApi) -> None:
    motion = await api.debated()
    mid = motion["id"]
    a1 = await api.table(mid, [{"op": "replace", "paragraph_id": "p2", "text": A1_P2}])
    await api.order(mid, a1["id"])
    await api.resolve(a1["id"], adopted=True)
    await api.ok("POST", f"/api/motions/{mid}/consolidate", status=201)
    # p3 did not change between version 1 and version 2: the amendment moves onto version 2.
    rebased = await api.table(mid, [{"op": "replace", "paragraph_id": "p3", "text": "Invites a report;"}], version=1)
    assert (rebased["target_version"], rebased["rebased_from"]) == (2, 1)
    # p2 did: refused, with the current version in the body.
    problem = await api.refused("POST", f"/api/motions/{mid}/amendments",
                                {"motion_version": 1,
                                 "operations": [{"op": "replace", "paragraph_id": "p2", "text": "Calls on all;"}]},
                                api.c.headers, 409, "version_outdated")
    assert problem["current_version"] == 2
    assert problem["changed_paragraphs"] == ["p2"]
    assert problem["current_paragraphs"][1] == {"id": "p2", "kind": "operative", "text": A1_P2}


async def test_adopting_an_amendment_lapses_the_second_degree_ones_left_over(api: MotionApi) -> None:
    motion = await api.debated()
    mid = motion["id"]
    a1 = await api.table(mid, [{"op": "replace", "paragraph_id": "p2", "text": A1_P2}])
    a2 = await api.table(mid, [{"op": "replace", "operation_id": "o1", "text": A3_P2}], parent=a1["id"],
                         admit=False)
    await api.order(mid, a1["id"])  # A2 is not admitted yet: the order places admitted amendments only
    await api.resolve(a1["id"], adopted=True)
    child = await api.ok("GET", f"/api/amendments/{a2['id']}")
    assert child["status"] == "lapsed"
    assert child["status_reason"] == "the amendment it amends, A1, was adopted before it"


async def test_withdrawing_an_amendment_lapses_its_second_degree_amendments(api: MotionApi) -> None:
    motion = await api.debated()
    a1 = await api.table(motion["id"], [{"op": "delete", "paragraph_id": "p4"}])
    a2 = await api.table(motion["id"], [{"op": "insert_after", "operation_id": "o1", "text": "Decides to act."}],
                         parent=a1["id"], party=api.b)
    withdrawn = await api.ok("POST", f"/api/amendments/{a1['id']}/withdraw", {"reason": "agreed text found"},
                             api.c.headers)
    assert withdrawn["status"] == "withdrawn"
    assert (await api.ok("GET", f"/api/amendments/{a2['id']}"))["status"] == "lapsed"


async def test_second_degree_insertion_and_deletion_reach_the_consolidated_text(api: MotionApi) -> None:
    motion = await api.debated()
    mid = motion["id"]
    a1 = await api.table(mid, [{"op": "insert_after", "paragraph_id": None, "text": "Noting the Durban declaration,",
                                "kind": "preambular"},
                               {"op": "delete", "paragraph_id": "p4"},
                               {"op": "insert_after", "paragraph_id": "p2", "text": "Encourages peer review;"}])
    a2 = await api.table(mid, [{"op": "delete", "operation_id": "o2"},
                               {"op": "insert_after", "operation_id": "o3", "text": "Welcomes city networks;"}],
                         parent=a1["id"], party=api.b)
    await api.order(mid, a2["id"], a1["id"])
    await api.resolve(a2["id"], adopted=True)
    await api.resolve(a1["id"], adopted=True)
    version = await api.ok("POST", f"/api/motions/{mid}/consolidate", status=201)
    assert [(p["id"], p["kind"], p["text"]) for p in version["paragraphs"]] == [
        ("p5", "preambular", "Noting the Durban declaration,"),
        ("p1", "preambular", "Recalling the New Urban Agenda,"),
        ("p2", "operative", "Calls on local governments to publish their climate budgets;"),
        ("p6", "operative", "Encourages peer review;"),
        ("p7", "operative", "Welcomes city networks;"),
        ("p3", "operative", "Invites the secretariat to report to the <em>World Council</em> every year;"),
        ("p4", "operative", "Decides to remain seized of the matter."),
    ]
    assert version["lineage"]["deleted"] == []
    assert version["lineage"]["paragraphs"][4] == {
        "paragraph_id": "p7", "change": "inserted", "amendment_id": a1["id"], "amendment_number": 1,
        "second_degree": [{"amendment_id": a2["id"], "amendment_number": 2}]}


async def test_an_adopted_deletion_is_in_the_lineage(api: MotionApi) -> None:
    motion = await api.debated()
    a1 = await api.table(motion["id"], [{"op": "delete", "paragraph_id": "p3"}])
    await api.order(motion["id"], a1["id"])
    await api.resolve(a1["id"], adopted=True)
    version = await api.ok("POST", f"/api/motions/{motion['id']}/consolidate", status=201)
    assert [p["id"] for p in version["paragraphs"]] == ["p1", "p2", "p4"]
    assert version["lineage"]["deleted"] == [{"paragraph_id": "p3", "amendment_id": a1["id"], "amendment_number": 1,
                                              "second_degree": []}]
    compared = await api.ok("GET", f"/api/motions/{motion['id']}/compare?from=1&to=2")
    assert [(p["paragraph_id"], p["status"]) for p in compared["paragraphs"]] == [
        ("p1", "unchanged"), ("p2", "unchanged"), ("p3", "deleted"), ("p4", "unchanged")]
