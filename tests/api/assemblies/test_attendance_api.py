"""Attendance through the API: check-in and check-out by the secretariat or the assembly's chair."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import text

if TYPE_CHECKING:
    from tests.api.assemblies.conftest import AssemblyApi


async def test_check_in_and_out_with_timestamped_events(api: AssemblyApi) -> None:
    created = await api.assembly()
    delegation = await api.delegation(created["id"])
    base = f"/api/delegations/{delegation['id']}"
    response = await api.client.post(f"{base}/check-in", headers=api.admin_headers)
    assert response.status_code == 200, response.text
    assert response.json()["checked_in"] is True
    before = await api.state()
    api.problem(await api.client.post(f"{base}/check-in", headers=api.admin_headers), 409, "already_checked_in")
    assert await api.state() == before
    response = await api.client.post(f"{base}/check-out", headers=api.admin_headers)
    assert response.json()["checked_in"] is False
    before = await api.state()
    api.problem(await api.client.post(f"{base}/check-out", headers=api.admin_headers), 409, "not_checked_in")
    assert await api.state() == before
    async with api.database.engine.connect() as connection:
        rows = (await connection.execute(text(
            "SELECT kind, at, recorded_by_user_id FROM attendance_event WHERE delegation_id = :d ORDER BY at, id"),
            {"d": delegation["id"]})).all()
    assert [str(row.kind) for row in rows] == ["check_in", "check_out"]
    assert all(row.at is not None and row.recorded_by_user_id == api.admin.id for row in rows)
    assert [e["checked_in"] for e in await api.events("delegation.checked_in")] == [True]
    assert [e["checked_in"] for e in await api.events("delegation.checked_out")] == [False]


async def test_the_chair_of_the_assembly_may_check_in(api: AssemblyApi) -> None:
    created = await api.assembly()
    delegation = await api.delegation(created["id"], accept=False)  # provisionally seated
    chair, chair_headers = await api.user()
    assigned = await api.client.post(f"/api/assemblies/{created['id']}/roles", headers=api.admin_headers,
                                     json={"user_id": str(chair.id), "role": "chair"})
    assert assigned.status_code == 201
    response = await api.client.post(f"/api/delegations/{delegation['id']}/check-in", headers=chair_headers)
    assert response.status_code == 200, response.text
    assert response.json()["checked_in"] is True


async def test_chair_of_another_assembly_auditor_and_delegates_are_refused(api: AssemblyApi) -> None:
    created = await api.assembly(name="Here")
    elsewhere = await api.assembly(name="Elsewhere")
    delegation = await api.delegation(created["id"])
    _, head_headers = await api.seat(delegation["id"], "head")
    other_chair, other_chair_headers = await api.user()
    auditor, auditor_headers = await api.user()
    for assembly_id, user, role in ((elsewhere["id"], other_chair, "chair"), (created["id"], auditor, "auditor")):
        response = await api.client.post(f"/api/assemblies/{assembly_id}/roles", headers=api.admin_headers,
                                         json={"user_id": str(user.id), "role": role})
        assert response.status_code == 201
    before = await api.state()
    for headers in (other_chair_headers, auditor_headers, head_headers):
        for command in ("check-in", "check-out"):
            api.problem(await api.client.post(f"/api/delegations/{delegation['id']}/{command}", headers=headers),
                        403, "assembly_role_required")
    assert await api.state() == before


async def test_rejected_credentials_cannot_check_in(api: AssemblyApi) -> None:
    created = await api.assembly()
    delegation = await api.delegation(created["id"], accept=False)
    await api.client.post(f"/api/delegations/{delegation['id']}/credentials/reject", json={"reason": "forged"},
                          headers=api.admin_headers)
    before = await api.state()
    api.problem(await api.client.post(f"/api/delegations/{delegation['id']}/check-in", headers=api.admin_headers),
                409, "credentials_rejected")
    assert await api.state() == before


async def test_attendance_is_final_once_closed(api: AssemblyApi) -> None:
    created = await api.assembly()
    delegation = await api.delegation(created["id"])
    await api.close(created["id"])
    before = await api.state()
    api.problem(await api.client.post(f"/api/delegations/{delegation['id']}/check-in", headers=api.admin_headers),
                409, "assembly_closed")
    assert await api.state() == before
