"""attachments of tickets (photos, PDFs, links); phone verifications of the public web form

Revision ID: 0018_webform
Revises: 0017_open311
Create Date: 2026-12-02 05:40:00

The attachments' bytes live outside the database (hotline/attachments/storage.py); a row
names them by content-addressed keys. A phone verification holds no phone number: the
number's and the code's HMACs only.
"""

from alembic import op
import sqlalchemy as sa

import hotline.core.types


# revision identifiers, used by Alembic.
revision = '0018_webform'
down_revision = '0017_open311'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('reply_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('media_type', sa.String(length=40), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('original_key', sa.String(length=100), nullable=True),
    sa.Column('shown_key', sa.String(length=100), nullable=True),
    sa.Column('thumb_key', sa.String(length=100), nullable=True),
    sa.Column('had_location', sa.Boolean(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=True),
    sa.Column('added_by_id', sa.Integer(), nullable=False),
    sa.Column('added_by_unit_id', sa.Integer(), nullable=True),
    sa.Column('created_at', hotline.core.types.UTCDateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('file', 'link')", name=op.f('ck_attachments_kind')),
    sa.CheckConstraint("source IN ('staff', 'reply', 'web_form', 'open311')", name=op.f('ck_attachments_source')),
    sa.CheckConstraint(
        "(kind = 'file' AND shown_key IS NOT NULL AND original_key IS NOT NULL AND media_type IS NOT NULL "
        "AND size > 0 AND url IS NULL) OR (kind = 'link' AND url IS NOT NULL AND shown_key IS NULL)",
        name=op.f('ck_attachments_file_or_link'),
    ),
    sa.ForeignKeyConstraint(['added_by_id'], ['users.id'], name=op.f('fk_attachments_added_by_id_users')),
    sa.ForeignKeyConstraint(['added_by_unit_id'], ['units.id'], name=op.f('fk_attachments_added_by_unit_id_units')),
    sa.ForeignKeyConstraint(['reply_id'], ['replies.id'], name=op.f('fk_attachments_reply_id_replies')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_attachments_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments'))
    )
    op.create_index('ix_attachments_ticket_id_id', 'attachments', ['ticket_id', 'id'], unique=False)
    op.create_table('phone_verifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=43), nullable=False),
    sa.Column('phone_hash', sa.String(length=64), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', hotline.core.types.UTCDateTime(), nullable=False),
    sa.Column('expires_at', hotline.core.types.UTCDateTime(), nullable=False),
    sa.Column('used_at', hotline.core.types.UTCDateTime(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_phone_verifications_attempts')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_phone_verifications_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_phone_verifications')),
    sa.UniqueConstraint('token', name=op.f('uq_phone_verifications_token'))
    )
    op.create_index(op.f('ix_phone_verifications_expires_at'), 'phone_verifications', ['expires_at'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_phone_verifications_expires_at'), table_name='phone_verifications')
    op.drop_table('phone_verifications')
    op.drop_index('ix_attachments_ticket_id_id', table_name='attachments')
    op.drop_table('attachments')
