"""Captcha challenges: server-side, single-use, expiring rows.

Reviewed by hand: plain types only (no server defaults, no partial index), so the same DDL
works on SQLite and PostgreSQL; the index on expires_at keeps the purge of expired rows cheap.
Rows live five minutes at most, so the downgrade loses nothing worth keeping.

Revision ID: 45520494aa7a
Revises: 350f60c5675a
Create Date: 2026-11-28 02:58:28.833551

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '45520494aa7a'
down_revision = '350f60c5675a'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('captcha_challenges',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('answer', sa.String(length=8), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_captcha_challenges'))
    )
    with op.batch_alter_table('captcha_challenges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_captcha_challenges_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('captcha_challenges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_captcha_challenges_expires_at'))

    op.drop_table('captcha_challenges')
