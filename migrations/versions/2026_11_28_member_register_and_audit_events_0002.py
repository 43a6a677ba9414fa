"""member register and audit events

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 10:13:55.165556
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Keep the import used: autogenerate writes advanced_alchemy.types.* column types.
_ = advanced_alchemy.types


def upgrade() -> None:
    op.create_table('audit_event',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('assembly_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('subject_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('actor_user_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('recorded_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    op.create_index(op.f('ix_audit_event_assembly_id'), 'audit_event', ['assembly_id'], unique=False)
    op.create_index(op.f('ix_audit_event_kind'), 'audit_event', ['kind'], unique=False)
    op.create_table('member',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.Enum('local_government', 'region', 'metropolis', 'national_association', 'section', 'international_organisation', 'associate', 'honorary', name='member_kind'), nullable=False),
    sa.Column('country', sa.String(length=2), nullable=False),
    sa.Column('region', sa.Enum('africa', 'asia_pacific', 'eurasia', 'europe', 'middle_east_west_asia', 'latin_america', 'north_america', name='world_region'), nullable=False),
    sa.Column('section', sa.Enum('metropolitan', 'regional', name='member_section'), nullable=True),
    sa.Column('population', sa.BigInteger(), nullable=True),
    sa.Column('membership_category', sa.String(length=32), nullable=True),
    sa.Column('fees_paid_through', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('active', 'suspended', name='member_status'), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint("country ~ '^[A-Z]{2}$'", name=op.f('ck_member_country_alpha2')),
    sa.CheckConstraint('fees_paid_through IS NULL OR fees_paid_through BETWEEN 1900 AND 2999', name=op.f('ck_member_fees_year_plausible')),
    sa.CheckConstraint('population IS NULL OR population >= 0', name=op.f('ck_member_population_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member')),
    sa.UniqueConstraint('key', name=op.f('uq_member_key'))
    )
    op.create_index(op.f('ix_member_country'), 'member', ['country'], unique=False)
    op.create_index(op.f('ix_member_name'), 'member', ['name'], unique=False)
    op.create_index(op.f('ix_member_region'), 'member', ['region'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_member_region'), table_name='member')
    op.drop_index(op.f('ix_member_name'), table_name='member')
    op.drop_index(op.f('ix_member_country'), table_name='member')
    op.drop_table('member')
    for enum_name in ('member_status', 'member_section', 'world_region', 'member_kind'):
        sa.Enum(name=enum_name).drop(op.get_bind(), checkfirst=True)
    op.drop_index(op.f('ix_audit_event_kind'), table_name='audit_event')
    op.drop_index(op.f('ix_audit_event_assembly_id'), table_name='audit_event')
    op.drop_table('audit_event')
