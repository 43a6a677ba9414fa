"""The problem-details answers every operation can give, added to the OpenAPI document.

Each controller lists the problems of its own rules (403 ``not_a_delegate``, 409 ``ballot_closed``...).
Some answers come from the framework or the platform for any operation of a kind: a malformed or
oversized body, a bad query parameter, a missing token, the database being away. A client generated
from the document, or a fuzzer checking answers against it (tests/api/security/test_fuzz_openapi.py),
must find those declared too; this module declares them where a handler did not.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.routes import HTTPRoute

from assembly.core.guards import requires_admin

__all__ = ("DEFAULT_PROBLEM_DESCRIPTIONS", "add_problem_responses", "problem_responses")

PROBLEM_MEDIA_TYPE = "application/problem+json"

DEFAULT_PROBLEM_DESCRIPTIONS: Mapping[int, str] = MappingProxyType({
    401: "No valid access token",
    403: "The caller has no right to do this (the code says why)",
    409: "The current state does not allow this (the code says why)",
    422: "A value is invalid; `errors` names each field",
})
"""What a controller's problem answers mean where its domain says nothing more precise.

A domain's table starts from these and adds or overrides its own (404 names the domain's resources)::

    _PROBLEM_DESCRIPTIONS = {**DEFAULT_PROBLEM_DESCRIPTIONS, 404: "No such assembly or ballot"}
"""


def problem_responses(descriptions: Mapping[int, str], *statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the problem-details responses a handler may return, in the order given.

    Each status must be in ``descriptions`` (a ``KeyError`` when the controller module loads otherwise).
    """
    return {
        status: ResponseSpec(data_container=dict, description=descriptions[status], media_type=PROBLEM_MEDIA_TYPE)
        for status in statuses
    }


_BODY = {
    400: "Malformed body: not valid JSON (problem details, code `malformed_body`).",
    413: "The body is larger than the server accepts (`payload_too_large`).",
    415: "The body is not in a media type the operation reads (`unsupported_media_type`).",
    422: "Invalid input: `errors` names each bad field (`invalid_input`, `body_too_deep`, or a domain code).",
}
_PARAMETERS = {422: "Invalid input: `errors` names each bad parameter (`query.<name>`, `path.<name>`)."}
_PATH = {404: "No such resource (`not_found` or a domain code)."}
_AUTH = {401: "No valid access token (`unauthorized`)."}
_ADMIN = {403: "Only the secretariat may do this (`admin_only`)."}
_ALWAYS = {503: "The database is unavailable; retry after `Retry-After` seconds (`database_unavailable`)."}


def _needs_token(handler: HTTPRouteHandler, path: str, public_paths: list[str]) -> bool:
    if handler.opt.get("exclude_from_auth"):
        return False
    return not any(re.match(pattern, path) for pattern in public_paths)


def _problems_of(handler: HTTPRouteHandler, path: str, public_paths: list[str]) -> dict[int, str]:
    parameters = handler.parsed_fn_signature.parameters
    problems: dict[int, str] = dict(_ALWAYS)
    if "{" in path:
        problems.update(_PATH)
        problems.update(_PARAMETERS)
    if any(name not in {"data", "request", "db_session", "state"} for name in parameters):
        problems.update(_PARAMETERS)
    if "data" in parameters:
        problems.update(_BODY)
    if _needs_token(handler, path, public_paths):
        problems.update(_AUTH)
    if any(requires_admin in (layer.guards or ()) for layer in handler.ownership_layers):
        problems.update(_ADMIN)
    return problems


def add_problem_responses(app: Litestar, *, public_paths: list[str]) -> None:
    """Declare, on every operation of ``app``, the generic problem answers its handler did not list.

    Runs before the document is first built (Litestar builds it lazily), so it is part of every copy.
    """
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not handler.resolve_include_in_schema() or handler.operation_id is None:
                continue
            declared: dict[int, Any] = dict(handler.responses or {})
            for status, description in _problems_of(handler, route.path, public_paths).items():
                declared.setdefault(status, ResponseSpec(data_container=dict, description=description,
                                                         media_type=PROBLEM_MEDIA_TYPE))
            handler.responses = declared
