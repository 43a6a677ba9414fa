"""motions, versions, co-sponsors, amendments and the parts of a division

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 12:00:00

Tables of motions/models.py. Versions are append-only: a trigger refuses UPDATE and DELETE on
motion_version (TRUNCATE, used by no code path, is not covered).
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Keep the import used: autogenerate writes advanced_alchemy.types.* column types.
_ = advanced_alchemy.types

_IMMUTABLE_FUNCTION = """
CREATE FUNCTION motion_version_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'motion versions are immutable (% on motion_version refused)', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$
"""

_ENUMS = ("amendment_resolution", "amendment_status", "motion_part_resolution", "motion_part_status",
          "motion_version_kind", "cosponsor_status", "motion_resolution", "motion_status")


def upgrade() -> None:
    op.create_table('motion',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('assembly_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('sponsor_delegation_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('status', sa.Enum('draft', 'submitted', 'admitted', 'out_of_order', 'under_debate', 'consensus_call', 'voting', 'adopted', 'rejected', 'withdrawn', name='motion_status'), nullable=False),
    sa.Column('status_reason', sa.String(length=1000), nullable=True),
    sa.Column('current_version', sa.Integer(), nullable=False),
    sa.Column('submitted_version', sa.Integer(), nullable=True),
    sa.Column('next_paragraph_number', sa.Integer(), nullable=False),
    sa.Column('submitted_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('admitted_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('decided_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('resolution', sa.Enum('ballot', 'chair', 'consensus', 'division', name='motion_resolution'), nullable=True),
    sa.Column('ballot_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('divided_version', sa.Integer(), nullable=True),
    sa.Column('created_by_user_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint("(status IN ('adopted', 'rejected')) = (decided_at IS NOT NULL)", name=op.f('ck_motion_decided_has_time')),
    sa.CheckConstraint("(status IN ('adopted', 'rejected')) = (resolution IS NOT NULL)", name=op.f('ck_motion_decided_has_resolution')),
    sa.CheckConstraint("status <> 'out_of_order' OR status_reason IS NOT NULL", name=op.f('ck_motion_out_of_order_has_reason')),
    sa.CheckConstraint("status <> 'voting' OR ballot_id IS NOT NULL", name=op.f('ck_motion_voting_has_ballot')),
    sa.CheckConstraint("status IN ('draft', 'withdrawn') OR submitted_at IS NOT NULL", name=op.f('ck_motion_submitted_has_time')),
    sa.CheckConstraint("status NOT IN ('admitted', 'under_debate', 'consensus_call', 'voting', 'adopted', 'rejected') OR admitted_at IS NOT NULL", name=op.f('ck_motion_admitted_has_time')),
    sa.CheckConstraint('current_version >= 1', name=op.f('ck_motion_current_version_positive')),
    sa.CheckConstraint('next_paragraph_number >= 1', name=op.f('ck_motion_next_paragraph_number_positive')),
    sa.CheckConstraint('submitted_version IS NULL OR submitted_version <= current_version', name=op.f('ck_motion_submitted_version_not_ahead')),
    sa.ForeignKeyConstraint(['assembly_id', 'sponsor_delegation_id'], ['delegation.assembly_id', 'delegation.id'], name='fk_motion_sponsor_delegation'),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], name=op.f('fk_motion_assembly_id_assembly')),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['user_account.id'], name=op.f('fk_motion_created_by_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_motion')),
    sa.UniqueConstraint('assembly_id', 'id', name='uq_motion_assembly_id_id')
    )
    op.create_index('ix_motion_assembly_id_status', 'motion', ['assembly_id', 'status'], unique=False)
    op.create_index('ix_motion_sponsor_delegation_id', 'motion', ['sponsor_delegation_id'], unique=False)
    op.create_table('motion_cosponsor',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('assembly_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('motion_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('delegation_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('status', sa.Enum('invited', 'accepted', 'declined', name='cosponsor_status'), nullable=False),
    sa.Column('invited_by_user_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('decided_by_user_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('decided_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'invited') = (decided_at IS NULL)", name=op.f('ck_motion_cosponsor_answer_has_time')),
    sa.ForeignKeyConstraint(['assembly_id', 'delegation_id'], ['delegation.assembly_id', 'delegation.id'], name='fk_motion_cosponsor_delegation'),
    sa.ForeignKeyConstraint(['assembly_id', 'motion_id'], ['motion.assembly_id', 'motion.id'], name='fk_motion_cosponsor_motion'),
    sa.ForeignKeyConstraint(['decided_by_user_id'], ['user_account.id'], name=op.f('fk_motion_cosponsor_decided_by_user_id_user_account')),
    sa.ForeignKeyConstraint(['invited_by_user_id'], ['user_account.id'], name=op.f('fk_motion_cosponsor_invited_by_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_motion_cosponsor')),
    sa.UniqueConstraint('motion_id', 'delegation_id', name='uq_motion_cosponsor_motion_delegation')
    )
    op.create_index('ix_motion_cosponsor_delegation_id', 'motion_cosponsor', ['delegation_id'], unique=False)
    op.create_table('motion_part',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('motion_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('paragraph_ids', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('operative', sa.Boolean(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'voting', 'adopted', 'rejected', name='motion_part_status'), nullable=False),
    sa.Column('status_reason', sa.String(length=1000), nullable=True),
    sa.Column('ballot_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('resolution', sa.Enum('ballot', 'chair', 'consensus', 'division', name='motion_part_resolution'), nullable=True),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint("(status IN ('adopted', 'rejected')) = (resolution IS NOT NULL)", name=op.f('ck_motion_part_decided_has_resolution')),
    sa.CheckConstraint("jsonb_typeof(paragraph_ids) = 'array' AND jsonb_array_length(paragraph_ids) >= 1", name=op.f('ck_motion_part_paragraph_ids_not_empty')),
    sa.CheckConstraint("status <> 'voting' OR ballot_id IS NOT NULL", name=op.f('ck_motion_part_voting_has_ballot')),
    sa.CheckConstraint('number >= 1', name=op.f('ck_motion_part_number_positive')),
    sa.ForeignKeyConstraint(['motion_id'], ['motion.id'], name=op.f('fk_motion_part_motion_id_motion')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_motion_part')),
    sa.UniqueConstraint('motion_id', 'number', name='uq_motion_part_motion_number')
    )
    op.create_table('motion_version',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('motion_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('draft', 'revision', 'consolidation', 'division', name='motion_version_kind'), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('rationale', sa.String(length=10000), nullable=True),
    sa.Column('paragraphs', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('text_sha256', sa.String(length=64), nullable=False),
    sa.Column('based_on', sa.Integer(), nullable=True),
    sa.Column('lineage', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('created_by_user_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint("jsonb_typeof(paragraphs) = 'array' AND jsonb_array_length(paragraphs) >= 1", name=op.f('ck_motion_version_paragraphs_not_empty')),
    sa.CheckConstraint("text_sha256 ~ '^[0-9a-f]{64}$'", name=op.f('ck_motion_version_text_sha256_hex')),
    sa.CheckConstraint('based_on IS NULL OR (based_on >= 1 AND based_on < number)', name=op.f('ck_motion_version_based_on_earlier')),
    sa.CheckConstraint('number >= 1', name=op.f('ck_motion_version_number_positive')),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['user_account.id'], name=op.f('fk_motion_version_created_by_user_id_user_account')),
    sa.ForeignKeyConstraint(['motion_id'], ['motion.id'], name=op.f('fk_motion_version_motion_id_motion')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_motion_version')),
    sa.UniqueConstraint('motion_id', 'number', name='uq_motion_version_motion_number')
    )
    op.create_table('amendment',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('assembly_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('motion_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('degree', sa.Integer(), nullable=False),
    sa.Column('parent_amendment_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('target_version', sa.Integer(), nullable=False),
    sa.Column('rebased_from', sa.Integer(), nullable=True),
    sa.Column('sponsor_delegation_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('rationale', sa.String(length=10000), nullable=True),
    sa.Column('operations', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('status', sa.Enum('submitted', 'admitted', 'out_of_order', 'voting', 'adopted', 'rejected', 'lapsed', 'withdrawn', name='amendment_status'), nullable=False),
    sa.Column('status_reason', sa.String(length=1000), nullable=True),
    sa.Column('vote_position', sa.Integer(), nullable=True),
    sa.Column('ballot_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('resolution', sa.Enum('ballot', 'chair', 'consensus', 'division', name='amendment_resolution'), nullable=True),
    sa.Column('decided_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('decided_seq', sa.Integer(), nullable=True),
    sa.Column('applied_in_version', sa.Integer(), nullable=True),
    sa.Column('created_by_user_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint("(status IN ('adopted', 'rejected')) = (decided_at IS NOT NULL)", name=op.f('ck_amendment_decided_has_time')),
    sa.CheckConstraint("(status IN ('adopted', 'rejected')) = (decided_seq IS NOT NULL)", name=op.f('ck_amendment_decided_has_seq')),
    sa.CheckConstraint("(status IN ('adopted', 'rejected')) = (resolution IS NOT NULL)", name=op.f('ck_amendment_decided_has_resolution')),
    sa.CheckConstraint("applied_in_version IS NULL OR (status = 'adopted' AND degree = 1)", name=op.f('ck_amendment_applied_only_when_adopted')),
    sa.CheckConstraint("jsonb_typeof(operations) = 'array' AND jsonb_array_length(operations) >= 1", name=op.f('ck_amendment_operations_not_empty')),
    sa.CheckConstraint("status <> 'voting' OR ballot_id IS NOT NULL", name=op.f('ck_amendment_voting_has_ballot')),
    sa.CheckConstraint("status NOT IN ('out_of_order', 'lapsed') OR status_reason IS NOT NULL", name=op.f('ck_amendment_ruling_has_reason')),
    sa.CheckConstraint('(degree = 1) = (parent_amendment_id IS NULL)', name=op.f('ck_amendment_degree_matches_parent')),
    sa.CheckConstraint('degree IN (1, 2)', name=op.f('ck_amendment_degree_first_or_second')),
    sa.CheckConstraint('number >= 1', name=op.f('ck_amendment_number_positive')),
    sa.CheckConstraint('rebased_from IS NULL OR rebased_from < target_version', name=op.f('ck_amendment_rebased_from_earlier')),
    sa.CheckConstraint('vote_position IS NULL OR vote_position >= 1', name=op.f('ck_amendment_vote_position_positive')),
    sa.ForeignKeyConstraint(['assembly_id', 'motion_id'], ['motion.assembly_id', 'motion.id'], name='fk_amendment_motion'),
    sa.ForeignKeyConstraint(['assembly_id', 'sponsor_delegation_id'], ['delegation.assembly_id', 'delegation.id'], name='fk_amendment_sponsor_delegation'),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['user_account.id'], name=op.f('fk_amendment_created_by_user_id_user_account')),
    sa.ForeignKeyConstraint(['motion_id', 'applied_in_version'], ['motion_version.motion_id', 'motion_version.number'], name='fk_amendment_applied_in_version'),
    sa.ForeignKeyConstraint(['motion_id', 'parent_amendment_id'], ['amendment.motion_id', 'amendment.id'], name='fk_amendment_parent'),
    sa.ForeignKeyConstraint(['motion_id', 'target_version'], ['motion_version.motion_id', 'motion_version.number'], name='fk_amendment_target_version'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_amendment')),
    sa.UniqueConstraint('motion_id', 'id', name='uq_amendment_motion_id_id'),
    sa.UniqueConstraint('motion_id', 'number', name='uq_amendment_motion_number'),
    sa.UniqueConstraint('motion_id', 'vote_position', deferrable=True, initially='DEFERRED', name='uq_amendment_motion_vote_position')
    )
    op.create_index('ix_amendment_assembly_id_status', 'amendment', ['assembly_id', 'status'], unique=False)
    # The motion and its first version refer to each other: the key is added once both tables exist and
    # checked at commit.
    op.create_foreign_key('fk_motion_current_version', 'motion', 'motion_version',
                          ['id', 'current_version'], ['motion_id', 'number'],
                          deferrable=True, initially='DEFERRED')
    # Versions are immutable: a storage invariant, enforced below the application.
    op.execute(_IMMUTABLE_FUNCTION)
    op.execute("CREATE TRIGGER motion_version_immutable BEFORE UPDATE OR DELETE ON motion_version "
               "FOR EACH ROW EXECUTE FUNCTION motion_version_immutable()")


def downgrade() -> None:
    op.execute("DROP TRIGGER motion_version_immutable ON motion_version")
    op.execute("DROP FUNCTION motion_version_immutable()")
    op.drop_constraint('fk_motion_current_version', 'motion', type_='foreignkey')
    op.drop_index('ix_amendment_assembly_id_status', table_name='amendment')
    op.drop_table('amendment')
    op.drop_table('motion_version')
    op.drop_table('motion_part')
    op.drop_index('ix_motion_cosponsor_delegation_id', table_name='motion_cosponsor')
    op.drop_table('motion_cosponsor')
    op.drop_index('ix_motion_sponsor_delegation_id', table_name='motion')
    op.drop_index('ix_motion_assembly_id_status', table_name='motion')
    op.drop_table('motion')
    for enum_name in _ENUMS:
        sa.Enum(name=enum_name).drop(op.get_bind(), checkfirst=True)
