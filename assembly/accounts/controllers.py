"""HTTP endpoints of accounts: login, token refresh, logout, password change, user administration.

Who may call what:
  public (no token)          POST /api/auth/login, POST /api/auth/refresh
  any logged-in user         POST /api/auth/logout, POST /api/auth/password, GET /api/users/me
  secretariat admin only     POST /api/users, GET /api/users, GET /api/users/{user_id},
                             POST /api/users/{user_id}/deactivate, POST /api/users/{user_id}/activate
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any, TypeAlias

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED, HTTP_204_NO_CONTENT
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from assembly.accounts import services
from assembly.accounts.auth import AccessToken, TokenIssuer
from assembly.accounts.deps import provide_independent_sessions, provide_token_issuer
from assembly.accounts.models import User
from assembly.accounts.schemas import (
    LoginRequest,
    LoginResponse,
    LoginUser,
    PasswordChange,
    RefreshRequest,
    TokenPair,
    UserCreate,
    UserPage,
    UserRead,
)
from assembly.core.guards import current_principal, requires_admin, requires_login
from assembly.core.openapi import problem_responses
from assembly.core.security import Principal

__all__ = ("AuthController", "UserController")

PUBLIC = {"exclude_from_auth": True}

CallerRequest: TypeAlias = Request[Principal, AccessToken, Any]
"""A request whose caller the token middleware has identified."""

_DEPENDENCIES = {
    "tokens": Provide(provide_token_issuer, sync_to_thread=False),
    "independent_sessions": Provide(provide_independent_sessions, sync_to_thread=False),
}


def _problems(**descriptions: str) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the problem-details answers of an operation (``_401="..."``).

    Accounts describes each operation's answers at the operation (they differ from one to the next),
    so the table is built here, per call, for the shared :func:`problem_responses`.
    """
    by_status = {int(status.lstrip("_")): text for status, text in descriptions.items()}
    return problem_responses(by_status, *by_status)


def _client(request: Request[Any, Any, Any]) -> services.ClientInfo:
    # The connection's peer address only: X-Forwarded-For is set by the client and cannot be trusted.
    return services.ClientInfo(
        address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )


def _token_pair(tokens: services.IssuedTokens) -> TokenPair:
    return TokenPair(
        access_token=tokens.access_token,
        expires_in=tokens.access_expires_in,
        refresh_token=tokens.refresh_token,
        refresh_expires_in=tokens.refresh_expires_in,
    )


def _user_read(user: User) -> UserRead:
    return UserRead(
        id=user.id,
        email=user.email,
        full_name=user.full_name,
        is_admin=user.is_admin,
        is_active=user.is_active,
        created_at=user.created_at,
        updated_at=user.updated_at,
    )


class AuthController(Controller):
    """Login sessions: log in, refresh, log out, change one's password."""

    path = "/api/auth"
    tags = ["auth"]  # noqa: RUF012  (Litestar reads a plain class attribute)
    dependencies = _DEPENDENCIES

    @post(
        "/login",
        operation_id="LogIn",
        summary="Log in with e-mail and password (public)",
        status_code=HTTP_200_OK,
        opt=PUBLIC,
        security=[{}],
        responses=_problems(
            _401="invalid_credentials (wrong e-mail or password) or account_inactive",
            _422="invalid_input: a field is missing, too long or of the wrong type",
            _429="throttled: too many failed logins for the account or the address; see Retry-After",
        ),
    )
    async def log_in(
        self,
        request: Request[Any, Any, Any],
        data: JSONBody[LoginRequest],
        db_session: NamedDependency[AsyncSession],
        tokens: NamedDependency[TokenIssuer],
        independent_sessions: NamedDependency[async_sessionmaker[AsyncSession]],
    ) -> LoginResponse:
        """Open a login session; answer an access token, a refresh token and the account."""
        result = await services.log_in(
            db_session, independent_sessions, tokens, email=data.email, password=data.password, client=_client(request)
        )
        pair = _token_pair(result.tokens)
        user = result.user
        return LoginResponse(
            access_token=pair.access_token,
            expires_in=pair.expires_in,
            refresh_token=pair.refresh_token,
            refresh_expires_in=pair.refresh_expires_in,
            user=LoginUser(id=user.id, email=user.email, full_name=user.full_name, is_admin=user.is_admin),
        )

    @post(
        "/refresh",
        operation_id="RefreshTokens",
        summary="Spend a refresh token for a new token pair (public)",
        status_code=HTTP_200_OK,
        opt=PUBLIC,
        security=[{}],
        responses=_problems(
            _401="invalid_refresh_token, refresh_token_expired, refresh_token_reused (the session is now "
            "revoked) or session_revoked",
            _422="invalid_input: refresh_token missing or too long",
        ),
    )
    async def refresh(
        self,
        data: JSONBody[RefreshRequest],
        db_session: NamedDependency[AsyncSession],
        tokens: NamedDependency[TokenIssuer],
        independent_sessions: NamedDependency[async_sessionmaker[AsyncSession]],
    ) -> TokenPair:
        """Rotate: the presented refresh token is spent and a new pair of the same session is issued."""
        issued = await services.refresh_session(db_session, independent_sessions, tokens,
                                                refresh_token=data.refresh_token)
        return _token_pair(issued)

    @post(
        "/logout",
        operation_id="LogOut",
        summary="End the caller's login session (logged in)",
        status_code=HTTP_204_NO_CONTENT,
        guards=[requires_login],
        responses=_problems(_401="unauthorized: no valid access token"),
    )
    async def log_out(self, request: CallerRequest, db_session: NamedDependency[AsyncSession]) -> None:
        """Revoke the session of the access token: its refresh tokens and access tokens stop working."""
        await services.log_out(db_session, principal=current_principal(request))

    @post(
        "/password",
        operation_id="ChangePassword",
        summary="Change the caller's password and end all their sessions (logged in)",
        status_code=HTTP_204_NO_CONTENT,
        guards=[requires_login],
        responses=_problems(
            _401="unauthorized: no valid access token",
            _422="wrong_current_password, or invalid_input naming new_password (policy) or a malformed field",
            _429="throttled: too many failed password checks for the account; see Retry-After",
        ),
    )
    async def change_password(
        self,
        request: CallerRequest,
        data: JSONBody[PasswordChange],
        db_session: NamedDependency[AsyncSession],
        independent_sessions: NamedDependency[async_sessionmaker[AsyncSession]],
    ) -> None:
        """Check the current password, set the new one, and revoke every session of the account."""
        await services.change_password(
            db_session,
            independent_sessions,
            principal=current_principal(request),
            current_password=data.current_password,
            new_password=data.new_password,
        )


