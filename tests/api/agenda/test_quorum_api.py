"""Quorum calls through the API: the counts, the thresholds, the arithmetic, the record and the refusals."""

from __future__ import annotations

import uuid

from tests.api.agenda.conftest import AgendaApi


async def _check_in(api: AgendaApi, delegation_id: str) -> None:
    response = await api.client.post(f"/api/delegations/{delegation_id}/check-in", headers=api.admin_headers)
    assert response.status_code == 200, response.text


async def test_quorum_call_with_the_default_rule(api: AgendaApi) -> None:
    # Default rule (UN GA r.67 shape): 1/3 of the members entitled to vote to debate, a majority to decide.
    sitting = await api.sitting(delegations=5)
    in_arrears = await api.delegate(sitting.assembly_id, fees_paid_through=2019)  # present, no vote
    item = await api.opened_item(sitting)
    for delegate in sitting.delegates[:2]:
        await _check_in(api, delegate.delegation_id)
    await _check_in(api, in_arrears.delegation_id)

    response = await api.chair_post(sitting, f"/api/assemblies/{sitting.assembly_id}/quorum-calls")
    assert response.status_code == 201, response.text
    call = response.json()
    assert (call["membership_count"], call["membership_weight"]) == (5, 5)
    assert (call["present_count"], call["present_weight"], call["present_without_vote_count"]) == (2, 2, 1)
    assert sorted(call["present_delegation_ids"]) == sorted(d.delegation_id for d in sitting.delegates[:2])
    assert call["may_debate"] is True  # 2 x 3 = 6 >= 1 x 5
    assert call["may_decide"] is False  # 2 x 2 = 4 <= 5
    assert call["debate"] == {
        "kind": "fraction_of_members", "met": True,
        "arithmetic": "quorum to debate, 1/3 of members: members present 2 x 3 = 6 >= 1 x 5 = 5, met"}
    assert call["decide"] == {
        "kind": "majority_of_members", "met": False,
        "arithmetic": "quorum to decide, majority of members: 2 x 2 present = 4 <= 5 members, not met"}
    assert call["thresholds"] == {"to_debate": {"kind": "fraction_of_members", "numerator": 1, "denominator": 3},
                                  "to_decide": {"kind": "majority_of_members"}}
    assert call["agenda_item_id"] == item["id"]
    assert call["called_by_user_id"] == str(sitting.chair.id)
    assert call["rule_set_version"] == 1
    assert len(call["weights_sha256"]) == 64

    audit = await api.events("agenda.quorum_called")
    assert audit[0]["may_decide"] is False
    assert audit[0]["decide_arithmetic"] == call["decide"]["arithmetic"]
    assert sorted(audit[0]["present_delegation_ids"]) == sorted(call["present_delegation_ids"])
    last = (await api.live_events(sitting.assembly_id))[-1]
    assert last[1:3] == ("quorum.called", uuid.UUID(call["id"]))
    assert last[4] == {"may_debate": True, "may_decide": False, "present_count": 2, "present_weight": 2}

    await _check_in(api, sitting.delegates[2].delegation_id)
    second = (await api.chair_post(sitting, f"/api/assemblies/{sitting.assembly_id}/quorum-calls")).json()
    assert (second["present_count"], second["may_decide"]) == (3, True)  # 2 x 3 = 6 > 5

    listed = await api.client.get(f"/api/assemblies/{sitting.assembly_id}/quorum-calls",
                                  headers=sitting.observer_headers)
    assert listed.status_code == 200
    page = listed.json()
    assert page["total"] == 2
    assert [c["id"] for c in page["items"]] == [second["id"], call["id"]]  # latest first
    assert page["items"][1] == call


async def test_quorum_by_weight(api: AgendaApi) -> None:
    rules = {
        "weighting": {"scheme": "population_tiers", "tiers": [{"min_population": 0, "weight": 1},
                                                               {"min_population": 1_000_000, "weight": 5}]},
        "quorum": {"to_debate": {"kind": "fraction_of_members", "numerator": 1, "denominator": 4},
                   "to_decide": {"kind": "fraction_of_weight", "numerator": 1, "denominator": 2}},
    }
    sitting = await api.sitting(delegations=3, rules=rules, population=100_000)  # weight 1 each
    metropolis = await api.delegate(sitting.assembly_id, population=5_000_000)  # weight 5
    for delegate in sitting.delegates:
        await _check_in(api, delegate.delegation_id)
    small = (await api.chair_post(sitting, f"/api/assemblies/{sitting.assembly_id}/quorum-calls")).json()
    assert (small["membership_weight"], small["present_weight"]) == (8, 3)
    assert small["may_debate"] is True
    assert small["may_decide"] is False
    assert small["decide"]["arithmetic"] == (
        "quorum to decide, 1/2 of total weight: weight present 3 x 2 = 6 < 1 x 8 = 8, not met")
    await _check_in(api, metropolis.delegation_id)
    full = (await api.chair_post(sitting, f"/api/assemblies/{sitting.assembly_id}/quorum-calls")).json()
    assert (full["present_weight"], full["may_decide"]) == (8, True)


async def test_nobody_present_has_no_quorum(api: AgendaApi) -> None:
    sitting = await api.sitting(delegations=2)
    call = (await api.chair_post(sitting, f"/api/assemblies/{sitting.assembly_id}/quorum-calls")).json()
    assert (call["present_count"], call["may_debate"], call["may_decide"]) == (0, False, False)
    assert call["agenda_item_id"] is None


async def test_who_may_not_call_the_quorum(api: AgendaApi) -> None:
    sitting = await api.sitting(delegations=1)
    other = await api.sitting(delegations=0)
    planned = await api.sitting(delegations=1, open_it=False)
    url = f"/api/assemblies/{sitting.assembly_id}/quorum-calls"
    before = await api.agenda_state()
    for headers in (sitting.delegates[0].headers, sitting.observer_headers, other.chair_headers):
        api.problem(await api.client.post(url, headers=headers), 403, "assembly_role_required")
    api.problem(await api.client.post(url), 401, "unauthorized")
    api.problem(await api.client.post(f"/api/assemblies/{uuid.uuid4()}/quorum-calls", headers=api.admin_headers),
                404, "assembly_not_found")
    api.problem(await api.chair_post(planned, f"/api/assemblies/{planned.assembly_id}/quorum-calls"), 409,
                "assembly_not_open")
    api.problem(await api.client.get(f"/api/assemblies/{uuid.uuid4()}/quorum-calls", headers=api.admin_headers),
                404, "assembly_not_found")
    api.problem(await api.client.get(url), 401, "unauthorized")
    assert await api.agenda_state() == before
