"""figure rollups: the stored figures of closed months and each month's change counter

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-02 02:10:00

The bulletin, the ranking and the twelve-month trend of a closed month read these rows
instead of recomputing a month of deadlines (and a year of tickets) on each request; a row
is served only while its version equals its month's version in figure_month_versions,
which every change that can alter the month's figures bumps in its own transaction.
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade():
    op.create_table(
        "figure_month_versions",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("length(month) = 7", name=op.f("ck_figure_month_versions_month_format")),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_figure_month_versions")),
    )
    op.create_table(
        "figure_rollups",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("period_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("period_end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("units", JSON, nullable=False),
        sa.Column("centre", JSON, nullable=False),
        sa.Column("worst", JSON, nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("build_ms", sa.Integer(), nullable=False),
        sa.CheckConstraint("length(month) = 7", name=op.f("ck_figure_rollups_month_format")),
        sa.PrimaryKeyConstraint("month", name=op.f("pk_figure_rollups")),
    )


def downgrade():
    op.drop_table("figure_rollups")
    op.drop_table("figure_month_versions")
