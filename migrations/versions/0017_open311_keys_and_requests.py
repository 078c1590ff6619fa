"""open311: clients' API keys, each Open311 ticket's location and links; the channel open311

Revision ID: 0017_open311
Revises: 0016
Create Date: 2026-12-02 06:00:00
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql


# revision identifiers, used by Alembic.
revision = "0017_open311"
down_revision = "0016"
branch_labels = None
depends_on = None

CHANNELS_OLD = "channel IN ('phone', 'web', 'wechat', 'app', 'sms', 'email', 'letter', 'walk_in')"
CHANNELS_NEW = "channel IN ('phone', 'web', 'wechat', 'app', 'sms', 'email', 'letter', 'walk_in', 'open311')"


def _set_channels(condition):
    if op.get_bind().dialect.name == "postgresql":
        # No table rebuild: swap the CHECK constraint (validated in place).
        op.drop_constraint(op.f("ck_tickets_channel"), "tickets", type_="check")
        op.create_check_constraint("channel", "tickets", condition)
    else:
        with op.batch_alter_table("tickets", schema=None) as batch_op:
            batch_op.drop_constraint(op.f("ck_tickets_channel"), type_="check")
            batch_op.create_check_constraint("channel", condition)


def upgrade():
    op.create_table(
        "open311_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=12), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("request_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_open311_keys_created_by_id_users")),
        sa.ForeignKeyConstraint(["revoked_by_id"], ["users.id"], name=op.f("fk_open311_keys_revoked_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_open311_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_open311_keys_key_hash")),
        sa.UniqueConstraint("name", name=op.f("uq_open311_keys_name")),
    )
    op.create_table(
        "open311_requests",
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("long", sa.Float(), nullable=True),
        sa.Column("address_string", sa.String(length=200), nullable=True),
        sa.Column("address_id", sa.String(length=100), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("device_id", sa.String(length=100), nullable=True),
        sa.Column("account_id", sa.String(length=100), nullable=True),
        sa.Column("media_url", sa.Text(), nullable=True),
        sa.Column(
            "attributes", sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["key_id"], ["open311_keys.id"], name=op.f("fk_open311_requests_key_id_open311_keys")),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_open311_requests_ticket_id_tickets"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_open311_requests")),
    )
    with op.batch_alter_table("open311_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_open311_requests_key_id"), ["key_id"], unique=False)
    _set_channels(CHANNELS_NEW)


def downgrade():
    op.execute("DELETE FROM open311_requests")
    op.execute("UPDATE tickets SET channel = 'web' WHERE channel = 'open311'")
    _set_channels(CHANNELS_OLD)
    with op.batch_alter_table("open311_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_open311_requests_key_id"))
    op.drop_table("open311_requests")
    op.drop_table("open311_keys")
