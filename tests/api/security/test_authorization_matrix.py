"""Every route of the application against every role, as tabled in authorization_matrix.py.

The route list comes from the application itself, so adding a route without a matrix entry fails
``test_every_route_has_an_entry``. Refusals must be 401 (no token) or 403 (or the tabled status) as
problem details, and change nothing in the database; allowed roles must not be refused.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
from litestar import Litestar
from litestar.routes import HTTPRoute

from assembly.db import Database
from tests.api.security.authorization_matrix import MATRIX, ROLES, Entry
from tests.api.security.conftest import World, fingerprint
from tests.helpers import PROBLEM

_PARAM = re.compile(r"\{(\w+):\w+\}")


def app_operations(app: Litestar) -> dict[str, tuple[str, str]]:
    """Every operation of the app: its matrix key -> (method, path template)."""
    operations: dict[str, tuple[str, str]] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for method, handler in route.route_handler_map.items():
            if method in {"OPTIONS", "HEAD"}:
                continue
            route_handler = handler[0] if isinstance(handler, tuple) else handler
            key = route_handler.operation_id if isinstance(route_handler.operation_id, str) else None
            operations[key or f"{method} {route.path}"] = (method, route.path)
    return operations


def test_every_route_has_an_entry(app: Litestar) -> None:
    operations = app_operations(app)
    missing = sorted(set(operations) - set(MATRIX))
    stale = sorted(set(MATRIX) - set(operations))
    assert not missing, f"routes without an authorization matrix entry: {missing}"
    assert not stale, f"matrix entries for routes that no longer exist: {stale}"


def _resolve(value: Any, ids: dict[str, str]) -> Any:
    """Replace "@name" strings in a request body by the world's ids."""
    if isinstance(value, str) and value.startswith("@"):
        return ids[value[1:]]
    if isinstance(value, list):
        return [_resolve(item, ids) for item in value]
    if isinstance(value, dict):
        return {key: _resolve(item, ids) for key, item in value.items()}
    return value


def _path(template: str, entry: Entry, ids: dict[str, str]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        chosen = entry.params.get(name, name)
        return ids.get(chosen, chosen)

    return _PARAM.sub(fill, template)


async def test_every_operation_against_every_role(
    app: Litestar, client: httpx.AsyncClient, database: Database, world: World
) -> None:
    operations = app_operations(app)
    failures: list[str] = []
    for key, entry in MATRIX.items():
        method, template = operations[key]
        path = _path(template, entry, world.ids)
        body = _resolve(entry.body, world.ids)
        refused_roles = [role for role in ROLES if role not in entry.allowed]
        allowed_roles = [] if entry.stream else [role for role in ROLES if role in entry.allowed]
        # Refusals first: once an allowed role has acted, the state may have moved on.
        for role in refused_roles:
            expected = entry.refused.get(role, 401 if role == "anonymous" else 403)
            before = await fingerprint(database)
            response = await client.request(method, path, json=body, headers=world.headers[role])
            problem = response.headers["content-type"].startswith(PROBLEM)
            if response.status_code != expected or not problem:
                failures.append(f"{key} as {role}: expected {expected}, got"
                                f" {response.status_code}: {response.text[:150]}")
            elif await fingerprint(database) != before:
                failures.append(f"{key} as {role}: refused but the database changed")
        for role in allowed_roles:
            response = await client.request(method, path, json=body, headers=world.headers[role])
            if response.status_code in {401, 403} or response.status_code >= 500:
                failures.append(f"{key} as {role}: allowed but got {response.status_code} {response.text[:160]}")
    assert not failures, "\n".join(failures)
