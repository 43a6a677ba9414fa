"""accounts: refresh-token families, revocation and login throttle

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 10:30:00

Placeholder in the revision chain, filled in by the accounts work.
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Keep the imports used: autogenerate writes advanced_alchemy.types.* column types.
_ = (advanced_alchemy.types, sa, op)


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
