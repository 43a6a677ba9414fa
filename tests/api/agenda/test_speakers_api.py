"""The speakers' list through the API: requests, points of order, positions, the floor, timing, refusals."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import text

from tests.api.agenda.conftest import AgendaApi, Sitting


def _url(item_id: str, command: str) -> str:
    return f"/api/agenda-items/{item_id}/speakers/{command}"


async def _ask(api: AgendaApi, item_id: str, headers: dict[str, str], kind: str = "speech") -> dict[str, Any]:
    response = await api.client.post(_url(item_id, "requests"), json={"kind": kind}, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _sitting_with_open_item(api: AgendaApi, delegations: int = 3, **item: object) -> tuple[Sitting, str]:
    sitting = await api.sitting(delegations)
    opened = await api.opened_item(sitting, **item)
    return sitting, opened["id"]


async def test_delegates_queue_in_order_and_see_their_position(api: AgendaApi) -> None:
    sitting, item_id = await _sitting_with_open_item(api)
    a, b, c = sitting.delegates
    first = await _ask(api, item_id, a.headers)
    assert first["my_position"] == 1
    assert first["my_delegation_id"] == a.delegation_id
    await _ask(api, item_id, b.headers)
    third = await _ask(api, item_id, c.headers)
    assert third["my_position"] == 3
    assert [w["delegation_id"] for w in third["waiting"]] == [a.delegation_id, b.delegation_id, c.delegation_id]
    assert [w["position"] for w in third["waiting"]] == [1, 2, 3]
    assert [w["request_no"] for w in third["waiting"]] == [1, 2, 3]
    assert third["waiting"][0]["member_name"].startswith("Municipality")

    # Each reader sees their own delegation's place; an observer has none.
    assert (await api.speakers(item_id, b.headers))["my_position"] == 2
    seen = await api.speakers(item_id, sitting.observer_headers)
    assert (seen["my_position"], seen["my_request"], seen["my_delegation_id"]) == (None, None, None)
    assert seen["current_speaker"] is None
    assert seen["list_open"] is True
    events = await api.live_events(sitting.assembly_id)
    assert [e[1] for e in events[-3:]] == ["speakers.changed"] * 3
    assert [e[3] for e in events[-3:]] == [3, 4, 5]  # the item's version
    assert events[-1][4] == {"change": "floor_requested"}
    assert seen["stream_position"] == events[-1][0]


async def test_a_point_of_order_goes_to_the_front(api: AgendaApi) -> None:
    sitting, item_id = await _sitting_with_open_item(api)
    a, b, c = sitting.delegates
    await _ask(api, item_id, a.headers)
    await _ask(api, item_id, b.headers)
    state = await _ask(api, item_id, c.headers, kind="point_of_order")
    assert [(w["delegation_id"], w["kind"]) for w in state["waiting"]] == [
        (c.delegation_id, "point_of_order"), (a.delegation_id, "speech"), (b.delegation_id, "speech")]
    assert state["my_position"] == 1
    floor = await api.chair_post(sitting, _url(item_id, "give-floor"), {})
    assert floor.json()["current_speaker"]["delegation_id"] == c.delegation_id


async def test_the_chair_gives_the_floor_and_ends_the_speech(api: AgendaApi) -> None:
    sitting, item_id = await _sitting_with_open_item(api, speech_limit_seconds=180, time_allotment_seconds=600)
    a, b, _ = sitting.delegates
    await _ask(api, item_id, a.headers)
    await _ask(api, item_id, b.headers)
    given = await api.chair_post(sitting, _url(item_id, "give-floor"))  # no body: the next in order
    assert given.status_code == 200, given.text
    state = given.json()
    speaker = state["current_speaker"]
    assert (speaker["delegation_id"], speaker["status"], speaker["position"]) == (a.delegation_id, "speaking", None)
    assert speaker["started_at"] is not None
    assert speaker["elapsed_seconds"] == 0
    assert speaker["remaining_seconds"] == 180
    assert [w["delegation_id"] for w in state["waiting"]] == [b.delegation_id]
    assert state["waiting"][0]["position"] == 1
    mine = await api.speakers(item_id, a.headers)
    assert mine["my_request"]["status"] == "speaking"
    assert mine["my_position"] is None

    # Speaking time runs on the database's clock: move the start 200 s back and read again.
    async with api.database.engine.begin() as connection:
        await connection.execute(text(
            "UPDATE speaker_request SET started_at = started_at - interval '200 seconds' WHERE status = 'speaking'"))
    timed = await api.speakers(item_id, sitting.observer_headers)
    current = timed["current_speaker"]
    assert current["elapsed_seconds"] >= 200
    assert current["remaining_seconds"] == 0
    assert current["overrun_seconds"] == current["elapsed_seconds"] - 180
    assert timed["time_used_seconds"] == current["elapsed_seconds"]
    assert timed["time_remaining_seconds"] == 600 - timed["time_used_seconds"]

    ended = await api.chair_post(sitting, _url(item_id, "end-speech"))
    assert ended.status_code == 200, ended.text
    state = ended.json()
    assert state["current_speaker"] is None
    assert [(s["delegation_id"], s["status"]) for s in state["spoken"]] == [(a.delegation_id, "spoken")]
    assert state["spoken"][0]["ended_at"] is not None
    assert state["spoken"][0]["elapsed_seconds"] >= 200
    audit = await api.events("speakers.speech_ended")
    assert audit[0]["elapsed_seconds"] >= 200
    assert audit[0]["overrun_seconds"] >= 20

    await api.chair_post(sitting, _url(item_id, "give-floor"), {})
    assert (await api.speakers(item_id, b.headers))["my_request"]["status"] == "speaking"


async def test_the_chair_may_choose_whom_to_give_the_floor(api: AgendaApi) -> None:
    sitting, item_id = await _sitting_with_open_item(api)
    a, b, _ = sitting.delegates
    await _ask(api, item_id, a.headers)
    second = await _ask(api, item_id, b.headers)
    chosen = second["my_request"]["request_id"]
    given = await api.chair_post(sitting, _url(item_id, "give-floor"), {"request_id": chosen})
    assert given.json()["current_speaker"]["request_id"] == chosen
    assert await api.events("speakers.floor_given") == [{
        "agenda_item_id": item_id, "version": given.json()["version"], "request_id": chosen,
        "delegation_id": b.delegation_id, "kind": "speech", "chosen_by_chair": True,
    }]


async def test_giving_the_floor_refusals(api: AgendaApi) -> None:
    sitting, item_id = await _sitting_with_open_item(api)
    other_sitting, other_item = await _sitting_with_open_item(api)
    a, b, _ = sitting.delegates
    foreign = await _ask(api, other_item, other_sitting.delegates[0].headers)
    before = await api.agenda_state()
    api.problem(await api.chair_post(sitting, _url(item_id, "give-floor"), {}), 409, "no_pending_requests")
    api.problem(await api.chair_post(sitting, _url(item_id, "end-speech")), 409, "no_current_speaker")
    assert await api.agenda_state() == before

    await _ask(api, item_id, a.headers)
    await _ask(api, item_id, b.headers)
    before = await api.agenda_state()
    foreign_id = foreign["my_request"]["request_id"]
    api.problem(await api.chair_post(sitting, _url(item_id, "give-floor"), {"request_id": foreign_id}), 422,
                "unknown_request", field="request_id")
    api.problem(await api.chair_post(sitting, _url(item_id, "give-floor"), {"request_id": "x"}), 422,
                "invalid_input")
    for headers in (a.headers, sitting.observer_headers, other_sitting.chair_headers):
        for command in ("give-floor", "end-speech", "close", "reopen"):
            api.problem(await api.client.post(_url(item_id, command), json={}, headers=headers), 403,
                        "assembly_role_required")
    api.problem(await api.client.post(_url(item_id, "give-floor"), json={}), 401, "unauthorized")
    assert await api.agenda_state() == before

    state = (await api.chair_post(sitting, _url(item_id, "give-floor"), {})).json()
    speaking_id = state["current_speaker"]["request_id"]
    before = await api.agenda_state()
    api.problem(await api.chair_post(sitting, _url(item_id, "give-floor"), {}), 409, "speaker_has_floor")
    assert await api.agenda_state() == before
    await api.chair_post(sitting, _url(item_id, "end-speech"))
    before = await api.agenda_state()
    api.problem(await api.chair_post(sitting, _url(item_id, "give-floor"), {"request_id": speaking_id}), 409,
                "request_not_pending")
    assert await api.agenda_state() == before


async def test_who_may_not_ask_for_the_floor(api: AgendaApi) -> None:
    sitting, item_id = await _sitting_with_open_item(api)
    other_sitting = await api.sitting(1)
    rejected = await api.delegate(sitting.assembly_id, accept=False)
    await api.client.post(f"/api/delegations/{rejected.delegation_id}/credentials/reject",
                          json={"reason": "no mandate"}, headers=api.admin_headers)
    before = await api.agenda_state()
    for headers in (sitting.observer_headers, sitting.chair_headers, api.admin_headers,
                    other_sitting.delegates[0].headers):
        response = await api.client.post(_url(item_id, "requests"), json={"kind": "speech"}, headers=headers)
        api.problem(response, 403, "not_a_delegate")
    api.problem(await api.client.post(_url(item_id, "requests"), json={"kind": "speech"},
                                      headers=rejected.headers), 403, "credentials_rejected")
    api.problem(await api.client.post(_url(item_id, "requests"), json={"kind": "speech"}), 401, "unauthorized")
    api.problem(await api.client.post(_url(item_id, "requests"), json={"kind": "rant"},
                                      headers=sitting.delegates[0].headers), 422, "invalid_input")
    api.problem(await api.client.post(_url(str(uuid.uuid4()), "requests"), json={"kind": "speech"},
                                      headers=sitting.delegates[0].headers), 404, "agenda_item_not_found")
    assert await api.agenda_state() == before


async def test_a_provisionally_seated_delegation_may_speak(api: AgendaApi) -> None:
    sitting, item_id = await _sitting_with_open_item(api, delegations=0)
    provisional = await api.delegate(sitting.assembly_id, accept=False)
    in_arrears = await api.delegate(sitting.assembly_id, fees_paid_through=2019)
    assert (await _ask(api, item_id, provisional.headers))["my_position"] == 1
    assert (await _ask(api, item_id, in_arrears.headers))["my_position"] == 2


async def test_one_pending_request_per_delegation(api: AgendaApi) -> None:
    sitting, item_id = await _sitting_with_open_item(api)
    a = sitting.delegates[0]
    await _ask(api, item_id, a.headers)
    before = await api.agenda_state()
    for kind in ("speech", "point_of_order"):
        response = await api.client.post(_url(item_id, "requests"), json={"kind": kind}, headers=a.headers)
        api.problem(response, 409, "request_pending")
    assert await api.agenda_state() == before
    # Once the first has been heard, the delegation may ask again.
    await api.chair_post(sitting, _url(item_id, "give-floor"), {})
    again = await _ask(api, item_id, a.headers)
    assert again["my_request"]["status"] == "speaking"  # the speech under way is "mine"
    assert [w["delegation_id"] for w in again["waiting"]] == [a.delegation_id]


async def test_two_requests_of_one_delegation_at_once_one_wins(api: AgendaApi) -> None:
    sitting, item_id = await _sitting_with_open_item(api)
    a = sitting.delegates[0]
    # A second delegate of the same delegation asks at the same moment as the head.
    colleague, colleague_headers = await api.user()
    response = await api.client.put(
        f"/api/delegations/{a.delegation_id}/delegates",
        json={"delegates": [{"user_id": str(a.user.id), "role": "head"},
                            {"user_id": str(colleague.id), "role": "delegate"}]},
        headers=api.admin_headers)
    assert response.status_code == 200, response.text
    answers = await asyncio.gather(
        api.client.post(_url(item_id, "requests"), json={"kind": "speech"}, headers=a.headers),
        api.client.post(_url(item_id, "requests"), json={"kind": "speech"}, headers=colleague_headers),
    )
    assert sorted(r.status_code for r in answers) == [201, 409]
    api.problem(next(r for r in answers if r.status_code == 409), 409, "request_pending")
    async with api.database.engine.connect() as connection:
        pending = (await connection.execute(text(
            "SELECT count(*) FROM speaker_request WHERE delegation_id = :d AND status = 'pending'"),
            {"d": a.delegation_id})).scalar_one()
    assert pending == 1


async def test_withdrawing_a_request(api: AgendaApi) -> None:
    sitting, item_id = await _sitting_with_open_item(api)
    a, b, c = sitting.delegates
    mine = (await _ask(api, item_id, a.headers))["my_request"]["request_id"]
    theirs = (await _ask(api, item_id, b.headers))["my_request"]["request_id"]
    await _ask(api, item_id, c.headers)
    before = await api.agenda_state()
    api.problem(await api.client.post(f"/api/speaker-requests/{mine}/withdraw", headers=b.headers), 403,
                "not_your_request")
    api.problem(await api.client.post(f"/api/speaker-requests/{mine}/withdraw", headers=sitting.observer_headers),
                403, "not_your_request")
    api.problem(await api.client.post(f"/api/speaker-requests/{uuid.uuid4()}/withdraw", headers=a.headers), 404,
                "speaker_request_not_found")
    assert await api.agenda_state() == before

    withdrawn = await api.client.post(f"/api/speaker-requests/{mine}/withdraw", headers=a.headers)
    assert withdrawn.status_code == 200, withdrawn.text
    state = withdrawn.json()
    assert state["my_request"] is None
    assert [w["delegation_id"] for w in state["waiting"]] == [b.delegation_id, c.delegation_id]
    assert (await api.speakers(item_id, c.headers))["my_position"] == 2
    before = await api.agenda_state()
    api.problem(await api.client.post(f"/api/speaker-requests/{mine}/withdraw", headers=a.headers), 409,
                "request_not_pending")
    assert await api.agenda_state() == before
    # The chair may take a request off the list.
    by_chair = await api.client.post(f"/api/speaker-requests/{theirs}/withdraw", headers=sitting.chair_headers)
    assert [w["delegation_id"] for w in by_chair.json()["waiting"]] == [c.delegation_id]
    audit = await api.events("speakers.request_withdrawn")
    assert [e["delegation_id"] for e in audit] == [a.delegation_id, b.delegation_id]


async def test_a_closed_list_refuses_speeches_but_hears_points_of_order(api: AgendaApi) -> None:
    sitting, item_id = await _sitting_with_open_item(api)
    a, b, c = sitting.delegates
    await _ask(api, item_id, a.headers)
    closed = await api.chair_post(sitting, _url(item_id, "close"))
    assert closed.json()["list_open"] is False
    before = await api.agenda_state()
    api.problem(await api.client.post(_url(item_id, "requests"), json={"kind": "speech"}, headers=b.headers), 409,
                "speakers_list_closed")
    api.problem(await api.chair_post(sitting, _url(item_id, "close")), 409, "speakers_list_already_closed")
    assert await api.agenda_state() == before
    point = await _ask(api, item_id, c.headers, kind="point_of_order")
    assert point["my_position"] == 1
    # Those already on a closed list still speak.
    await api.chair_post(sitting, _url(item_id, "give-floor"), {})
    await api.chair_post(sitting, _url(item_id, "end-speech"))
    given = await api.chair_post(sitting, _url(item_id, "give-floor"), {})
    assert given.json()["current_speaker"]["delegation_id"] == a.delegation_id
    reopened = await api.chair_post(sitting, _url(item_id, "reopen"))
    assert reopened.json()["list_open"] is True
    api.problem(await api.chair_post(sitting, _url(item_id, "reopen")), 409, "speakers_list_already_open")
    assert (await _ask(api, item_id, b.headers))["my_position"] == 1
    changes = [e[4]["change"] for e in await api.live_events(sitting.assembly_id) if e[1] == "speakers.changed"]
    assert changes == ["floor_requested", "list_closed", "floor_requested", "floor_given", "speech_ended",
                       "floor_given", "list_reopened", "floor_requested"]


async def test_closing_the_item_ends_the_speech_and_lapses_the_list(api: AgendaApi) -> None:
    sitting, item_id = await _sitting_with_open_item(api)
    a, b, c = sitting.delegates
    for delegate in (a, b):
        await _ask(api, item_id, delegate.headers)
    no_body = await api.client.post(_url(item_id, "requests"), headers=c.headers)  # no body: a speech
    assert no_body.status_code == 201, no_body.text
    assert no_body.json()["my_request"]["kind"] == "speech"
    await api.chair_post(sitting, _url(item_id, "give-floor"), {})
    closed = await api.chair_post(sitting, f"/api/agenda-items/{item_id}/close")
    assert closed.status_code == 200, closed.text
    state = await api.speakers(item_id, b.headers)
    assert state["item_status"] == "closed"
    assert state["current_speaker"] is None
    assert state["waiting"] == []
    assert [s["delegation_id"] for s in state["spoken"]] == [a.delegation_id]
    assert (await api.events("agenda.item_closed"))[0]["requests_lapsed"] == 2
    async with api.database.engine.connect() as connection:
        statuses = (await connection.execute(text(
            "SELECT status::text FROM speaker_request ORDER BY request_no"))).scalars().all()
    assert statuses == ["spoken", "lapsed", "lapsed"]
    assert [e[1] for e in (await api.live_events(sitting.assembly_id))[-2:]] == [
        "agenda.item_closed", "speakers.changed"]

    before = await api.agenda_state()
    api.problem(await api.client.post(_url(item_id, "requests"), json={"kind": "speech"}, headers=a.headers), 409,
                "item_closed")
    api.problem(await api.client.post(_url(item_id, "requests"), json={"kind": "point_of_order"},
                                      headers=a.headers), 409, "item_closed")
    for command, body in (("give-floor", {}), ("end-speech", None), ("close", None), ("reopen", None)):
        api.problem(await api.chair_post(sitting, _url(item_id, command), body), 409, "item_closed")
    assert await api.agenda_state() == before


async def test_deferring_keeps_the_waiting_list_for_later(api: AgendaApi) -> None:
    sitting, item_id = await _sitting_with_open_item(api)
    a, b, _ = sitting.delegates
    await _ask(api, item_id, a.headers)
    await _ask(api, item_id, b.headers)
    await api.chair_post(sitting, _url(item_id, "give-floor"), {})
    await api.chair_post(sitting, f"/api/agenda-items/{item_id}/defer")
    before = await api.agenda_state()
    api.problem(await api.client.post(_url(item_id, "requests"), json={"kind": "speech"},
                                      headers=sitting.delegates[2].headers), 409, "item_not_open")
    api.problem(await api.chair_post(sitting, _url(item_id, "give-floor"), {}), 409, "item_not_open")
    assert await api.agenda_state() == before
    await api.chair_post(sitting, f"/api/agenda-items/{item_id}/open")
    state = await api.speakers(item_id, b.headers)
    assert state["my_position"] == 1
    assert [s["delegation_id"] for s in state["spoken"]] == [a.delegation_id]


async def test_a_pending_item_has_no_speakers_yet(api: AgendaApi) -> None:
    sitting = await api.sitting()
    item = await api.item(sitting)
    before = await api.agenda_state()
    api.problem(await api.client.post(_url(item["id"], "requests"), json={"kind": "speech"},
                                      headers=sitting.delegates[0].headers), 409, "item_not_open")
    assert await api.agenda_state() == before
    assert (await api.speakers(item["id"], sitting.observer_headers))["waiting"] == []


async def test_speakers_wait_for_the_assembly_to_sit(api: AgendaApi) -> None:
    sitting, item_id = await _sitting_with_open_item(api)
    await _ask(api, item_id, sitting.delegates[0].headers)
    await api.close(sitting.assembly_id)
    before = await api.agenda_state()
    api.problem(await api.client.post(_url(item_id, "requests"), json={"kind": "speech"},
                                      headers=sitting.delegates[1].headers), 409, "assembly_not_open")
    api.problem(await api.chair_post(sitting, _url(item_id, "give-floor"), {}), 409, "assembly_not_open")
    assert await api.agenda_state() == before
