"""knowledge base: a change sequence each host's index catches up from

Revision ID: 0020_hosts
Revises: 0019_routing
Create Date: 2026-12-02 06:10:00

``kb_articles.change_seq`` (indexed) holds the value of ``kb_change_sequence`` (one row) taken
by the transaction that last changed the article (``knowledge_base/changes.py``). Existing
articles start at 0: an index built before this migration is rebuilt or caught up from 0.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_hosts'
down_revision = '0019_routing'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'kb_change_sequence',
        sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.CheckConstraint('id = 1', name=op.f('ck_kb_change_sequence_one_row')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_kb_change_sequence')),
    )
    op.execute('INSERT INTO kb_change_sequence (id, value) VALUES (1, 0)')
    with op.batch_alter_table('kb_articles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('change_seq', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.create_index(batch_op.f('ix_kb_articles_change_seq'), ['change_seq'], unique=False)


def downgrade():
    with op.batch_alter_table('kb_articles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_kb_articles_change_seq'))
        batch_op.drop_column('change_seq')
    op.drop_table('kb_change_sequence')
