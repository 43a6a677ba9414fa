"""ASGI middleware: request id, access log line, security headers.

Written as plain ASGI middleware (not Litestar's AbstractMiddleware) so it also wraps the responses
Litestar produces for routing errors (404, 405) and body-size refusals (413).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

import structlog
from litestar import Request
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from assembly.core.errors import InvalidInput, UnsupportedMediaType

__all__ = (
    "MAX_JSON_DEPTH",
    "RequestContextMiddleware",
    "check_request",
    "json_nesting_depth",
    "refuse_nul_in_query",
    "require_json_body",
)

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_log = structlog.get_logger("assembly.access")

# The API answers JSON only; the HTML docs pages need their own, looser policy for their scripts.
_API_CSP = "default-src 'none'; frame-ancestors 'none'"
_DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src 'self' https://fonts.gstatic.com; img-src 'self' data: https:; frame-ancestors 'none'"
)


class RequestContextMiddleware:
    """Give each HTTP request an id, log one line when it ends, and add the security headers."""

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in {ScopeType.HTTP, ScopeType.WEBSOCKET}:
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        path = scope.get("path", "")
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status: dict[str, int] = {}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                headers = MutableScopeHeaders.from_message(message)
                headers["X-Request-ID"] = request_id
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                headers["Referrer-Policy"] = "no-referrer"
                headers["Cross-Origin-Opener-Policy"] = "same-origin"
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
                if "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = _DOCS_CSP if path.startswith("/schema") else _API_CSP
                if self.hsts:
                    headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            if scope["type"] == ScopeType.HTTP:
                _log.info(
                    "request",
                    method=scope.get("method"),
                    path=path,
                    status=status.get("code", 500),
                    duration_ms=round((time.perf_counter() - started) * 1000, 2),
                )
            structlog.contextvars.unbind_contextvars("request_id")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            try:
                return bytes(value).decode("latin-1")
            except (UnicodeDecodeError, TypeError):
                return None
    return None




_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


async def check_request(request: Request[Any, Any, Any]) -> None:
    """Refusals every handler shares, before it runs (the app's ``before_request``)."""
    refuse_nul_in_query(request)
    await require_json_body(request)


_NUL_REFUSAL = "may not contain the NUL character (U+0000)"


def refuse_nul_in_query(request: Request[Any, Any, Any]) -> None:
    """Refuse with 422 a query parameter holding the NUL character: PostgreSQL text cannot store or
    compare it, and the query would fail with a database error (the fuzzer found ``?language=%00``)."""
    for name, value in request.query_params.multi_items():
        if "\x00" in value:
            raise InvalidInput.for_field(name, _NUL_REFUSAL)


async def require_json_body(request: Request[Any, Any, Any]) -> None:
    """Refuse with 415 a body that is not JSON, on handlers that read a JSON body.

    Litestar would try to decode any body as JSON and answer 400; a client that sent a form or plain
    text deserves to hear that the media type is wrong. A handler that takes another media type names
    it in ``opt["body_media_types"]``.
    """
    if request.method not in _BODY_METHODS or "data" not in request.route_handler.parsed_fn_signature.parameters:
        return
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    accepted: tuple[str, ...] = request.route_handler.opt.get("body_media_types", ("application/json",))
    if media_type in accepted or (media_type.endswith("+json") and "application/json" in accepted):
        if media_type != "text/csv":
            body = await request.body()
            _refuse_deep_json(body)
            _refuse_nul_in_json(body)
        return
    if not media_type and not await request.body():
        return  # no body at all: let validation say which fields are missing
    raise UnsupportedMediaType(f"send the body as {' or '.join(accepted)}, not {media_type or 'an unlabelled body'}")


MAX_JSON_DEPTH = 32
"""Deepest nesting of arrays and objects a JSON body may have. The API's documents nest a few levels;
the decoder recurses once per level, and a body of ``[[[[...`` a megabyte deep would exhaust the stack."""


def json_nesting_depth(body: bytes, *, stop_at: int = MAX_JSON_DEPTH + 1) -> int:
    """The deepest nesting of ``[``/``{`` in ``body`` outside strings (counting stops at ``stop_at``)."""
    if body.count(b"[") + body.count(b"{") < stop_at:
        return 0  # too few brackets to be that deep: skip the scan (the usual case)
    depth = deepest = 0
    in_string = escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # closing quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest >= stop_at:
                    break
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return deepest


def _refuse_deep_json(body: bytes) -> None:
    if json_nesting_depth(body) > MAX_JSON_DEPTH:
        raise InvalidInput(f"the body nests arrays and objects deeper than {MAX_JSON_DEPTH} levels",
                           code="body_too_deep")


def _refuse_nul_in_json(body: bytes) -> None:
    """PostgreSQL text and jsonb cannot hold U+0000: refuse it here, naming the field, rather than fail in
    the database. The body is decoded only when it spells ``\\u0000`` somewhere (the handler decodes it again)."""
    if b"\\u0000" not in body:
        return
    try:
        where = _nul_field(json.loads(body))
    except ValueError:
        return  # not JSON after all: the handler's decoding answers that
    if where is not None:
        raise InvalidInput.for_field(where, _NUL_REFUSAL)


def _nul_field(value: Any, path: str = "") -> str | None:
    """Where the first string holding U+0000 is, as the API names fields (``votes[0].choice``)."""
    if isinstance(value, str):
        return (path or "body") if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = (path or "body") if "\x00" in key else _nul_field(item, f"{path}.{key}" if path else key)
            if found is not None:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_field(item, f"{path}[{index}]" if path else f"body[{index}]")
            if found is not None:
                return found
    return None
