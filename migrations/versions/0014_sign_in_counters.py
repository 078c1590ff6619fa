"""sign-in throttle counters (when there is no Redis)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 02:00:00

Failed sign-ins counted per client address and username, per address, per username from
unknown addresses, and the addresses each user signed in from (hotline.accounts.throttle).
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sign_in_counters',
        sa.Column('key', sa.String(length=300), nullable=False),
        sa.Column('username', sa.String(length=64), nullable=True),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.Column('blocked_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_sign_in_counters')),
    )
    with op.batch_alter_table('sign_in_counters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sign_in_counters_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sign_in_counters_username'), ['username'], unique=False)


def downgrade():
    with op.batch_alter_table('sign_in_counters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_counters_username'))
        batch_op.drop_index(batch_op.f('ix_sign_in_counters_expires_at'))
    op.drop_table('sign_in_counters')
