"""Account tables."""

from __future__ import annotations

from advanced_alchemy.base import UUIDv7AuditBase
from sqlalchemy import Boolean, CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

__all__ = ("User",)


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
