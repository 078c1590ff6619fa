"""ticket search: an index of the tickets' text; indexes of the lists people open all day

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 02:00:00

The text index (hotline/tickets/text_search.py): the character bigrams of each ticket's
content and address, as a GIN-indexed tsvector on PostgreSQL and an FTS5 table on SQLite,
filled here for the tickets already recorded (segmenting costs about 2 s of CPU per 20,000
tickets; then COPY and the GIN build).
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


HELD = sa.text("status IN ('dispatched', 'accepted')")


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.create_index(
            'ix_tickets_held_reply_due', ['reply_due_at'], unique=False, postgresql_where=HELD, sqlite_where=HELD
        )
        batch_op.create_index(
            'ix_tickets_held_lead_unit_reply_due',
            ['lead_unit_id', 'reply_due_at'],
            unique=False,
            postgresql_where=HELD,
            sqlite_where=HELD,
        )
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.execute(
            'CREATE TABLE ticket_search ('
            'ticket_id integer PRIMARY KEY REFERENCES tickets (id) ON DELETE CASCADE, '
            'terms tsvector NOT NULL)'
        )
    else:
        op.execute("CREATE VIRTUAL TABLE ticket_search USING fts5(terms, tokenize = 'unicode61')")
    from hotline.tickets.text_search import backfill

    backfill(bind)
    if bind.dialect.name == 'postgresql':
        op.execute('CREATE INDEX ix_ticket_search_terms ON ticket_search USING gin (terms)')
        op.execute('ANALYZE ticket_search')


def downgrade():
    op.execute('DROP TABLE ticket_search')
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_held_lead_unit_reply_due')
        batch_op.drop_index('ix_tickets_held_reply_due')
