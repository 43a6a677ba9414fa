"""Proxies through the API: grants, every refusal, revocation, and the holder-limit race."""

from __future__ import annotations

import asyncio
import uuid
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

if TYPE_CHECKING:
    from tests.api.assemblies.conftest import AssemblyApi

ALLOW_ONE: dict[str, Any] = {"proxies": {"allowed": True, "max_per_holder": 1}}


async def _setup(api: AssemblyApi, count: int = 4, rules: dict[str, Any] | None = None,
                 **overrides: Any) -> tuple[str, list[dict[str, Any]]]:
    created = await api.assembly(rules=ALLOW_ONE if rules is None else rules)
    delegations = [await api.delegation(created["id"], name=f"City {i}", **overrides) for i in range(count)]
    return created["id"], delegations


async def _grant(api: AssemblyApi, grantor: dict[str, Any], holder_id: str, headers: dict[str, str] | None = None,
                 ballot_id: str | None = None) -> Any:
    body: dict[str, Any] = {"holder_delegation_id": holder_id}
    if ballot_id is not None:
        body["ballot_id"] = ballot_id
    return await api.client.post(f"/api/delegations/{grantor['id']}/proxies", json=body,
                                 headers=headers or api.admin_headers)


async def test_the_head_grants_a_proxy_and_both_delegations_show_it(api: AssemblyApi) -> None:
    _, (a, b, *_) = await _setup(api)
    _, head_headers = await api.seat(a["id"], "head")
    response = await _grant(api, a, b["id"], head_headers)
    assert response.status_code == 201, response.text
    proxy = response.json()
    assert (proxy["grantor_delegation_id"], proxy["holder_delegation_id"]) == (a["id"], b["id"])
    assert (proxy["ballot_id"], proxy["revoked_at"]) == (None, None)
    given = (await api.client.get(f"/api/delegations/{a['id']}", headers=head_headers)).json()
    held = (await api.client.get(f"/api/delegations/{b['id']}", headers=head_headers)).json()
    assert [p["id"] for p in given["proxies_given"]] == [proxy["id"]]
    assert [p["id"] for p in held["proxies_held"]] == [proxy["id"]]
    assert given["proxies_held"] == held["proxies_given"] == []
    [event] = await api.events("proxy.granted")
    assert event == {"grantor_delegation_id": a["id"], "holder_delegation_id": b["id"], "ballot_id": None}


async def test_the_designated_voter_may_grant_a_plain_delegate_may_not(api: AssemblyApi) -> None:
    _, (a, b, c, *_) = await _setup(api)
    _, voter_headers = await api.seat(a["id"], "delegate", designated=True)
    _, plain_headers = await api.seat(c["id"], "delegate")
    assert (await _grant(api, a, b["id"], voter_headers)).status_code == 201
    before = await api.state()
    api.problem(await _grant(api, c, b["id"], plain_headers), 403, "not_delegation_voter")
    _, stranger = await api.user()
    api.problem(await _grant(api, c, b["id"], stranger), 403, "not_delegation_voter")
    assert await api.state() == before


async def test_a_proxy_to_oneself_is_refused_naming_the_field(api: AssemblyApi) -> None:
    _, (a, *_) = await _setup(api)
    before = await api.state()
    api.problem(await _grant(api, a, a["id"]), 422, "proxy_to_self", field="holder_delegation_id")
    assert await api.state() == before


async def test_refused_when_the_rules_forbid_proxies(api: AssemblyApi) -> None:
    _, (a, b, *_) = await _setup(api, rules={})
    before = await api.state()
    api.problem(await _grant(api, a, b["id"]), 409, "proxies_not_allowed")
    assert await api.state() == before


async def test_refused_when_the_holder_would_exceed_the_limit(api: AssemblyApi) -> None:
    _, (a, b, c, *_) = await _setup(api)
    assert (await _grant(api, a, b["id"])).status_code == 201
    before = await api.state()
    body = api.problem(await _grant(api, c, b["id"]), 409, "proxy_limit_reached")
    assert "allows 1" in body["detail"]
    assert await api.state() == before


async def test_no_chains(api: AssemblyApi) -> None:
    _, (a, b, c, d) = await _setup(api, rules={"proxies": {"allowed": True, "max_per_holder": 3}})
    assert (await _grant(api, a, b["id"])).status_code == 201
    before = await api.state()
    api.problem(await _grant(api, b, c["id"]), 409, "proxy_chain")  # B holds A's vote
    api.problem(await _grant(api, d, a["id"]), 409, "proxy_chain")  # A gave its own vote away
    assert await api.state() == before


async def test_refused_when_grantor_or_holder_is_not_eligible(api: AssemblyApi) -> None:
    assembly_id, (a, _b) = await _setup(api, count=2)
    arrears = await api.delegation(assembly_id, name="In arrears", fees_paid_through=2019)
    pending = await api.delegation(assembly_id, name="Pending", accept=False)
    before = await api.state()
    body = api.problem(await _grant(api, arrears, a["id"]), 409, "grantor_not_eligible")
    assert body["reasons"] == ["fees_in_arrears"]
    body = api.problem(await _grant(api, a, pending["id"]), 409, "holder_not_eligible")
    assert body["reasons"] == ["credentials_not_accepted"]
    assert await api.state() == before