class UserController(Controller):
    """Accounts: one's own, and the secretariat's administration of all of them."""

    path = "/api/users"
    tags = ["users"]  # noqa: RUF012

    @get(
        "/me",
        operation_id="GetCurrentUser",
        summary="The caller's own account (logged in)",
        guards=[requires_login],
        responses=_problems(_401="unauthorized: no valid access token"),
    )
    async def get_me(
        self, request: CallerRequest, db_session: NamedDependency[AsyncSession]
    ) -> UserRead:
        """Answer the account of the access token."""
        return _user_read(await services.get_user(db_session, current_principal(request).user_id))

    @post(
        "/",
        operation_id="CreateUser",
        summary="Create an account (secretariat admin)",
        status_code=HTTP_201_CREATED,
        guards=[requires_admin],
        responses=_problems(
            _401="unauthorized: no valid access token",
            _403="admin_only: the caller is not a secretariat admin",
            _409="email_taken",
            _422="invalid_input naming email, full_name or password",
        ),
    )
    async def create_user(
        self,
        request: CallerRequest,
        data: JSONBody[UserCreate],
        db_session: NamedDependency[AsyncSession],
    ) -> Response[UserRead]:
        """Create an account; answer it with its Location."""
        user = await services.create_user(
            db_session,
            email=data.email,
            full_name=data.full_name,
            password=data.password,
            is_admin=data.is_admin,
            actor_user_id=current_principal(request).user_id,
        )
        return Response(_user_read(user), status_code=HTTP_201_CREATED, headers={"Location": f"/api/users/{user.id}"})

    @get(
        "/",
        operation_id="ListUsers",
        summary="List accounts, searched by name or e-mail, a page at a time (secretariat admin)",
        guards=[requires_admin],
        responses=_problems(
            _401="unauthorized: no valid access token",
            _403="admin_only: the caller is not a secretariat admin",
            _422="invalid_input naming query.limit, query.offset or query.search",
        ),
    )
    async def list_users(
        self,
        db_session: NamedDependency[AsyncSession],
        search: Annotated[
            str | None, QueryParameter(max_length=200, description="Substring of the name or e-mail, any case")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200, description="Page size")] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=10_000_000, description="Accounts to skip")] = 0,
    ) -> UserPage:
        """Answer one page of accounts ordered by name, with the total that match."""
        users, total = await services.list_users(db_session, search=search, limit=limit, offset=offset)
        return UserPage(items=[_user_read(user) for user in users], total=total, limit=limit, offset=offset)

    @get(
        "/{user_id:uuid}",
        operation_id="GetUser",
        summary="One account (secretariat admin)",
        guards=[requires_admin],
        responses=_problems(
            _401="unauthorized: no valid access token",
            _403="admin_only: the caller is not a secretariat admin",
            _404="user_not_found",
        ),
    )
    async def get_user(self, user_id: FromPath[uuid.UUID], db_session: NamedDependency[AsyncSession]) -> UserRead:
        """Answer the account ``user_id``."""
        return _user_read(await services.get_user(db_session, user_id))

    @post(
        "/{user_id:uuid}/deactivate",
        operation_id="DeactivateUser",
        summary="Deactivate an account and end its sessions (secretariat admin)",
        status_code=HTTP_200_OK,
        guards=[requires_admin],
        responses=_problems(
            _401="unauthorized: no valid access token",
            _403="admin_only: the caller is not an active secretariat admin",
            _404="user_not_found",
            _409="cannot_deactivate_self or user_already_inactive",
        ),
    )
    async def deactivate_user(
        self, request: CallerRequest, user_id: FromPath[uuid.UUID], db_session: NamedDependency[AsyncSession]
    ) -> UserRead:
        """Deactivate the account: it can no longer log in, and all its tokens stop working."""
        user = await services.deactivate_user(
            db_session, actor_user_id=current_principal(request).user_id, user_id=user_id
        )
        return _user_read(user)

    @post(
        "/{user_id:uuid}/activate",
        operation_id="ActivateUser",
        summary="Reactivate an account (secretariat admin)",
        status_code=HTTP_200_OK,
        guards=[requires_admin],
        responses=_problems(
            _401="unauthorized: no valid access token",
            _403="admin_only: the caller is not an active secretariat admin",
            _404="user_not_found",
            _409="user_already_active",
        ),
    )
    async def activate_user(
        self, request: CallerRequest, user_id: FromPath[uuid.UUID], db_session: NamedDependency[AsyncSession]
    ) -> UserRead:
        """Reactivate the account: it may log in again (its old sessions stay ended)."""
        user = await services.activate_user(db_session, actor_user_id=current_principal(request).user_id,
                                            user_id=user_id)
        return _user_read(user)
