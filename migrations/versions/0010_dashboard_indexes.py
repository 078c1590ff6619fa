"""dashboard indexes: open deadlines by due time (and unit), deadlines by unit and start, cards by time

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 23:30:00

The supervisor's dashboard reads deadlines due soon and overdue now among the *open*
deadlines only (partial indexes: a few thousand rows in a city of a million tickets),
today's volume as a range of tickets.created_at (indexed by 0007; a unit's: deadlines by
unit and start),
and this month's cards as a range of cards.recorded_at.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

OPEN = sa.text('stopped_at IS NULL')


def upgrade():
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.create_index(
            'ix_deadlines_open_due_at', ['due_at'], unique=False, postgresql_where=OPEN, sqlite_where=OPEN
        )
        batch_op.create_index(
            'ix_deadlines_open_unit_due_at', ['unit_id', 'due_at'], unique=False, postgresql_where=OPEN,
            sqlite_where=OPEN,
        )
        batch_op.create_index('ix_deadlines_unit_started_at', ['unit_id', 'started_at'], unique=False)
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.create_index('ix_cards_recorded_at', ['recorded_at'], unique=False)


def downgrade():
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.drop_index('ix_cards_recorded_at')
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_index('ix_deadlines_unit_started_at')
        batch_op.drop_index('ix_deadlines_open_unit_due_at')
        batch_op.drop_index('ix_deadlines_open_due_at')
