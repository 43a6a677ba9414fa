"""CSV import of a member register through the API: all rows or none, idempotent on the key."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from assembly.db import Database
from assembly.members.rules import MAX_REGISTER_BYTES
from tests.api.members.conftest import (
    REGISTER_HEADER,
    Snapshot,
    assert_problem,
    audit_events,
    register_csv,
    register_row,
)

TakeSnapshot = Callable[[], Awaitable[Snapshot]]
CreateMember = Callable[..., Awaitable[dict[str, Any]]]


async def post_import(
    client: httpx.AsyncClient, headers: dict[str, str], body: bytes, *, dry_run: bool = False,
    content_type: str = "text/csv",
) -> httpx.Response:
    params = {"dry_run": "true"} if dry_run else {}
    return await client.post("/api/members/import", content=body, params=params,
                             headers={**headers, "content-type": content_type}, timeout=120)


async def member_by_key(client: httpx.AsyncClient, headers: dict[str, str], key: str) -> dict[str, Any]:
    response = await client.get(f"/api/members/by-key/{key}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_a_5000_row_register_imports_and_reimporting_it_changes_nothing(
    client: httpx.AsyncClient, admin_headers: dict[str, str], snapshot: TakeSnapshot, database: Database
) -> None:
    data = register_csv(5000)
    response = await post_import(client, admin_headers, data)
    assert response.status_code == 200, response.text
    assert response.json() == {"created": 5000, "updated": 0, "unchanged": 0, "total": 5000, "dry_run": False}
    listing = (await client.get("/api/members", params={"limit": 1}, headers=admin_headers)).json()
    assert listing["total"] == 5000
    member = await member_by_key(client, admin_headers, "M-000003")
    assert member == {**member, "name": "Municipality 3", "country": "KE", "region": "africa",
                      "population": 1003, "membership_category": "B", "fees_paid_through": 2024,
                      "section": None, "status": "active", "kind": "local_government"}
    [event] = await audit_events(database, "member.register_imported")
    assert event.payload == {
        "sha256": hashlib.sha256(data).hexdigest(),
        "bytes": len(data),
        "columns": sorted(REGISTER_HEADER.split(",")),
        "total": 5000,
        "created": 5000,
        "updated": 0,
        "unchanged": 0,
    }

    members_before, events_before = await snapshot()
    again = await post_import(client, admin_headers, data)
    assert again.status_code == 200, again.text
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 5000, "total": 5000, "dry_run": False}
    members_after, events_after = await snapshot()
    assert members_after == members_before  # not one row touched: updated_at stays
    assert events_after == events_before + 1  # the import itself is recorded


async def test_reimport_updates_only_the_rows_that_changed(
    client: httpx.AsyncClient, admin_headers: dict[str, str], snapshot: TakeSnapshot
) -> None:
    assert (await post_import(client, admin_headers, register_csv(50))).status_code == 200
    before = {row[1]: row for row in (await snapshot())[0]}  # by key (column 1)
    lines = register_csv(50).decode().splitlines()
    lines[3] = register_row(2, population=999_999)  # row 4 holds member 2
    lines.append(register_row(50))  # and one new member
    response = await post_import(client, admin_headers, ("\n".join(lines) + "\n").encode())
    assert response.status_code == 200, response.text
    assert response.json() == {"created": 1, "updated": 1, "unchanged": 49, "total": 51, "dry_run": False}
    after = {row[1]: row for row in (await snapshot())[0]}
    changed = {key for key in before if before[key] != after[key]}
    assert changed == {"M-000002"}
    assert (await member_by_key(client, admin_headers, "M-000002"))["population"] == 999_999
    assert set(after) - set(before) == {"M-000050"}


async def test_dry_run_counts_and_writes_nothing(
    client: httpx.AsyncClient, admin_headers: dict[str, str], snapshot: TakeSnapshot
) -> None:
    assert (await post_import(client, admin_headers, register_csv(10))).status_code == 200
    before = await snapshot()
    data = register_csv(10, start=5, membership_category="C")  # 5 known and changed, 5 new
    response = await post_import(client, admin_headers, data, dry_run=True)
    assert response.status_code == 200, response.text
    assert response.json() == {"created": 5, "updated": 5, "unchanged": 0, "total": 10, "dry_run": True}
    assert await snapshot() == before


async def test_one_bad_row_among_5000_imports_nothing_and_names_row_and_column(
    client: httpx.AsyncClient, admin_headers: dict[str, str], snapshot: TakeSnapshot
) -> None:
    before = await snapshot()
    lines = register_csv(5000).decode().splitlines()
    lines[2501] = register_row(2500, population=-12)  # spreadsheet row 2502
    response = await post_import(client, admin_headers, ("\n".join(lines) + "\n").encode())
    body = assert_problem(response, 422, "csv_rows_invalid")
    assert body["errors"] == [{"row": 2502, "column": "population", "message": "must not be negative"}]
    assert body["error_count"] == 1
    assert await snapshot() == before


@pytest.mark.parametrize(
    ("override", "column"),
    [
        ({"country": "ZZ"}, "country"),
        ({"country": "Spain"}, "country"),
        ({"region": "oceania"}, "region"),
        ({"kind": "city"}, "kind"),
        ({"section": "urban"}, "section"),
        ({"status": "expelled"}, "status"),
        ({"population": "12.5"}, "population"),
        ({"fees_paid_through": "1899"}, "fees_paid_through"),
        ({"membership_category": "X" * 33}, "membership_category"),
        ({"name": ""}, "name"),
        ({"key": "bad key"}, "key"),
    ],
)
async def test_each_bad_cell_is_reported_by_row_and_column(
    client: httpx.AsyncClient, admin_headers: dict[str, str], snapshot: TakeSnapshot,
    override: dict[str, Any], column: str,
) -> None:
    before = await snapshot()
    data = f"{REGISTER_HEADER}\n{register_row(1)}\n{register_row(2, **override)}\n".encode()
    body = assert_problem(await post_import(client, admin_headers, data), 422, "csv_rows_invalid")
    [error] = body["errors"]
    assert (error["row"], error["column"]) == (3, column)
    assert error["message"]
    assert await snapshot() == before


async def test_every_bad_row_is_reported_at_once(
    client: httpx.AsyncClient, admin_headers: dict[str, str], snapshot: TakeSnapshot
) -> None:
    before = await snapshot()
    data = (f"{REGISTER_HEADER}\n{register_row(1, country='ZZ', population='-1')}\n{register_row(2)}\n"
            f"{register_row(3, region='moon')}\n").encode()
    body = assert_problem(await post_import(client, admin_headers, data), 422, "csv_rows_invalid")
    assert [(error["row"], error["column"]) for error in body["errors"]] == [
        (2, "country"), (2, "population"), (4, "region"),
    ]
    assert await snapshot() == before


async def test_duplicate_keys_in_the_file_name_both_rows(
    client: httpx.AsyncClient, admin_headers: dict[str, str], snapshot: TakeSnapshot
) -> None:
    before = await snapshot()
    data = f"{REGISTER_HEADER}\n{register_row(1)}\n{register_row(2)}\n{register_row(1, name='Again')}\n".encode()
    body = assert_problem(await post_import(client, admin_headers, data), 422, "csv_rows_invalid")
    [error] = body["errors"]
    assert (error["row"], error["column"]) == (4, "key")
    assert "row 2" in error["message"]
    assert "M-000001" in error["message"]
    assert await snapshot() == before


@pytest.mark.parametrize(
    ("header", "column", "words"),
    [
        (REGISTER_HEADER + ",mayor", "mayor", "unknown column"),
        (REGISTER_HEADER.replace("region,", ""), "region", "missing"),
        (REGISTER_HEADER.replace("key,", ""), "key", "missing"),
        (REGISTER_HEADER + ",name", "name", "more than once"),
    ],
)
async def test_a_bad_header_is_refused(
    client: httpx.AsyncClient, admin_headers: dict[str, str], snapshot: TakeSnapshot,
    header: str, column: str, words: str,
) -> None:
    before = await snapshot()
    data = f"{header}\n{register_row(1)}\n".encode()
    body = assert_problem(await post_import(client, admin_headers, data), 422, "csv_header_invalid")
    matching = [error for error in body["errors"] if error["column"] == column]
    assert matching, body
    assert matching[0]["row"] == 1
    assert words in matching[0]["message"]
    assert await snapshot() == before


@pytest.mark.parametrize(
    ("data", "row"),
    [
        (b"", 1),
        (b"\xef\xbb\xbf", 1),
        (b"\r\n\n  \n", 1),
        (REGISTER_HEADER.encode() + b"\n", 2),
        (REGISTER_HEADER.encode() + b"\r\n,,,,,,,,,\r\n\r\n", 2),
    ],
)
async def test_an_empty_file_is_refused(
    client: httpx.AsyncClient, admin_headers: dict[str, str], snapshot: TakeSnapshot, data: bytes, row: int
) -> None:
    before = await snapshot()
    body = assert_problem(await post_import(client, admin_headers, data), 422, "csv_empty")
    assert body["errors"][0]["row"] == row
    assert await snapshot() == before


async def test_bom_crlf_and_quoted_fields_are_read_as_a_spreadsheet_writes_them(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    data = (
        "\ufeffKey,Name,Kind,Country,Region,Section,Population\r\n"
        '"ES-BCN","Barcelona, Ciutat de",metropolis,es,Europe,metropolitan,"1620000"\r\n'
        '\r\n'
        'FR-LYO,"Métropole de Lyon ""Grand Lyon""",Metropolis,fr,europe,,\r\n'
    ).encode()
    response = await post_import(client, admin_headers, data, content_type="text/csv; charset=utf-8")
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 2
    barcelona = await member_by_key(client, admin_headers, "ES-BCN")
    assert (barcelona["name"], barcelona["country"], barcelona["region"], barcelona["population"]) == (
        "Barcelona, Ciutat de", "ES", "europe", 1_620_000)
    lyon = await member_by_key(client, admin_headers, "FR-LYO")
    assert (lyon["name"], lyon["kind"], lyon["section"], lyon["population"]) == (
        'Métropole de Lyon "Grand Lyon"', "metropolis", None, None)


