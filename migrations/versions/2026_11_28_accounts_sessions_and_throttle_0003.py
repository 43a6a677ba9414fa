"""accounts: refresh-token families, revocation and login throttle

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 10:30:00

Login sessions (refresh-token families), refresh tokens (SHA-256 only) and the failed-login
throttle shared by every worker process.
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
    op.create_table('login_throttle',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('key', sa.String(length=400), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_started_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint('failures >= 1', name=op.f('ck_login_throttle_failures_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_throttle')),
    sa.UniqueConstraint('key', name=op.f('uq_login_throttle_key'))
    )
    op.create_index(op.f('ix_login_throttle_window_started_at'), 'login_throttle', ['window_started_at'], unique=False)
    op.create_table('login_session',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('user_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('last_used_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('revoked_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('revoked_reason', sa.Enum('logout', 'password_changed', 'refresh_token_reused', 'user_deactivated', name='login_session_revoked_reason'), nullable=True),
    sa.Column('client_address', sa.String(length=64), nullable=True),
    sa.Column('user_agent', sa.String(length=256), nullable=True),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint('(revoked_at IS NULL) = (revoked_reason IS NULL)', name=op.f('ck_login_session_revoked_with_reason')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_login_session_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_session'))
    )
    op.create_index(op.f('ix_login_session_user_id'), 'login_session', ['user_id'], unique=False)
    op.create_table('refresh_token',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('session_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('token_hash', sa.LargeBinary(length=32), nullable=False),
    sa.Column('expires_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('used_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('replaced_by_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint('octet_length(token_hash) = 32', name=op.f('ck_refresh_token_token_hash_sha256')),
    sa.CheckConstraint('replaced_by_id IS NULL OR used_at IS NOT NULL', name=op.f('ck_refresh_token_replaced_only_when_used')),
    sa.ForeignKeyConstraint(['replaced_by_id'], ['refresh_token.id'], name=op.f('fk_refresh_token_replaced_by_id_refresh_token'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['session_id'], ['login_session.id'], name=op.f('fk_refresh_token_session_id_login_session'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refresh_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_refresh_token_token_hash'))
    )
    op.create_index(op.f('ix_refresh_token_replaced_by_id'), 'refresh_token', ['replaced_by_id'], unique=False)
    op.create_index(op.f('ix_refresh_token_session_id'), 'refresh_token', ['session_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_refresh_token_session_id'), table_name='refresh_token')
    op.drop_index(op.f('ix_refresh_token_replaced_by_id'), table_name='refresh_token')
    op.drop_table('refresh_token')
    op.drop_index(op.f('ix_login_session_user_id'), table_name='login_session')
    op.drop_table('login_session')
    sa.Enum(name='login_session_revoked_reason').drop(op.get_bind(), checkfirst=True)
    op.drop_index(op.f('ix_login_throttle_window_started_at'), table_name='login_throttle')
    op.drop_table('login_throttle')
