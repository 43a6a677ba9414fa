"""audit log: integrated entries, signed checkpoints, log state, pending queue, held-back secret votes

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 07:20:00

Tables of audit/models.py (docs/audit-log-spec.md, docs/adr/0005-audit-log-sequencing.md):
audit_log_pending (the queue each transaction writes), audit_log_entry (entries at contiguous indices),
audit_log_checkpoint (signed notes), audit_log_state (one row: origin, key, latest size and root),
audit_secret_vote (a secret ballot's vote entries until the close publishes them).

audit_log_entry and audit_log_checkpoint are append-only: a trigger refuses UPDATE and DELETE, and
the NOLOGIN role ``assembly_app`` (created if missing: roles are cluster-wide) gets no UPDATE or
DELETE on them. An operator runs the application as a login role that is a member of assembly_app,
and the migrations as the owner (docs/operations.md, "Database roles").
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ = (advanced_alchemy.types, sa, op)

_APPEND_ONLY = ("audit_log_entry", "audit_log_checkpoint")
_ROLE = "assembly_app"


def upgrade() -> None:
    op.create_table('audit_log_pending',
    sa.Column('seq', sa.BigInteger(), autoincrement=True, nullable=False),
    sa.Column('leaf_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('entry', sa.LargeBinary(), nullable=False),
    sa.Column('event_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['audit_event.id'], name=op.f('fk_audit_log_pending_event_id_audit_event')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_log_pending')),
    sa.UniqueConstraint('leaf_hash', name=op.f('uq_audit_log_pending_leaf_hash'))
    )
    op.create_table('audit_log_entry',
    sa.Column('idx', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('leaf_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('entry', sa.LargeBinary(), nullable=False),
    sa.Column('integrated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('idx >= 0', name=op.f('ck_audit_log_entry_index_not_negative')),
    sa.PrimaryKeyConstraint('idx', name=op.f('pk_audit_log_entry')),
    sa.UniqueConstraint('leaf_hash', name=op.f('uq_audit_log_entry_leaf_hash'))
    )
    op.create_table('audit_log_checkpoint',
    sa.Column('tree_size', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('root', sa.LargeBinary(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('signed_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('tree_size', name=op.f('pk_audit_log_checkpoint'))
    )
    op.create_table('audit_log_state',
    sa.Column('id', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('origin', sa.String(length=255), nullable=False),
    sa.Column('vkey', sa.Text(), nullable=False),
    sa.Column('tree_size', sa.BigInteger(), nullable=False),
    sa.Column('root', sa.LargeBinary(length=32), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_audit_log_state_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_log_state'))
    )
    op.create_table('audit_secret_vote',
    sa.Column('ballot_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('right_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('leaf_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('entry', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('ballot_id', 'right_id', name=op.f('pk_audit_secret_vote')),
    sa.UniqueConstraint('leaf_hash', name=op.f('uq_audit_secret_vote_leaf_hash'))
    )
    # Storage invariant: an integrated entry and a signed checkpoint are written once.
    op.execute(
        "CREATE FUNCTION audit_log_refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION '% is append-only: log rows are never updated or deleted', TG_TABLE_NAME "
        "USING ERRCODE = 'restrict_violation'; END $$"
    )
    for table in _APPEND_ONLY:
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_rewrite()")
        # TRUNCATE bypasses row triggers: refuse it too.
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_rewrite()")
    # The application's role: may read and write everything but rewrite no log row. Roles are shared
    # by every database of the cluster, so create it only if missing (two migrations may race).
    op.execute(
        f"DO $$ BEGIN CREATE ROLE {_ROLE} NOLOGIN; "
        "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
    )
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {_ROLE}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {_ROLE}")
    op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_log_entry, audit_log_checkpoint, audit_event FROM {_ROLE}")


def downgrade() -> None:
    op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {_ROLE}")
    op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {_ROLE}")
    for table in _APPEND_ONLY:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    op.execute("DROP FUNCTION IF EXISTS audit_log_refuse_rewrite()")
    op.drop_table('audit_secret_vote')
    op.drop_table('audit_log_state')
    op.drop_table('audit_log_checkpoint')
    op.drop_table('audit_log_entry')
    op.drop_table('audit_log_pending')
