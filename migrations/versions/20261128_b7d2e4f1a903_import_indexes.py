"""Indexes for imports: drop the unused recipients.public_id index, index cases.recipient_id.

Reviewed by hand. Every public-id lookup names the edition and uses
uq_recipients_edition_public_id; ix_recipients_public_id served no query and cost every
imported row an index update. cases.recipient_id is the foreign key that re-importing an
edition clears (ON DELETE SET NULL): without an index each deleted recipient scanned the
cases table.

Revision ID: b7d2e4f1a903
Revises: 574b5c90fe79
Create Date: 2026-11-28 14:05:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = 'b7d2e4f1a903'
down_revision = '574b5c90fe79'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('recipients', schema=None) as batch_op:
        batch_op.drop_index('ix_recipients_public_id')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_recipient', ['recipient_id'], unique=False)


def downgrade():
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_recipient')
    with op.batch_alter_table('recipients', schema=None) as batch_op:
        batch_op.create_index('ix_recipients_public_id', ['public_id'], unique=False)
