"""Access tokens: issuing them and turning a request's token into a :class:`Principal`.

Tokens are HS256 JWTs made and checked by Litestar's JWTAuth (PyJWT inside): ``sub`` is the user id,
``iss`` and ``aud`` are checked, ``exp``, ``iat`` and ``jti`` are required. The extra, required claim
``sid`` names the login session (refresh-token family), so that logout, a password change, a
deactivation or a detected refresh-token reuse also ends the access tokens already handed out.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.security.jwt import JWTAuth, Token
from sqlalchemy import Uuid, bindparam, select

from assembly.accounts.models import LoginSession, User
from assembly.core.security import Principal
from assembly.settings import Settings

__all__ = ("PUBLIC_PATHS", "AccessToken", "TokenIssuer", "create_jwt_auth", "issue_access_token", "retrieve_principal")

PUBLIC_PATHS = ["^/health/", "^/schema"]
"""Paths that never need a token (anchored: Litestar matches these as regular expressions)."""


@dataclass
class AccessToken(Token):
    """The access token's claims: Litestar's registered claims plus ``sid``, the login session.

    ``sid`` is a field rather than one of Litestar's ``extras`` so that it is a top-level claim of the
    JWT (``extras`` would be encoded as a nested ``extras`` object).
    """

    sid: str | None = None
    """Id of the login session (refresh-token family) the token was issued in."""


_PRINCIPAL = (
    select(User.is_admin)
    .join(LoginSession, LoginSession.user_id == User.id)
    .where(
        User.id == bindparam("user_id", type_=Uuid()),
        User.is_active.is_(True),
        LoginSession.id == bindparam("session_id", type_=Uuid()),
        LoginSession.revoked_at.is_(None),
    )
)
"""The token check, built once: the account is active and the login session named by ``sid`` is alive."""


async def retrieve_principal(token: AccessToken, connection: ASGIConnection[Any, Any, Any, Any]) -> Principal | None:
    """Turn a verified token into the caller; None (so 401) unless its login session and account are alive.

    One Core query joins the account and the login session named by ``sid``: a token whose ``sid`` is
    missing, unknown, another account's or revoked (logout, password change, deactivation, refresh
    token reuse), or whose account is inactive, identifies nobody. It runs on a bare connection outside a
    transaction, not in an ORM session: this runs on every authenticated request (docs/performance.md).
    """
    try:
        user_id = uuid.UUID(token.sub)
        session_id = uuid.UUID(str(token.sid))
    except ValueError:
        return None
    database = connection.app.state.database
    async with database.engine.connect() as db:
        # One read needs no transaction: AUTOCOMMIT spares the BEGIN and ROLLBACK round trips.
        single = await db.execution_options(isolation_level="AUTOCOMMIT")
        is_admin = (await single.execute(_PRINCIPAL, {"user_id": user_id, "session_id": session_id})).scalar()
    if is_admin is None:
        return None
    return Principal(user_id=user_id, is_admin=bool(is_admin), session_id=session_id)


def create_jwt_auth(settings: Settings) -> JWTAuth[Principal, AccessToken]:
    """Build the token middleware configuration for ``settings``."""
    return JWTAuth[Principal, AccessToken](
        retrieve_user_handler=retrieve_principal,
        token_cls=AccessToken,
        token_secret=settings.require_secret_key(),
        algorithm="HS256",
        accepted_issuers=[settings.jwt_issuer],
        accepted_audiences=[settings.jwt_audience],
        require_claims=["exp", "iat", "sub", "jti", "iss", "aud", "sid"],
        default_token_expiration=timedelta(seconds=settings.access_token_ttl_seconds),
        exclude=PUBLIC_PATHS,
        exclude_opt_key="exclude_from_auth",
    )


def issue_access_token(
    jwt_auth: JWTAuth[Principal, AccessToken], settings: Settings, user_id: uuid.UUID, session_id: uuid.UUID
) -> str:
    """Sign a short-lived access token for ``user_id`` within login session ``session_id``."""
    return jwt_auth.create_token(
        identifier=str(user_id),
        token_expiration=timedelta(seconds=settings.access_token_ttl_seconds),
        token_issuer=settings.jwt_issuer,
        token_audience=settings.jwt_audience,
        token_unique_jwt_id=uuid.uuid4().hex,
        sid=str(session_id),
    )


class TokenIssuer:
    """What the login services need to hand out tokens: the signing configuration and the lifetimes.

    A plain class, not a dataclass: Litestar validates dependency values with msgspec, which would try
    to resolve the annotations of a dataclass's fields (JWTAuth's among them) on every request.
    """

    __slots__ = ("jwt_auth", "settings")

    def __init__(self, *, jwt_auth: JWTAuth[Principal, AccessToken], settings: Settings) -> None:
        self.jwt_auth = jwt_auth
        self.settings = settings

    @property
    def access_ttl_seconds(self) -> int:
        """Lifetime of an access token."""
        return self.settings.access_token_ttl_seconds

    @property
    def refresh_ttl_seconds(self) -> int:
        """Lifetime of a refresh token."""
        return self.settings.refresh_token_ttl_seconds

    def access_token(self, user_id: uuid.UUID, session_id: uuid.UUID) -> str:
        """Sign an access token for ``user_id`` within login session ``session_id``."""
        return issue_access_token(self.jwt_auth, self.settings, user_id, session_id)
