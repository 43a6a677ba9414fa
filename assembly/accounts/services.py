"""Account use cases: users, login, token refresh, logout, password change, (de)activation.

Two records must outlive the refusal they cause: a failed login must stay counted although the
request answers 401, and a detected refresh-token reuse must stay revoked although the request
answers 401. The request's transaction rolls back on any error, so these two writes go through
``independent_sessions``: a short transaction of their own, committed before the error is raised.
They only touch ``login_throttle`` and ``login_session`` rows the request's transaction holds no
lock on, so they never wait on the request itself.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from advanced_alchemy.filters import LimitOffset, OrderBy, SearchFilter, StatementFilter
from advanced_alchemy.repository import SQLAlchemyAsyncRepository
from sqlalchemy import ColumnElement, case, delete, exists, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from assembly.accounts.auth import TokenIssuer
from assembly.accounts.models import LoginSession, LoginThrottle, RefreshToken, SessionRevokedReason, User
from assembly.accounts.rules import (
    ACCOUNT_THROTTLE,
    ADDRESS_THROTTLE,
    CLIENT_ADDRESS_MAX_LENGTH,
    USER_AGENT_MAX_LENGTH,
    ThrottlePolicy,
    account_throttle_key,
    address_throttle_key,
    blocked_until,
    ended_sessions_purge_cutoff,
    login_email,
    normalize_email,
    password_problem,
    refresh_token_digest,
    retry_after_seconds,
    throttle_rows_stale_before,
    truncate,
    window_restart_cutoff,
)
from assembly.audit.services import record_event
from assembly.core.errors import Conflict, Forbidden, InvalidInput, NotFound, Throttled, Unauthorized
from assembly.core.security import Principal, hash_password, verify_password

__all__ = (
    "ClientInfo",
    "IssuedTokens",
    "LoginResult",
    "activate_user",
    "change_password",
    "create_user",
    "deactivate_user",
    "get_user",
    "list_users",
    "log_in",
    "log_out",
    "purge_ended_sessions",
    "refresh_session",
    "start_login_session",
)

logger = logging.getLogger("assembly.accounts")

INVALID_CREDENTIALS = "the e-mail address or the password is wrong"
"""One message for an unknown account and a wrong password, so that a login tells nobody which it was."""

_STALE_THROTTLE_ROWS_PER_FAILURE = 100
"""Stale throttle rows deleted with each counted failure: keeps the table near its live size."""


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """Where a login comes from: the connection's peer address and its User-Agent."""

    address: str | None
    user_agent: str | None


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    """A fresh access token and refresh token of one login session."""

    session_id: uuid.UUID
    access_token: str
    access_expires_in: int
    refresh_token: str
    refresh_expires_in: int


@dataclass(frozen=True, slots=True)
class LoginResult:
    """The account that logged in and its first pair of tokens."""

    user: User
    tokens: IssuedTokens


class _UserRepository(SQLAlchemyAsyncRepository[User]):
    model_type = User


def _now() -> datetime:
    return datetime.now(UTC)


# --- users -------------------------------------------------------------------------------------


async def create_user(
    session: AsyncSession,
    *,
    email: str,
    full_name: str,
    password: str,
    is_admin: bool = False,
    actor_user_id: uuid.UUID | None = None,
) -> User:
    """Create an account and record ``user.created``.

    Raises:
        InvalidInput: a malformed e-mail (``email``), a name not 1 to 200 characters (``full_name``),
            or a password that breaks the password policy (``password``).
        Conflict: ``email_taken`` when an account already has this e-mail (also when two creations race).
    """
    normalized = normalize_email(email)
    if normalized is None:
        raise InvalidInput.for_field("email", "is not an e-mail address")
    name = full_name.strip()
    if not 1 <= len(name) <= 200:
        raise InvalidInput.for_field("full_name", "must be 1 to 200 characters long")
    problem = password_problem(password, email=normalized)
    if problem:
        raise InvalidInput.for_field("password", problem)
    existing = await session.scalar(select(User.id).where(User.email == normalized))
    if existing is not None:
        raise _email_taken(normalized)
    user = User(email=normalized, full_name=name, password_hash=await hash_password(password), is_admin=is_admin)
    session.add(user)
    try:
        await session.flush()
    except IntegrityError as exc:
        # A concurrent creation with the same e-mail committed between our check and our insert.
        if "uq_user_account_email" not in str(exc.orig):
            raise
        raise _email_taken(normalized) from None
    await record_event(
        session, "user.created", subject_id=user.id, actor_user_id=actor_user_id, payload={"is_admin": is_admin}
    )
    return user


