"""Assemblies through the API: create, read, list, edit, open, close, roles, "my assemblies"."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.api.assemblies.conftest import AssemblyApi

TIERS = {"scheme": "population_tiers", "tiers": [
    {"min_population": 0, "weight": 1},
    {"min_population": 1_000_000, "weight": 2},
    {"min_population": 5_000_000, "weight": 2},
]}


async def test_create_with_the_uclg_defaults(api: AssemblyApi) -> None:
    created = await api.assembly()
    assert created["status"] == "planned"
    assert created["rule_set_version"] == 1
    assert created["body_kind"] == "world_council"
    assert (created["starts_on"], created["ends_on"], created["venue"]) == ("2026-10-12", "2026-10-14", "Barcelona")
    rules = created["rules"]
    assert rules["weighting"] == {"scheme": "one_member_one_vote"}
    assert rules["default_majority"] == {"kind": "simple_majority_of_votes_cast"}
    assert rules["substitute_votes_only_when_delegate_absent"] is True
    assert rules["eligibility"]["arrears_grace_years"] == 0
    assert "honorary" not in rules["eligibility"]["voting_member_kinds"]
    assert created["roles"] == []
    read = await api.client.get(f"/api/assemblies/{created['id']}", headers=api.admin_headers)
    assert read.json() == created
    [event] = await api.events("assembly.created")
    assert event["rule_set_version"] == 1
    assert event["scheme"] == "one_member_one_vote"


async def test_create_with_rules_and_read_as_any_user(api: AssemblyApi) -> None:
    created = await api.assembly(rules={"weighting": TIERS, "proxies": {"allowed": True, "max_per_holder": 2}})
    assert created["rules"]["weighting"] == TIERS
    assert created["rules"]["proxies"] == {"allowed": True, "max_per_holder": 2}
    _, headers = await api.user()
    response = await api.client.get(f"/api/assemblies/{created['id']}", headers=headers)
    assert response.status_code == 200
    assert response.json()["rules"]["weighting"]["scheme"] == "population_tiers"


async def test_ends_before_start_is_refused(api: AssemblyApi) -> None:
    before = await api.state()
    response = await api.client.post("/api/assemblies", headers=api.admin_headers, json={
        "name": "X", "body_kind": "other", "starts_on": "2026-10-12", "ends_on": "2026-10-11"})
    api.problem(response, 422, "ends_before_start", field="ends_on")
    assert await api.state() == before


async def test_weighting_scheme_with_missing_parameters_is_refused(api: AssemblyApi) -> None:
    before = await api.state()
    response = await api.client.post("/api/assemblies", headers=api.admin_headers, json={
        "name": "X", "body_kind": "other", "starts_on": "2026-10-12", "ends_on": "2026-10-12",
        "rules": {"weighting": {"scheme": "basic_plus_proportional", "basic_share_ppm": 55020}}})
    body = api.problem(response, 422, "invalid_input", field="rules.weighting")
    assert "missing required field `unit`" in body["errors"][0]["message"]
    assert await api.state() == before


async def test_inconsistent_tiers_are_refused_naming_the_field(api: AssemblyApi) -> None:
    before = await api.state()
    tiers = {"scheme": "population_tiers", "tiers": [{"min_population": 0, "weight": 3},
                                                     {"min_population": 10, "weight": 1}]}
    response = await api.client.post("/api/assemblies", headers=api.admin_headers, json={
        "name": "X", "body_kind": "other", "starts_on": "2026-10-12", "ends_on": "2026-10-12",
        "rules": {"weighting": tiers}})
    body = api.problem(response, 422, "invalid_rules", field="rules.weighting.tiers[1].weight")
    assert "previous tier's weight (3)" in body["errors"][0]["message"]
    assert await api.state() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"body_kind": "parliament"}, "body_kind"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"starts_on": "12/10/2026"}, "starts_on"),
        ({"rules": {"weighting": {"scheme": "population_tiers", "tiers": [{"min_population": 0, "weight": 0}]}}},
         "rules.weighting.tiers[0].weight"),
        ({"rules": {"quorum": {"to_decide": {"kind": "fraction_of_weight", "numerator": 1}}}},
         "rules.quorum.to_decide"),
        ({"status": "open"}, "body"),
    ],
)
async def test_bad_create_bodies_name_the_field(api: AssemblyApi, changes: dict[str, Any], field: str) -> None:
    body: dict[str, Any] = {"name": "X", "body_kind": "other", "starts_on": "2026-10-12", "ends_on": "2026-10-12"}
    body.update(changes)
    before = await api.state()
    response = await api.client.post("/api/assemblies", headers=api.admin_headers, json=body)
    problem = api.problem(response, 422, "invalid_input")
    if field == "body":
        assert "status" in problem["detail"]  # unknown fields are refused
    else:
        assert field in [error["field"] for error in problem["errors"]], problem
    assert await api.state() == before


async def test_unknown_assembly_is_404(api: AssemblyApi) -> None:
    missing = uuid.uuid4()
    for path in (f"/api/assemblies/{missing}", f"/api/assemblies/{missing}/weights",
                 f"/api/assemblies/{missing}/delegations", f"/api/assemblies/{missing}/rules/versions"):
        api.problem(await api.client.get(path, headers=api.admin_headers), 404, "assembly_not_found")
    api.problem(await api.client.post(f"/api/assemblies/{missing}/open", headers=api.admin_headers),
                404, "assembly_not_found")


async def test_list_pages_and_filters_by_status(api: AssemblyApi) -> None:
    first = await api.assembly(name="A", starts_on="2026-01-10", ends_on="2026-01-11")
    second = await api.assembly(name="B", starts_on="2026-05-10", ends_on="2026-05-11")
    third = await api.assembly(name="C", starts_on="2026-09-10", ends_on="2026-09-11")
    await api.open(second["id"])
    _, headers = await api.user()
    page = (await api.client.get("/api/assemblies?limit=2", headers=headers)).json()
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 0)
    assert [item["id"] for item in page["items"]] == [third["id"], second["id"]]  # latest start first
    rest = (await api.client.get("/api/assemblies?limit=2&offset=2", headers=headers)).json()
    assert [item["id"] for item in rest["items"]] == [first["id"]]
    opened = (await api.client.get("/api/assemblies?status=open", headers=headers)).json()
    assert [item["id"] for item in opened["items"]] == [second["id"]]
    assert opened["items"][0]["status"] == "open"
    api.problem(await api.client.get("/api/assemblies?limit=0", headers=headers), 422, "invalid_input")
    api.problem(await api.client.get("/api/assemblies?limit=201", headers=headers), 422, "invalid_input")


async def test_update_while_planned_then_refused_once_open(api: AssemblyApi) -> None:
    created = await api.assembly()
    path = f"/api/assemblies/{created['id']}"
    change = {"name": "World Council 2026, Bogotá", "starts_on": "2026-11-02", "ends_on": "2026-11-04",
              "venue": "Bogotá"}
    response = await api.client.put(path, json=change, headers=api.admin_headers)
    assert response.status_code == 200, response.text
    assert {k: response.json()[k] for k in change} == change
    [event] = await api.events("assembly.updated")
    assert event["venue"] == "Bogotá"
    await api.open(created["id"])
    before = await api.state()
    api.problem(await api.client.put(path, json=change, headers=api.admin_headers), 409, "assembly_not_planned")
    assert await api.state() == before


async def test_update_refuses_bad_dates(api: AssemblyApi) -> None:
    created = await api.assembly()
    before = await api.state()
    response = await api.client.put(f"/api/assemblies/{created['id']}", headers=api.admin_headers,
                                    json={"name": "X", "starts_on": "2026-11-05", "ends_on": "2026-11-04"})
    api.problem(response, 422, "ends_before_start", field="ends_on")
    assert await api.state() == before


async def test_open_and_close(api: AssemblyApi) -> None:
    created = await api.assembly()
    base = f"/api/assemblies/{created['id']}"
    api.problem(await api.client.post(f"{base}/close", headers=api.admin_headers), 409, "assembly_not_open")
    opened = await api.client.post(f"{base}/open", headers=api.admin_headers)
    assert opened.status_code == 200
    assert opened.json()["status"] == "open"
    assert opened.json()["opened_at"] is not None
    before = await api.state()
    api.problem(await api.client.post(f"{base}/open", headers=api.admin_headers), 409, "assembly_not_planned")
    assert await api.state() == before
    closed = await api.client.post(f"{base}/close", headers=api.admin_headers)
    assert closed.json()["status"] == "closed"
    assert closed.json()["closed_at"] is not None
    before = await api.state()
    api.problem(await api.client.post(f"{base}/close", headers=api.admin_headers), 409, "assembly_not_open")
    api.problem(await api.client.post(f"{base}/open", headers=api.admin_headers), 409, "assembly_not_planned")
    assert await api.state() == before
    assert [e["status"] for e in await api.events("assembly.opened") + await api.events("assembly.closed")] == [
        "open", "closed"]


async def test_roles_are_assigned_listed_and_removed(api: AssemblyApi) -> None:
    created = await api.assembly()
    chair, _ = await api.user()
    base = f"/api/assemblies/{created['id']}/roles"
    response = await api.client.post(base, json={"user_id": str(chair.id), "role": "chair"}, headers=api.admin_headers)
    assert response.status_code == 201, response.text
    assert response.json() == {"user_id": str(chair.id), "role": "chair"}
    auditor = await api.client.post(base, json={"user_id": str(chair.id), "role": "auditor"},
                                    headers=api.admin_headers)
    assert auditor.status_code == 201  # one person may hold both roles
    read = (await api.client.get(f"/api/assemblies/{created['id']}", headers=api.admin_headers)).json()
    assert sorted(r["role"] for r in read["roles"]) == ["auditor", "chair"]
    before = await api.state()
    api.problem(await api.client.post(base, json={"user_id": str(chair.id), "role": "chair"},
                                      headers=api.admin_headers), 409, "role_exists")
    api.problem(await api.client.post(base, json={"user_id": str(uuid.uuid4()), "role": "chair"},
                                      headers=api.admin_headers), 422, "user_not_found", field="user_id")
    api.problem(await api.client.post(base, json={"user_id": str(chair.id), "role": "president"},
                                      headers=api.admin_headers), 422, "invalid_input", field="role")
    assert await api.state() == before
    removed = await api.client.delete(f"{base}/{chair.id}/chair", headers=api.admin_headers)
    assert removed.status_code == 204
    before = await api.state()
    api.problem(await api.client.delete(f"{base}/{chair.id}/chair", headers=api.admin_headers), 404, "role_not_found")
    assert await api.state() == before
    read = (await api.client.get(f"/api/assemblies/{created['id']}", headers=api.admin_headers)).json()
    assert [r["role"] for r in read["roles"]] == ["auditor"]
    assert [e["role"] for e in await api.events("assembly.role_assigned")] == ["chair", "auditor"]
    assert [e["role"] for e in await api.events("assembly.role_removed")] == ["chair"]


async def test_my_assemblies_lists_roles_and_seats(api: AssemblyApi) -> None:
    first = await api.assembly(name="First", starts_on="2026-03-01", ends_on="2026-03-02")
    second = await api.assembly(name="Second", starts_on="2026-06-01", ends_on="2026-06-02")
    await api.assembly(name="Elsewhere")
    delegation = await api.delegation(second["id"], name="Lyon")
    me, headers = await api.seat(delegation["id"], "delegate", designated=True)
    response = await api.client.post(f"/api/assemblies/{first['id']}/roles", headers=api.admin_headers,
                                     json={"user_id": str(me.id), "role": "auditor"})
    assert response.status_code == 201
    mine = await api.client.get("/api/me/assemblies", headers=headers)
    assert mine.status_code == 200, mine.text
    entries = mine.json()["assemblies"]
    assert [e["name"] for e in entries] == ["First", "Second"]
    assert entries[0]["roles"] == ["auditor"]
    assert entries[0]["delegation"] is None
    assert entries[1]["roles"] == []
    assert entries[1]["delegation"] == {"delegation_id": delegation["id"], "member_id": delegation["member_id"],
                                        "member_name": "Lyon", "role": "delegate", "is_designated_voter": True}
    _, stranger = await api.user()
    assert (await api.client.get("/api/me/assemblies", headers=stranger)).json() == {"assemblies": []}
