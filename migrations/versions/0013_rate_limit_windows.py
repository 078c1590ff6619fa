"""rate-limit windows: the public routes' counters when Redis is not configured

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 02:40:00
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rate_limit_windows',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('window', sa.Integer(), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.Column('ends_at', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('name', 'subject', 'window', name=op.f('pk_rate_limit_windows'))
    )
    with op.batch_alter_table('rate_limit_windows', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rate_limit_windows_ends_at'), ['ends_at'], unique=False)


def downgrade():
    with op.batch_alter_table('rate_limit_windows', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rate_limit_windows_ends_at'))
    op.drop_table('rate_limit_windows')
