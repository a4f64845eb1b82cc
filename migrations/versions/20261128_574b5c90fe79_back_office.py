"""Back office: audit chain, internal notes, Musdes dockets, case assignment, account security.

Reviewed by hand. The audit table is append-only in the database itself: triggers refuse
UPDATE and DELETE on both engines (and TRUNCATE on PostgreSQL), so even a bug or a person
with the application's database role cannot rewrite history. New user columns get defaults
that mean "no failed logins, epoch 0".

Revision ID: 574b5c90fe79
Revises: cf3691ba74b6
Create Date: 2026-11-28 04:49:45.143479

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '574b5c90fe79'
down_revision = 'cf3691ba74b6'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=60), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('object_type', sa.String(length=20), nullable=True),
    sa.Column('object_id', sa.String(length=60), nullable=True),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_audit_events_actor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events')),
    sa.UniqueConstraint('hash', name=op.f('uq_audit_events_hash')),
    sa.UniqueConstraint('prev_hash', name=op.f('uq_audit_events_prev_hash'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_object', ['object_type', 'object_id'], unique=False)
    _append_only_triggers()

    op.create_table('musdes_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('village_code', sa.String(length=13), nullable=False),
    sa.Column('regency_code', sa.String(length=5), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('minutes_number', sa.String(length=80), nullable=True),
    sa.Column('held_on', sa.Date(), nullable=True),
    sa.Column('attendance', sa.Integer(), nullable=True),
    sa.Column('minutes_summary', sa.Text(), nullable=True),
    sa.Column('scan_mime', sa.String(length=40), nullable=True),
    sa.Column('scan_enc', sa.LargeBinary(), nullable=True),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_musdes_batches_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['village_code'], ['regions.code'], name=op.f('fk_musdes_batches_village_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_musdes_batches'))
    )
    with op.batch_alter_table('musdes_batches', schema=None) as batch_op:
        batch_op.create_index('ix_musdes_batches_regency', ['regency_code', 'state'], unique=False)

    op.create_table('case_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('body_enc', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_case_notes_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_notes_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_notes'))
    )
    with op.batch_alter_table('case_notes', schema=None) as batch_op:
        batch_op.create_index('ix_case_notes_case', ['case_id'], unique=False)

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('assigned_to_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('musdes_batch_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_cases_assigned_to_id_users'), 'users', ['assigned_to_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_cases_musdes_batch_id_musdes_batches'), 'musdes_batches', ['musdes_batch_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('totp_last_step', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('password_changed_at', sa.DateTime(timezone=True), nullable=True))



def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('password_changed_at')
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')
        batch_op.drop_column('session_epoch')
        batch_op.drop_column('totp_last_step')

    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cases_musdes_batch_id_musdes_batches'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_cases_assigned_to_id_users'), type_='foreignkey')
        batch_op.drop_column('musdes_batch_id')
        batch_op.drop_column('assigned_to_id')

    with op.batch_alter_table('case_notes', schema=None) as batch_op:
        batch_op.drop_index('ix_case_notes_case')

    op.drop_table('case_notes')
    with op.batch_alter_table('musdes_batches', schema=None) as batch_op:
        batch_op.drop_index('ix_musdes_batches_regency')

    op.drop_table('musdes_batches')
    _drop_append_only_triggers()
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_events_object')

    op.drop_table('audit_events')


def _append_only_triggers():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit_events is append-only';
            END $$
        """)
        op.execute("CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events "
                   "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()")
        op.execute("CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()")
    else:
        op.execute("CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events "
                   "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END")
        op.execute("CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events "
                   "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END")


def _drop_append_only_triggers():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_change ON audit_events")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_delete")
