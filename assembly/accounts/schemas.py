"""Request and response bodies of the accounts API (msgspec, snake_case, bounded)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

from assembly.accounts.rules import PASSWORD_MAX_LENGTH

__all__ = (
    "LoginRequest",
    "LoginResponse",
    "LoginUser",
    "PasswordChange",
    "RefreshRequest",
    "TokenPair",
    "UserCreate",
    "UserPage",
    "UserRead",
)

Email = Annotated[str, msgspec.Meta(min_length=1, max_length=320, description="E-mail address (case is ignored)")]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=PASSWORD_MAX_LENGTH)]
FullName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
RefreshTokenValue = Annotated[str, msgspec.Meta(min_length=1, max_length=128)]


class LoginRequest(msgspec.Struct, forbid_unknown_fields=True):
    """Credentials for ``POST /api/auth/login``."""

    email: Email
    password: Password


class RefreshRequest(msgspec.Struct, forbid_unknown_fields=True):
    """A refresh token to spend."""

    refresh_token: RefreshTokenValue


class PasswordChange(msgspec.Struct, forbid_unknown_fields=True):
    """The caller's current password and the one to replace it."""

    current_password: Password
    new_password: Password


class UserCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A new account, created by the secretariat."""

    email: Email
    full_name: FullName
    password: Password
    is_admin: bool = False


class TokenPair(msgspec.Struct, forbid_unknown_fields=True):
    """An access token (send as ``Authorization: Bearer``) and the refresh token that renews it."""

    access_token: str
    expires_in: int
    """Seconds the access token is valid for."""
    refresh_token: str
    refresh_expires_in: int
    """Seconds the refresh token is valid for (each refresh issues a new one)."""
    token_type: Literal["bearer"] = "bearer"  # noqa: S105  (the OAuth token type, not a secret)


class LoginUser(msgspec.Struct, forbid_unknown_fields=True):
    """Who logged in."""

    id: uuid.UUID
    email: str
    full_name: str
    is_admin: bool


class LoginResponse(TokenPair, forbid_unknown_fields=True, kw_only=True):
    """A new login: the first token pair and the account."""

    user: LoginUser


class UserRead(msgspec.Struct, forbid_unknown_fields=True):
    """An account as the API shows it (never the password hash)."""

    id: uuid.UUID
    email: str
    full_name: str
    is_admin: bool
    is_active: bool
    created_at: datetime
    updated_at: datetime


class UserPage(msgspec.Struct, forbid_unknown_fields=True):
    """One page of accounts and the number of all accounts that match."""

    items: list[UserRead]
    total: int
    limit: int
    offset: int
