"""HTTP basics every client relies on: probes, OpenAPI, problem details, request ids, headers, CORS."""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import msgspec
import pytest
from litestar import Litestar, Request, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.app import create_app
from assembly.settings import Settings
from tests.helpers import api_client

PROBLEM = "application/problem+json"
PUBLIC = {"exclude_from_auth": True}


class Echo(msgspec.Struct, forbid_unknown_fields=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=10)]
    count: int


@post("/api/test/echo", operation_id="TestEcho", sync_to_thread=False, opt=PUBLIC)
def echo(data: JSONBody[Echo]) -> Echo:
    return data


@post("/api/test/boom", operation_id="TestBoom", sync_to_thread=False, opt=PUBLIC)
def boom() -> None:
    raise RuntimeError("secret internals at /etc/assembly/key")


@get("/api/test/private", operation_id="TestPrivate")
async def private_route() -> dict[str, str]:
    return {"secret": "only with a token"}


@get("/api/test/db", operation_id="TestDb", opt=PUBLIC)
async def db_route(db_session: NamedDependency[AsyncSession]) -> dict[str, int]:
    return {"one": int(await db_session.scalar(text("SELECT 1")) or 0)}


@post("/api/test/deferred", operation_id="TestDeferred", opt=PUBLIC)
async def deferred_route(db_session: NamedDependency[AsyncSession]) -> dict[str, str]:
    # Two equal keys pass the flush; the deferred constraint fails only at COMMIT.
    await db_session.execute(text("INSERT INTO deferred_probe (k) VALUES (1), (1)"))
    return {"status": "written"}


def _with_test_routes(application: Litestar) -> Litestar:
    for handler in (echo, boom, db_route, deferred_route, private_route):
        application.register(handler)
    return application


