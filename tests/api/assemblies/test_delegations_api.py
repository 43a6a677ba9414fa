"""Delegations through the API: registration, credentials, weights and eligibility with reasons."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from assembly.members.models import MemberKind, MemberStatus

if TYPE_CHECKING:
    from tests.api.assemblies.conftest import AssemblyApi


async def test_register_a_delegation(api: AssemblyApi) -> None:
    created = await api.assembly()
    member = await api.member(name="Barcelona")
    response = await api.client.post(f"/api/assemblies/{created['id']}/delegations",
                                     json={"member_id": str(member.id)}, headers=api.admin_headers)
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["assembly_id"], body["member_id"], body["member_name"]) == (created["id"], str(member.id), "Barcelona")
    assert body["credentials_status"] == "submitted"
    assert body["weight"] == {"weight": 1, "derivation": "one member, one vote: weight 1",
                              "inputs": {"scheme": "one_member_one_vote"}}
    assert body["eligibility"]["eligible"] is False
    assert [r["code"] for r in body["eligibility"]["reasons"]] == ["credentials_not_accepted"]
    assert (body["delegates"], body["proxies_held"], body["proxies_given"]) == ([], [], [])
    assert body["checked_in"] is False
    [event] = await api.events("delegation.registered")
    assert event["member_id"] == str(member.id)
    assert event["reasons"] == ["credentials_not_accepted"]


async def test_register_refusals_change_nothing(api: AssemblyApi) -> None:
    created = await api.assembly()
    member = await api.member()
    path = f"/api/assemblies/{created['id']}/delegations"
    await api.delegation(created["id"], member, accept=False)
    before = await api.state()
    api.problem(await api.client.post(path, json={"member_id": str(member.id)}, headers=api.admin_headers),
                409, "delegation_exists")
    api.problem(await api.client.post(path, json={"member_id": str(uuid.uuid4())}, headers=api.admin_headers),
                422, "member_not_found", field="member_id")
    api.problem(await api.client.post(path, json={"member_id": "not-a-uuid"}, headers=api.admin_headers),
                422, "invalid_input", field="member_id")
    api.problem(await api.client.post(f"/api/assemblies/{uuid.uuid4()}/delegations",
                                      json={"member_id": str(member.id)}, headers=api.admin_headers),
                404, "assembly_not_found")
    assert await api.state() == before


async def test_no_registration_once_closed(api: AssemblyApi) -> None:
    created = await api.assembly()
    member = await api.member()
    await api.close(created["id"])
    before = await api.state()
    api.problem(await api.client.post(f"/api/assemblies/{created['id']}/delegations",
                                      json={"member_id": str(member.id)}, headers=api.admin_headers),
                409, "assembly_closed")
    assert await api.state() == before


async def test_accept_and_reject_credentials(api: AssemblyApi) -> None:
    created = await api.assembly()
    delegation = await api.delegation(created["id"], accept=False)
    base = f"/api/delegations/{delegation['id']}/credentials"
    accepted = await api.client.post(f"{base}/accept", headers=api.admin_headers)
    assert accepted.status_code == 200
    body = accepted.json()
    assert body["credentials_status"] == "accepted"
    assert body["credentials_decided_by_user_id"] == str(api.admin.id)
    assert body["credentials_decided_at"] is not None
    assert body["eligibility"] == {"eligible": True, "reasons": []}
    before = await api.state()
    api.problem(await api.client.post(f"{base}/accept", headers=api.admin_headers), 409,
                "credentials_already_accepted")
    assert await api.state() == before
    rejected = await api.client.post(f"{base}/reject", json={"reason": "Not signed by the mayor"},
                                     headers=api.admin_headers)
    assert rejected.status_code == 200
    assert rejected.json()["credentials_status"] == "rejected"
    assert rejected.json()["credentials_reason"] == "Not signed by the mayor"
    assert [r["code"] for r in rejected.json()["eligibility"]["reasons"]] == ["credentials_not_accepted"]
    before = await api.state()
    api.problem(await api.client.post(f"{base}/reject", json={"reason": "again"}, headers=api.admin_headers),
                409, "credentials_already_rejected")
    assert await api.state() == before
    again = await api.client.post(f"{base}/accept", headers=api.admin_headers)
    assert again.json()["credentials_reason"] is None  # reconsidered: the rejection reason goes
    events = await api.events("delegation.credentials_accepted") + await api.events("delegation.credentials_rejected")
    assert sorted(e["previous_status"] for e in events) == ["accepted", "rejected", "submitted"]
    [rejection] = await api.events("delegation.credentials_rejected")
    assert rejection["reason"] == "Not signed by the mayor"
    assert rejection["eligible"] is False


async def test_reject_needs_a_reason(api: AssemblyApi) -> None:
    created = await api.assembly()
    delegation = await api.delegation(created["id"], accept=False)
    path = f"/api/delegations/{delegation['id']}/credentials/reject"
    before = await api.state()
    for body in ({}, {"reason": ""}, {"reason": "x" * 1001}):
        api.problem(await api.client.post(path, json=body, headers=api.admin_headers), 422, "invalid_input")
    api.problem(await api.client.post(path, json={"reason": "   "}, headers=api.admin_headers), 422,
                "invalid_input", field="reason")
    assert await api.state() == before


async def test_credentials_are_final_once_closed(api: AssemblyApi) -> None:
    created = await api.assembly()
    delegation = await api.delegation(created["id"], accept=False)
    await api.close(created["id"])
    before = await api.state()
    api.problem(await api.client.post(f"/api/delegations/{delegation['id']}/credentials/accept",
                                      headers=api.admin_headers), 409, "assembly_closed")
    assert await api.state() == before


async def test_unknown_delegation_is_404(api: AssemblyApi) -> None:
    missing = uuid.uuid4()
    api.problem(await api.client.get(f"/api/delegations/{missing}", headers=api.admin_headers), 404,
                "delegation_not_found")
    api.problem(await api.client.post(f"/api/delegations/{missing}/credentials/accept", headers=api.admin_headers),
                404, "delegation_not_found")


async def test_a_member_in_arrears_is_accredited_but_holds_no_vote_and_the_api_says_why(api: AssemblyApi) -> None:
    created = await api.assembly()  # starts 2026-10-12: fees must be paid through 2025
    delegation = await api.delegation(created["id"], fees_paid_through=2024)
    assert delegation["credentials_status"] == "accepted"
    eligibility = delegation["eligibility"]
    assert eligibility["eligible"] is False
    assert eligibility["reasons"] == [{
        "code": "fees_in_arrears",
        "message": "fees paid through 2024; this assembly requires fees paid through 2025",
    }]
    _, headers = await api.user()
    read = await api.client.get(f"/api/delegations/{delegation['id']}", headers=headers)
    assert read.json()["eligibility"] == eligibility


async def test_other_reasons(api: AssemblyApi) -> None:
    created = await api.assembly()
    suspended = await api.delegation(created["id"], status=MemberStatus.SUSPENDED)
    honorary = await api.delegation(created["id"], kind=MemberKind.HONORARY)
    section = await api.delegation(created["id"], kind=MemberKind.SECTION, fees_paid_through=None)
    assert [r["code"] for r in suspended["eligibility"]["reasons"]] == ["member_suspended"]
    assert [r["code"] for r in honorary["eligibility"]["reasons"]] == ["kind_not_voting"]
    assert section["eligibility"]["eligible"] is True  # sections vote as of right, fees or not


async def test_list_filters_and_pages(api: AssemblyApi) -> None:
    created = await api.assembly()
    names = ["Accra", "Bogotá", "Cairo", "Dakar", "Espoo"]
    made = {}
    for name in names:
        made[name] = await api.delegation(created["id"], name=name, accept=name != "Cairo",
                                          fees_paid_through=2020 if name == "Dakar" else 2025)
    _, headers = await api.user()
    path = f"/api/assemblies/{created['id']}/delegations"
    page = (await api.client.get(f"{path}?limit=2", headers=headers)).json()
    assert (page["total"], page["limit"], page["offset"]) == (5, 2, 0)
    assert [d["member_name"] for d in page["items"]] == ["Accra", "Bogotá"]
    rest = (await api.client.get(f"{path}?limit=2&offset=4", headers=headers)).json()
    assert [d["member_name"] for d in rest["items"]] == ["Espoo"]
    submitted = (await api.client.get(f"{path}?credentials_status=submitted", headers=headers)).json()
    assert [d["member_name"] for d in submitted["items"]] == ["Cairo"]
    eligible = (await api.client.get(f"{path}?eligible=true", headers=headers)).json()
    assert [d["member_name"] for d in eligible["items"]] == ["Accra", "Bogotá", "Espoo"]
    assert all(d["weight"] == 1 and d["reasons"] == [] for d in eligible["items"])
    not_eligible = (await api.client.get(f"{path}?eligible=false&credentials_status=accepted", headers=headers)).json()
    assert [(d["member_name"], [r["code"] for r in d["reasons"]]) for d in not_eligible["items"]] == [
        ("Dakar", ["fees_in_arrears"])]
    assert not_eligible["total"] == 1
    api.problem(await api.client.get(f"{path}?credentials_status=pending", headers=headers), 422, "invalid_input")


async def test_weights_table_with_derivations(api: AssemblyApi) -> None:
    tiers = {"scheme": "population_tiers", "tiers": [
        {"min_population": 0, "weight": 1}, {"min_population": 1_000_000, "weight": 2},
        {"min_population": 5_000_000, "weight": 4}]}
    created = await api.assembly(rules={"weighting": tiers})
    await api.delegation(created["id"], name="Accra", population=2_500_000)
    await api.delegation(created["id"], name="Bogotá", population=7_900_000)
    await api.delegation(created["id"], name="Cairo", population=None)
    await api.delegation(created["id"], name="Dakar", population=5_000_000, fees_paid_through=2023)
    _, headers = await api.user()
    table = (await api.client.get(f"/api/assemblies/{created['id']}/weights", headers=headers)).json()
    assert (table["scheme"], table["rule_set_version"]) == ("population_tiers", 1)
    rows = {row["member_name"]: row for row in table["delegations"]}
    assert {name: row["weight"] for name, row in rows.items()} == {"Accra": 2, "Bogotá": 4, "Cairo": 1, "Dakar": 4}
    assert rows["Accra"]["derivation"] == "population 2,500,000 is in tier 2 (from 1,000,000 to 4,999,999): weight 2"
    assert rows["Cairo"]["derivation"].startswith("population unknown: lowest tier")
    assert rows["Accra"]["inputs"] == {"scheme": "population_tiers", "population": 2_500_000, "tier": 1,
                                       "tier_min_population": 1_000_000}
    assert rows["Dakar"]["eligible"] is False
    assert (table["total"], table["eligible_delegations"], table["total_eligible_weight"]) == (4, 3, 2 + 4 + 1)
    page = (await api.client.get(f"/api/assemblies/{created['id']}/weights?limit=2&offset=1", headers=headers)).json()
    assert [row["member_name"] for row in page["delegations"]] == ["Bogotá", "Cairo"]
    assert (page["total"], page["limit"], page["offset"]) == (4, 2, 1)
    assert (page["total_eligible_weight"], page["weights_sha256"]) == (7, table["weights_sha256"])
    api.problem(await api.client.get(f"/api/assemblies/{created['id']}/weights?limit=1001", headers=headers),
                422, "invalid_input")


async def test_imf_example_through_the_api(api: AssemblyApi) -> None:
    rules = {"weighting": {"scheme": "basic_plus_proportional", "basic_share_ppm": 55020, "unit": 100_000}}
    created = await api.assembly(rules=rules)
    ids = [(await api.delegation(created["id"], name=name, population=population))["id"]
           for name, population in [("A", 100_000_000), ("B", 30_000_000), ("C", 10_000_000), ("D", 5_000_050)]]
    table = (await api.client.get(f"/api/assemblies/{created['id']}/weights", headers=api.admin_headers)).json()
    assert [(row["member_name"], row["weight"]) for row in table["delegations"]] == [
        ("A", 1021), ("B", 321), ("C", 121), ("D", 71)]
    assert table["delegations"][0]["inputs"]["basic_votes"] == 21
    assert table["total_eligible_weight"] == 1534
    # One delegation, or a page, is weighed against the whole membership (summed by the database).
    singles = [(await api.client.get(f"/api/delegations/{i}", headers=api.admin_headers)).json() for i in ids]
    assert [d["weight"] for d in singles] == [row_weight(row) for row in table["delegations"]]
    page = (await api.client.get(f"/api/assemblies/{created['id']}/delegations?limit=2&offset=2",
                                 headers=api.admin_headers)).json()
    assert [(d["member_name"], d["weight"]) for d in page["items"]] == [("C", 121), ("D", 71)]


def row_weight(row: dict[str, Any]) -> dict[str, Any]:
    """The weight part of a weights-table row, shaped as in a delegation's detail."""
    return {"weight": row["weight"], "derivation": row["derivation"], "inputs": row["inputs"]}


