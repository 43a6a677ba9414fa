"""The agenda through the API: build, edit, reorder, open, close, defer, the current item, and refusals."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from tests.api.agenda.conftest import AgendaApi, Sitting


async def _three_items(api: AgendaApi, sitting: Sitting) -> list[dict[str, Any]]:
    return [
        await api.item(sitting, title="Adoption of the agenda", kind="procedural"),
        await api.item(sitting, title="Localizing the SDGs", kind="debate", time_allotment_seconds=3600,
                       speech_limit_seconds=180),
        await api.item(sitting, title="Election of the Presidency", kind="election",
                       ballot_id=str(uuid.uuid4())),
    ]


async def test_chair_builds_the_agenda_and_everyone_reads_it(api: AgendaApi) -> None:
    sitting = await api.sitting(open_it=False)
    empty = await api.agenda(sitting)
    assert empty == {"assembly_id": sitting.assembly_id, "version": 0, "current_item_id": None,
                     "stream_position": 0, "items": []}
    motion_id = str(uuid.uuid4())
    first = await api.item(sitting, title="Adoption of the agenda", kind="procedural")
    second = await api.item(sitting, title="Motion on housing", kind="motion", motion_id=motion_id,
                            time_allotment_seconds=1800, speech_limit_seconds=120)
    assert first["position"] == 1
    assert second["position"] == 2
    assert second["status"] == "pending"
    assert second["is_current"] is False
    assert second["speakers_list_open"] is True
    assert second["version"] == 1
    assert (second["motion_id"], second["ballot_id"]) == (motion_id, None)
    assert (second["time_allotment_seconds"], second["speech_limit_seconds"]) == (1800, 120)

    agenda = await api.agenda(sitting)
    assert [i["id"] for i in agenda["items"]] == [first["id"], second["id"]]
    assert agenda["version"] == 2
    assert agenda["current_item_id"] is None
    assert agenda["stream_position"] == 2
    events = await api.live_events(sitting.assembly_id)
    assert [(seq, kind, str(subject), version) for seq, kind, subject, version, _ in events] == [
        (1, "agenda.item_created", first["id"], 1), (2, "agenda.item_created", second["id"], 1)]
    audit = await api.events("agenda.item_created")
    assert audit[1]["motion_id"] == motion_id
    assert audit[1]["position"] == 2

    # Delegates, observers and the secretariat read the same agenda and item.
    for headers in (sitting.delegates[0].headers, api.admin_headers):
        response = await api.client.get(f"/api/assemblies/{sitting.assembly_id}/agenda", headers=headers)
        assert response.json() == agenda
    one = await api.client.get(f"/api/agenda-items/{second['id']}", headers=sitting.observer_headers)
    assert one.json() == second


async def test_the_secretariat_may_act_as_chair(api: AgendaApi) -> None:
    sitting = await api.sitting()
    response = await api.client.post(f"/api/assemblies/{sitting.assembly_id}/agenda-items",
                                     json={"title": "Opening", "kind": "information"}, headers=api.admin_headers)
    assert response.status_code == 201, response.text
    opened = await api.client.post(f"/api/agenda-items/{response.json()['id']}/open", headers=api.admin_headers)
    assert opened.status_code == 200


async def test_who_may_not_build_the_agenda(api: AgendaApi) -> None:
    sitting = await api.sitting()
    other = await api.sitting()
    item = await api.item(sitting)
    before = await api.agenda_state()
    body = {"title": "Any other business", "kind": "procedural"}
    url = f"/api/assemblies/{sitting.assembly_id}/agenda-items"
    for headers in (sitting.delegates[0].headers, sitting.observer_headers, other.chair_headers):
        api.problem(await api.client.post(url, json=body, headers=headers), 403, "assembly_role_required")
        api.problem(await api.client.put(f"/api/agenda-items/{item['id']}", json=body, headers=headers), 403,
                    "assembly_role_required")
        api.problem(await api.client.post(f"/api/agenda-items/{item['id']}/open", headers=headers), 403,
                    "assembly_role_required")
        api.problem(await api.client.post(f"/api/assemblies/{sitting.assembly_id}/agenda/reorder",
                                          json={"item_ids": [item["id"]]}, headers=headers), 403,
                    "assembly_role_required")
        api.problem(await api.client.post(f"/api/assemblies/{sitting.assembly_id}/agenda/set-current",
                                          json={"item_id": item["id"]}, headers=headers), 403,
                    "assembly_role_required")
    api.problem(await api.client.post(url, json=body), 401, "unauthorized")
    api.problem(await api.client.get(f"/api/assemblies/{sitting.assembly_id}/agenda"), 401, "unauthorized")
    api.problem(await api.client.get(f"/api/agenda-items/{item['id']}"), 401, "unauthorized")
    assert await api.agenda_state() == before


async def test_unknown_assembly_and_item(api: AgendaApi) -> None:
    sitting = await api.sitting()
    before = await api.agenda_state()
    missing = uuid.uuid4()
    api.problem(await api.client.get(f"/api/assemblies/{missing}/agenda", headers=sitting.chair_headers), 404,
                "assembly_not_found")
    api.problem(await api.client.post(f"/api/assemblies/{missing}/agenda-items",
                                      json={"title": "x", "kind": "debate"}, headers=api.admin_headers), 404,
                "assembly_not_found")
    for path in ("", "/speakers"):
        api.problem(await api.client.get(f"/api/agenda-items/{missing}{path}", headers=sitting.chair_headers), 404,
                    "agenda_item_not_found")
    for command in ("open", "close", "defer"):
        api.problem(await api.client.post(f"/api/agenda-items/{missing}/{command}", headers=sitting.chair_headers),
                    404, "agenda_item_not_found")
    api.problem(await api.client.get("/api/agenda-items/not-a-uuid", headers=sitting.chair_headers), 404,
                "not_found")
    assert await api.agenda_state() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "debate"}, "title"),
        ({"title": "", "kind": "debate"}, "title"),
        ({"title": "x" * 301, "kind": "debate"}, "title"),
        ({"title": "Debate", "kind": "party"}, "kind"),
        ({"title": "Debate", "kind": "debate", "time_allotment_seconds": 0}, "time_allotment_seconds"),
        ({"title": "Debate", "kind": "debate", "speech_limit_seconds": 86_401}, "speech_limit_seconds"),
        ({"title": "Debate", "kind": "debate", "motion_id": "not-a-uuid"}, "motion_id"),
        ({"title": "Debate", "kind": "debate", "position": 1}, "position"),
    ],
)
async def test_bad_item_bodies_are_refused_naming_the_field(api: AgendaApi, body: dict[str, Any], field: str) -> None:
    sitting = await api.sitting(delegations=0)
    before = await api.agenda_state()
    response = await api.chair_post(sitting, f"/api/assemblies/{sitting.assembly_id}/agenda-items", body)
    problem = api.problem(response, 422, "invalid_input")
    assert any(field in error["field"] or field in error["message"] for error in problem["errors"]), problem
    assert await api.agenda_state() == before


async def test_chair_edits_an_item_until_it_closes(api: AgendaApi) -> None:
    sitting = await api.sitting()
    item = await api.item(sitting, motion_id=str(uuid.uuid4()))
    body = {"title": "Localizing the SDGs (revised)", "kind": "motion", "speech_limit_seconds": 300}
    response = await api.client.put(f"/api/agenda-items/{item['id']}", json=body, headers=sitting.chair_headers)
    assert response.status_code == 200, response.text
    edited = response.json()
    assert (edited["title"], edited["kind"], edited["speech_limit_seconds"]) == (body["title"], "motion", 300)
    assert edited["motion_id"] is None  # PUT replaces: an omitted link is cleared
    assert edited["version"] == item["version"] + 1
    assert (await api.live_events(sitting.assembly_id))[-1][1:4] == ("agenda.item_updated", uuid.UUID(item["id"]), 2)
    audit = await api.events("agenda.item_updated")
    assert audit[0]["before"]["title"] == item["title"]
    assert audit[0]["after"]["title"] == body["title"]

    await api.chair_post(sitting, f"/api/agenda-items/{item['id']}/open")
    await api.chair_post(sitting, f"/api/agenda-items/{item['id']}/close")
    before = await api.agenda_state()
    closed = await api.client.put(f"/api/agenda-items/{item['id']}", json=body, headers=sitting.chair_headers)
    api.problem(closed, 409, "item_closed")
    assert await api.agenda_state() == before


async def test_reorder_with_the_full_new_order(api: AgendaApi) -> None:
    sitting = await api.sitting()
    first, second, third = await _three_items(api, sitting)
    response = await api.chair_post(sitting, f"/api/assemblies/{sitting.assembly_id}/agenda/reorder",
                                    {"item_ids": [third["id"], first["id"], second["id"]]})
    assert response.status_code == 200, response.text
    agenda = response.json()
    assert [(i["id"], i["position"]) for i in agenda["items"]] == [
        (third["id"], 1), (first["id"], 2), (second["id"], 3)]
    assert all(i["version"] == 2 for i in agenda["items"])  # every item moved
    assert agenda["version"] == 4
    assert agenda == await api.agenda(sitting)
    last = (await api.live_events(sitting.assembly_id))[-1]
    assert last[1:4] == ("agenda.reordered", uuid.UUID(sitting.assembly_id), 4)
    assert agenda["stream_position"] == last[0]
    audit = await api.events("agenda.reordered")
    assert audit[0]["before"] == [first["id"], second["id"], third["id"]]
    assert audit[0]["after"] == [third["id"], first["id"], second["id"]]


async def test_reorder_refuses_unknown_missing_and_repeated_items(api: AgendaApi) -> None:
    sitting = await api.sitting()
    other = await api.sitting(delegations=0)
    foreign = await api.item(other)
    first, second, third = await _three_items(api, sitting)
    url = f"/api/assemblies/{sitting.assembly_id}/agenda/reorder"
    before = await api.agenda_state()
    unknown = await api.chair_post(sitting, url, {"item_ids": [first["id"], second["id"], third["id"], foreign["id"]]})
    problem = api.problem(unknown, 422, "unknown_items", field="item_ids[3]")
    assert problem["errors"] == [{"field": "item_ids[3]", "message": "not an item of this agenda"}]
    missing = await api.chair_post(sitting, url, {"item_ids": [second["id"], first["id"]]})
    problem = api.problem(missing, 422, "missing_items", field="item_ids")
    assert third["id"] in problem["detail"]
    repeated = await api.chair_post(sitting, url, {"item_ids": [first["id"], first["id"], second["id"]]})
    problem = api.problem(repeated, 422, "duplicate_items", field="item_ids[1]")
    assert [e["field"] for e in problem["errors"]] == ["item_ids[1]", "item_ids"]  # third is missing too
    api.problem(await api.chair_post(sitting, url, {"item_ids": []}), 422, "invalid_input")
    api.problem(await api.chair_post(sitting, url, {"item_ids": ["nope"]}), 422, "invalid_input")
    assert await api.agenda_state() == before


async def test_opening_an_item_makes_it_the_one_current_item(api: AgendaApi) -> None:
    sitting = await api.sitting()
    first, second, _ = await _three_items(api, sitting)
    opened = (await api.chair_post(sitting, f"/api/agenda-items/{first['id']}/open")).json()
    assert (opened["status"], opened["is_current"]) == ("open", True)
    assert opened["opened_at"] is not None
    types = [e[1] for e in await api.live_events(sitting.assembly_id)]
    assert types[-2:] == ["agenda.item_opened", "agenda.current_changed"]

    await api.chair_post(sitting, f"/api/agenda-items/{second['id']}/open")
    agenda = await api.agenda(sitting)
    assert agenda["current_item_id"] == second["id"]
    assert [i["is_current"] for i in agenda["items"]] == [False, True, False]
    assert [i["status"] for i in agenda["items"]] == ["open", "open", "pending"]  # a ballot may stay open
    changed = (await api.live_events(sitting.assembly_id))[-1]
    assert changed[1] == "agenda.current_changed"
    assert changed[4] == {"previous_item_id": first["id"]}


async def test_set_current_moves_or_clears_the_current_item(api: AgendaApi) -> None:
    sitting = await api.sitting()
    first, second, _ = await _three_items(api, sitting)
    url = f"/api/assemblies/{sitting.assembly_id}/agenda/set-current"
    moved = await api.chair_post(sitting, url, {"item_id": second["id"]})
    assert moved.status_code == 200, moved.text
    assert moved.json()["current_item_id"] == second["id"]
    assert [i["status"] for i in moved.json()["items"]] == ["pending"] * 3  # current is not open
    await api.chair_post(sitting, url, {"item_id": first["id"]})
    cleared = await api.chair_post(sitting, url, {"item_id": None})
    assert cleared.json()["current_item_id"] is None
    assert not any(i["is_current"] for i in cleared.json()["items"])
    events = [e for e in await api.live_events(sitting.assembly_id) if e[1] == "agenda.current_changed"]
    assert [(str(e[2]) if e[2] else None, e[4]["previous_item_id"]) for e in events] == [
        (second["id"], None), (first["id"], second["id"]), (None, first["id"])]


async def test_set_current_refusals(api: AgendaApi) -> None:
    sitting = await api.sitting()
    other = await api.sitting(delegations=0)
    foreign = await api.item(other)
    item = await api.item(sitting)
    url = f"/api/assemblies/{sitting.assembly_id}/agenda/set-current"
    before = await api.agenda_state()
    api.problem(await api.chair_post(sitting, url, {"item_id": foreign["id"]}), 422, "unknown_item", field="item_id")
    api.problem(await api.chair_post(sitting, url, {"item_id": None}), 409, "already_current")
    api.problem(await api.chair_post(sitting, url, {}), 422, "invalid_input")
    assert await api.agenda_state() == before
    await api.chair_post(sitting, url, {"item_id": item["id"]})
    before = await api.agenda_state()
    api.problem(await api.chair_post(sitting, url, {"item_id": item["id"]}), 409, "already_current")
    assert await api.agenda_state() == before


async def test_status_commands_follow_the_item_workflow(api: AgendaApi) -> None:
    sitting = await api.sitting()
    item = await api.item(sitting)
    base = f"/api/agenda-items/{item['id']}"
    before = await api.agenda_state()
    api.problem(await api.chair_post(sitting, f"{base}/close"), 409, "item_not_open")
    assert await api.agenda_state() == before
    deferred = (await api.chair_post(sitting, f"{base}/defer")).json()
    assert (deferred["status"], deferred["opened_at"]) == ("deferred", None)
    before = await api.agenda_state()
    api.problem(await api.chair_post(sitting, f"{base}/defer"), 409, "item_already_deferred")
    api.problem(await api.chair_post(sitting, f"{base}/close"), 409, "item_not_open")
    assert await api.agenda_state() == before
    reopened = (await api.chair_post(sitting, f"{base}/open")).json()
    assert reopened["status"] == "open"
    api.problem(await api.chair_post(sitting, f"{base}/open"), 409, "item_already_open")
    closed = (await api.chair_post(sitting, f"{base}/close")).json()
    assert closed["status"] == "closed"
    assert closed["closed_at"] is not None
    assert closed["is_current"] is True  # the sitting stays on it until the chair moves on
    before = await api.agenda_state()
    for command, code in (("open", "item_closed"), ("defer", "item_closed"), ("close", "item_already_closed")):
        api.problem(await api.chair_post(sitting, f"{base}/{command}"), 409, code)
    assert await api.agenda_state() == before
    kinds = [e[1] for e in await api.live_events(sitting.assembly_id)]
    assert kinds[1:] == ["agenda.item_deferred", "agenda.item_opened", "agenda.current_changed",
                         "agenda.item_closed"]
    audit = await api.events("agenda.item_closed")
    assert audit == [{"previous_status": "open", "status": "closed", "version": closed["version"],
                      "speech_ended": False, "requests_lapsed": 0, "agenda_version": 4}]


async def test_the_sitting_commands_wait_for_the_assembly_to_open(api: AgendaApi) -> None:
    sitting = await api.sitting(open_it=False)
    item = await api.item(sitting)  # the agenda is built before the sitting
    before = await api.agenda_state()
    for command in ("open", "close", "defer"):
        api.problem(await api.chair_post(sitting, f"/api/agenda-items/{item['id']}/{command}"), 409,
                    "assembly_not_open")
    api.problem(await api.chair_post(sitting, f"/api/assemblies/{sitting.assembly_id}/agenda/set-current",
                                     {"item_id": item["id"]}), 409, "assembly_not_open")
    assert await api.agenda_state() == before


async def test_a_closed_assemblys_agenda_is_final(api: AgendaApi) -> None:
    sitting = await api.sitting()
    item = await api.item(sitting)
    await api.close(sitting.assembly_id)
    before = await api.agenda_state()
    api.problem(await api.chair_post(sitting, f"/api/assemblies/{sitting.assembly_id}/agenda-items",
                                     {"title": "Late", "kind": "debate"}), 409, "assembly_closed")
    api.problem(await api.client.put(f"/api/agenda-items/{item['id']}", json={"title": "x", "kind": "debate"},
                                     headers=sitting.chair_headers), 409, "assembly_closed")
    api.problem(await api.chair_post(sitting, f"/api/assemblies/{sitting.assembly_id}/agenda/reorder",
                                     {"item_ids": [item["id"]]}), 409, "assembly_closed")
    api.problem(await api.chair_post(sitting, f"/api/agenda-items/{item['id']}/open"), 409, "assembly_not_open")
    assert await api.agenda_state() == before


async def test_check_in_and_out_emit_attendance_changed(api: AgendaApi) -> None:
    sitting = await api.sitting()
    delegation = sitting.delegates[0].delegation_id
    await api.chair_post(sitting, f"/api/delegations/{delegation}/check-in")
    await api.chair_post(sitting, f"/api/delegations/{delegation}/check-out")
    events = await api.live_events(sitting.assembly_id)
    assert [(e[1], str(e[2]), e[4]) for e in events] == [
        ("attendance.changed", delegation, {"checked_in": True}),
        ("attendance.changed", delegation, {"checked_in": False}),
    ]
    before = await api.agenda_state()
    api.problem(await api.chair_post(sitting, f"/api/delegations/{delegation}/check-out"), 409, "not_checked_in")
    assert await api.agenda_state() == before, "a refused check-out emits nothing"
