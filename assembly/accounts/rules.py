"""Account rules: pure functions, no I/O.

These are the secretariat's security rules rather than rules of procedure; each docstring names the
rule as docs/accounts.md states it.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

__all__ = (
    "ACCOUNT_THROTTLE",
    "ADDRESS_THROTTLE",
    "CLIENT_ADDRESS_MAX_LENGTH",
    "PASSWORD_MAX_LENGTH",
    "PASSWORD_MIN_LENGTH",
    "SESSION_RECORD_MIN_RETENTION",
    "USER_AGENT_MAX_LENGTH",
    "ThrottlePolicy",
    "account_throttle_key",
    "address_throttle_key",
    "blocked_until",
    "ended_sessions_purge_cutoff",
    "login_email",
    "normalize_email",
    "password_problem",
    "refresh_token_digest",
    "retry_after_seconds",
    "throttle_rows_stale_before",
    "truncate",
    "window_restart_cutoff",
)

PASSWORD_MIN_LENGTH = 12
"""Shortest password accepted (NIST SP 800-63B asks at least 8; we ask more of staff accounts)."""

PASSWORD_MAX_LENGTH = 256
"""Longest password accepted: bounds the hashing work an attacker can ask for."""

CLIENT_ADDRESS_MAX_LENGTH = 64
"""Longest client address kept (an IPv6 address with a zone id fits)."""

USER_AGENT_MAX_LENGTH = 256
"""Longest User-Agent kept on a login session."""

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s.]{2,63}$")


@dataclass(frozen=True, slots=True)
class ThrottlePolicy:
    """At most ``max_failures`` failed logins per key in a window of ``window`` from the first failure."""

    max_failures: int
    window: timedelta


ACCOUNT_THROTTLE = ThrottlePolicy(max_failures=5, window=timedelta(minutes=15))
"""Per account (``account:<e-mail>``): 5 failures in 15 minutes block the account's logins.

Guards one password against guessing: at most 5 guesses per 15 minutes (480 a day).
"""

ADDRESS_THROTTLE = ThrottlePolicy(max_failures=100, window=timedelta(minutes=15))
"""Per client address (``address:<ip>``): 100 failures in 15 minutes block the address.

Guards against one client spraying passwords over many accounts. It is high because a congress venue
puts thousands of participants behind a handful of shared (NAT) addresses, and their typos must not
lock the venue out.
"""


def normalize_email(email: str) -> str | None:
    """Return the e-mail address lower-cased and trimmed, or None when it is not an address."""
    value = email.strip().lower()
    if len(value) > 320 or not _EMAIL.match(value):
        return None
    return value


def login_email(email: str) -> str:
    """The account name a login attempt is counted and looked up under: trimmed and lower-cased.

    Not validated as an address: a malformed name simply matches no account, and answering it
    differently from an unknown one would tell an attacker something.
    """
    return email.strip().lower()


def password_problem(password: str, *, email: str | None = None) -> str | None:
    """Say what is wrong with ``password``, or None when it is acceptable.

    Password policy: 12 to 256 characters; not blank; not one character repeated; not the account's
    e-mail address nor its part before the ``@`` (compared without regard to case or surrounding spaces).
    """
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"must be at least {PASSWORD_MIN_LENGTH} characters long"
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"must be at most {PASSWORD_MAX_LENGTH} characters long"
    if password.strip() == "":
        return "must not be blank"
    if len(set(password)) == 1:
        return "must not be one character repeated"
    if email:
        folded = password.strip().lower()
        address = email.strip().lower()
        if folded in {address, address.split("@", 1)[0]}:
            return "must not be the e-mail address"
    return None


def account_throttle_key(email: str) -> str:
    """Throttle key of the account a login names (``account:<e-mail as looked up>``)."""
    return f"account:{login_email(email)}"


def address_throttle_key(address: str) -> str:
    """Throttle key of the client address a login comes from (``address:<address>``)."""
    return f"address:{truncate(address, CLIENT_ADDRESS_MAX_LENGTH) or 'unknown'}"


def blocked_until(failures: int, window_started_at: datetime, now: datetime, policy: ThrottlePolicy) -> datetime | None:
    """Return when a throttled key may try again, or None when it is not blocked at ``now``.

    Login throttle rule: a key is blocked when ``failures >= policy.max_failures`` and
    ``now < window_started_at + policy.window``; it is then blocked until ``window_started_at + policy.window``.
    The window starts at the first failure after the previous window ended.
    """
    window_ends = window_started_at + policy.window
    if failures >= policy.max_failures and now < window_ends:
        return window_ends
    return None


def window_restart_cutoff(now: datetime, policy: ThrottlePolicy) -> datetime:
    """A failure at ``now`` starts a new window when the current one started at or before this instant.

    Login throttle rule: the window of a key restarts (count back to 1, start = ``now``) when
    ``now >= window_started_at + policy.window``, i.e. ``window_started_at <= now - policy.window``. The
    database applies this comparison in the same statement that counts the failure.
    """
    return now - policy.window


def throttle_rows_stale_before(now: datetime) -> datetime:
    """Rows whose window started before this instant count for nothing any more and may be deleted."""
    return now - max(ACCOUNT_THROTTLE.window, ADDRESS_THROTTLE.window)


SESSION_RECORD_MIN_RETENTION = timedelta(days=1)
"""Ended login sessions are kept at least this long: longer than any access token lives (at most a
day, ASSEMBLY_ACCESS_TOKEN_TTL), so a purge never turns a still-valid token's 401 into a different answer,
and recent logins stay visible to an administrator looking into an incident."""


def ended_sessions_purge_cutoff(now: datetime, keep: timedelta) -> datetime:
    """Login sessions that ended before this instant may be deleted with their refresh tokens.

    A session has ended when it was revoked (logout, password change, reuse, deactivation) or when its
    newest refresh token expired. ``keep`` below the minimum retention is raised to it.
    """
    return now - max(keep, SESSION_RECORD_MIN_RETENTION)


def retry_after_seconds(until: datetime, now: datetime) -> int:
    """Whole seconds until ``until`` (rounded up, at least 1): the ``Retry-After`` of a refusal."""
    return max(1, math.ceil((until - now).total_seconds()))


def refresh_token_digest(token: str) -> bytes:
    """SHA-256 of a refresh token: what is stored and looked up, so a database leak yields no usable token."""
    return hashlib.sha256(token.encode("utf-8")).digest()


def truncate(value: str | None, length: int) -> str | None:
    """``value`` cut to ``length`` characters; None or empty stays None."""
    if not value:
        return None
    return value[:length]