async def test_one_live_proxy_per_scope(api: AssemblyApi) -> None:
    _, (a, b, c, _) = await _setup(api, rules={"proxies": {"allowed": True, "max_per_holder": 3}})
    ballot_1, ballot_2 = str(uuid.uuid4()), str(uuid.uuid4())
    assert (await _grant(api, a, b["id"], ballot_id=ballot_1)).status_code == 201
    assert (await _grant(api, a, c["id"], ballot_id=ballot_2)).status_code == 201  # another ballot: fine
    before = await api.state()
    api.problem(await _grant(api, a, c["id"], ballot_id=ballot_1), 409, "proxy_exists")
    api.problem(await _grant(api, a, c["id"]), 409, "proxy_exists")  # assembly-wide would cover ballot 1
    assert await api.state() == before
    [first, _] = await api.events("proxy.granted")
    assert first["ballot_id"] == ballot_1


async def test_different_assembly_and_unknown_holder(api: AssemblyApi) -> None:
    _, (a, *_) = await _setup(api)
    _, (stranger, *_) = await _setup(api, count=1)
    before = await api.state()
    api.problem(await _grant(api, a, stranger["id"]), 422, "different_assembly", field="holder_delegation_id")
    api.problem(await _grant(api, a, str(uuid.uuid4())), 422, "delegation_not_found", field="holder_delegation_id")
    api.problem(await api.client.post(f"/api/delegations/{uuid.uuid4()}/proxies", headers=api.admin_headers,
                                      json={"holder_delegation_id": a["id"]}), 404, "delegation_not_found")
    api.problem(await api.client.post(f"/api/delegations/{a['id']}/proxies", headers=api.admin_headers,
                                      json={"holder_delegation_id": a["id"], "weight": 2}), 422, "invalid_input")
    assert await api.state() == before


async def test_revoke_then_grant_again(api: AssemblyApi) -> None:
    _, (a, b, c, _) = await _setup(api)
    _, head_headers = await api.seat(a["id"], "head")
    proxy = (await _grant(api, a, b["id"], head_headers)).json()
    revoked = await api.client.post(f"/api/proxies/{proxy['id']}/revoke", headers=head_headers)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoked_at"] is not None
    before = await api.state()
    api.problem(await api.client.post(f"/api/proxies/{proxy['id']}/revoke", headers=head_headers),
                409, "proxy_already_revoked")
    api.problem(await api.client.post(f"/api/proxies/{uuid.uuid4()}/revoke", headers=head_headers),
                404, "proxy_not_found")
    assert await api.state() == before
    assert (await _grant(api, a, c["id"], head_headers)).status_code == 201  # the scope is free again
    assert (await _grant(api, b, c["id"])).status_code == 409  # C is full now (limit 1)
    [event] = await api.events("proxy.revoked")
    assert event["holder_delegation_id"] == b["id"]
    detail = (await api.client.get(f"/api/delegations/{a['id']}", headers=head_headers)).json()
    assert [p["revoked_at"] is None for p in detail["proxies_given"]] == [False, True]


async def test_only_the_grantor_side_may_revoke(api: AssemblyApi) -> None:
    _, (a, b, *_) = await _setup(api)
    _, holder_head = await api.seat(b["id"], "head")
    proxy = (await _grant(api, a, b["id"])).json()
    before = await api.state()
    api.problem(await api.client.post(f"/api/proxies/{proxy['id']}/revoke", headers=holder_head),
                403, "not_delegation_voter")
    assert await api.state() == before


async def test_no_grants_or_revocations_once_closed(api: AssemblyApi) -> None:
    assembly_id, (a, b, c, _) = await _setup(api)
    proxy = (await _grant(api, a, b["id"])).json()
    await api.close(assembly_id)
    before = await api.state()
    api.problem(await _grant(api, c, a["id"]), 409, "assembly_closed")
    api.problem(await api.client.post(f"/api/proxies/{proxy['id']}/revoke", headers=api.admin_headers),
                409, "assembly_closed")
    assert await api.state() == before


async def test_two_grants_racing_for_the_last_place_exactly_one_wins(api: AssemblyApi) -> None:
    _, (holder, first, second, _) = await _setup(api)
    responses = await asyncio.gather(_grant(api, first, holder["id"]), _grant(api, second, holder["id"]))
    assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
    api.problem(next(r for r in responses if r.status_code == 409), 409, "proxy_limit_reached")
    async with api.database.engine.connect() as connection:
        live = await connection.scalar(text(
            "SELECT count(*) FROM proxy WHERE holder_delegation_id = :h AND revoked_at IS NULL"), {"h": holder["id"]})
    assert live == 1
