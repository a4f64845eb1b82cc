"""Region statistics: recipient counts per region and edition, and the edition revision.

Reviewed by hand. The counts are derived data: `flask --app wsgi portal setup` (and `portal
stats rebuild`) fill them for the current edition, so the downgrade loses nothing that
cannot be computed again. `editions.revision` starts at 1 for existing editions.

Revision ID: 6a460b925ef0
Revises: 45520494aa7a
Create Date: 2026-11-28 04:24:16.548243

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '6a460b925ef0'
down_revision = '45520494aa7a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('region_stats',
    sa.Column('edition_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=13), nullable=False),
    sa.Column('metric', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['edition_id'], ['editions.id'], name=op.f('fk_region_stats_edition_id_editions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('edition_id', 'region_code', 'metric', name=op.f('pk_region_stats'))
    )
    with op.batch_alter_table('editions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), server_default='1', nullable=False))



def downgrade():
    with op.batch_alter_table('editions', schema=None) as batch_op:
        batch_op.drop_column('revision')

    op.drop_table('region_stats')
