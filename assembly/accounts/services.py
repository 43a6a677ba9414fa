"""Account use cases."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from assembly.accounts.models import User
from assembly.accounts.rules import normalize_email, password_problem
from assembly.core.errors import Conflict, InvalidInput
from assembly.core.security import hash_password

__all__ = ("create_user",)


async def create_user(
    session: AsyncSession, *, email: str, full_name: str, password: str, is_admin: bool = False
) -> User:
    """Create an account; refuse a malformed e-mail, a weak password or an e-mail already in use."""
    normalized = normalize_email(email)
    if normalized is None:
        raise InvalidInput.for_field("email", "is not an e-mail address")
    name = full_name.strip()
    if not 1 <= len(name) <= 200:
        raise InvalidInput.for_field("full_name", "must be 1 to 200 characters long")
    problem = password_problem(password)
    if problem:
        raise InvalidInput.for_field("password", problem)
    existing = await session.scalar(select(User.id).where(User.email == normalized))
    if existing is not None:
        raise Conflict(f"an account with the e-mail {normalized} already exists", code="email_taken")
    user = User(email=normalized, full_name=name, password_hash=await hash_password(password), is_admin=is_admin)
    session.add(user)
    await session.flush()
    return user