async def test_category_table_without_default_says_why_there_is_no_vote(api: AssemblyApi) -> None:
    rules = {"weighting": {"scheme": "category_table", "categories": [{"category": "A", "weight": 5}]}}
    created = await api.assembly(rules=rules)
    listed = await api.delegation(created["id"], membership_category="A")
    unlisted = await api.delegation(created["id"], membership_category="Z")
    assert listed["weight"]["weight"] == 5
    assert unlisted["weight"]["weight"] == 0
    assert [r["code"] for r in unlisted["eligibility"]["reasons"]] == ["category_not_in_table"]


async def test_a_rule_change_changes_the_weights_shown(api: AssemblyApi) -> None:
    created = await api.assembly()
    delegation = await api.delegation(created["id"], membership_category="A")
    assert delegation["weight"]["weight"] == 1
    rules: dict[str, Any] = {"weighting": {"scheme": "category_table", "default_weight": 1,
                                           "categories": [{"category": "A", "weight": 7}]}}
    response = await api.client.put(f"/api/assemblies/{created['id']}/rules", json={"rules": rules},
                                    headers=api.admin_headers)
    assert response.status_code == 200
    read = (await api.client.get(f"/api/delegations/{delegation['id']}", headers=api.admin_headers)).json()
    assert (read["rule_set_version"], read["weight"]["weight"]) == (2, 7)
