"""Access tokens: issuing them and turning a request's token into a :class:`Principal`.

Tokens are HS256 JWTs made and checked by Litestar's JWTAuth (PyJWT inside): ``sub`` is the user id,
``iss`` and ``aud`` are checked, ``exp`` and ``jti`` are required. The extra claim ``sid`` names the
login session (refresh-token family) so that logout and a password change can revoke the access
tokens already handed out, not only the refresh tokens.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.security.jwt import JWTAuth, Token
from sqlalchemy import select

from assembly.accounts.models import User
from assembly.core.security import Principal
from assembly.settings import Settings

__all__ = ("PUBLIC_PATHS", "create_jwt_auth", "issue_access_token", "retrieve_principal")

PUBLIC_PATHS = ["^/health/", "^/schema"]
"""Paths that never need a token (anchored: Litestar matches these as regular expressions)."""


async def retrieve_principal(token: Token, connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    """Load the token's user; None (so 401) when the account is gone or inactive."""
    try:
        user_id = uuid.UUID(token.sub)
    except ValueError:
        return None
    raw_sid = token.extras.get("sid")
    try:
        session_id = uuid.UUID(str(raw_sid)) if raw_sid else None
    except ValueError:
        return None
    database = connection.app.state.database
    async with database.sessionmaker() as session:
        row = (await session.execute(select(User.is_admin, User.is_active).where(User.id == user_id))).first()
    if row is None or not row.is_active:
        return None
    return Principal(user_id=user_id, is_admin=row.is_admin, session_id=session_id)


def create_jwt_auth(settings: Settings) -> JWTAuth[Principal, Token]:
    """Build the token middleware configuration for ``settings``."""
    return JWTAuth[Principal, Token](
        retrieve_user_handler=retrieve_principal,
        token_secret=settings.require_secret_key(),
        algorithm="HS256",
        accepted_issuers=[settings.jwt_issuer],
        accepted_audiences=[settings.jwt_audience],
        require_claims=["exp", "sub", "jti", "iss", "aud"],
        default_token_expiration=timedelta(seconds=settings.access_token_ttl_seconds),
        exclude=PUBLIC_PATHS,
        exclude_opt_key="exclude_from_auth",
    )


def issue_access_token(
    jwt_auth: JWTAuth[Principal, Token], settings: Settings, user_id: uuid.UUID, session_id: uuid.UUID | None = None
) -> str:
    """Sign a short-lived access token for ``user_id`` within login session ``session_id``."""
    extras = {"sid": str(session_id)} if session_id else {}
    return jwt_auth.create_token(
        identifier=str(user_id),
        token_expiration=timedelta(seconds=settings.access_token_ttl_seconds),
        token_issuer=settings.jwt_issuer,
        token_audience=settings.jwt_audience,
        token_unique_jwt_id=uuid.uuid4().hex,
        token_extras=extras,
    )
