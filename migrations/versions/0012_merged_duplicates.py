"""merged duplicates: voided cards, the duplicate's case linked to the surviving one, origin "merge"

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 02:00:00

A card on a duplicate merged into another ticket is kept but voided (``voided_at`` and
``void_reason``, both or neither) and left out of every count; the duplicate's case is
closed and points at the surviving ticket's case (``merged_into_id``), which may have been
opened for it (origin ``merge``).
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

ORIGINS_OLD = "origin IN ('complaint', 'card', 'supervisor')"
ORIGINS_NEW = "origin IN ('complaint', 'card', 'supervisor', 'merge')"


def upgrade():
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('void_reason', sa.Text(), nullable=True))
        batch_op.create_check_constraint('voided', "(voided_at IS NULL) = (void_reason IS NULL)")
    with op.batch_alter_table('supervision_cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_supervision_cases_merged_into_id_supervision_cases'),
            'supervision_cases', ['merged_into_id'], ['id'],
        )
        batch_op.drop_constraint(op.f('ck_supervision_cases_origin'), type_='check')
        batch_op.create_check_constraint('origin', ORIGINS_NEW)


def downgrade():
    with op.batch_alter_table('supervision_cases', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_supervision_cases_origin'), type_='check')
        batch_op.create_check_constraint('origin', ORIGINS_OLD)
        batch_op.drop_constraint(batch_op.f('fk_supervision_cases_merged_into_id_supervision_cases'), type_='foreignkey')
        batch_op.drop_column('merged_into_id')
    with op.batch_alter_table('cards', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_cards_voided'), type_='check')
        batch_op.drop_column('void_reason')
        batch_op.drop_column('voided_at')
