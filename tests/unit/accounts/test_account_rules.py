"""Account rules: the login throttle, the password policy, e-mail handling and token digests."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from assembly.accounts.rules import (
    ACCOUNT_THROTTLE,
    ADDRESS_THROTTLE,
    PASSWORD_MAX_LENGTH,
    PASSWORD_MIN_LENGTH,
    SESSION_RECORD_MIN_RETENTION,
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

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
POLICY = ThrottlePolicy(max_failures=5, window=timedelta(minutes=15))


def test_the_policy_is_five_per_account_and_a_hundred_per_address_in_fifteen_minutes() -> None:
    assert (ACCOUNT_THROTTLE.max_failures, ACCOUNT_THROTTLE.window) == (5, timedelta(minutes=15))
    assert (ADDRESS_THROTTLE.max_failures, ADDRESS_THROTTLE.window) == (100, timedelta(minutes=15))


@pytest.mark.parametrize("failures", [0, 1, 4])
def test_fewer_failures_than_the_limit_never_block(failures: int) -> None:
    assert blocked_until(failures, T0, T0 + timedelta(seconds=1), POLICY) is None


@pytest.mark.parametrize("failures", [5, 6, 500])
def test_the_limit_blocks_until_the_window_ends(failures: int) -> None:
    assert blocked_until(failures, T0, T0 + timedelta(minutes=1), POLICY) == T0 + timedelta(minutes=15)


def test_the_block_ends_exactly_at_the_end_of_the_window() -> None:
    end = T0 + POLICY.window
    assert blocked_until(5, T0, end - timedelta(microseconds=1), POLICY) == end
    assert blocked_until(5, T0, end, POLICY) is None
    assert blocked_until(5, T0, end + timedelta(hours=1), POLICY) is None


def test_a_new_window_starts_once_the_old_one_is_over() -> None:
    now = T0 + POLICY.window
    cutoff = window_restart_cutoff(now, POLICY)
    assert cutoff == T0
    # The database restarts the count when window_started_at <= cutoff: exactly when no block remains.
    for started in (T0, T0 - timedelta(seconds=1), T0 + timedelta(seconds=1)):
        restarts = started <= cutoff
        assert restarts == (blocked_until(POLICY.max_failures, started, now, POLICY) is None)


def test_stale_rows_are_those_older_than_every_window() -> None:
    now = T0 + timedelta(hours=1)
    assert throttle_rows_stale_before(now) == now - max(ACCOUNT_THROTTLE.window, ADDRESS_THROTTLE.window)


@pytest.mark.parametrize(
    ("until", "now", "seconds"),
    [
        (T0 + timedelta(seconds=90), T0, 90),
        (T0 + timedelta(seconds=90), T0 + timedelta(milliseconds=500), 90),  # rounded up
        (T0 + timedelta(milliseconds=10), T0, 1),
        (T0, T0, 1),  # never 0: a client must wait a little
    ],
)
def test_retry_after_is_whole_seconds_rounded_up(until: datetime, now: datetime, seconds: int) -> None:
    assert retry_after_seconds(until, now) == seconds


def test_throttle_keys_name_the_account_and_the_address() -> None:
    assert account_throttle_key("  Mayor@City.ORG ") == "account:mayor@city.org"
    assert address_throttle_key("2001:db8::1") == "address:2001:db8::1"
    assert address_throttle_key("") == "address:unknown"
    assert len(address_throttle_key("x" * 500)) == len("address:") + 64


def test_login_email_is_trimmed_and_lower_cased_but_not_validated() -> None:
    assert login_email(" A@B.Org ") == "a@b.org"
    assert login_email("not an address") == "not an address"


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        (" Mayor@City.Example ", "mayor@city.example"),
        ("a@b.co", "a@b.co"),
        ("no-at-sign.example", None),
        ("two@@ats.example", None),
        ("space in@name.example", None),
        ("tld@missing", None),
        ("x" * 65 + "@long.example", None),
    ],
)
def test_normalize_email(raw: str, normalized: str | None) -> None:
    assert normalize_email(raw) == normalized


@pytest.mark.parametrize(
    ("password", "email", "problem"),
    [
        ("ab" * 5 + "c", None, f"at least {PASSWORD_MIN_LENGTH}"),  # 11 characters
        ("correct horse battery staple", None, None),
        ("x" * (PASSWORD_MAX_LENGTH - 1) + "y", None, None),
        ("x" * PASSWORD_MAX_LENGTH + "y", None, f"at most {PASSWORD_MAX_LENGTH}"),
        (" " * 20, None, "must not be blank"),
        ("\t\n" * 8, None, "must not be blank"),
        ("z" * 20, None, "one character repeated"),
        ("mayor@city.example", "mayor@city.example", "must not be the e-mail address"),
        (" MAYOR@CITY.EXAMPLE ", "mayor@city.example", "must not be the e-mail address"),
        ("mayorofthecity", "mayorofthecity@city.example", "must not be the e-mail address"),
        ("mayor@city.example!", "mayor@city.example", None),
    ],
)
def test_password_policy(password: str, email: str | None, problem: str | None) -> None:
    found = password_problem(password, email=email)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found


def test_length_limits_are_inclusive() -> None:
    assert password_problem("ab" * (PASSWORD_MIN_LENGTH // 2)) is None  # exactly the minimum
    assert password_problem("ab" * (PASSWORD_MAX_LENGTH // 2)) is None  # exactly the maximum
    assert password_problem("ab" * (PASSWORD_MAX_LENGTH // 2) + "c") is not None


def test_refresh_token_digest_is_sha256() -> None:
    assert refresh_token_digest("abc") == hashlib.sha256(b"abc").digest()
    assert len(refresh_token_digest("any token at all")) == 32
    assert refresh_token_digest("a") != refresh_token_digest("b")


def test_truncate() -> None:
    assert truncate(None, 5) is None
    assert truncate("", 5) is None
    assert truncate("abcdefgh", 5) == "abcde"
    assert truncate("abc", 5) == "abc"


def test_ended_sessions_are_kept_at_least_the_minimum_retention() -> None:
    now = datetime(2026, 11, 29, tzinfo=UTC)
    assert ended_sessions_purge_cutoff(now, timedelta(days=30)) == now - timedelta(days=30)
    assert ended_sessions_purge_cutoff(now, timedelta(0)) == now - SESSION_RECORD_MIN_RETENTION
