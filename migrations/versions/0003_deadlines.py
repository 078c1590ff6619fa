"""deadlines: policies, calendar days and warnings, deadlines, the watch's records, failed jobs

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 05:42:24.237843

No policy is seeded here: with none configured every ticket gets the built-in default
(22 natural hours to reply); the demo seed adds example policies.
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_warnings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_warnings')),
    sa.UniqueConstraint('year', name=op.f('uq_calendar_warnings_year'))
    )
    op.create_table('failed_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=200), nullable=False),
    sa.Column('args', sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
    sa.Column('queue', sa.String(length=32), nullable=False),
    sa.Column('job_id', sa.String(length=200), nullable=True),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('failed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_failed_jobs'))
    )
    with op.batch_alter_table('failed_jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_failed_jobs_failed_at'), ['failed_at'], unique=False)

    op.create_table('sla_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('request_type', sa.String(length=16), nullable=False),
    sa.Column('urgency', sa.String(length=16), nullable=False),
    sa.Column('accept_hours', sa.Float(), nullable=True),
    sa.Column('reply_hours', sa.Float(), nullable=False),
    sa.Column('warn_ratio', sa.Float(), nullable=True),
    sa.Column('red_ratio', sa.Float(), nullable=True),
    sa.Column('clock_mode', sa.String(length=16), nullable=False),
    sa.Column('working_hours', sa.String(length=64), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("clock_mode IN ('natural', 'working')", name=op.f('ck_sla_policies_clock_mode')),
    sa.CheckConstraint('accept_hours IS NULL OR accept_hours > 0', name=op.f('ck_sla_policies_accept_hours')),
    sa.CheckConstraint('red_ratio IS NULL OR red_ratio > 1', name=op.f('ck_sla_policies_red_ratio')),
    sa.CheckConstraint('reply_hours > 0', name=op.f('ck_sla_policies_reply_hours')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_sla_policies_version')),
    sa.CheckConstraint('warn_ratio IS NULL OR (warn_ratio > 0 AND warn_ratio < 1)', name=op.f('ck_sla_policies_warn_ratio')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_policies')),
    sa.UniqueConstraint('request_type', 'urgency', name='uq_sla_policies_request_type_urgency')
    )
    op.create_table('calendar_days',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('is_working', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=100), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_calendar_days_created_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_days')),
    sa.UniqueConstraint('day', name=op.f('uq_calendar_days_day'))
    )
    op.create_table('deadlines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('base_hours', sa.Float(), nullable=True),
    sa.Column('extension_hours', sa.Float(), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('warn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('red_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('policy', sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
    sa.Column('calendar', sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
    sa.Column('extensions', sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
    sa.Column('stopped_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('stop_reason', sa.String(length=16), nullable=True),
    sa.Column('next_check_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('source_type', sa.String(length=64), nullable=True),
    sa.Column('source_id', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('accept', 'reply', 'rectification')", name=op.f('ck_deadlines_kind')),
    sa.CheckConstraint("stop_reason IS NULL OR stop_reason IN ('met', 'returned', 'merged', 'closed', 'redispatched', 'cancelled')", name=op.f('ck_deadlines_stop_reason')),
    sa.CheckConstraint('(stopped_at IS NULL) = (stop_reason IS NULL)', name=op.f('ck_deadlines_stopped_has_reason')),
    sa.CheckConstraint('extension_hours >= 0', name=op.f('ck_deadlines_extension_hours')),
    sa.CheckConstraint('sequence >= 1', name=op.f('ck_deadlines_sequence')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_deadlines_ticket_id_tickets')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_deadlines_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadlines')),
    sa.UniqueConstraint('ticket_id', 'kind', 'sequence', name='uq_deadlines_ticket_kind_sequence')
    )
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.create_index('ix_deadlines_next_check_at', ['next_check_at'], unique=False)
        batch_op.create_index('ix_deadlines_source', ['source_type', 'source_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deadlines_ticket_id'), ['ticket_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deadlines_unit_id'), ['unit_id'], unique=False)

    op.create_table('deadline_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deadline_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('point_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('warning', 'overdue', 'red')", name=op.f('ck_deadline_records_kind')),
    sa.ForeignKeyConstraint(['deadline_id'], ['deadlines.id'], name=op.f('fk_deadline_records_deadline_id_deadlines')),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_deadline_records_ticket_id_tickets')),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_deadline_records_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadline_records')),
    sa.UniqueConstraint('deadline_id', 'kind', name='uq_deadline_records_deadline_kind')
    )
    with op.batch_alter_table('deadline_records', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadline_records_recorded_at'), ['recorded_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_deadline_records_ticket_id'), ['ticket_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deadline_records_unit_id'), ['unit_id'], unique=False)



def downgrade():
    with op.batch_alter_table('deadline_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deadline_records_unit_id'))
        batch_op.drop_index(batch_op.f('ix_deadline_records_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_deadline_records_recorded_at'))

    op.drop_table('deadline_records')
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deadlines_unit_id'))
        batch_op.drop_index(batch_op.f('ix_deadlines_ticket_id'))
        batch_op.drop_index('ix_deadlines_source')
        batch_op.drop_index('ix_deadlines_next_check_at')

    op.drop_table('deadlines')
    op.drop_table('calendar_days')
    op.drop_table('sla_policies')
    with op.batch_alter_table('failed_jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_failed_jobs_failed_at'))

    op.drop_table('failed_jobs')
    op.drop_table('calendar_warnings')