async def test_a_line_break_inside_a_quoted_cell_stays_in_its_row(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    data = (f"{REGISTER_HEADER}\n" + register_row(1, name='"Two\nLines"') + "\n" + register_row(2, country="ZZ")
            + "\n").encode()
    body = assert_problem(await post_import(client, admin_headers, data), 422, "csv_rows_invalid")
    # The quoted line break keeps member 1 on spreadsheet row 2, so member 2 is row 3.
    assert [(error["row"], error["column"]) for error in body["errors"]] == [(2, "name"), (3, "country")]


async def test_optional_columns_left_out_are_kept_on_registered_members(
    client: httpx.AsyncClient, admin_headers: dict[str, str], create_member: CreateMember
) -> None:
    existing = await create_member("ES-BCN", population=1_620_000, fees_paid_through=2025, section="metropolitan")
    await client.post(f"/api/members/{existing['id']}/suspend", json={"reason": "Art 23"}, headers=admin_headers)
    data = (b"key,name,kind,country,region\n"
            b"ES-BCN,Barcelona (city),metropolis,ES,europe\nES-VLC,Valencia,region,ES,europe\n")
    response = await post_import(client, admin_headers, data)
    assert response.json() == {"created": 1, "updated": 1, "unchanged": 0, "total": 2, "dry_run": False}
    barcelona = await member_by_key(client, admin_headers, "ES-BCN")
    assert (barcelona["name"], barcelona["kind"], barcelona["population"], barcelona["fees_paid_through"],
            barcelona["section"], barcelona["status"]) == (
        "Barcelona (city)", "metropolis", 1_620_000, 2025, "metropolitan", "suspended")
    valencia = await member_by_key(client, admin_headers, "ES-VLC")
    assert (valencia["population"], valencia["section"], valencia["status"]) == (None, None, "active")


async def test_members_absent_from_the_file_are_left_as_they_are(
    client: httpx.AsyncClient, admin_headers: dict[str, str], create_member: CreateMember, snapshot: TakeSnapshot
) -> None:
    await create_member("ZZ-KEEP", name="Not in the file", country="CL", region="latin_america")
    kept_before = [row for row in (await snapshot())[0] if row[1] == "ZZ-KEEP"]
    response = await post_import(client, admin_headers, register_csv(3))
    assert response.json()["created"] == 3
    assert [row for row in (await snapshot())[0] if row[1] == "ZZ-KEEP"] == kept_before


async def test_status_column_sets_the_status_and_empty_cells_clear_optional_fields(
    client: httpx.AsyncClient, admin_headers: dict[str, str], create_member: CreateMember
) -> None:
    await create_member("M-000001", population=5, membership_category="A", fees_paid_through=2020)
    data = (f"{REGISTER_HEADER}\n"
            + register_row(1, status="SUSPENDED", population="", membership_category="", fees_paid_through="")
            + "\n").encode()
    response = await post_import(client, admin_headers, data)
    assert response.json()["updated"] == 1
    member = await member_by_key(client, admin_headers, "M-000001")
    assert (member["status"], member["population"], member["membership_category"], member["fees_paid_through"]) == (
        "suspended", None, None, None)


@pytest.mark.parametrize(
    "content_type", ["application/json", "text/plain", "multipart/form-data", "", "text/csv; charset=latin-1"]
)
async def test_import_in_another_media_type_is_415(
    client: httpx.AsyncClient, admin_headers: dict[str, str], snapshot: TakeSnapshot, content_type: str
) -> None:
    before = await snapshot()
    response = await post_import(client, admin_headers, register_csv(2), content_type=content_type)
    body = assert_problem(response, 415, "unsupported_media_type")
    assert "text/csv" in body["detail"]
    assert await snapshot() == before


async def test_a_file_that_is_not_utf8_is_refused(
    client: httpx.AsyncClient, admin_headers: dict[str, str], snapshot: TakeSnapshot
) -> None:
    before = await snapshot()
    data = f"{REGISTER_HEADER}\n{register_row(1, name='Bogotá')}\n".encode("latin-1")
    body = assert_problem(await post_import(client, admin_headers, data), 422, "csv_not_utf8")
    assert body["errors"][0]["row"] == 2
    assert await snapshot() == before


async def test_malformed_csv_is_refused(
    client: httpx.AsyncClient, admin_headers: dict[str, str], snapshot: TakeSnapshot
) -> None:
    before = await snapshot()
    data = f'{REGISTER_HEADER}\n{register_row(1)}\n{register_row(2, name=chr(34) + "Unclosed")}\n'.encode()
    body = assert_problem(await post_import(client, admin_headers, data), 422, "csv_malformed")
    assert body["errors"][-1]["row"] == 3
    assert await snapshot() == before


async def test_a_file_over_the_size_bound_is_413(
    client: httpx.AsyncClient, admin_headers: dict[str, str], snapshot: TakeSnapshot
) -> None:
    before = await snapshot()
    data = REGISTER_HEADER.encode() + b"\n" + b"x" * MAX_REGISTER_BYTES
    assert_problem(await post_import(client, admin_headers, data), 413, "payload_too_large")
    assert await snapshot() == before


async def test_a_register_larger_than_the_json_body_limit_is_accepted(
    client: httpx.AsyncClient, admin_headers: dict[str, str], settings: Any
) -> None:
    data = register_csv(15_000)
    assert len(data) > settings.max_request_body_bytes
    response = await post_import(client, admin_headers, data, dry_run=True)
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 15_000


async def test_openapi_documents_the_member_operations(client: httpx.AsyncClient) -> None:
    document = (await client.get("/schema/openapi.json")).json()
    operations = {
        operation["operationId"]
        for path, item in document["paths"].items()
        if path.startswith("/api/members")
        for operation in item.values()
        if isinstance(operation, dict)
    }
    assert operations == {"ListMembers", "GetMember", "GetMemberByKey", "CreateMember", "ReplaceMember",
                          "SuspendMember", "ReinstateMember", "ImportMembers"}
