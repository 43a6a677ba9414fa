"""The demo: seed data and the banner `assembly demo` prints.

Seeding is idempotent: running the demo again keeps what is there (``--reset`` starts afresh).
The demo passwords are public by design; never run the demo against a production database.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from assembly.accounts.models import User
from assembly.accounts.services import create_user
from assembly.db import session_scope
from assembly.settings import Settings

__all__ = ("DEMO_DATABASE", "DemoLogin", "demo_banner", "load_or_create_secret", "seed_demo")

DEMO_DATABASE = "assembly_demo"
"""Name of the database the demo creates on the embedded PostgreSQL."""


@dataclass(frozen=True, slots=True)
class DemoLogin:
    """One account of the demo, printed in the banner."""

    role: str
    email: str
    password: str
    full_name: str
    is_admin: bool = False


DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("secretariat admin", "admin@demo.assembly.test", "demo-admin-pass", "Amina Diallo", is_admin=True),
    DemoLogin("chair", "chair@demo.assembly.test", "demo-chair-pass", "Carlos Mendes"),
    DemoLogin("auditor", "auditor@demo.assembly.test", "demo-auditor-pass", "Ingrid Larsen"),
    DemoLogin("delegate (Barcelona)", "barcelona@demo.assembly.test", "demo-delegate-pass", "Laia Puig"),
    DemoLogin("delegate (Durban)", "durban@demo.assembly.test", "demo-delegate-pass", "Sipho Ndlovu"),
    DemoLogin("delegate (Bogota)", "bogota@demo.assembly.test", "demo-delegate-pass", "Camila Rojas"),
)


def load_or_create_secret(data_dir: Path) -> str:
    """Return the demo's token signing key, kept in the data dir so tokens survive a restart."""
    path = data_dir / "demo-secret-key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.touch(mode=0o600)
    path.write_text(key, encoding="utf-8")
    return key


async def seed_demo(settings: Settings) -> tuple[DemoLogin, ...]:
    """Create the demo accounts that do not exist yet; return every demo login."""
    async with session_scope(settings) as session:
        existing = set((await session.scalars(select(User.email))).all())
        for login in DEMO_LOGINS:
            if login.email not in existing:
                await create_user(
                    session,
                    email=login.email,
                    full_name=login.full_name,
                    password=login.password,
                    is_admin=login.is_admin,
                )
    return DEMO_LOGINS


def demo_banner(settings: Settings, logins: tuple[DemoLogin, ...], where: str) -> str:
    """The text printed once the demo is ready."""
    base = f"http://{settings.host}:{settings.port}"
    lines = [
        "",
        f"assembly demo is running on {where}.",
        f"  API:       {base}/api",
        f"  API docs:  {base}/schema  (OpenAPI JSON: {base}/schema/openapi.json)",
        f"  Health:    {base}/health/ready",
        "",
        "Demo logins (public demo passwords, never use them elsewhere):",
    ]
    width = max(len(login.role) for login in logins)
    lines += [f"  {login.role:<{width}}  {login.email:<32} {login.password}" for login in logins]
    lines += ["", "Press Ctrl-C to stop."]
    return "\n".join(lines)