@pytest.fixture
async def api(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    _with_test_routes(app)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        yield client


async def _client_for(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(settings, _with_test_routes(create_app(settings))) as client:
        yield client


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"urn:assembly:problem:{code}"
    assert body["title"]
    assert body["detail"]
    assert body["instance"] == response.request.url.path
    assert body["request_id"] == response.headers["x-request-id"]
    return body


async def test_liveness_and_readiness(api: httpx.AsyncClient) -> None:
    live = await api.get("/health/live")
    ready = await api.get("/health/ready")
    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()) == (200, {"status": "ok"})


async def test_openapi_document_names_every_operation(api: httpx.AsyncClient) -> None:
    response = await api.get("/schema/openapi.json")
    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    operations = [op for path in document["paths"].values() for op in path.values() if isinstance(op, dict)]
    assert operations
    for operation in operations:
        assert operation.get("operationId"), operation
        assert operation.get("summary"), operation
    assert document["paths"]["/health/ready"]["get"]["operationId"] == "CheckReadiness"


async def test_docs_ui_is_served(api: httpx.AsyncClient) -> None:
    response = await api.get("/schema/swagger")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    assert "swagger-ui" in response.text
    assert "CheckReadiness" in response.text  # the document is embedded in the page


async def test_unknown_path_is_404_problem(api: httpx.AsyncClient) -> None:
    assert_problem(await api.get("/api/nothing-here"), 404, "not_found")


async def test_wrong_method_is_405_problem(api: httpx.AsyncClient) -> None:
    assert_problem(await api.get("/api/test/echo"), 405, "method_not_allowed")


async def test_malformed_json_is_400_problem(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/test/echo", content=b'{"name": ', headers={"content-type": "application/json"})
    body = assert_problem(response, 400, "malformed_body")
    assert "not valid JSON" in body["detail"]


@pytest.mark.parametrize("media_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
async def test_body_in_another_media_type_is_415(api: httpx.AsyncClient, media_type: str) -> None:
    response = await api.post("/api/test/echo", content=b"name=a", headers={"content-type": media_type})
    body = assert_problem(response, 415, "unsupported_media_type")
    assert media_type in body["detail"]


async def test_body_over_the_limit_is_413(api: httpx.AsyncClient, settings: Settings) -> None:
    oversized = b'{"name": "' + b"x" * (settings.max_request_body_bytes + 10) + b'"}'
    response = await api.post("/api/test/echo", content=oversized, headers={"content-type": "application/json"})
    assert_problem(response, 413, "payload_too_large")


async def test_validation_error_names_the_field(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/test/echo", json={"name": "", "count": 1})
    body = assert_problem(response, 422, "invalid_input")
    assert body["errors"][0]["field"] == "name"
    assert "length" in body["errors"][0]["message"]


async def test_wrong_type_and_unknown_field_are_refused(api: httpx.AsyncClient) -> None:
    wrong_type = await api.post("/api/test/echo", json={"name": "a", "count": "three"})
    assert assert_problem(wrong_type, 422, "invalid_input")["errors"][0]["field"] == "count"
    unknown = await api.post("/api/test/echo", json={"name": "a", "count": 1, "admin": True})
    assert "admin" in assert_problem(unknown, 422, "invalid_input")["detail"]


async def test_unhandled_error_is_500_without_internals(api: httpx.AsyncClient) -> None:
    response = await api.post("/api/test/boom")
    body = assert_problem(response, 500, "internal_error")
    assert "secret" not in response.text
    assert "Traceback" not in response.text
    assert "/etc/assembly" not in body["detail"]


async def test_failed_commit_is_never_acknowledged(api: httpx.AsyncClient, session: AsyncSession) -> None:
    await session.execute(text("CREATE TABLE deferred_probe (k int, CONSTRAINT deferred_probe_k UNIQUE (k) "
                               "DEFERRABLE INITIALLY DEFERRED)"))
    await session.commit()
    response = await api.post("/api/test/deferred")
    assert_problem(response, 409, "integrity")
    assert await session.scalar(text("SELECT count(*) FROM deferred_probe")) == 0


async def test_request_id_is_generated_echoed_and_sanitised(api: httpx.AsyncClient) -> None:
    generated = await api.get("/health/live")
    assert re.fullmatch(r"[0-9a-f]{32}", generated.headers["x-request-id"])
    echoed = await api.get("/health/live", headers={"X-Request-ID": "lb-1234.abc"})
    assert echoed.headers["x-request-id"] == "lb-1234.abc"
    hostile = await api.get("/health/live", headers={"X-Request-ID": "a b\tc" + "x" * 100})
    assert re.fullmatch(r"[0-9a-f]{32}", hostile.headers["x-request-id"])


async def test_every_log_line_of_a_request_carries_its_id(
    api: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        response = await api.post("/api/test/boom", headers={"X-Request-ID": "trace-me-42"})
    assert response.status_code == 500
    ours = [r for r in caplog.records if r.name.startswith("assembly")]
    assert {r.name for r in ours} >= {"assembly.access", "assembly.errors"}
    for record in ours:
        event = record.msg if isinstance(record.msg, dict) else {}
        bound = event.get("request_id") or getattr(record, "request_id", None)
        if record.name == "assembly.access":
            assert bound == "trace-me-42"


async def test_security_headers_on_success_and_error(api: httpx.AsyncClient) -> None:
    for response in (await api.get("/health/live"), await api.get("/api/nothing-here")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert "strict-transport-security" not in response.headers


async def test_cors_is_off_unless_configured(api: httpx.AsyncClient, settings: Settings) -> None:
    preflight = {"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    response = await api.options("/api/test/echo", headers=preflight)
    assert "access-control-allow-origin" not in response.headers
    simple = await api.get("/health/live", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers

    configured = Settings(
        database_url=settings.database_url, secret_key=settings.secret_key, cors_origins=("https://app.example",)
    )
    async for client in _client_for(configured):
        allowed = await client.get("/health/live", headers={"Origin": "https://app.example"})
        assert allowed.headers["access-control-allow-origin"] == "https://app.example"
        other = await client.get("/health/live", headers={"Origin": "https://evil.example"})
        assert other.headers.get("access-control-allow-origin") != "https://evil.example"


async def test_database_down_gives_503_problem() -> None:
    # Port 9 (discard) has no PostgreSQL: every database use must answer 503, not 500.
    down = Settings(database_url="postgresql://postgres@127.0.0.1:9/none", db_connect_timeout_seconds=2)
    async for client in _client_for(down.with_generated_secret()):
        assert_problem(await client.get("/health/ready"), 503, "database_unavailable")
        response = await client.get("/api/test/db")
        assert_problem(response, 503, "database_unavailable")
        assert response.headers["retry-after"]
        live = await client.get("/health/live")
        assert live.status_code == 200


async def test_route_without_token_is_401_problem(api: httpx.AsyncClient) -> None:
    response = await api.get("/api/test/private")
    assert_problem(response, 401, "unauthorized")
    assert "only with a token" not in response.text


@get("/api/test/whoami", operation_id="TestWhoAmI", opt=PUBLIC)
async def whoami(request: Request[Any, Any, Any]) -> dict[str, str]:
    return {"client": request.client.host if request.client else ""}


async def test_forwarded_for_is_believed_only_from_a_trusted_proxy(settings: Settings) -> None:
    headers = {"X-Forwarded-For": "203.0.113.9"}
    plain = create_app(settings)
    plain.register(whoami)
    async with api_client(settings, plain) as client:
        assert (await client.get("/api/test/whoami", headers=headers)).json()["client"] == "127.0.0.1"
    trusting = Settings(database_url=settings.database_url, secret_key=settings.secret_key,
                        trusted_proxies=("127.0.0.1",))
    behind_proxy = create_app(trusting)
    behind_proxy.register(whoami)
    async with api_client(trusting, behind_proxy) as client:
        assert (await client.get("/api/test/whoami", headers=headers)).json()["client"] == "203.0.113.9"
