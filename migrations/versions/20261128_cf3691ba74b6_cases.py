"""Cases: citizen submissions (usulan, sanggahan), their timeline and their evidence.

Reviewed by hand. Identity fields are encrypted by the application (LargeBinary Fernet tokens),
so the schema holds no NIK, KK or phone in clear; plain types only, the same DDL on SQLite and
PostgreSQL. `recipient_id` is SET NULL on delete so that `demo seed --reset` and edition
clean-ups cannot be blocked by a case. The downgrade drops every submission: back up first.

Revision ID: cf3691ba74b6
Revises: 6a460b925ef0
Create Date: 2026-11-28 04:27:19.265529

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'cf3691ba74b6'
down_revision = '6a460b925ef0'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('edition_id', sa.Integer(), nullable=False),
    sa.Column('village_code', sa.String(length=13), nullable=False),
    sa.Column('regency_code', sa.String(length=5), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=True),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=20), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('rt', sa.String(length=3), nullable=True),
    sa.Column('rw', sa.String(length=3), nullable=True),
    sa.Column('subject_nik_hmac', sa.String(length=64), nullable=True),
    sa.Column('subject_kk_hmac', sa.String(length=64), nullable=True),
    sa.Column('subject_name_enc', sa.LargeBinary(), nullable=True),
    sa.Column('subject_nik_enc', sa.LargeBinary(), nullable=True),
    sa.Column('subject_kk_enc', sa.LargeBinary(), nullable=True),
    sa.Column('address_enc', sa.LargeBinary(), nullable=True),
    sa.Column('location_enc', sa.LargeBinary(), nullable=True),
    sa.Column('description_enc', sa.LargeBinary(), nullable=True),
    sa.Column('reporter_relation', sa.String(length=20), nullable=True),
    sa.Column('reporter_nik_hmac', sa.String(length=64), nullable=False),
    sa.Column('reporter_name_enc', sa.LargeBinary(), nullable=True),
    sa.Column('reporter_nik_enc', sa.LargeBinary(), nullable=True),
    sa.Column('reporter_phone_enc', sa.LargeBinary(), nullable=True),
    sa.Column('receipt_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deadline_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind IN ('usulan', 'sanggahan')", name=op.f('ck_cases_kind')),
    sa.ForeignKeyConstraint(['edition_id'], ['editions.id'], name=op.f('fk_cases_edition_id_editions')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['cases.id'], name=op.f('fk_cases_merged_into_id_cases'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recipient_id'], ['recipients.id'], name=op.f('fk_cases_recipient_id_recipients'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['village_code'], ['regions.code'], name=op.f('fk_cases_village_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('ticket', name=op.f('uq_cases_ticket'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_regency_state', ['regency_code', 'state'], unique=False)
        batch_op.create_index('ix_cases_reporter', ['edition_id', 'kind', 'reporter_nik_hmac'], unique=False)
        batch_op.create_index('ix_cases_state_deadline', ['state', 'deadline_at'], unique=False)
        batch_op.create_index('ix_cases_subject', ['subject_nik_hmac'], unique=False)
        batch_op.create_index('ix_cases_village', ['village_code'], unique=False)

    op.create_table('case_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('from_state', sa.String(length=20), nullable=True),
    sa.Column('to_state', sa.String(length=20), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('public_message', sa.Text(), nullable=True),
    sa.Column('internal_note', sa.Text(), nullable=True),
    sa.Column('reporter_message_enc', sa.LargeBinary(), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_case_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_events_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_events'))
    )
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.create_index('ix_case_events_case', ['case_id', 'at'], unique=False)

    op.create_table('case_evidence',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('media_type', sa.String(length=40), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('width', sa.SmallInteger(), nullable=True),
    sa.Column('height', sa.SmallInteger(), nullable=True),
    sa.Column('content_enc', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_evidence_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['case_events.id'], name=op.f('fk_case_evidence_event_id_case_events'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_evidence'))
    )
    with op.batch_alter_table('case_evidence', schema=None) as batch_op:
        batch_op.create_index('ix_case_evidence_case', ['case_id'], unique=False)



def downgrade():
    with op.batch_alter_table('case_evidence', schema=None) as batch_op:
        batch_op.drop_index('ix_case_evidence_case')

    op.drop_table('case_evidence')
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_index('ix_case_events_case')

    op.drop_table('case_events')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_village')
        batch_op.drop_index('ix_cases_subject')
        batch_op.drop_index('ix_cases_state_deadline')
        batch_op.drop_index('ix_cases_reporter')
        batch_op.drop_index('ix_cases_regency_state')

    op.drop_table('cases')
