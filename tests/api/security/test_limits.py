"""Limits on what a request may carry: deep nesting, size, string and list lengths, page sizes.

Each oversized or overdeep request gets 413 or 422 problem details naming the reason, quickly, and
changes nothing; none reaches the decoder's recursion limit or a 500.
"""

from __future__ import annotations

import httpx
import pytest
from litestar import Litestar, get
from litestar.params import FromQuery
from sqlalchemy import text

from assembly.core.middleware import MAX_JSON_DEPTH, _nul_field, json_nesting_depth
from assembly.db import Database
from assembly.settings import Settings
from tests.helpers import assert_problem, bearer, make_user


async def _count(database: Database, table: str) -> int:
    async with database.engine.connect() as connection:
        return int((await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 100_000])
async def test_deeply_nested_body_is_422_body_too_deep(client: httpx.AsyncClient, database: Database,
                                                       depth: int) -> None:
    # 100,000 levels used to exhaust the JSON decoder's recursion and answer 500.
    body = '{"email": ' + "[" * depth + "]" * depth + ', "password": "x"}'
    response = await client.post("/api/auth/login", content=body, headers={"content-type": "application/json"})
    assert_problem(response, 422, "body_too_deep")
    assert await _count(database, "login_session") == 0


async def test_nesting_within_the_limit_reaches_validation(client: httpx.AsyncClient) -> None:
    inner = MAX_JSON_DEPTH - 1  # the object itself is one level
    body = '{"email": ' + "[" * inner + "]" * inner + ', "password": "x"}'
    response = await client.post("/api/auth/login", content=body, headers={"content-type": "application/json"})
    assert_problem(response, 422, "invalid_input", field="email")


def test_brackets_inside_strings_do_not_count() -> None:
    deep_text = b'{"title": "' + b"[" * 1000 + b'", "kind": "debate"}'
    assert json_nesting_depth(deep_text) == 1
    escaped = b'{"a": "\\"' + b"{" * 100 + b'"}'
    assert json_nesting_depth(escaped) == 1
    assert json_nesting_depth(b"[" * 50 + b"]" * 50) == MAX_JSON_DEPTH + 1  # counting stops past the limit


async def test_oversized_body_is_413_and_changes_nothing(client: httpx.AsyncClient, database: Database,
                                                         settings: Settings) -> None:
    body = b'{"email": "' + b"a" * settings.max_request_body_bytes + b'", "password": "x"}'
    response = await client.post("/api/auth/login", content=body, headers={"content-type": "application/json"})
    assert_problem(response, 413, "payload_too_large")
    assert await _count(database, "login_session") == 0


async def test_long_strings_and_lists_are_422_naming_the_field(app: Litestar, client: httpx.AsyncClient,
                                                               database: Database) -> None:
    async with database.sessionmaker() as session:
        admin = await make_user(session, is_admin=True)
    headers = await bearer(app, admin)
    before = await _count(database, "member")
    long_name = {"key": "LIMIT-1", "name": "x" * 100_000, "kind": "local_government", "country": "ES",
                 "region": "europe"}
    assert_problem(await client.post("/api/members", json=long_name, headers=headers), 422, "invalid_input",
                   field="name")
    assert await _count(database, "member") == before
    too_many = {"subject_kind": "procedural", "question": "Q?", "options": ["x"] * 10_000}
    response = await client.post(f"/api/assemblies/{'0' * 8}-0000-0000-0000-{'0' * 12}/ballots", json=too_many,
                                 headers=headers)
    assert response.status_code in {404, 422}, response.text  # refused before any lookup or by it, never 500
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize("limit", ["100000", "-1", "0", "abc"])
async def test_page_size_out_of_bounds_is_422(app: Litestar, client: httpx.AsyncClient, database: Database,
                                              limit: str) -> None:
    async with database.sessionmaker() as session:
        user = await make_user(session)
    response = await client.get("/api/members", params={"limit": limit}, headers=await bearer(app, user))
    assert_problem(response, 422, "invalid_input", field="query.limit")


@get("/api/test/needs-query", operation_id="TestNeedsQuery", opt={"exclude_from_auth": True}, sync_to_thread=False)
def needs_query(first: FromQuery[int]) -> dict[str, int]:
    return {"first": first}


async def test_missing_required_query_parameter_is_422_naming_it(app: Litestar, client: httpx.AsyncClient) -> None:
    app.register(needs_query)
    assert (await client.get("/api/test/needs-query", params={"first": "3"})).json() == {"first": 3}
    assert_problem(await client.get("/api/test/needs-query"), 422, "invalid_input", field="query.first")


async def test_nul_character_in_a_query_parameter_is_422_naming_it(client: httpx.AsyncClient) -> None:
    # PostgreSQL text cannot hold U+0000: the query used to fail in the database and answer 500.
    response = await client.get("/api/positions", params={"language": "en\x00"})
    assert_problem(response, 422, "invalid_input", field="language")


async def test_nul_character_in_a_json_string_is_422_and_changes_nothing(client: httpx.AsyncClient,
                                                                         database: Database) -> None:
    body = '{"email": "chair\\u0000@example.org", "password": "x"}'
    response = await client.post("/api/auth/login", content=body, headers={"content-type": "application/json"})
    assert_problem(response, 422, "invalid_input", field="email")
    assert await _count(database, "login_session") == 0


async def test_an_escaped_backslash_before_u0000_is_ordinary_text(client: httpx.AsyncClient) -> None:
    body = '{"email": "chair\\\\u0000@example.org", "password": "x"}'  # the characters \ u 0 0 0 0
    response = await client.post("/api/auth/login", content=body, headers={"content-type": "application/json"})
    assert response.status_code != 422, response.text


def test_the_nul_character_is_located_as_the_api_names_fields() -> None:
    assert _nul_field({"votes": [{"choice": "yes"}, {"choice": "n\x00"}]}) == "votes[1].choice"
    assert _nul_field({"name": "ok", "tags": ["a", "\x00"]}) == "tags[1]"
    assert _nul_field(["\x00"]) == "body[0]"
    assert _nul_field({"name": "fine"}) is None
