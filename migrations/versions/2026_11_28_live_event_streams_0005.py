"""live event streams: per-assembly sequence counter and stored events for replay

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 10:55:00
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "live_stream",
        sa.Column("stream_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("stream_id", name=op.f("pk_live_stream")),
    )
    op.create_table(
        "live_event",
        sa.Column("stream_id", advanced_alchemy.types.guid.GUID(length=16), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("subject_id", advanced_alchemy.types.guid.GUID(length=16), nullable=True),
        sa.Column("version", sa.BigInteger(), nullable=True),
        sa.Column("audience", sa.String(length=64), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            advanced_alchemy.types.datetime.DateTimeUTC(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["stream_id"], ["live_stream.stream_id"], name=op.f("fk_live_event_stream_id_live_stream")
        ),
        sa.PrimaryKeyConstraint("stream_id", "seq", name=op.f("pk_live_event")),
    )


def downgrade() -> None:
    op.drop_table("live_event")
    op.drop_table("live_stream")
