"""agenda items, speakers' requests and quorum calls

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 11:15:00

Tables of agenda/models.py: agenda (one row per assembly: the lock and version of its agenda),
agenda_item, speaker_request, quorum_call. agenda_item.motion_id and ballot_id have no foreign keys
yet (motions and ballots are built in parallel; their revisions add the keys).
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Keep the imports used: autogenerate writes advanced_alchemy.types.* column types.
_ = (advanced_alchemy.types, sa, op)


def upgrade() -> None:
    op.create_table('agenda',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('assembly_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint('version >= 1', name=op.f('ck_agenda_version_positive')),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], name=op.f('fk_agenda_assembly_id_assembly')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda')),
    sa.UniqueConstraint('assembly_id', name=op.f('uq_agenda_assembly_id'))
    )
    op.create_table('agenda_item',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('assembly_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('kind', sa.Enum('debate', 'motion', 'election', 'information', 'procedural', name='agenda_item_kind'), nullable=False),
    sa.Column('status', sa.Enum('pending', 'open', 'closed', 'deferred', name='agenda_item_status'), nullable=False),
    sa.Column('is_current', sa.Boolean(), server_default=sa.text('false'), nullable=False),
    sa.Column('speakers_list_open', sa.Boolean(), server_default=sa.text('true'), nullable=False),
    sa.Column('time_allotment_seconds', sa.Integer(), nullable=True),
    sa.Column('speech_limit_seconds', sa.Integer(), nullable=True),
    sa.Column('motion_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('ballot_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('opened_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('closed_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('created_by_user_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'closed') = (closed_at IS NOT NULL)", name=op.f('ck_agenda_item_closed_has_time')),
    sa.CheckConstraint("status <> 'open' OR opened_at IS NOT NULL", name=op.f('ck_agenda_item_open_has_time')),
    sa.CheckConstraint("status <> 'pending' OR opened_at IS NULL", name=op.f('ck_agenda_item_pending_never_opened')),
    sa.CheckConstraint('position >= 1', name=op.f('ck_agenda_item_position_positive')),
    sa.CheckConstraint('speech_limit_seconds BETWEEN 1 AND 86400', name=op.f('ck_agenda_item_speech_limit_range')),
    sa.CheckConstraint('time_allotment_seconds BETWEEN 1 AND 86400', name=op.f('ck_agenda_item_time_allotment_range')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_agenda_item_version_positive')),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], name=op.f('fk_agenda_item_assembly_id_assembly')),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['user_account.id'], name=op.f('fk_agenda_item_created_by_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_item')),
    sa.UniqueConstraint('assembly_id', 'id', name='uq_agenda_item_assembly_id_id'),
    sa.UniqueConstraint('assembly_id', 'position', deferrable=True, initially='DEFERRED', name='uq_agenda_item_assembly_position')
    )
    op.create_index('uq_agenda_item_one_current', 'agenda_item', ['assembly_id'], unique=True, postgresql_where=sa.text('is_current'))
    op.create_table('quorum_call',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('assembly_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('agenda_item_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('called_by_user_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('called_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('rule_set_version', sa.Integer(), nullable=False),
    sa.Column('thresholds', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('membership_count', sa.Integer(), nullable=False),
    sa.Column('membership_weight', sa.BigInteger(), nullable=False),
    sa.Column('present_count', sa.Integer(), nullable=False),
    sa.Column('present_weight', sa.BigInteger(), nullable=False),
    sa.Column('present_without_vote_count', sa.Integer(), nullable=False),
    sa.Column('present_delegation_ids', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('weights_sha256', sa.String(length=64), nullable=False),
    sa.Column('may_debate', sa.Boolean(), nullable=False),
    sa.Column('may_decide', sa.Boolean(), nullable=False),
    sa.Column('debate_arithmetic', sa.String(length=500), nullable=False),
    sa.Column('decide_arithmetic', sa.String(length=500), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint('present_count BETWEEN 0 AND membership_count', name=op.f('ck_quorum_call_present_count_range')),
    sa.CheckConstraint('present_weight BETWEEN 0 AND membership_weight', name=op.f('ck_quorum_call_present_weight_range')),
    sa.CheckConstraint('present_without_vote_count >= 0', name=op.f('ck_quorum_call_present_without_vote_nonnegative')),
    sa.CheckConstraint('rule_set_version >= 1', name=op.f('ck_quorum_call_rule_set_version_positive')),
    sa.ForeignKeyConstraint(['agenda_item_id'], ['agenda_item.id'], name=op.f('fk_quorum_call_agenda_item_id_agenda_item')),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], name=op.f('fk_quorum_call_assembly_id_assembly')),
    sa.ForeignKeyConstraint(['called_by_user_id'], ['user_account.id'], name=op.f('fk_quorum_call_called_by_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quorum_call'))
    )
    op.create_index(op.f('ix_quorum_call_assembly_id'), 'quorum_call', ['assembly_id'], unique=False)
    op.create_table('speaker_request',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('assembly_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('agenda_item_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('delegation_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('requested_by_user_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('kind', sa.Enum('speech', 'point_of_order', name='speaker_request_kind'), nullable=False),
    sa.Column('status', sa.Enum('pending', 'speaking', 'spoken', 'withdrawn', 'lapsed', name='speaker_request_status'), nullable=False),
    sa.Column('request_no', sa.Integer(), nullable=False),
    sa.Column('requested_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('started_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('ended_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('withdrawn_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('given_floor_by_user_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('withdrawn_by_user_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'pending' AND started_at IS NULL AND ended_at IS NULL AND withdrawn_at IS NULL) OR (status = 'speaking' AND started_at IS NOT NULL AND ended_at IS NULL AND withdrawn_at IS NULL) OR (status = 'spoken' AND started_at IS NOT NULL AND ended_at >= started_at AND withdrawn_at IS NULL) OR (status IN ('withdrawn', 'lapsed') AND started_at IS NULL AND ended_at IS NULL AND withdrawn_at IS NOT NULL)", name=op.f('ck_speaker_request_status_matches_times')),
    sa.CheckConstraint('request_no >= 1', name=op.f('ck_speaker_request_request_no_positive')),
    sa.ForeignKeyConstraint(['assembly_id', 'agenda_item_id'], ['agenda_item.assembly_id', 'agenda_item.id'], name='fk_speaker_request_agenda_item'),
    sa.ForeignKeyConstraint(['assembly_id', 'delegation_id'], ['delegation.assembly_id', 'delegation.id'], name='fk_speaker_request_delegation'),
    sa.ForeignKeyConstraint(['given_floor_by_user_id'], ['user_account.id'], name=op.f('fk_speaker_request_given_floor_by_user_id_user_account')),
    sa.ForeignKeyConstraint(['requested_by_user_id'], ['user_account.id'], name=op.f('fk_speaker_request_requested_by_user_id_user_account')),
    sa.ForeignKeyConstraint(['withdrawn_by_user_id'], ['user_account.id'], name=op.f('fk_speaker_request_withdrawn_by_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_speaker_request')),
    sa.UniqueConstraint('agenda_item_id', 'request_no', name='uq_speaker_request_item_request_no')
    )
    op.create_index('ix_speaker_request_delegation_id', 'speaker_request', ['delegation_id'], unique=False)
    op.create_index('uq_speaker_request_one_pending', 'speaker_request', ['agenda_item_id', 'delegation_id'], unique=True, postgresql_where=sa.text("status = 'pending'"))
    op.create_index('uq_speaker_request_one_speaking', 'speaker_request', ['agenda_item_id'], unique=True, postgresql_where=sa.text("status = 'speaking'"))


def downgrade() -> None:
    op.drop_index('uq_speaker_request_one_speaking', table_name='speaker_request', postgresql_where=sa.text("status = 'speaking'"))
    op.drop_index('uq_speaker_request_one_pending', table_name='speaker_request', postgresql_where=sa.text("status = 'pending'"))
    op.drop_index('ix_speaker_request_delegation_id', table_name='speaker_request')
    op.drop_table('speaker_request')
    op.drop_index(op.f('ix_quorum_call_assembly_id'), table_name='quorum_call')
    op.drop_table('quorum_call')
    op.drop_index('uq_agenda_item_one_current', table_name='agenda_item', postgresql_where=sa.text('is_current'))
    op.drop_table('agenda_item')
    op.drop_table('agenda')
    for enum_name in ('speaker_request_status', 'speaker_request_kind', 'agenda_item_status', 'agenda_item_kind'):
        sa.Enum(name=enum_name).drop(op.get_bind(), checkfirst=True)