def _email_taken(email: str) -> Conflict:
    return Conflict(f"an account with the e-mail {email} already exists", code="email_taken")


async def get_user(session: AsyncSession, user_id: uuid.UUID) -> User:
    """Return the account ``user_id``.

    Raises:
        NotFound: ``user_not_found``.
    """
    user = await session.get(User, user_id)
    if user is None:
        raise _user_not_found()
    return user


def _user_not_found() -> NotFound:
    return NotFound("there is no user with this id", code="user_not_found")


async def list_users(
    session: AsyncSession, *, search: str | None, limit: int, offset: int
) -> tuple[list[User], int]:
    """Return one page of accounts ordered by name (then id) and the number of all that match.

    ``search`` matches a substring of the full name or the e-mail, ignoring case; ``%`` and ``_`` in
    it are plain characters.
    """
    filters: list[StatementFilter] = [OrderBy("full_name", "asc"), OrderBy("id", "asc"), LimitOffset(limit, offset)]
    term = (search or "").strip()
    if term:
        filters.insert(0, SearchFilter({"full_name", "email"}, term, ignore_case=True, escape_wildcards=True))
    users, total = await _UserRepository(session=session).get_many_and_count(*filters)
    return list(users), total


async def deactivate_user(
    session: AsyncSession, *, actor_user_id: uuid.UUID, user_id: uuid.UUID, now: datetime | None = None
) -> User:
    """Deactivate an account, end all its login sessions, and record ``user.deactivated``.

    Raises:
        NotFound: ``user_not_found``.
        Forbidden: ``admin_only`` when the acting admin was deactivated or demoted meanwhile.
        Conflict: ``cannot_deactivate_self`` (an admin cannot lock themself out), ``user_already_inactive``.
    """
    now = now or _now()
    target = await _lock_target_and_actor(session, actor_user_id=actor_user_id, user_id=user_id)
    if target.id == actor_user_id:
        raise Conflict("you cannot deactivate your own account; ask another administrator",
                       code="cannot_deactivate_self")
    if not target.is_active:
        raise Conflict("this account is already inactive", code="user_already_inactive")
    target.is_active = False
    revoked = await _revoke_sessions(session, LoginSession.user_id == target.id, SessionRevokedReason.USER_DEACTIVATED,
                                     now)
    await session.flush()
    await record_event(session, "user.deactivated", subject_id=target.id, actor_user_id=actor_user_id,
                       payload={"sessions_revoked": revoked})
    return target


async def activate_user(session: AsyncSession, *, actor_user_id: uuid.UUID, user_id: uuid.UUID) -> User:
    """Reactivate an account and record ``user.activated``.

    Raises:
        NotFound: ``user_not_found``.
        Forbidden: ``admin_only`` when the acting admin was deactivated or demoted meanwhile.
        Conflict: ``user_already_active``.
    """
    target = await _lock_target_and_actor(session, actor_user_id=actor_user_id, user_id=user_id)
    if target.is_active:
        raise Conflict("this account is already active", code="user_already_active")
    target.is_active = True
    await session.flush()
    await record_event(session, "user.activated", subject_id=target.id, actor_user_id=actor_user_id, payload={})
    return target


