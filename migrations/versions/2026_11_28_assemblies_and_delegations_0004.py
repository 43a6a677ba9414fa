"""assemblies, rule sets, roles, delegations, proxies, attendance

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 10:30:00

Tables of assemblies/models.py: assembly, assembly_rule_set, assembly_role, delegation,
delegation_member, attendance_event, proxy. The two circular foreign keys (an assembly's current
rule-set version; a delegation's designated voter) are added after their tables and are deferred.
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Keep the imports used: autogenerate writes advanced_alchemy.types.* column types.
_ = (advanced_alchemy.types, sa, op)


def upgrade() -> None:
    op.create_table('assembly',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('body_kind', sa.Enum('general_assembly', 'world_council', 'executive_bureau', 'world_assembly', 'other', name='assembly_body_kind'), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('venue', sa.String(length=200), nullable=True),
    sa.Column('status', sa.Enum('planned', 'open', 'closed', name='assembly_status'), nullable=False),
    sa.Column('rule_set_version', sa.Integer(), nullable=False),
    sa.Column('opened_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('closed_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('created_by_user_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'planned' AND opened_at IS NULL AND closed_at IS NULL) OR (status = 'open' AND opened_at IS NOT NULL AND closed_at IS NULL) OR (status = 'closed' AND opened_at IS NOT NULL AND closed_at IS NOT NULL)", name=op.f('ck_assembly_status_matches_times')),
    sa.CheckConstraint('rule_set_version >= 1', name=op.f('ck_assembly_rule_set_version_positive')),
    sa.CheckConstraint('starts_on <= ends_on', name=op.f('ck_assembly_dates_ordered')),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['user_account.id'], name=op.f('fk_assembly_created_by_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assembly'))
    )
    op.create_index(op.f('ix_assembly_status'), 'assembly', ['status'], unique=False)
    op.create_table('assembly_role',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('assembly_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('user_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('role', sa.Enum('chair', 'auditor', name='assembly_role_kind'), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], name=op.f('fk_assembly_role_assembly_id_assembly')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_assembly_role_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assembly_role')),
    sa.UniqueConstraint('assembly_id', 'user_id', 'role', name='uq_assembly_role_assembly_user_role')
    )
    op.create_index(op.f('ix_assembly_role_user_id'), 'assembly_role', ['user_id'], unique=False)
    op.create_table('assembly_rule_set',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('assembly_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('rules', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=True),
    sa.Column('created_by_user_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint('version >= 1', name=op.f('ck_assembly_rule_set_version_positive')),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], name=op.f('fk_assembly_rule_set_assembly_id_assembly')),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['user_account.id'], name=op.f('fk_assembly_rule_set_created_by_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assembly_rule_set')),
    sa.UniqueConstraint('assembly_id', 'version', name='uq_assembly_rule_set_assembly_version')
    )
    op.create_table('delegation',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('assembly_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('member_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('credentials_status', sa.Enum('submitted', 'accepted', 'rejected', name='credentials_status'), nullable=False),
    sa.Column('credentials_reason', sa.String(length=1000), nullable=True),
    sa.Column('credentials_decided_by_user_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('credentials_decided_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('designated_voter_user_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('checked_in', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint("(credentials_status = 'rejected') = (credentials_reason IS NOT NULL)", name=op.f('ck_delegation_rejection_has_reason')),
    sa.CheckConstraint("(credentials_status = 'submitted') = (credentials_decided_at IS NULL)", name=op.f('ck_delegation_decision_has_time')),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], name=op.f('fk_delegation_assembly_id_assembly')),
    sa.ForeignKeyConstraint(['credentials_decided_by_user_id'], ['user_account.id'], name=op.f('fk_delegation_credentials_decided_by_user_id_user_account')),
    sa.ForeignKeyConstraint(['member_id'], ['member.id'], name=op.f('fk_delegation_member_id_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delegation')),
    sa.UniqueConstraint('assembly_id', 'id', name='uq_delegation_assembly_id_id'),
    sa.UniqueConstraint('assembly_id', 'member_id', name='uq_delegation_assembly_member')
    )
    op.create_index(op.f('ix_delegation_member_id'), 'delegation', ['member_id'], unique=False)
    op.create_table('attendance_event',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('delegation_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('kind', sa.Enum('check_in', 'check_out', name='attendance_kind'), nullable=False),
    sa.Column('at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('recorded_by_user_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['delegation_id'], ['delegation.id'], name=op.f('fk_attendance_event_delegation_id_delegation')),
    sa.ForeignKeyConstraint(['recorded_by_user_id'], ['user_account.id'], name=op.f('fk_attendance_event_recorded_by_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_event'))
    )
    op.create_index(op.f('ix_attendance_event_delegation_id'), 'attendance_event', ['delegation_id'], unique=False)
    op.create_table('delegation_member',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('delegation_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('assembly_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('user_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('role', sa.Enum('head', 'delegate', 'substitute', name='delegate_role'), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assembly_id', 'delegation_id'], ['delegation.assembly_id', 'delegation.id'], name='fk_delegation_member_delegation'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_delegation_member_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delegation_member')),
    sa.UniqueConstraint('assembly_id', 'user_id', name='uq_delegation_member_assembly_user'),
    sa.UniqueConstraint('delegation_id', 'user_id', name='uq_delegation_member_delegation_user')
    )
    op.create_index(op.f('ix_delegation_member_user_id'), 'delegation_member', ['user_id'], unique=False)
    op.create_index('uq_delegation_member_one_head', 'delegation_member', ['delegation_id'], unique=True, postgresql_where=sa.text("role = 'head'"))
    op.create_table('proxy',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('assembly_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('grantor_delegation_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('holder_delegation_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('ballot_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('created_by_user_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('revoked_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('revoked_by_user_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint('(revoked_at IS NULL) = (revoked_by_user_id IS NULL)', name=op.f('ck_proxy_revocation_has_actor')),
    sa.CheckConstraint('grantor_delegation_id <> holder_delegation_id', name=op.f('ck_proxy_not_to_self')),
    sa.ForeignKeyConstraint(['assembly_id', 'grantor_delegation_id'], ['delegation.assembly_id', 'delegation.id'], name='fk_proxy_grantor_delegation'),
    sa.ForeignKeyConstraint(['assembly_id', 'holder_delegation_id'], ['delegation.assembly_id', 'delegation.id'], name='fk_proxy_holder_delegation'),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['user_account.id'], name=op.f('fk_proxy_created_by_user_id_user_account')),
    sa.ForeignKeyConstraint(['revoked_by_user_id'], ['user_account.id'], name=op.f('fk_proxy_revoked_by_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proxy'))
    )
    op.create_index(op.f('ix_proxy_assembly_id'), 'proxy', ['assembly_id'], unique=False)
    op.create_index('ix_proxy_holder_delegation_id', 'proxy', ['holder_delegation_id'], unique=False)
    op.create_index('uq_proxy_live_for_assembly', 'proxy', ['grantor_delegation_id'], unique=True, postgresql_where=sa.text('ballot_id IS NULL AND revoked_at IS NULL'))
    op.create_index('uq_proxy_live_for_ballot', 'proxy', ['grantor_delegation_id', 'ballot_id'], unique=True, postgresql_where=sa.text('ballot_id IS NOT NULL AND revoked_at IS NULL'))
    # The two circular keys, added once both ends exist; checked at commit (see assembly/assemblies/models.py).
    op.create_foreign_key('fk_assembly_current_rule_set', 'assembly', 'assembly_rule_set',
                          ['id', 'rule_set_version'], ['assembly_id', 'version'],
                          deferrable=True, initially='DEFERRED')
    op.create_foreign_key('fk_delegation_designated_voter_is_delegate', 'delegation', 'delegation_member',
                          ['id', 'designated_voter_user_id'], ['delegation_id', 'user_id'],
                          deferrable=True, initially='DEFERRED')


def downgrade() -> None:
    op.drop_constraint('fk_delegation_designated_voter_is_delegate', 'delegation', type_='foreignkey')
    op.drop_constraint('fk_assembly_current_rule_set', 'assembly', type_='foreignkey')
    op.drop_index('uq_proxy_live_for_ballot', table_name='proxy', postgresql_where=sa.text('ballot_id IS NOT NULL AND revoked_at IS NULL'))
    op.drop_index('uq_proxy_live_for_assembly', table_name='proxy', postgresql_where=sa.text('ballot_id IS NULL AND revoked_at IS NULL'))
    op.drop_index('ix_proxy_holder_delegation_id', table_name='proxy')
    op.drop_index(op.f('ix_proxy_assembly_id'), table_name='proxy')
    op.drop_table('proxy')
    op.drop_index('uq_delegation_member_one_head', table_name='delegation_member', postgresql_where=sa.text("role = 'head'"))
    op.drop_index(op.f('ix_delegation_member_user_id'), table_name='delegation_member')
    op.drop_table('delegation_member')
    op.drop_index(op.f('ix_attendance_event_delegation_id'), table_name='attendance_event')
    op.drop_table('attendance_event')
    op.drop_index(op.f('ix_delegation_member_id'), table_name='delegation')
    op.drop_table('delegation')
    op.drop_table('assembly_rule_set')
    op.drop_index(op.f('ix_assembly_role_user_id'), table_name='assembly_role')
    op.drop_table('assembly_role')
    op.drop_index(op.f('ix_assembly_status'), table_name='assembly')
    op.drop_table('assembly')
    for enum_name in ('attendance_kind', 'delegate_role', 'credentials_status', 'assembly_role_kind',
                      'assembly_status', 'assembly_body_kind'):
        sa.Enum(name=enum_name).drop(op.get_bind(), checkfirst=True)
