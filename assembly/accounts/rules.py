"""Account rules: pure functions, no I/O."""

from __future__ import annotations

import re

__all__ = ("PASSWORD_MAX_LENGTH", "PASSWORD_MIN_LENGTH", "normalize_email", "password_problem")

PASSWORD_MIN_LENGTH = 12
"""Shortest password accepted (NIST SP 800-63B asks at least 8; we ask more of staff accounts)."""

PASSWORD_MAX_LENGTH = 256
"""Longest password accepted: bounds the hashing work an attacker can ask for."""

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s.]{2,63}$")


def normalize_email(email: str) -> str | None:
    """Return the e-mail address lower-cased and trimmed, or None when it is not an address."""
    value = email.strip().lower()
    if len(value) > 320 or not _EMAIL.match(value):
        return None
    return value


def password_problem(password: str) -> str | None:
    """Say what is wrong with ``password``, or None when it is acceptable."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return f"must be at least {PASSWORD_MIN_LENGTH} characters long"
    if len(password) > PASSWORD_MAX_LENGTH:
        return f"must be at most {PASSWORD_MAX_LENGTH} characters long"
    if password.strip() == "":
        return "must not be blank"
    return None