async def _lock_target_and_actor(session: AsyncSession, *, actor_user_id: uuid.UUID, user_id: uuid.UUID) -> User:
    # Lock both rows in id order: two admins deactivating each other at once are serialized, and the
    # second finds itself inactive instead of leaving the secretariat with no active admin.
    rows = await session.scalars(
        select(User)
        .where(User.id.in_({actor_user_id, user_id}))
        .order_by(User.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    by_id = {user.id: user for user in rows}
    target = by_id.get(user_id)
    if target is None:
        raise _user_not_found()
    actor = by_id.get(actor_user_id)
    if actor is None or not actor.is_active or not actor.is_admin:
        raise Forbidden("only an active secretariat account may do this", code="admin_only")
    return target


# --- login sessions ----------------------------------------------------------------------------


async def start_login_session(
    session: AsyncSession, tokens: TokenIssuer, *, user_id: uuid.UUID, client: ClientInfo, now: datetime | None = None
) -> IssuedTokens:
    """Open a login session for ``user_id`` (who has proved who they are) and issue its first tokens."""
    now = now or _now()
    login = LoginSession(
        user_id=user_id,
        last_used_at=now,
        client_address=truncate(client.address, CLIENT_ADDRESS_MAX_LENGTH),
        user_agent=truncate(client.user_agent, USER_AGENT_MAX_LENGTH),
    )
    session.add(login)
    await session.flush()
    return await _issue_tokens(session, tokens, user_id=user_id, session_id=login.id, now=now)


async def _issue_tokens(
    session: AsyncSession, tokens: TokenIssuer, *, user_id: uuid.UUID, session_id: uuid.UUID, now: datetime
) -> IssuedTokens:
    refresh_token, _ = await _add_refresh_token(session, tokens, session_id=session_id, now=now)
    return IssuedTokens(
        session_id=session_id,
        access_token=tokens.access_token(user_id, session_id),
        access_expires_in=tokens.access_ttl_seconds,
        refresh_token=refresh_token,
        refresh_expires_in=tokens.refresh_ttl_seconds,
    )


async def _add_refresh_token(
    session: AsyncSession, tokens: TokenIssuer, *, session_id: uuid.UUID, now: datetime
) -> tuple[str, RefreshToken]:
    token = secrets.token_urlsafe(32)  # 256 random bits
    row = RefreshToken(
        session_id=session_id,
        token_hash=refresh_token_digest(token),
        expires_at=now + timedelta(seconds=tokens.refresh_ttl_seconds),
    )
    session.add(row)
    await session.flush()
    return token, row


async def log_in(
    session: AsyncSession,
    independent_sessions: async_sessionmaker[AsyncSession],
    tokens: TokenIssuer,
    *,
    email: str,
    password: str,
    client: ClientInfo,
    now: datetime | None = None,
) -> LoginResult:
    """Check an e-mail and password and open a login session.

    The throttle is checked before the password, so a blocked client costs no argon2 work. A failure
    (unknown account or wrong password) is counted against the account and the client address in a
    transaction of its own; a success clears the account's count and rehashes the password when the
    hashing parameters have changed.

    Raises:
        Throttled: ``throttled`` (429 with Retry-After) when the account or the address is blocked.
        Unauthorized: ``invalid_credentials`` (same message for an unknown e-mail and a wrong password),
            ``account_inactive`` (right password, deactivated account).
    """
    now = now or _now()
    account_key = account_throttle_key(email)
    keys = {account_key: ACCOUNT_THROTTLE, address_throttle_key(client.address or ""): ADDRESS_THROTTLE}
    await _refuse_if_throttled(session, keys, now)

    user = await session.scalar(select(User).where(User.email == login_email(email)))
    if user is None:
        # Spend the same argon2 work as for a real account, so timing does not tell which e-mails exist.
        await verify_password(await _decoy_hash(), password)
        matches, needs_rehash = False, False
    else:
        matches, needs_rehash = await verify_password(user.password_hash, password)
    if user is None or not matches:
        await _count_failure(independent_sessions, keys, now)
        raise Unauthorized(INVALID_CREDENTIALS, code="invalid_credentials")
    if not user.is_active:
        raise Unauthorized("this account is deactivated; ask the secretariat", code="account_inactive")

    await session.execute(delete(LoginThrottle).where(LoginThrottle.key == account_key))
    if needs_rehash:
        user.password_hash = await hash_password(password)
    issued = await start_login_session(session, tokens, user_id=user.id, client=client, now=now)
    return LoginResult(user=user, tokens=issued)


_decoy: list[str] = []


async def _decoy_hash() -> str:
    if not _decoy:
        _decoy.append(await hash_password(secrets.token_urlsafe(32)))
    return _decoy[0]


async def refresh_session(
    session: AsyncSession,
    independent_sessions: async_sessionmaker[AsyncSession],
    tokens: TokenIssuer,
    *,
    refresh_token: str,
    now: datetime | None = None,
) -> IssuedTokens:
    """Spend a refresh token for a new access token and a new refresh token of the same session.

    The token is spent by one conditional UPDATE (``used_at IS NULL``): of two requests with the same
    token, the database lets exactly one through; the other finds it spent. Presenting a spent token
    means two parties hold it (the refresh-token reuse rule), so the whole session is revoked, in a
    transaction of its own, and ``session.refresh_token_reused`` is recorded.

    Raises:
        Unauthorized: ``invalid_refresh_token`` (unknown), ``refresh_token_expired``,
            ``refresh_token_reused`` (already spent; the session is now revoked), ``session_revoked``
            (the session was ended or the account deactivated).
    """
    now = now or _now()
    digest = refresh_token_digest(refresh_token)
    claimed = (
        await session.execute(
            update(RefreshToken)
            .where(RefreshToken.token_hash == digest, RefreshToken.used_at.is_(None), RefreshToken.expires_at > now)
            .values(used_at=now)
            .returning(RefreshToken.id, RefreshToken.session_id)
        )
    ).first()
    if claimed is None:
        known = (
            await session.execute(select(RefreshToken.session_id, RefreshToken.used_at).where(
                RefreshToken.token_hash == digest))
        ).first()
        if known is None:
            raise Unauthorized("this refresh token is not valid; log in again", code="invalid_refresh_token")
        if known.used_at is not None:
            await _revoke_after_reuse(independent_sessions, known.session_id, now)
            raise Unauthorized("this refresh token was already used, so its session has been ended; log in again",
                               code="refresh_token_reused")
        raise Unauthorized("this refresh token has expired; log in again", code="refresh_token_expired")

    user_id = await session.scalar(
        update(LoginSession)
        .where(
            LoginSession.id == claimed.session_id,
            LoginSession.revoked_at.is_(None),
            exists().where(User.id == LoginSession.user_id, User.is_active.is_(True)),
        )
        .values(last_used_at=now)
        .returning(LoginSession.user_id)
    )
    if user_id is None:
        raise Unauthorized("this session has ended; log in again", code="session_revoked")
    new_token, new_row = await _add_refresh_token(session, tokens, session_id=claimed.session_id, now=now)
    await session.execute(update(RefreshToken).where(RefreshToken.id == claimed.id).values(replaced_by_id=new_row.id))
    return IssuedTokens(
        session_id=claimed.session_id,
        access_token=tokens.access_token(user_id, claimed.session_id),
        access_expires_in=tokens.access_ttl_seconds,
        refresh_token=new_token,
        refresh_expires_in=tokens.refresh_ttl_seconds,
    )


async def _revoke_after_reuse(
    independent_sessions: async_sessionmaker[AsyncSession], session_id: uuid.UUID, now: datetime
) -> None:
    # Ids only: a log line never carries a token, a password or an e-mail address.
    logger.warning("refresh token reuse detected; revoking login session %s", session_id)
    async with independent_sessions() as side, side.begin():
        revoked = await _revoke_sessions(side, LoginSession.id == session_id, SessionRevokedReason.REFRESH_TOKEN_REUSED,
                                         now)
        user_id = await side.scalar(select(LoginSession.user_id).where(LoginSession.id == session_id))
        await record_event(
            side,
            "session.refresh_token_reused",
            subject_id=session_id,
            payload={"user_id": str(user_id), "session_was_active": revoked > 0},
        )


async def log_out(session: AsyncSession, *, principal: Principal, now: datetime | None = None) -> None:
    """End the caller's login session: its refresh tokens and its access tokens stop working."""
    if principal.session_id is not None:
        await _revoke_sessions(session, LoginSession.id == principal.session_id, SessionRevokedReason.LOGOUT,
                               now or _now())


async def change_password(
    session: AsyncSession,
    independent_sessions: async_sessionmaker[AsyncSession],
    *,
    principal: Principal,
    current_password: str,
    new_password: str,
    now: datetime | None = None,
) -> None:
    """Replace the caller's password, end every login session of the account, record ``user.password_changed``.

    A wrong current password counts as a failed login of the account (a stolen access token must not
    allow guessing the password here), and the account's throttle applies before it is checked.

    Raises:
        Throttled: ``throttled`` when the account is blocked.
        InvalidInput: ``invalid_input`` on ``new_password`` (breaks the policy or equals the current one),
            ``wrong_current_password`` on ``current_password``.
    """
    now = now or _now()
    user = await session.scalar(select(User).where(User.id == principal.user_id).with_for_update())
    if user is None:
        raise Unauthorized("log in first", code="unauthorized")
    keys = {account_throttle_key(user.email): ACCOUNT_THROTTLE}
    await _refuse_if_throttled(session, keys, now)
    problem = password_problem(new_password, email=user.email)
    if problem:
        raise InvalidInput.for_field("new_password", problem)
    matches, _ = await verify_password(user.password_hash, current_password)
    if not matches:
        await _count_failure(independent_sessions, keys, now)
        raise InvalidInput.for_field("current_password", "is not your current password", code="wrong_current_password")
    if new_password == current_password:
        raise InvalidInput.for_field("new_password", "must differ from the current password")
    user.password_hash = await hash_password(new_password)
    revoked = await _revoke_sessions(session, LoginSession.user_id == user.id, SessionRevokedReason.PASSWORD_CHANGED,
                                     now)
    await session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(keys)))
    await record_event(session, "user.password_changed", subject_id=user.id, actor_user_id=user.id,
                       payload={"sessions_revoked": revoked})


