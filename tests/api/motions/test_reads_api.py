"""The read side through the API: lists, filters and search, one motion with all its amendments, versions,
comparisons, and the Markdown and HTML exports."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.api.motions.conftest import MotionApi


async def test_list_filter_and_search_motions(api: MotionApi) -> None:
    debated = await api.debated()
    other = await api.draft([{"text": "Welcomes the Pact for the Future & its follow-up;"}],
                            title="Pact for the Future")
    base = f"/api/assemblies/{api.assembly_id}/motions"
    # The public sees the admitted motion; the sponsor also its draft.
    public = await api.ok("GET", base, headers=api.stranger_headers)
    assert [m["id"] for m in public["items"]] == [debated["id"]]
    mine = await api.ok("GET", base, headers=api.a.headers)
    assert [m["id"] for m in mine["items"]] == [other["id"], debated["id"]]
    assert mine["total"] == 2
    drafts = await api.ok("GET", f"{base}?status=draft", headers=api.a.headers)
    assert [m["id"] for m in drafts["items"]] == [other["id"]]
    assert (await api.ok("GET", f"{base}?q=CLIMATE", headers=api.a.headers))["total"] == 1
    assert (await api.ok("GET", f"{base}?q=future%20%26%20its", headers=api.a.headers))["items"][0]["id"] == \
        other["id"]
    assert (await api.ok("GET", f"{base}?q=100%25", headers=api.a.headers))["total"] == 0
    by_sponsor = await api.ok("GET", f"{base}?sponsor_delegation_id={api.b.delegation_id}", headers=api.a.headers)
    assert by_sponsor["total"] == 0
    page = await api.ok("GET", f"{base}?limit=1&offset=1", headers=api.a.headers)
    assert ([m["id"] for m in page["items"]], page["total"]) == ([debated["id"]], 2)
    assert page["items"][0]["sponsor_name"] == "City of Barcelona"
    api.problem(await api.get(f"{base}?limit=0", api.a.headers), 422, "invalid_input")
    api.problem(await api.get(f"{base}?status=pending", api.a.headers), 422, "invalid_input")


async def test_list_and_search_amendments(api: MotionApi) -> None:
    motion = await api.debated()
    a1 = await api.table(motion["id"], [{"op": "replace", "paragraph_id": "p2", "text": "Calls on regions;"}])
    a2 = await api.table(motion["id"], [{"op": "delete", "paragraph_id": "p4"}], party=api.b, admit=False)
    base = f"/api/assemblies/{api.assembly_id}/amendments"
    everything = await api.ok("GET", base, headers=api.stranger_headers)
    assert [a["label"] for a in everything["items"]] == ["A1", "A2"]
    assert (await api.ok("GET", f"{base}?status=submitted"))["items"][0]["id"] == a2["id"]
    assert (await api.ok("GET", f"{base}?q=regions"))["items"][0]["id"] == a1["id"]
    assert (await api.ok("GET", f"{base}?sponsor_delegation_id={api.b.delegation_id}"))["total"] == 1
    assert (await api.ok("GET", f"{base}?motion_id={motion['id']}"))["total"] == 2
    one = await api.ok("GET", f"/api/amendments/{a1['id']}", headers=api.stranger_headers)
    assert one["operations"] == [{"id": "o1", "op": "replace", "paragraph_id": "p2", "operation_id": None,
                                  "text": "Calls on regions;", "kind": None}]


async def test_a_motion_with_all_its_amendments_and_their_states_in_one_response(api: MotionApi) -> None:
    motion = await api.debated()
    a1 = await api.table(motion["id"], [{"op": "delete", "paragraph_id": "p4"}])
    await api.table(motion["id"], [{"op": "insert_after", "operation_id": "o1", "text": "Decides to act."}],
                    parent=a1["id"], party=api.b, admit=False)
    await api.order(motion["id"], a1["id"])
    detail = await api.motion(motion["id"], api.stranger_headers)
    assert [(a["label"], a["degree"], a["status"], a["vote_position"]) for a in detail["amendments"]] == [
        ("A1", 1, "admitted", 1), ("A2", 2, "submitted", None)]
    assert detail["voting_order"] == [a1["id"]]
    assert detail["cosponsors"][0]["name"] == "City of Durban"
    assert detail["current_version"]["paragraphs"][0]["id"] == "p1"


async def test_compare_any_two_versions(api: MotionApi) -> None:
    motion = await api.draft()
    await api.ok("POST", f"/api/motions/{motion['id']}/versions",
                 {"expected_version": 1, "title": "T",
                  "paragraphs": [{"id": "p2", "text": "Calls on <strong>all</strong> local governments to publish "
                                                      "their climate budgets;"},
                                 {"id": "p1", "kind": "preambular", "text": "Recalling the New Urban Agenda,"}]},
                 api.a.headers, status=201)
    compared = await api.ok("GET", f"/api/motions/{motion['id']}/compare?from=2&to=1", headers=api.a.headers)
    assert compared["from_version"] == 2
    assert [(p["paragraph_id"], p["status"]) for p in compared["paragraphs"]] == [
        ("p1", "unchanged"), ("p2", "changed"), ("p3", "inserted"), ("p4", "inserted")]
    assert compared["paragraphs"][1]["segments"] == [
        {"op": "equal", "text": "Calls on"}, {"op": "delete", "text": "all"},
        {"op": "equal", "text": "local governments to publish their climate budgets;"}]
    problem = api.problem(await api.get(f"/api/motions/{motion['id']}/compare?from=1&to=9", api.a.headers), 422,
                          "unknown_version")
    assert problem["errors"] == [{"field": "to", "message": "the motion has no version 9"}]
    # Without from and to: the first version against the current one.
    default = await api.ok("GET", f"/api/motions/{motion['id']}/compare", headers=api.a.headers)
    assert (default["from_version"], default["to_version"]) == (1, 2)
    api.problem(await api.get(f"/api/motions/{motion['id']}/compare?from=0", api.a.headers), 422, "invalid_input")
    api.problem(await api.get(f"/api/motions/{motion['id']}/versions/3", api.a.headers), 404, "version_not_found")


async def _consolidated(api: MotionApi) -> str:
    motion = await api.debated()
    mid: str = motion["id"]
    a1 = await api.table(mid, [{"op": "replace", "paragraph_id": "p2",
                                "text": "Calls on <em>all</em> governments to publish budgets & plans;"}])
    a2 = await api.table(mid, [{"op": "delete", "paragraph_id": "p2"}], party=api.b)
    a3 = await api.table(mid, [{"op": "insert_after", "paragraph_id": "p4", "text": "Thanks *Quito* [for] <b>all</b>"}])
    await api.order(mid, a1["id"], a2["id"], a3["id"])
    await api.resolve(a1["id"], adopted=True)
    await api.resolve(a3["id"], adopted=True)
    await api.ok("POST", f"/api/motions/{mid}/consolidate", status=201)
    return mid


async def test_markdown_export_with_amendments_and_diff(api: MotionApi) -> None:
    mid = await _consolidated(api)
    response = await api.get(f"/api/motions/{mid}/export/markdown", api.stranger_headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/markdown")
    text = response.text
    assert text.startswith("# Localizing climate finance\n")
    assert "- Sponsor: City of Barcelona\n- Co-sponsors: City of Durban\n" in text
    assert "**p2** (operative) Calls on *all* governments to publish budgets \\& plans; *(replaced by A1, version 2)*" \
        in text
    assert "**p5** (operative) Thanks \\*Quito\\* \\[for\\] **all** *(inserted by A3, version 2)*" in text
    assert "### A2, by City of Durban: lapsed: moot: amendment A1 was adopted, which also changes paragraph p2" in text
    assert "## Changes from version 1 to version 2" in text
    assert ("**p2** (changed) Calls on [-local-] {+all+} governments to publish [-their climate budgets;-] "
            "{+budgets \\& plans;+}") in text


async def test_printable_html_export_escapes_everything(api: MotionApi) -> None:
    mid = await _consolidated(api)
    response = await api.get(f"/api/motions/{mid}/export/html", api.stranger_headers)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    page = response.text
    assert page.startswith("<!DOCTYPE html>")
    assert "@media print" in page
    assert '<span class="pid">p2</span>Calls on <em>all</em> governments to publish budgets &amp; plans;' in page
    assert "Calls on <del>local</del> <ins>all</ins> governments to publish <del>their climate budgets;</del> " \
        "<ins>budgets &amp; plans;</ins>" in page
    assert "<script" not in page
    previous = await api.get(f"/api/motions/{mid}/export/html?diff_from=2", api.stranger_headers)
    assert "Changes from version" not in previous.text
    api.problem(await api.get(f"/api/motions/{mid}/export/html?diff_from=5", api.stranger_headers), 422,
                "unknown_version")


async def test_a_motion_whose_title_tries_html_is_escaped_in_the_export(api: MotionApi) -> None:
    motion = await api.draft(title='<img src=x onerror="alert(1)">', rationale="<b>why</b>\nnot")
    page = (await api.get(f"/api/motions/{motion['id']}/export/html", api.a.headers)).text
    assert "<img" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    assert "<p>&lt;b&gt;why&lt;/b&gt;</p>" in page
    markdown = (await api.get(f"/api/motions/{motion['id']}/export/markdown", api.a.headers)).text
    assert markdown.startswith('# \\<img src=x onerror="alert(1)"\\>\n')
