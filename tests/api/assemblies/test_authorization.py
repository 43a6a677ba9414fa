"""Every assemblies endpoint refuses the callers it must: anonymous 401, non-admin 403, and nothing changes."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest

from assembly.core.errors import PROBLEM_MEDIA_TYPE
from tests.helpers import bearer

if TYPE_CHECKING:
    from tests.api.assemblies.conftest import AssemblyApi

A, D, P, U = "{assembly}", "{delegation}", "{proxy}", "{user}"

ENDPOINTS: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/api/assemblies", {"name": "X", "body_kind": "other", "starts_on": "2026-01-01",
                                 "ends_on": "2026-01-01"}),
    ("GET", "/api/assemblies", None),
    ("GET", f"/api/assemblies/{A}", None),
    ("PUT", f"/api/assemblies/{A}", {"name": "Y", "starts_on": "2026-01-01", "ends_on": "2026-01-02"}),
    ("POST", f"/api/assemblies/{A}/open", None),
    ("POST", f"/api/assemblies/{A}/close", None),
    ("PUT", f"/api/assemblies/{A}/rules", {"rules": {"split_votes_allowed": True}}),
    ("GET", f"/api/assemblies/{A}/rules/versions", None),
    ("POST", f"/api/assemblies/{A}/roles", {"user_id": U, "role": "chair"}),
    ("DELETE", f"/api/assemblies/{A}/roles/{U}/auditor", None),
    ("POST", f"/api/assemblies/{A}/delegations", {"member_id": "{member}"}),
    ("GET", f"/api/assemblies/{A}/delegations", None),
    ("GET", f"/api/assemblies/{A}/weights", None),
    ("GET", f"/api/delegations/{D}", None),
    ("POST", f"/api/delegations/{D}/credentials/accept", None),
    ("POST", f"/api/delegations/{D}/credentials/reject", {"reason": "no"}),
    ("PUT", f"/api/delegations/{D}/delegates", {"delegates": [{"user_id": U, "role": "head"}]}),
    ("POST", f"/api/delegations/{D}/check-in", None),
    ("POST", f"/api/delegations/{D}/check-out", None),
    ("POST", f"/api/delegations/{D}/proxies", {"holder_delegation_id": "{other}"}),
    ("POST", f"/api/proxies/{P}/revoke", None),
    ("GET", "/api/me/assemblies", None),
]

ADMIN_ONLY = {
    ("POST", "/api/assemblies"),
    ("PUT", f"/api/assemblies/{A}"),
    ("POST", f"/api/assemblies/{A}/open"),
    ("POST", f"/api/assemblies/{A}/close"),
    ("PUT", f"/api/assemblies/{A}/rules"),
    ("POST", f"/api/assemblies/{A}/roles"),
    ("DELETE", f"/api/assemblies/{A}/roles/{U}/auditor"),
    ("POST", f"/api/assemblies/{A}/delegations"),
    ("POST", f"/api/delegations/{D}/credentials/accept"),
    ("POST", f"/api/delegations/{D}/credentials/reject"),
}
"""Secretariat only (guard: 403 ``admin_only``)."""

DATA_DEPENDENT = {
    ("PUT", f"/api/delegations/{D}/delegates"): "not_delegation_head",
    ("POST", f"/api/delegations/{D}/check-in"): "assembly_role_required",
    ("POST", f"/api/delegations/{D}/check-out"): "assembly_role_required",
    ("POST", f"/api/delegations/{D}/proxies"): "not_delegation_voter",
    ("POST", f"/api/proxies/{P}/revoke"): "not_delegation_voter",
}
"""Checked in the service against this assembly's data (a logged-in user without the right: 403)."""


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        for key, replacement in ids.items():
            value = value.replace("{" + key + "}", replacement)
        return value
    if isinstance(value, dict):
        return {k: _fill(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, ids) for v in value]
    return value


