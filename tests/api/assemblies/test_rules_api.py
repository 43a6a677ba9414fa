"""Rule-set versions through the API: appended, reasoned once open, refused once closed, never silent."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.api.assemblies.conftest import AssemblyApi

TIERS: dict[str, Any] = {"scheme": "population_tiers", "tiers": [
    {"min_population": 0, "weight": 1}, {"min_population": 1_000_000, "weight": 3}]}


async def _replace(api: AssemblyApi, assembly_id: str, rules: dict[str, Any], reason: str | None = None,
                   headers: dict[str, str] | None = None) -> Any:
    body: dict[str, Any] = {"rules": rules}
    if reason is not None:
        body["reason"] = reason
    return await api.client.put(f"/api/assemblies/{assembly_id}/rules", json=body,
                                headers=headers or api.admin_headers)


async def test_a_change_while_planned_appends_a_version(api: AssemblyApi) -> None:
    created = await api.assembly()
    response = await _replace(api, created["id"], {"weighting": TIERS})
    assert response.status_code == 200, response.text
    assert response.json()["rule_set_version"] == 2
    assert response.json()["rules"]["weighting"] == TIERS
    versions = (await api.client.get(f"/api/assemblies/{created['id']}/rules/versions",
                                     headers=api.admin_headers)).json()
    assert [(v["version"], v["in_force"], v["reason"]) for v in versions] == [(1, False, None), (2, True, None)]
    assert versions[0]["rules"]["weighting"] == {"scheme": "one_member_one_vote"}
    assert versions[1]["created_by_user_id"] == str(api.admin.id)


async def test_versions_are_readable_by_any_user(api: AssemblyApi) -> None:
    created = await api.assembly()
    _, headers = await api.user()
    response = await api.client.get(f"/api/assemblies/{created['id']}/rules/versions", headers=headers)
    assert response.status_code == 200
    assert len(response.json()) == 1


async def test_once_open_a_change_needs_a_reason(api: AssemblyApi) -> None:
    created = await api.assembly()
    await api.open(created["id"])
    before = await api.state()
    api.problem(await _replace(api, created["id"], {"weighting": TIERS}), 422, "reason_required", field="reason")
    assert await api.state() == before
    response = await _replace(api, created["id"], {"weighting": TIERS}, reason="Plenary decision 4/2026")
    assert response.status_code == 200
    assert response.json()["rule_set_version"] == 2
    versions = (await api.client.get(f"/api/assemblies/{created['id']}/rules/versions",
                                     headers=api.admin_headers)).json()
    assert versions[-1]["reason"] == "Plenary decision 4/2026"


async def test_the_change_is_recorded_with_the_rules_and_the_weights_they_give(api: AssemblyApi) -> None:
    created = await api.assembly()
    big = await api.delegation(created["id"], population=2_000_000)
    small = await api.delegation(created["id"], population=10_000, fees_paid_through=2020)
    await api.open(created["id"])
    await _replace(api, created["id"], {"weighting": TIERS}, reason="Tiers adopted")
    [event] = await api.events("assembly.rules_changed")
    assert (event["version"], event["previous_version"], event["status"]) == (2, 1, "open")
    assert event["reason"] == "Tiers adopted"
    assert event["scheme"] == "population_tiers"
    assert event["rules"]["weighting"] == TIERS
    assert (event["delegations"], event["eligible_delegations"], event["total_eligible_weight"]) == (2, 1, 3)
    # The digest pins the table anyone can read: one line per delegation, sorted by id.
    lines = sorted(f"{d['id']},{w},{e}\n" for d, w, e in ((big, 3, 1), (small, 1, 0)))
    assert event["weights_sha256"] == hashlib.sha256("".join(lines).encode()).hexdigest()
    table = (await api.client.get(f"/api/assemblies/{created['id']}/weights", headers=api.admin_headers)).json()
    assert table["weights_sha256"] == event["weights_sha256"]
    [created_event] = await api.events("assembly.created")
    assert created_event["rules"]["weighting"] == {"scheme": "one_member_one_vote"}


async def test_once_closed_a_change_is_refused(api: AssemblyApi) -> None:
    created = await api.assembly()
    await api.close(created["id"])
    before = await api.state()
    api.problem(await _replace(api, created["id"], {"weighting": TIERS}, reason="too late"), 409, "assembly_closed")
    assert await api.state() == before


async def test_the_same_rules_again_are_refused(api: AssemblyApi) -> None:
    created = await api.assembly(rules={"weighting": TIERS})
    before = await api.state()
    api.problem(await _replace(api, created["id"], {"weighting": TIERS}), 409, "rules_unchanged")
    assert await api.state() == before


async def test_invalid_rules_are_refused_naming_the_field(api: AssemblyApi) -> None:
    created = await api.assembly()
    before = await api.state()
    bad = {"scheme": "population_tiers", "tiers": [{"min_population": 0, "weight": 2},
                                                   {"min_population": 50, "weight": 1}]}
    api.problem(await _replace(api, created["id"], {"weighting": bad}), 422, "invalid_rules",
                field="rules.weighting.tiers[1].weight")
    missing = {"scheme": "category_table"}
    body = api.problem(await _replace(api, created["id"], {"weighting": missing}), 422, "invalid_input",
                       field="rules.weighting")
    assert "`categories`" in body["detail"]
    api.problem(await _replace(api, created["id"], {"quorum": {"to_debate": {
        "kind": "fraction_of_members", "numerator": 3, "denominator": 2}}}), 422, "invalid_rules",
        field="rules.quorum.to_debate.numerator")
    assert await api.state() == before


async def test_a_reason_too_long_is_refused(api: AssemblyApi) -> None:
    created = await api.assembly()
    before = await api.state()
    api.problem(await _replace(api, created["id"], {"weighting": TIERS}, reason="x" * 1001), 422, "invalid_input",
                field="reason")
    assert await api.state() == before
