"""imported history: the channel `import` and the ticket's id in the old system

Revision ID: 0017_routing
Revises: 0016
Create Date: 2026-12-02 05:45:00

`flask tickets import-history` brings a centre's past tickets in as closed tickets of the
channel `import`, keyed by their id in the old system (`tickets.import_id`, unique: a second
import of the same file updates them).
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_routing'
down_revision = '0016'
branch_labels = None
depends_on = None

OLD = "channel IN ('phone', 'web', 'wechat', 'app', 'sms', 'email', 'letter', 'walk_in')"
NEW = "channel IN ('phone', 'web', 'wechat', 'app', 'sms', 'email', 'letter', 'walk_in', 'import')"


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_id', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_tickets_import_id'), ['import_id'])
        batch_op.drop_constraint(batch_op.f('ck_tickets_channel'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_tickets_channel'), sa.text(NEW))


def downgrade():
    op.execute("DELETE FROM ticket_events WHERE ticket_id IN (SELECT id FROM tickets WHERE channel = 'import')")
    op.execute("DELETE FROM tickets WHERE channel = 'import'")
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_tickets_channel'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_tickets_channel'), sa.text(OLD))
        batch_op.drop_constraint(batch_op.f('uq_tickets_import_id'), type_='unique')
        batch_op.drop_column('import_id')