async def _revoke_sessions(
    session: AsyncSession, which: ColumnElement[bool], reason: SessionRevokedReason, now: datetime
) -> int:
    """Revoke the live sessions matching ``which``; return how many were live."""
    revoked = await session.scalars(
        update(LoginSession)
        .where(which, LoginSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
        .returning(LoginSession.id)
    )
    return len(revoked.all())


async def purge_ended_sessions(session: AsyncSession, *, keep: timedelta, now: datetime | None = None) -> int:
    """Delete login sessions that ended more than ``keep`` ago, with their refresh tokens; return how many.

    Ended means revoked, or never revoked but with every refresh token expired (nobody can use it
    again). Live sessions are never touched. The deletion is recorded as an audit event with its
    count and cutoff, so the log shows that records were removed and by which rule.
    """
    now = now or _now()
    cutoff = ended_sessions_purge_cutoff(now, keep)
    still_refreshable = exists().where(RefreshToken.session_id == LoginSession.id, RefreshToken.expires_at >= cutoff)
    ended_long_ago = (LoginSession.revoked_at < cutoff) | (
        LoginSession.revoked_at.is_(None) & (LoginSession.last_used_at < cutoff) & ~still_refreshable
    )
    # Refresh tokens go with their session (ON DELETE CASCADE).
    deleted = (await session.scalars(delete(LoginSession).where(ended_long_ago).returning(LoginSession.id))).all()
    await record_event(
        session,
        "user.sessions_purged",
        payload={"sessions_deleted": len(deleted), "ended_before": cutoff.isoformat()},
    )
    return len(deleted)


# --- throttle ----------------------------------------------------------------------------------


async def _refuse_if_throttled(session: AsyncSession, keys: Mapping[str, ThrottlePolicy], now: datetime) -> None:
    rows = await session.execute(
        select(LoginThrottle.key, LoginThrottle.failures, LoginThrottle.window_started_at).where(
            LoginThrottle.key.in_(keys)
        )
    )
    until = max(
        (
            blocked
            for row in rows
            if (blocked := blocked_until(row.failures, row.window_started_at, now, keys[row.key])) is not None
        ),
        default=None,
    )
    if until is not None:
        raise Throttled("too many failed logins; try again later", retry_after_seconds=retry_after_seconds(until, now))


async def _count_failure(
    independent_sessions: async_sessionmaker[AsyncSession], keys: Mapping[str, ThrottlePolicy], now: datetime
) -> None:
    """Count one failed login against every key, in a transaction of its own (it must survive the 401)."""
    async with independent_sessions() as side, side.begin():
        stale = (
            select(LoginThrottle.id)
            .where(LoginThrottle.window_started_at < throttle_rows_stale_before(now))
            .limit(_STALE_THROTTLE_ROWS_PER_FAILURE)
            .with_for_update(skip_locked=True)
        )
        await side.execute(delete(LoginThrottle).where(LoginThrottle.id.in_(stale)))
        # Keys in a fixed order, so concurrent failures lock the rows in the same order.
        for key in sorted(keys):
            restart = LoginThrottle.window_started_at <= window_restart_cutoff(now, keys[key])
            insert = pg_insert(LoginThrottle).values(key=key, failures=1, window_started_at=now)
            # ON CONFLICT DO UPDATE counts concurrent failures exactly: each one increments the row
            # under its lock, whichever worker process it comes from.
            await side.execute(
                insert.on_conflict_do_update(
                    index_elements=[LoginThrottle.key],
                    set_={
                        "failures": case((restart, 1), else_=LoginThrottle.failures + 1),
                        "window_started_at": case((restart, now), else_=LoginThrottle.window_started_at),
                        "updated_at": now,
                    },
                )
            )