async def _world(api: AssemblyApi) -> dict[str, str]:
    created = await api.assembly(rules={"proxies": {"allowed": True, "max_per_holder": 1}})
    delegation = await api.delegation(created["id"])
    other = await api.delegation(created["id"])
    auditor, _ = await api.user()
    await api.client.post(f"/api/assemblies/{created['id']}/roles", headers=api.admin_headers,
                          json={"user_id": str(auditor.id), "role": "auditor"})
    await api.client.post(f"/api/delegations/{delegation['id']}/check-in", headers=api.admin_headers)
    proxy = (await api.client.post(f"/api/delegations/{delegation['id']}/proxies", headers=api.admin_headers,
                                   json={"holder_delegation_id": other["id"]})).json()
    member = await api.member()
    return {"assembly": created["id"], "delegation": delegation["id"], "other": other["id"], "proxy": proxy["id"],
            "user": str(auditor.id), "member": str(member.id)}


async def _call(api: AssemblyApi, method: str, path: str, body: dict[str, Any] | None, ids: dict[str, str],
                headers: dict[str, str]) -> Any:
    return await api.client.request(method, _fill(path, ids), json=_fill(body, ids) if body is not None else None,
                                    headers=headers)


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=[f"{m} {p}" for m, p, _ in ENDPOINTS])
async def test_anonymous_callers_get_401(api: AssemblyApi, method: str, path: str, body: dict[str, Any] | None) -> None:
    ids = await _world(api)
    before = await api.state()
    response = await _call(api, method, path, body, ids, {})
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith(PROBLEM_MEDIA_TYPE)
    forged = await _call(api, method, path, body, ids, {"Authorization": "Bearer not.a.token"})
    assert forged.status_code == 401
    assert await api.state() == before


@pytest.mark.parametrize(("method", "path", "body"), [e for e in ENDPOINTS if (e[0], e[1]) in ADMIN_ONLY],
                         ids=[f"{m} {p}" for m, p, _ in ENDPOINTS if (m, p) in ADMIN_ONLY])
async def test_admin_routes_refuse_other_users(api: AssemblyApi, method: str, path: str,
                                               body: dict[str, Any] | None) -> None:
    ids = await _world(api)
    chair, chair_headers = await api.user()
    await api.client.post(f"/api/assemblies/{ids['assembly']}/roles", headers=api.admin_headers,
                          json={"user_id": str(chair.id), "role": "chair"})
    _, plain_headers = await api.user()
    before = await api.state()
    for headers in (plain_headers, chair_headers):  # not even the chair of this assembly
        api.problem(await _call(api, method, path, body, ids, headers), 403, "admin_only")
    assert await api.state() == before


@pytest.mark.parametrize(("method", "path", "body"), [e for e in ENDPOINTS if (e[0], e[1]) in DATA_DEPENDENT],
                         ids=[f"{m} {p}" for m, p, _ in ENDPOINTS if (m, p) in DATA_DEPENDENT])
async def test_data_dependent_routes_refuse_users_without_the_right(api: AssemblyApi, method: str, path: str,
                                                                    body: dict[str, Any] | None) -> None:
    ids = await _world(api)
    _, plain_headers = await api.user()
    auditor_headers = await _auditor_headers(api, ids)
    before = await api.state()
    for headers in (plain_headers, auditor_headers):
        api.problem(await _call(api, method, path, body, ids, headers), 403, DATA_DEPENDENT[(method, path)])
    assert await api.state() == before


async def _auditor_headers(api: AssemblyApi, ids: dict[str, str]) -> dict[str, str]:
    return await bearer(api.app, uuid.UUID(ids["user"]))


@pytest.mark.parametrize(("method", "path", "body"), [e for e in ENDPOINTS if e[0] == "GET"],
                         ids=[f"{m} {p}" for m, p, _ in ENDPOINTS if m == "GET"])
async def test_reads_are_open_to_any_logged_in_user(api: AssemblyApi, method: str, path: str,
                                                    body: dict[str, Any] | None) -> None:
    ids = await _world(api)
    _, plain_headers = await api.user()
    response = await _call(api, method, path, body, ids, plain_headers)
    assert response.status_code == 200, response.text
