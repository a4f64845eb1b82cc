"""Initial schema: regions, DTSEN editions, programs, recipients, staff accounts.

Reviewed by hand: boolean defaults use true()/false() so they are valid on PostgreSQL, the
partial unique index on the current edition is written per engine, and the three standard
programs are inserted as data.

Revision ID: 350f60c5675a
Revises:
Create Date: 2026-11-28 02:05:24.026530

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '350f60c5675a'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('editions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('label', sa.String(length=80), nullable=False),
    sa.Column('is_current', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('activated_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_editions')),
    sa.UniqueConstraint('code', name=op.f('uq_editions_code'))
    )
    with op.batch_alter_table('editions', schema=None) as batch_op:
        batch_op.create_index('uq_editions_current', ['is_current'], unique=True, sqlite_where=sa.text('is_current = 1'), postgresql_where=sa.text('is_current'))

    op.create_table('programs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('csv_column', sa.String(length=30), nullable=False),
    sa.Column('max_desil', sa.SmallInteger(), nullable=True),
    sa.Column('sort_order', sa.SmallInteger(), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programs')),
    sa.UniqueConstraint('code', name=op.f('uq_programs_code')),
    sa.UniqueConstraint('csv_column', name=op.f('uq_programs_csv_column'))
    )
    op.create_table('regions',
    sa.Column('code', sa.String(length=13), nullable=False),
    sa.Column('level', sa.SmallInteger(), nullable=False),
    sa.Column('parent_code', sa.String(length=13), nullable=True),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['parent_code'], ['regions.code'], name=op.f('fk_regions_parent_code_regions')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_regions'))
    )
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.create_index('ix_regions_level_name', ['level', 'name'], unique=False)
        batch_op.create_index(batch_op.f('ix_regions_parent_code'), ['parent_code'], unique=False)

    op.create_table('recipients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=24), nullable=False),
    sa.Column('edition_id', sa.Integer(), nullable=False),
    sa.Column('village_code', sa.String(length=13), nullable=False),
    sa.Column('rt', sa.String(length=3), nullable=False),
    sa.Column('rw', sa.String(length=3), nullable=False),
    sa.Column('name', sa.String(length=150), nullable=False),
    sa.Column('name_key', sa.String(length=150), nullable=False),
    sa.Column('nik_hmac', sa.String(length=64), nullable=False),
    sa.Column('kk_hmac', sa.String(length=64), nullable=False),
    sa.Column('desil', sa.SmallInteger(), nullable=True),
    sa.CheckConstraint('desil IS NULL OR (desil >= 1 AND desil <= 10)', name=op.f('ck_recipients_desil_range')),
    sa.ForeignKeyConstraint(['edition_id'], ['editions.id'], name=op.f('fk_recipients_edition_id_editions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['village_code'], ['regions.code'], name=op.f('fk_recipients_village_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recipients'))
    )
    with op.batch_alter_table('recipients', schema=None) as batch_op:
        batch_op.create_index('ix_recipients_kk', ['edition_id', 'kk_hmac'], unique=False)
        batch_op.create_index('ix_recipients_public_id', ['public_id'], unique=False)
        batch_op.create_index('ix_recipients_village_name', ['edition_id', 'village_code', 'name_key'], unique=False)
        batch_op.create_index('ix_recipients_village_rw_rt', ['edition_id', 'village_code', 'rw', 'rt'], unique=False)
        batch_op.create_index('uq_recipients_edition_nik', ['edition_id', 'nik_hmac'], unique=True)
        batch_op.create_index('uq_recipients_edition_public_id', ['edition_id', 'public_id'], unique=True)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=60), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.Enum('moderator', 'admin', name='user_role', native_enum=False), nullable=False),
    sa.Column('region_code', sa.String(length=13), nullable=True),
    sa.Column('active', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.Column('totp_secret', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['region_code'], ['regions.code'], name=op.f('fk_users_region_code_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('recipient_programs',
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('program_id', sa.Integer(), nullable=False),
    sa.Column('receives', sa.Boolean(), nullable=False),
    sa.Column('period', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_recipient_programs_program_id_programs')),
    sa.ForeignKeyConstraint(['recipient_id'], ['recipients.id'], name=op.f('fk_recipient_programs_recipient_id_recipients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('recipient_id', 'program_id', name=op.f('pk_recipient_programs'))
    )
    with op.batch_alter_table('recipient_programs', schema=None) as batch_op:
        batch_op.create_index('ix_recipient_programs_program', ['program_id', 'receives'], unique=False)

    programs = sa.table(
        'programs',
        sa.column('code', sa.String), sa.column('name', sa.String), sa.column('csv_column', sa.String),
        sa.column('max_desil', sa.SmallInteger), sa.column('sort_order', sa.SmallInteger),
        sa.column('active', sa.Boolean),
    )
    op.bulk_insert(programs, [
        {'code': 'PKH', 'name': 'Program Keluarga Harapan', 'csv_column': 'pkh',
         'max_desil': 4, 'sort_order': 1, 'active': True},
        {'code': 'SEMBAKO', 'name': 'Program Sembako (BPNT)', 'csv_column': 'sembako',
         'max_desil': 4, 'sort_order': 2, 'active': True},
        {'code': 'PBI-JK', 'name': 'Penerima Bantuan Iuran Jaminan Kesehatan', 'csv_column': 'pbi_jk',
         'max_desil': 5, 'sort_order': 3, 'active': True},
    ])



def downgrade():
    with op.batch_alter_table('recipient_programs', schema=None) as batch_op:
        batch_op.drop_index('ix_recipient_programs_program')

    op.drop_table('recipient_programs')
    op.drop_table('users')
    with op.batch_alter_table('recipients', schema=None) as batch_op:
        batch_op.drop_index('uq_recipients_edition_public_id')
        batch_op.drop_index('uq_recipients_edition_nik')
        batch_op.drop_index('ix_recipients_village_rw_rt')
        batch_op.drop_index('ix_recipients_village_name')
        batch_op.drop_index('ix_recipients_public_id')
        batch_op.drop_index('ix_recipients_kk')

    op.drop_table('recipients')
    with op.batch_alter_table('regions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_regions_parent_code'))
        batch_op.drop_index('ix_regions_level_name')

    op.drop_table('regions')
    op.drop_table('programs')
    with op.batch_alter_table('editions', schema=None) as batch_op:
        batch_op.drop_index('uq_editions_current', sqlite_where=sa.text('is_current = 1'), postgresql_where=sa.text('is_current'))

    op.drop_table('editions')
