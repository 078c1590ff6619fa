"""scopesearch: which units may see a ticket, in its row of the text index

Revision ID: 0022_scopesearch
Revises: 0021_replycheck
Create Date: 2026-12-02 09:30:00

PostgreSQL only (SQLite's FTS5 index is unchanged): each row of `ticket_search` gets the
lexemes `#l<unit id>` (lead unit) and `#a<unit id>` (each assisting unit), without positions,
so a unit's staff search intersects the words and the unit in the GIN index
(hotline/tickets/text_search.py). The table is written anew from the old one in one
INSERT ... SELECT, then given its keys and GIN index and swapped in: updating a million
indexed rows in place leaves the table and its index twice their size (every old version
stays, and is indexed again by a GIN index built in the same transaction).
"""

from alembic import op
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = '0022_scopesearch'
down_revision = '0021_replycheck'
branch_labels = None
depends_on = None

# Every ticket's scope lexemes (the same as text_search.scope_lexemes), as x (id, scope).
SCOPES = """
SELECT t.id, array_remove(ARRAY['#l' || t.lead_unit_id], NULL) || coalesce(a.units, '{}') AS scope
FROM tickets t
LEFT JOIN (SELECT ticket_id, array_agg('#a' || unit_id) AS units FROM ticket_assist_units GROUP BY ticket_id) a
    ON a.ticket_id = t.id
"""

# Each row's words with its ticket's scope lexemes (a row has none before this migration).
WITH_SCOPE = (
    "SELECT s.ticket_id, s.terms || array_to_tsvector(x.scope) FROM ticket_search s "
    f"JOIN ({SCOPES}) x ON x.id = s.ticket_id"
)
# Each row's words alone.
WITHOUT_SCOPE = (
    "SELECT s.ticket_id, ts_delete(s.terms, ARRAY(SELECT u.lexeme FROM unnest(s.terms) AS u "
    "WHERE u.lexeme LIKE '#%')) FROM ticket_search s"
)


def rebuild(connection, rows: str) -> None:
    """Write ``ticket_search`` anew with ``rows`` (ticket_id, terms) read from the old one: the
    table, its keys and its GIN index as migration 0016 made them."""
    for statement in (
        'CREATE TABLE ticket_search_new (ticket_id integer NOT NULL, terms tsvector NOT NULL)',
        f'INSERT INTO ticket_search_new (ticket_id, terms) {rows}',
        'DROP TABLE ticket_search',
        'ALTER TABLE ticket_search_new RENAME TO ticket_search',
        'ALTER TABLE ticket_search ADD CONSTRAINT ticket_search_pkey PRIMARY KEY (ticket_id)',
        'ALTER TABLE ticket_search ADD CONSTRAINT ticket_search_ticket_id_fkey FOREIGN KEY (ticket_id) '
        'REFERENCES tickets (id) ON DELETE CASCADE',
        'CREATE INDEX ix_ticket_search_terms ON ticket_search USING gin (terms)',
        'ANALYZE ticket_search',
    ):
        connection.execute(sa.text(statement))


def upgrade():
    if op.get_bind().dialect.name == 'postgresql':
        rebuild(op.get_bind(), WITH_SCOPE)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        rebuild(op.get_bind(), WITHOUT_SCOPE)
