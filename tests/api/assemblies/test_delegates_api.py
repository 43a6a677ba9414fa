"""A delegation's people and designated voter through the API, including the two-delegations race."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

if TYPE_CHECKING:
    from tests.api.assemblies.conftest import AssemblyApi


def _people(*entries: tuple[Any, str], voter: Any = None) -> dict[str, Any]:
    return {"delegates": [{"user_id": str(user.id), "role": role} for user, role in entries],
            "designated_voter_user_id": str(voter.id) if voter is not None else None}


async def test_secretariat_sets_the_delegates_and_the_designated_voter(api: AssemblyApi) -> None:
    created = await api.assembly()
    delegation = await api.delegation(created["id"])
    head, _ = await api.user(full_name="Ada Colau")
    delegate, _ = await api.user(full_name="Bea Diaz")
    substitute, _ = await api.user(full_name="Cai Wu")
    response = await api.client.put(
        f"/api/delegations/{delegation['id']}/delegates", headers=api.admin_headers,
        json=_people((head, "head"), (delegate, "delegate"), (substitute, "substitute"), voter=delegate),
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["delegates"] == [
        {"user_id": str(head.id), "full_name": "Ada Colau", "role": "head"},
        {"user_id": str(delegate.id), "full_name": "Bea Diaz", "role": "delegate"},
        {"user_id": str(substitute.id), "full_name": "Cai Wu", "role": "substitute"},
    ]
    assert body["designated_voter_user_id"] == str(delegate.id)
    [event] = await api.events("delegation.delegates_set")
    assert event["before"] == []
    assert event["designated_voter_user_id"] == str(delegate.id)
    assert [d["role"] for d in event["delegates"]] == ["head", "delegate", "substitute"]


async def test_the_head_may_replace_the_people_and_a_delegate_may_not(api: AssemblyApi) -> None:
    created = await api.assembly()
    delegation = await api.delegation(created["id"])
    head, head_headers = await api.seat(delegation["id"], "head")
    newcomer, newcomer_headers = await api.user()
    path = f"/api/delegations/{delegation['id']}/delegates"
    response = await api.client.put(path, headers=head_headers,
                                    json=_people((head, "head"), (newcomer, "delegate"), voter=newcomer))
    assert response.status_code == 200, response.text
    assert len(response.json()["delegates"]) == 2
    [_, second] = await api.events("delegation.delegates_set")
    assert second["before"] == [{"user_id": str(head.id), "role": "head"}]
    before = await api.state()
    api.problem(await api.client.put(path, headers=newcomer_headers, json=_people((newcomer, "head"))),
                403, "not_delegation_head")
    assert await api.state() == before


async def test_a_delegate_in_two_delegations_of_one_assembly_is_refused(api: AssemblyApi) -> None:
    created = await api.assembly()
    first = await api.delegation(created["id"])
    second = await api.delegation(created["id"])
    person, _ = await api.seat(first["id"], "head")
    other, _ = await api.user()
    before = await api.state()
    response = await api.client.put(f"/api/delegations/{second['id']}/delegates", headers=api.admin_headers,
                                    json=_people((other, "head"), (person, "delegate")))
    body = api.problem(response, 409, "delegate_in_other_delegation", field="delegates[1].user_id")
    assert "another delegation" in body["detail"]
    assert await api.state() == before


async def test_the_same_person_may_sit_in_delegations_of_different_assemblies(api: AssemblyApi) -> None:
    first = await api.assembly(name="One")
    second = await api.assembly(name="Two")
    delegation_one = await api.delegation(first["id"])
    delegation_two = await api.delegation(second["id"])
    person, _ = await api.seat(delegation_one["id"], "head")
    response = await api.client.put(f"/api/delegations/{delegation_two['id']}/delegates", headers=api.admin_headers,
                                    json=_people((person, "head")))
    assert response.status_code == 200


async def test_bad_delegate_lists_are_refused_naming_the_field(api: AssemblyApi) -> None:
    created = await api.assembly()
    delegation = await api.delegation(created["id"])
    a, _ = await api.user()
    b, _ = await api.user()
    path = f"/api/delegations/{delegation['id']}/delegates"
    before = await api.state()
    cases: list[tuple[dict[str, Any], int, str, str]] = [
        (_people((a, "head"), (a, "delegate")), 422, "duplicate_delegate", "delegates[1].user_id"),
        (_people((a, "head"), (b, "head")), 422, "multiple_heads", "delegates[1].role"),
        (_people((a, "head"), voter=b), 422, "designated_voter_not_delegate", "designated_voter_user_id"),
        ({"delegates": [{"user_id": str(a.id), "role": "head"}, {"user_id": str(uuid.uuid4()), "role": "delegate"}]},
         422, "user_not_found", "delegates[1].user_id"),
        ({"delegates": [{"user_id": str(a.id), "role": "chair"}]}, 422, "invalid_input", "delegates[0].role"),
        ({"delegates": [{"user_id": str(uuid.uuid4()), "role": "delegate"}] * 21}, 422, "invalid_input", "delegates"),
    ]
    for body, status, code, field in cases:
        api.problem(await api.client.put(path, json=body, headers=api.admin_headers), status, code, field=field)
    assert await api.state() == before


async def test_clearing_the_delegates_clears_the_voter(api: AssemblyApi) -> None:
    created = await api.assembly()
    delegation = await api.delegation(created["id"])
    await api.seat(delegation["id"], "delegate", designated=True)
    response = await api.client.put(f"/api/delegations/{delegation['id']}/delegates", headers=api.admin_headers,
                                    json={"delegates": []})
    assert response.status_code == 200
    assert (response.json()["delegates"], response.json()["designated_voter_user_id"]) == ([], None)


async def test_no_changes_once_closed(api: AssemblyApi) -> None:
    created = await api.assembly()
    delegation = await api.delegation(created["id"])
    person, _ = await api.user()
    await api.close(created["id"])
    before = await api.state()
    api.problem(await api.client.put(f"/api/delegations/{delegation['id']}/delegates", headers=api.admin_headers,
                                     json=_people((person, "head"))), 409, "assembly_closed")
    assert await api.state() == before


async def test_seating_one_person_in_two_delegations_at_once_lets_exactly_one_win(api: AssemblyApi) -> None:
    created = await api.assembly()
    first = await api.delegation(created["id"])
    second = await api.delegation(created["id"])
    person, _ = await api.user()
    responses = await asyncio.gather(*(
        api.client.put(f"/api/delegations/{d['id']}/delegates", headers=api.admin_headers,
                       json=_people((person, "head")))
        for d in (first, second)
    ))
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 409], [r.text for r in responses]
    loser = next(r for r in responses if r.status_code == 409)
    api.problem(loser, 409, "delegate_in_other_delegation", field="delegates[0].user_id")
    async with api.database.engine.connect() as connection:
        seats = await connection.scalar(text("SELECT count(*) FROM delegation_member WHERE user_id = :u"),
                                        {"u": person.id})
    assert seats == 1
    assert len(await api.events("delegation.delegates_set")) == 1
