"""replycheck: the reply check's mode per request type, and its result stored with each reply

Revision ID: 0021_replycheck
Revises: 0020_hosts
Create Date: 2026-12-02 07:00:00

`reply_check_settings`: whether a failed reply check (答复规范性检查) warns or blocks, per
request type (a type without a row warns). `replies.check_result`: what the check found
when the reply was saved (null for replies saved before it existed).
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


# revision identifiers, used by Alembic.
revision = '0021_replycheck'
down_revision = '0020_hosts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reply_check_settings',
    sa.Column('request_type', sa.String(length=16), nullable=False),
    sa.Column('mode', sa.String(length=8), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("mode IN ('warn', 'block')", name=op.f('ck_reply_check_settings_mode')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_reply_check_settings_updated_by_id_users')),
    sa.PrimaryKeyConstraint('request_type', name=op.f('pk_reply_check_settings'))
    )
    with op.batch_alter_table('replies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('check_result', JSON_TYPE, nullable=True))


def downgrade():
    with op.batch_alter_table('replies', schema=None) as batch_op:
        batch_op.drop_column('check_result')
    op.drop_table('reply_check_settings')
