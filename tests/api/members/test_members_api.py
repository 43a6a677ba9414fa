"""The member register API: create, read, replace, suspend, reinstate, list; every refusal."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from assembly.db import Database
from tests.api.members.conftest import CSV_HEADERS, Snapshot, assert_problem, audit_events, error_fields, member_json

CreateMember = Callable[..., Awaitable[dict[str, Any]]]
TakeSnapshot = Callable[[], Awaitable[Snapshot]]

SOME_ID = "01900000-0000-7000-8000-000000000000"
REASON = {"reason": "World Council decision 2026/14"}


# --- who may call ------------------------------------------------------------------------------

ALL_ENDPOINTS = [
    ("GET", "/api/members", None),
    ("GET", f"/api/members/{SOME_ID}", None),
    ("GET", "/api/members/by-key/ES-BCN", None),
    ("POST", "/api/members", member_json()),
    ("PUT", f"/api/members/{SOME_ID}", member_json()),
    ("POST", f"/api/members/{SOME_ID}/suspend", REASON),
    ("POST", f"/api/members/{SOME_ID}/reinstate", REASON),
]
WRITE_ENDPOINTS = [endpoint for endpoint in ALL_ENDPOINTS if endpoint[0] != "GET"]


@pytest.mark.parametrize(("method", "path", "body"), ALL_ENDPOINTS)
async def test_anonymous_caller_is_refused_401(
    client: httpx.AsyncClient, snapshot: TakeSnapshot, method: str, path: str, body: Any
) -> None:
    before = await snapshot()
    response = await client.request(method, path, json=body)
    assert_problem(response, 401, "unauthorized")
    assert await snapshot() == before


async def test_anonymous_import_is_refused_401(client: httpx.AsyncClient, snapshot: TakeSnapshot) -> None:
    before = await snapshot()
    response = await client.post("/api/members/import", content=b"key\n", headers=CSV_HEADERS)
    assert_problem(response, 401, "unauthorized")
    assert await snapshot() == before


@pytest.mark.parametrize(("method", "path", "body"), WRITE_ENDPOINTS)
async def test_non_admin_is_refused_every_write_403(
    client: httpx.AsyncClient,
    create_member: CreateMember,
    user_headers: dict[str, str],
    snapshot: TakeSnapshot,
    method: str,
    path: str,
    body: Any,
) -> None:
    member = await create_member("FR-PAR")
    before = await snapshot()
    response = await client.request(method, path.replace(SOME_ID, member["id"]), json=body, headers=user_headers)
    assert_problem(response, 403, "admin_only")
    assert await snapshot() == before


async def test_non_admin_import_is_refused_403(
    client: httpx.AsyncClient, user_headers: dict[str, str], snapshot: TakeSnapshot
) -> None:
    before = await snapshot()
    body = b"key,name,kind,country,region\nX,Y,region,ES,europe\n"
    response = await client.post("/api/members/import", content=body, headers={**user_headers, **CSV_HEADERS})
    assert_problem(response, 403, "admin_only")
    assert await snapshot() == before


async def test_non_admin_may_read(
    client: httpx.AsyncClient, create_member: CreateMember, user_headers: dict[str, str]
) -> None:
    member = await create_member("FR-PAR", name="Paris", country="FR")
    assert (await client.get("/api/members", headers=user_headers)).json()["total"] == 1
    assert (await client.get(f"/api/members/{member['id']}", headers=user_headers)).json()["key"] == "FR-PAR"
    assert (await client.get("/api/members/by-key/FR-PAR", headers=user_headers)).json()["name"] == "Paris"


async def test_members_cannot_be_deleted(
    client: httpx.AsyncClient, create_member: CreateMember, admin_headers: dict[str, str], snapshot: TakeSnapshot
) -> None:
    member = await create_member()
    before = await snapshot()
    assert_problem(await client.delete(f"/api/members/{member['id']}", headers=admin_headers), 405,
                   "method_not_allowed")
    assert await snapshot() == before


# --- create ------------------------------------------------------------------------------------


async def test_admin_creates_a_member(
    client: httpx.AsyncClient, admin_headers: dict[str, str], database: Database
) -> None:
    body = member_json("es-bcn.1", name="  Barcelona  ", country="es", kind="metropolis")
    response = await client.post("/api/members", json=body, headers=admin_headers)
    assert response.status_code == 201, response.text
    member = response.json()
    assert member == {
        **member,
        "key": "es-bcn.1",
        "name": "Barcelona",
        "kind": "metropolis",
        "country": "ES",
        "region": "europe",
        "section": "metropolitan",
        "population": 1_620_000,
        "membership_category": "A",
        "fees_paid_through": 2025,
        "status": "active",
    }
    uuid.UUID(member["id"])
    assert member["created_at"] == member["updated_at"]
    read = await client.get(f"/api/members/{member['id']}", headers=admin_headers)
    assert read.json() == member
    [event] = await audit_events(database, "member.created")
    assert event.subject_id == uuid.UUID(member["id"])
    assert event.payload["key"] == "es-bcn.1"
    assert event.payload["country"] == "ES"


async def test_create_with_only_the_required_fields(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    body = {"key": "INT-1", "name": "Network of Cities", "kind": "international_organisation", "country": "CH",
            "region": "europe"}
    response = await client.post("/api/members", json=body, headers=admin_headers)
    assert response.status_code == 201, response.text
    member = response.json()
    assert (member["section"], member["population"], member["membership_category"],
            member["fees_paid_through"]) == (None, None, None, None)


async def test_duplicate_key_is_refused_409(
    client: httpx.AsyncClient, create_member: CreateMember, admin_headers: dict[str, str], snapshot: TakeSnapshot
) -> None:
    await create_member("ES-BCN")
    before = await snapshot()
    response = await client.post("/api/members", json=member_json("ES-BCN", name="Other"), headers=admin_headers)
    body = assert_problem(response, 409, "member_key_taken")
    assert "ES-BCN" in body["detail"]
    assert error_fields(body) == {"key"}
    assert await snapshot() == before


BAD_CREATE_FIELDS = [
    ("country", "ZZ"),
    ("country", "XK"),
    ("country", "E"),
    ("country", "ESP"),
    ("country", "1A"),
    ("population", -1),
    ("population", 10_000_000_001),
    ("kind", "city"),
    ("region", "mars"),
    ("region", None),
    ("section", "central"),
    ("key", "-starts-with-dash"),
    ("key", "has space"),
    ("key", "K" * 65),
    ("key", ""),
    ("name", ""),
    ("name", "   "),
    ("name", "N" * 201),
    ("name", "Bad\x00Name"),
    ("name", "Line\nbreak"),
    ("membership_category", "C" * 33),
    ("fees_paid_through", 1899),
    ("fees_paid_through", 3000),
    ("fees_paid_through", True),
]


@pytest.mark.parametrize(("field", "value"), BAD_CREATE_FIELDS)
async def test_create_refuses_a_bad_field_422(
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    snapshot: TakeSnapshot,
    field: str,
    value: Any,
) -> None:
    before = await snapshot()
    response = await client.post("/api/members", json=member_json(**{field: value}), headers=admin_headers)
    body = assert_problem(response, 422, "invalid_input")
    assert field in error_fields(body), body
    assert await snapshot() == before


async def test_create_refuses_unknown_fields_and_names_them(
    client: httpx.AsyncClient, admin_headers: dict[str, str], snapshot: TakeSnapshot
) -> None:
    before = await snapshot()
    response = await client.post("/api/members", json={**member_json(), "status": "suspended"}, headers=admin_headers)
    body = assert_problem(response, 422, "invalid_input")
    assert "status" in body["detail"]
    assert await snapshot() == before


async def test_create_names_every_missing_field(
    client: httpx.AsyncClient, admin_headers: dict[str, str], snapshot: TakeSnapshot
) -> None:
    before = await snapshot()
    response = await client.post("/api/members", json={"key": "A"}, headers=admin_headers)
    body = assert_problem(response, 422, "invalid_input")
    assert "name" in body["detail"]
    assert await snapshot() == before


async def test_create_in_another_media_type_is_415(
    client: httpx.AsyncClient, admin_headers: dict[str, str], snapshot: TakeSnapshot
) -> None:
    before = await snapshot()
    response = await client.post("/api/members", content=b"key=A",
                                 headers={**admin_headers, "content-type": "application/x-www-form-urlencoded"})
    assert_problem(response, 415, "unsupported_media_type")
    assert await snapshot() == before


# --- read --------------------------------------------------------------------------------------


async def test_read_by_key_is_case_sensitive(
    client: httpx.AsyncClient, create_member: CreateMember, admin_headers: dict[str, str]
) -> None:
    member = await create_member("ES-BCN")
    assert (await client.get("/api/members/by-key/ES-BCN", headers=admin_headers)).json()["id"] == member["id"]
    body = assert_problem(await client.get("/api/members/by-key/es-bcn", headers=admin_headers), 404,
                          "member_not_found")
    assert "es-bcn" in body["detail"]


@pytest.mark.parametrize("path", [f"/api/members/{SOME_ID}", "/api/members/by-key/NOPE", "/api/members/by-key/-x%00"])
async def test_unknown_member_is_404(client: httpx.AsyncClient, admin_headers: dict[str, str], path: str) -> None:
    assert_problem(await client.get(path, headers=admin_headers), 404, "member_not_found")


async def test_malformed_member_id_is_refused(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    # No route matches a path segment that is not a UUID (and is not "by-key" or "import").
    assert_problem(await client.get("/api/members/not-a-uuid", headers=admin_headers), 404, "not_found")


# --- replace -----------------------------------------------------------------------------------


def replacement(**overrides: Any) -> dict[str, Any]:
    body = {key: value for key, value in member_json().items() if key != "key"}
    body.update(overrides)
    return body


async def test_admin_replaces_every_editable_field(
    client: httpx.AsyncClient, create_member: CreateMember, admin_headers: dict[str, str], database: Database
) -> None:
    member = await create_member("ES-BCN")
    new = {
        "name": "Ajuntament de Barcelona",
        "kind": "metropolis",
        "country": "es",
        "region": "europe",
        "section": None,
        "population": None,
        "membership_category": None,
        "fees_paid_through": 2026,
    }
    response = await client.put(f"/api/members/{member['id']}", json=new, headers=admin_headers)
    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated == {**member, **new, "country": "ES", "updated_at": updated["updated_at"]}
    assert updated["updated_at"] > member["updated_at"]
    [event] = await audit_events(database, "member.updated")
    assert event.payload["changes"] == {
        "name": {"from": "Barcelona", "to": "Ajuntament de Barcelona"},
        "kind": {"from": "local_government", "to": "metropolis"},
        "section": {"from": "metropolitan", "to": None},
        "population": {"from": 1_620_000, "to": None},
        "membership_category": {"from": "A", "to": None},
        "fees_paid_through": {"from": 2025, "to": 2026},
    }


async def test_replace_with_the_same_values_changes_nothing(
    client: httpx.AsyncClient, create_member: CreateMember, admin_headers: dict[str, str], snapshot: TakeSnapshot
) -> None:
    member = await create_member("ES-BCN")
    before = await snapshot()
    response = await client.put(f"/api/members/{member['id']}", json=replacement(), headers=admin_headers)
    assert response.status_code == 200, response.text
    assert response.json() == member
    assert await snapshot() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (replacement(key="NEW-KEY"), "key"),
        (replacement(status="suspended"), "status"),
        ({k: v for k, v in replacement().items() if k != "section"}, "section"),
        (replacement(country="ZZ"), "country"),
        (replacement(population=-5), "population"),
        (replacement(name="  "), "name"),
        (replacement(region="atlantis"), "region"),
        (replacement(fees_paid_through=1800), "fees_paid_through"),
    ],
)
async def test_replace_refuses_bad_bodies_422(
    client: httpx.AsyncClient,
    create_member: CreateMember,
    admin_headers: dict[str, str],
    snapshot: TakeSnapshot,
    body: dict[str, Any],
    field: str,
) -> None:
    member = await create_member("ES-BCN")
    before = await snapshot()
    response = await client.put(f"/api/members/{member['id']}", json=body, headers=admin_headers)
    problem = assert_problem(response, 422, "invalid_input")
    assert field in problem["detail"]
    assert await snapshot() == before


async def test_replace_of_unknown_member_is_404(
    client: httpx.AsyncClient, admin_headers: dict[str, str], snapshot: TakeSnapshot
) -> None:
    before = await snapshot()
    response = await client.put(f"/api/members/{SOME_ID}", json=replacement(), headers=admin_headers)
    assert_problem(response, 404, "member_not_found")
    assert await snapshot() == before


# --- suspend and reinstate ---------------------------------------------------------------------


async def test_suspend_then_reinstate(
    client: httpx.AsyncClient, create_member: CreateMember, admin_headers: dict[str, str], database: Database
) -> None:
    member = await create_member("ES-BCN")
    suspended = await client.post(f"/api/members/{member['id']}/suspend", json=REASON, headers=admin_headers)
    assert suspended.status_code == 200, suspended.text
    assert suspended.json()["status"] == "suspended"
    replaced = await client.put(f"/api/members/{member['id']}", json=replacement(name="Barcelona (BCN)"),
                                headers=admin_headers)
    assert replaced.json()["status"] == "suspended"  # a replace never touches the status
    reinstated = await client.post(f"/api/members/{member['id']}/reinstate",
                                   json={"reason": "World Council lifted it"}, headers=admin_headers)
    assert reinstated.status_code == 200, reinstated.text
    assert reinstated.json()["status"] == "active"
    [suspension] = await audit_events(database, "member.suspended")
    [reinstatement] = await audit_events(database, "member.reinstated")
    assert suspension.payload == {"key": "ES-BCN", "reason": REASON["reason"]}
    assert reinstatement.payload == {"key": "ES-BCN", "reason": "World Council lifted it"}
    assert suspension.subject_id == reinstatement.subject_id == uuid.UUID(member["id"])


async def test_suspending_twice_is_409(
    client: httpx.AsyncClient, create_member: CreateMember, admin_headers: dict[str, str], snapshot: TakeSnapshot
) -> None:
    member = await create_member("ES-BCN")
    await client.post(f"/api/members/{member['id']}/suspend", json=REASON, headers=admin_headers)
    before = await snapshot()
    response = await client.post(f"/api/members/{member['id']}/suspend", json=REASON, headers=admin_headers)
    assert_problem(response, 409, "member_already_suspended")
    assert await snapshot() == before


async def test_reinstating_an_active_member_is_409(
    client: httpx.AsyncClient, create_member: CreateMember, admin_headers: dict[str, str], snapshot: TakeSnapshot
) -> None:
    member = await create_member("ES-BCN")
    before = await snapshot()
    response = await client.post(f"/api/members/{member['id']}/reinstate", json=REASON, headers=admin_headers)
    assert_problem(response, 409, "member_not_suspended")
    assert await snapshot() == before


@pytest.mark.parametrize("command", ["suspend", "reinstate"])
async def test_status_command_on_unknown_member_is_404(
    client: httpx.AsyncClient, admin_headers: dict[str, str], snapshot: TakeSnapshot, command: str
) -> None:
    before = await snapshot()
    response = await client.post(f"/api/members/{SOME_ID}/{command}", json=REASON, headers=admin_headers)
    assert_problem(response, 404, "member_not_found")
    assert await snapshot() == before


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 501}, None])
async def test_status_command_needs_a_reason_422(
    client: httpx.AsyncClient,
    create_member: CreateMember,
    admin_headers: dict[str, str],
    snapshot: TakeSnapshot,
    body: Any,
) -> None:
    member = await create_member("ES-BCN")
    before = await snapshot()
    response = await client.post(f"/api/members/{member['id']}/suspend", json=body, headers=admin_headers)
    problem = assert_problem(response, 422, "invalid_input")
    # A missing body is named as the body parameter itself ("data"), a bad one by its field.
    assert error_fields(problem) & {"reason", "data"}, problem
    assert await snapshot() == before


# --- list --------------------------------------------------------------------------------------


@pytest.fixture
async def register(create_member: CreateMember, client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    await create_member("ES-BCN", name="Barcelona", country="ES", region="europe", kind="metropolis",
                        section="metropolitan")
    await create_member("ES-MAD", name="Madrid", country="ES", region="europe", kind="local_government",
                        section=None)
    await create_member("FR-PAR", name="Paris", country="FR", region="europe", kind="metropolis",
                        section="metropolitan")
    await create_member("BR-SPO", name="São Paulo", country="BR", region="latin_america", kind="metropolis",
                        section="metropolitan")
    await create_member("KE-FLGA", name="Federation of Local Governments 100%_sure", country="KE",
                        region="africa", kind="national_association", section=None)
    paris = await create_member("CA-QC", name="Québec", country="CA", region="north_america", kind="region",
                                section="regional")
    response = await client.post(f"/api/members/{paris['id']}/suspend", json=REASON, headers=admin_headers)
    assert response.status_code == 200


async def keys(client: httpx.AsyncClient, headers: dict[str, str], **params: Any) -> list[str]:
    response = await client.get("/api/members", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [item["key"] for item in response.json()["items"]]


@pytest.mark.usefixtures("register")
async def test_list_is_sorted_by_name_by_default(client: httpx.AsyncClient, user_headers: dict[str, str]) -> None:
    response = await client.get("/api/members", headers=user_headers)
    body = response.json()
    assert (body["total"], body["limit"], body["offset"]) == (6, 50, 0)
    assert [item["name"] for item in body["items"]] == [
        "Barcelona", "Federation of Local Governments 100%_sure", "Madrid", "Paris", "Québec", "São Paulo",
    ]


@pytest.mark.usefixtures("register")
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"kind": "metropolis"}, ["ES-BCN", "FR-PAR", "BR-SPO"]),
        ({"region": "europe"}, ["ES-BCN", "ES-MAD", "FR-PAR"]),
        ({"country": "es"}, ["ES-BCN", "ES-MAD"]),
        ({"country": "ES", "kind": "metropolis"}, ["ES-BCN"]),
        ({"section": "regional"}, ["CA-QC"]),
        ({"status": "suspended"}, ["CA-QC"]),
        ({"status": "active", "region": "north_america"}, []),
        ({"search": "PAR"}, ["FR-PAR"]),
        ({"search": "bcn"}, ["ES-BCN"]),
        ({"search": "ão pa"}, ["BR-SPO"]),
        ({"search": "%_"}, ["KE-FLGA"]),
        ({"search": "_"}, ["KE-FLGA"]),
        ({"search": "es-"}, ["ES-BCN", "ES-MAD"]),
        ({"sort": "key"}, ["BR-SPO", "CA-QC", "ES-BCN", "ES-MAD", "FR-PAR", "KE-FLGA"]),
        ({"sort": "-key"}, ["KE-FLGA", "FR-PAR", "ES-MAD", "ES-BCN", "CA-QC", "BR-SPO"]),
        ({"sort": "-name", "limit": 2}, ["BR-SPO", "CA-QC"]),
        ({"sort": "key", "limit": 2, "offset": 2}, ["ES-BCN", "ES-MAD"]),
        ({"sort": "key", "offset": 6}, []),
    ],
)
async def test_list_filters_search_sort_and_pages(
    client: httpx.AsyncClient, user_headers: dict[str, str], params: dict[str, Any], expected: list[str]
) -> None:
    assert await keys(client, user_headers, **params) == expected


@pytest.mark.usefixtures("register")
async def test_list_total_counts_every_match_not_just_the_page(
    client: httpx.AsyncClient, user_headers: dict[str, str]
) -> None:
    body = (await client.get("/api/members", params={"kind": "metropolis", "limit": 1, "offset": 1},
                             headers=user_headers)).json()
    assert (body["total"], body["limit"], body["offset"], len(body["items"])) == (3, 1, 1, 1)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 501}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"kind": "city"}, "kind"),
        ({"region": "mars"}, "region"),
        ({"status": "expelled"}, "status"),
        ({"sort": "population"}, "sort"),
        ({"country": "ZZ"}, "country"),
        ({"country": "ESP"}, "country"),
        ({"search": "x" * 101}, "search"),
        ({"search": "a\x00b"}, "search"),
    ],
)
async def test_list_refuses_bad_parameters_422(
    client: httpx.AsyncClient, user_headers: dict[str, str], params: dict[str, Any], field: str
) -> None:
    response = await client.get("/api/members", params=params, headers=user_headers)
    body = assert_problem(response, 422, "invalid_input")
    assert any(field in name for name in error_fields(body)), body


async def test_list_limit_500_is_accepted(client: httpx.AsyncClient, user_headers: dict[str, str]) -> None:
    response = await client.get("/api/members", params={"limit": 500}, headers=user_headers)
    assert response.status_code == 200
    assert response.json() == {"items": [], "total": 0, "limit": 500, "offset": 0}
