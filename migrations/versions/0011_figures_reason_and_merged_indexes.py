"""figures' indexes: deadlines by kind, stop reason and stop time; the merged tickets

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 00:40:00

At a million tickets (bench/report.py): the returns and bounces of a month read the
deadlines stopped as "returned" in it (a range of (kind, stop_reason, stopped_at): 3 k rows,
not the 68 k reply deadlines stopped in the month), and so does the met-on-time half of the
on-time figures; every figure leaves the merged tickets out by NOT EXISTS, read from a partial
index of their ids (10 k entries) instead of the status index's heap rows.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

MERGED = sa.text("status = 'merged'")


def upgrade():
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.create_index(
            'ix_deadlines_kind_reason_stopped_at', ['kind', 'stop_reason', 'stopped_at'], unique=False
        )
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index(
            'ix_tickets_merged_id', ['id'], unique=False, postgresql_where=MERGED, sqlite_where=MERGED
        )


def downgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_merged_id')
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_index('ix_deadlines_kind_reason_stopped_at')
