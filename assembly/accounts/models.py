"""Account tables: users, login sessions (refresh-token families), refresh tokens, the login throttle."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from advanced_alchemy.base import UUIDv7AuditBase
from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Boolean, CheckConstraint, Enum, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

__all__ = ("LoginSession", "LoginThrottle", "RefreshToken", "SessionRevokedReason", "User")


class User(UUIDv7AuditBase):
    """A person who logs in: secretariat staff, chairs, auditors and delegates."""

    __tablename__ = "user_account"
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lowercase"),)

    email: Mapped[str] = mapped_column(String(320), unique=True)
    """Login name, stored lower-case so that uniqueness ignores case."""

    full_name: Mapped[str] = mapped_column(String(200))
    """Name shown to other participants."""

    password_hash: Mapped[str] = mapped_column(String(255))
    """argon2id hash (PHC string format)."""

    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    """Secretariat administrator: the one global role."""

    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    """An inactive account cannot log in."""


class SessionRevokedReason(enum.StrEnum):
    """Why a login session was ended before its refresh tokens expired."""

    LOGOUT = "logout"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105  (a reason, not a password)
    REFRESH_TOKEN_REUSED = "refresh_token_reused"  # noqa: S105
    USER_DEACTIVATED = "user_deactivated"


def _enum(cls: type[enum.StrEnum], name: str) -> Enum:
    # Store the values (not the names) as a native PostgreSQL enum.
    return Enum(cls, name=name, values_callable=lambda members: [m.value for m in members])


class LoginSession(UUIDv7AuditBase):
    """One login: the family of refresh tokens it rotates through, and the access tokens they buy.

    Access tokens carry this row's id as their ``sid`` claim; revoking the row ends every access and
    refresh token of the login at once.
    """

    __tablename__ = "login_session"
    __table_args__ = (
        CheckConstraint("(revoked_at IS NULL) = (revoked_reason IS NULL)", name="revoked_with_reason"),
    )

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    """The account that logged in."""

    last_used_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    """Time of the login or of the latest refresh."""

    revoked_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    """When the session was ended; None while it is alive."""

    revoked_reason: Mapped[SessionRevokedReason | None] = mapped_column(
        _enum(SessionRevokedReason, "login_session_revoked_reason"), nullable=True
    )
    """Why it was ended (set together with ``revoked_at``)."""

    client_address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    """The client's network address at login (the connection's peer, never a forwarded header)."""

    user_agent: Mapped[str | None] = mapped_column(String(256), nullable=True)
    """The client's User-Agent at login, truncated to 256 characters."""


class RefreshToken(UUIDv7AuditBase):
    """One refresh token of a login session; only the SHA-256 of the random token is stored."""

    __tablename__ = "refresh_token"
    __table_args__ = (
        CheckConstraint("octet_length(token_hash) = 32", name="token_hash_sha256"),
        CheckConstraint("replaced_by_id IS NULL OR used_at IS NOT NULL", name="replaced_only_when_used"),
    )

    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("login_session.id", ondelete="CASCADE"), index=True)
    """The login session (token family) this token belongs to."""

    token_hash: Mapped[bytes] = mapped_column(LargeBinary(32), unique=True)
    """SHA-256 of the token the client holds; the token itself is never stored."""

    expires_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True))
    """After this instant the token buys nothing."""

    used_at: Mapped[datetime | None] = mapped_column(DateTimeUTC(timezone=True), nullable=True)
    """When it was spent on a refresh; presenting it again afterwards revokes the whole session."""

    replaced_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("refresh_token.id", ondelete="SET NULL"), nullable=True, index=True
    )
    """The token issued in exchange for this one."""


class LoginThrottle(UUIDv7AuditBase):
    """Failed logins counted per key, shared by every worker process through the database.

    Keys are ``account:<e-mail>`` and ``address:<client address>``; the policy is in
    :mod:`assembly.accounts.rules`.
    """

    __tablename__ = "login_throttle"
    __table_args__ = (CheckConstraint("failures >= 1", name="failures_positive"),)

    key: Mapped[str] = mapped_column(String(400), unique=True)
    """What is counted: ``account:<e-mail>`` or ``address:<client address>``."""

    failures: Mapped[int] = mapped_column(Integer)
    """Failed attempts since ``window_started_at``."""

    window_started_at: Mapped[datetime] = mapped_column(DateTimeUTC(timezone=True), index=True)
    """Time of the first failure of the current counting window."""
