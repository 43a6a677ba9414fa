"""Guards: role checks from the token alone, no queries.

Rights that depend on data ("is this user the chair of this assembly?", "does this user hold the
vote of that delegation?") are checked in the services, where the data is loaded anyway.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from assembly.core.errors import Forbidden, Unauthorized
from assembly.core.security import Principal

__all__ = ("current_principal", "requires_admin", "requires_login")


def current_principal(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """Return the caller, or raise 401 when the request carries no valid token."""
    user = connection.scope.get("user")
    if not isinstance(user, Principal):
        raise Unauthorized("log in first: send an access token as 'Authorization: Bearer <token>'",
                           headers={"WWW-Authenticate": "Bearer"})
    return user


# Guards are coroutines: Litestar runs a plain function guard in a thread pool (sync_to_thread), which
# cost every request a thread hand-off and 10% of a worker's CPU under load (docs/performance.md).


async def requires_login(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Any authenticated user."""
    current_principal(connection)


async def requires_admin(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """Secretariat administrators only."""
    if not current_principal(connection).is_admin:
        raise Forbidden("only the secretariat may do this", code="admin_only")
