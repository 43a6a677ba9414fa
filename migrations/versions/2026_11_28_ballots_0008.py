"""ballots, frozen electorates, votes, vote changes, turnout counters, results

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 11:20:00

Tables of ballots/models.py: ballot, ballot_right, vote, vote_change, ballot_turnout, ballot_result.
ballot_right (the frozen electorate), vote_change (every vote ever cast) and ballot_result (the
tally) are append-only: a trigger refuses UPDATE and DELETE on them (a storage invariant, not a
business rule). proxy.ballot_id gets no foreign key: proxies for ballots that do not exist (yet) are
accepted by the assemblies domain and its tests.
"""

from __future__ import annotations

from collections.abc import Sequence

import advanced_alchemy.types
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Keep the imports used: autogenerate writes advanced_alchemy.types.* column types.
_ = (advanced_alchemy.types, sa, op)

_APPEND_ONLY = ("ballot_right", "vote_change", "ballot_result")
_ENUMS = ("ballot_outcome", "ballot_right_kind", "ballot_status", "ballot_subject_kind")


def upgrade() -> None:
    op.create_table('ballot',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('assembly_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('subject_kind', sa.Enum('motion', 'amendment', 'motion_part', 'procedural', 'election', name='ballot_subject_kind'), nullable=False),
    sa.Column('subject_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('question', sa.String(length=2000), nullable=False),
    sa.Column('options', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('candidates', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('seats', sa.Integer(), nullable=True),
    sa.Column('weighted', sa.Boolean(), nullable=False),
    sa.Column('secret', sa.Boolean(), nullable=False),
    sa.Column('k_anonymity', sa.Integer(), server_default=sa.text('5'), nullable=False),
    sa.Column('majority_rule', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('quorum_rule', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('vote_change_allowed', sa.Boolean(), nullable=True),
    sa.Column('split_votes_allowed', sa.Boolean(), nullable=True),
    sa.Column('substitute_only_when_delegate_absent', sa.Boolean(), nullable=True),
    sa.Column('rule_set_version', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('draft', 'open', 'closed', name='ballot_status'), nullable=False),
    sa.Column('opened_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('closed_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=True),
    sa.Column('text_sha256', sa.String(length=64), nullable=True),
    sa.Column('electorate_sha256', sa.String(length=64), nullable=True),
    sa.Column('electorate_rights', sa.Integer(), nullable=True),
    sa.Column('electorate_weight', sa.BigInteger(), nullable=True),
    sa.Column('revote_of_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('revote_reason', sa.String(length=1000), nullable=True),
    sa.Column('runoff_of_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('created_by_user_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('opened_by_user_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('closed_by_user_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'draft' AND opened_at IS NULL AND closed_at IS NULL) OR (status = 'open' AND opened_at IS NOT NULL AND closed_at IS NULL) OR (status = 'closed' AND opened_at IS NOT NULL AND closed_at IS NOT NULL)", name=op.f('ck_ballot_status_matches_times')),
    sa.CheckConstraint("(subject_kind = 'election') = (seats IS NOT NULL AND candidates IS NOT NULL)", name=op.f('ck_ballot_election_has_candidates')),
    sa.CheckConstraint("(subject_kind IN ('procedural', 'election')) = (subject_id IS NULL)", name=op.f('ck_ballot_subject_matches_kind')),
    sa.CheckConstraint("electorate_sha256 IS NULL OR electorate_sha256 ~ '^[0-9a-f]{64}$'", name=op.f('ck_ballot_electorate_sha256_hex')),
    sa.CheckConstraint("runoff_of_id IS NULL OR (subject_kind = 'election' AND seats = 1)", name=op.f('ck_ballot_runoff_is_single_seat_election')),
    sa.CheckConstraint("status = 'draft' OR (quorum_rule IS NOT NULL AND vote_change_allowed IS NOT NULL AND split_votes_allowed IS NOT NULL AND substitute_only_when_delegate_absent IS NOT NULL AND rule_set_version IS NOT NULL AND text_sha256 IS NOT NULL AND electorate_sha256 IS NOT NULL AND electorate_rights IS NOT NULL AND electorate_weight IS NOT NULL AND (subject_kind = 'election' OR majority_rule IS NOT NULL))", name=op.f('ck_ballot_settings_fixed_when_opened')),
    sa.CheckConstraint("subject_kind <> 'election' OR majority_rule IS NULL", name=op.f('ck_ballot_election_has_no_majority')),
    sa.CheckConstraint("text_sha256 IS NULL OR text_sha256 ~ '^[0-9a-f]{64}$'", name=op.f('ck_ballot_text_sha256_hex')),
    sa.CheckConstraint('(revote_of_id IS NULL) = (revote_reason IS NULL)', name=op.f('ck_ballot_revote_has_reason')),
    sa.CheckConstraint('k_anonymity BETWEEN 1 AND 1000', name=op.f('ck_ballot_k_anonymity_range')),
    sa.CheckConstraint('seats IS NULL OR seats >= 1', name=op.f('ck_ballot_seats_positive')),
    sa.ForeignKeyConstraint(['assembly_id'], ['assembly.id'], name=op.f('fk_ballot_assembly_id_assembly')),
    sa.ForeignKeyConstraint(['closed_by_user_id'], ['user_account.id'], name=op.f('fk_ballot_closed_by_user_id_user_account')),
    sa.ForeignKeyConstraint(['created_by_user_id'], ['user_account.id'], name=op.f('fk_ballot_created_by_user_id_user_account')),
    sa.ForeignKeyConstraint(['opened_by_user_id'], ['user_account.id'], name=op.f('fk_ballot_opened_by_user_id_user_account')),
    sa.ForeignKeyConstraint(['revote_of_id'], ['ballot.id'], name=op.f('fk_ballot_revote_of_id_ballot')),
    sa.ForeignKeyConstraint(['runoff_of_id'], ['ballot.id'], name=op.f('fk_ballot_runoff_of_id_ballot')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot')),
    sa.UniqueConstraint('runoff_of_id', name=op.f('uq_ballot_runoff_of_id'))
    )
    op.create_index('ix_ballot_assembly_id_status', 'ballot', ['assembly_id', 'status'], unique=False)
    op.create_index(op.f('ix_ballot_revote_of_id'), 'ballot', ['revote_of_id'], unique=False)
    op.create_index('uq_ballot_one_open_per_subject', 'ballot', ['subject_kind', 'subject_id'], unique=True, postgresql_where=sa.text("status = 'open' AND subject_id IS NOT NULL"))
    op.create_table('ballot_result',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('ballot_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('outcome', sa.Enum('adopted', 'rejected', 'no_quorum', 'elected', 'second_ballot_required', 'none_elected', name='ballot_outcome'), nullable=False),
    sa.Column('reason', sa.String(length=64), nullable=False),
    sa.Column('rule', sa.String(length=64), nullable=False),
    sa.Column('unit', sa.String(length=32), nullable=False),
    sa.Column('base', sa.String(length=32), nullable=False),
    sa.Column('base_heads', sa.BigInteger(), nullable=True),
    sa.Column('base_weight', sa.BigInteger(), nullable=True),
    sa.Column('counts', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('split_heads', sa.Integer(), nullable=False),
    sa.Column('present_heads', sa.Integer(), nullable=False),
    sa.Column('present_weight', sa.BigInteger(), nullable=False),
    sa.Column('membership_heads', sa.Integer(), nullable=False),
    sa.Column('membership_weight', sa.BigInteger(), nullable=False),
    sa.Column('weighted', sa.Boolean(), nullable=False),
    sa.Column('quorum_kind', sa.String(length=64), nullable=False),
    sa.Column('quorum_met', sa.Boolean(), nullable=False),
    sa.Column('quorum_arithmetic', sa.Text(), nullable=False),
    sa.Column('arithmetic', sa.Text(), nullable=False),
    sa.Column('majority_arithmetic', sa.Text(), nullable=True),
    sa.Column('election', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('lot_seed', sa.String(length=64), nullable=True),
    sa.Column('computed_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballot.id'], name=op.f('fk_ballot_result_ballot_id_ballot')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot_result')),
    sa.UniqueConstraint('ballot_id', name=op.f('uq_ballot_result_ballot_id'))
    )
    op.create_table('ballot_turnout',
    sa.Column('ballot_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('shard', sa.SmallInteger(), nullable=False),
    sa.Column('rights', sa.Integer(), nullable=False),
    sa.Column('weight', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('rights >= 0 AND weight >= 0', name=op.f('ck_ballot_turnout_counts_not_negative')),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballot.id'], name=op.f('fk_ballot_turnout_ballot_id_ballot')),
    sa.PrimaryKeyConstraint('ballot_id', 'shard', name=op.f('pk_ballot_turnout'))
    )
    op.create_table('ballot_right',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('ballot_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('delegation_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('holder_delegation_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('kind', sa.Enum('own', 'proxy', name='ballot_right_kind'), nullable=False),
    sa.Column('proxy_id', advanced_alchemy.types.guid.GUID(length=16), nullable=True),
    sa.Column('weight', sa.BigInteger(), nullable=False),
    sa.Column('eligible', sa.Boolean(), nullable=False),
    sa.Column('reasons', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint("(kind = 'own') = (holder_delegation_id = delegation_id)", name=op.f('ck_ballot_right_own_held_by_itself')),
    sa.CheckConstraint("(kind = 'proxy') = (proxy_id IS NOT NULL)", name=op.f('ck_ballot_right_proxy_right_names_proxy')),
    sa.CheckConstraint("eligible OR kind = 'own'", name=op.f('ck_ballot_right_ineligible_right_not_moved')),
    sa.CheckConstraint('NOT eligible OR weight >= 1', name=op.f('ck_ballot_right_eligible_weight_positive')),
    sa.CheckConstraint('weight >= 0', name=op.f('ck_ballot_right_weight_not_negative')),
    sa.ForeignKeyConstraint(['ballot_id'], ['ballot.id'], name=op.f('fk_ballot_right_ballot_id_ballot')),
    sa.ForeignKeyConstraint(['delegation_id'], ['delegation.id'], name=op.f('fk_ballot_right_delegation_id_delegation')),
    sa.ForeignKeyConstraint(['holder_delegation_id'], ['delegation.id'], name=op.f('fk_ballot_right_holder_delegation_id_delegation')),
    sa.ForeignKeyConstraint(['proxy_id'], ['proxy.id'], name=op.f('fk_ballot_right_proxy_id_proxy')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ballot_right')),
    sa.UniqueConstraint('ballot_id', 'delegation_id', name='uq_ballot_right_ballot_delegation'),
    sa.UniqueConstraint('ballot_id', 'id', name='uq_ballot_right_ballot_id_id')
    )
    op.create_index('ix_ballot_right_ballot_holder', 'ballot_right', ['ballot_id', 'holder_delegation_id'], unique=False)
    op.create_table('vote',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('ballot_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('right_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('choice', sa.String(length=64), nullable=True),
    sa.Column('split', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('cast_by_user_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('cast_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint('(choice IS NULL) <> (split IS NULL)', name=op.f('ck_vote_choice_or_split')),
    sa.CheckConstraint('revision >= 1', name=op.f('ck_vote_revision_positive')),
    sa.ForeignKeyConstraint(['ballot_id', 'right_id'], ['ballot_right.ballot_id', 'ballot_right.id'], name='fk_vote_ballot_right'),
    sa.ForeignKeyConstraint(['cast_by_user_id'], ['user_account.id'], name=op.f('fk_vote_cast_by_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vote')),
    sa.UniqueConstraint('ballot_id', 'right_id', name='uq_vote_ballot_right')
    )
    op.create_table('vote_change',
    sa.Column('id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('ballot_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('right_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('choice', sa.String(length=64), nullable=True),
    sa.Column('split', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.Column('cast_by_user_id', advanced_alchemy.types.guid.GUID(length=16), nullable=False),
    sa.Column('cast_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('sa_orm_sentinel', sa.Integer(), nullable=True),
    sa.Column('created_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.Column('updated_at', advanced_alchemy.types.datetime.DateTimeUTC(timezone=True), nullable=False),
    sa.CheckConstraint('(choice IS NULL) <> (split IS NULL)', name=op.f('ck_vote_change_choice_or_split')),
    sa.CheckConstraint('revision >= 1', name=op.f('ck_vote_change_revision_positive')),
    sa.ForeignKeyConstraint(['ballot_id', 'right_id'], ['ballot_right.ballot_id', 'ballot_right.id'], name='fk_vote_change_ballot_right'),
    sa.ForeignKeyConstraint(['cast_by_user_id'], ['user_account.id'], name=op.f('fk_vote_change_cast_by_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vote_change')),
    sa.UniqueConstraint('ballot_id', 'right_id', 'revision', name='uq_vote_change_ballot_right_revision')
    )
    # Storage invariant: the electorate, the vote history and the tally are written once.
    op.execute(
        "CREATE FUNCTION ballots_refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN RAISE EXCEPTION '% is append-only: rows are never updated or deleted', TG_TABLE_NAME "
        "USING ERRCODE = 'restrict_violation'; END $$"
    )
    for table in _APPEND_ONLY:
        op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                   "FOR EACH ROW EXECUTE FUNCTION ballots_refuse_rewrite()")


def downgrade() -> None:
    for table in _APPEND_ONLY:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    op.execute("DROP FUNCTION IF EXISTS ballots_refuse_rewrite()")
    op.drop_table('vote_change')
    op.drop_table('vote')
    op.drop_index('ix_ballot_right_ballot_holder', table_name='ballot_right')
    op.drop_table('ballot_right')
    op.drop_table('ballot_turnout')
    op.drop_table('ballot_result')
    op.drop_index('uq_ballot_one_open_per_subject', table_name='ballot', postgresql_where=sa.text("status = 'open' AND subject_id IS NOT NULL"))
    op.drop_index(op.f('ix_ballot_revote_of_id'), table_name='ballot')
    op.drop_index('ix_ballot_assembly_id_status', table_name='ballot')
    op.drop_table('ballot')
    for enum_name in _ENUMS:
        sa.Enum(name=enum_name).drop(op.get_bind(), checkfirst=True)
