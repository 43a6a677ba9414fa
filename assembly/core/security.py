"""Password hashing with argon2id, off the event loop.

argon2 is deliberately slow (tens of milliseconds); hashing on the event loop would stall every other
request of the worker, so both hashing and verifying run in a thread.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ("Principal", "hash_password", "password_hasher", "verify_password")

password_hasher = PasswordHasher(type=Type.ID)
"""argon2id with argon2-cffi's current defaults (RFC 9106 low-memory profile)."""


async def hash_password(password: str) -> str:
    """Hash ``password`` with argon2id."""
    return await asyncio.to_thread(password_hasher.hash, password)


def _verify(password_hash: str, password: str) -> tuple[bool, bool]:
    try:
        password_hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, False
    return True, password_hasher.check_needs_rehash(password_hash)


async def verify_password(password_hash: str, password: str) -> tuple[bool, bool]:
    """Return (the password matches, the hash should be recomputed with the current parameters)."""
    return await asyncio.to_thread(_verify, password_hash, password)


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: set as ``request.user`` by the token middleware for authenticated requests."""

    user_id: uuid.UUID
    """The account's id (the token's ``sub``)."""

    is_admin: bool
    """Secretariat administrator (the one global role)."""

    session_id: uuid.UUID | None = None
    """The login session (refresh-token family) the access token belongs to; logout revokes it."""
