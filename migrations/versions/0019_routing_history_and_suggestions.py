"""routing: imported history (the channel `import`, the ticket's id in the old system); the dispatch suggestions' models and what they said at each dispatch

Revision ID: 0019_routing
Revises: 0018_webform
Create Date: 2026-12-02 05:45:00

`flask tickets import-history` brings a centre's past tickets in as closed tickets of the
channel `import`, keyed by their id in the old system (`tickets.import_id`, unique: a second
import of the same file updates them). `suggestion_models` keeps the trained dispatch
suggestions (pickled, so that every host loads the same); `dispatch_suggestions` what they
said at each dispatch and whether the dispatcher followed them. `catalogue_rules` and
`catalogue_rule_versions`: the dispatch catalogue (派单目录) and every version of each rule.
"""

from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


# revision identifiers, used by Alembic.
revision = '0019_routing'
down_revision = '0018_webform'
branch_labels = None
depends_on = None

OLD = "channel IN ('phone', 'web', 'wechat', 'app', 'sms', 'email', 'letter', 'walk_in', 'open311')"
NEW = "channel IN ('phone', 'web', 'wechat', 'app', 'sms', 'email', 'letter', 'walk_in', 'open311', 'import')"


def upgrade():
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_id', sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_tickets_import_id'), ['import_id'])
        batch_op.drop_constraint(batch_op.f('ck_tickets_channel'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_tickets_channel'), sa.text(NEW))
    op.create_table('suggestion_models',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('trained_by', sa.String(length=64), nullable=False),
    sa.Column('method', sa.String(length=200), nullable=False),
    sa.Column('examples', sa.Integer(), nullable=False),
    sa.Column('categories', sa.Integer(), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.Column('train_seconds', sa.Float(), nullable=False),
    sa.Column('history_mark', sa.String(length=64), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suggestion_models'))
    )
    with op.batch_alter_table('suggestion_models', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_suggestion_models_created_at'), ['created_at'], unique=False)
    op.create_table('dispatch_suggestions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('model_id', sa.Integer(), nullable=True),
    sa.Column('lead_unit_id', sa.Integer(), nullable=False),
    sa.Column('suggested', JSON_TYPE, nullable=False),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('is_followed', sa.Boolean(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['ticket_events.id'], name=op.f('fk_dispatch_suggestions_event_id_ticket_events')),
    sa.ForeignKeyConstraint(['lead_unit_id'], ['units.id'], name=op.f('fk_dispatch_suggestions_lead_unit_id_units')),
    sa.ForeignKeyConstraint(['model_id'], ['suggestion_models.id'], name=op.f('fk_dispatch_suggestions_model_id_suggestion_models'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], name=op.f('fk_dispatch_suggestions_ticket_id_tickets')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispatch_suggestions')),
    sa.UniqueConstraint('event_id', name=op.f('uq_dispatch_suggestions_event_id'))
    )
    with op.batch_alter_table('dispatch_suggestions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispatch_suggestions_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_dispatch_suggestions_ticket_id'), ['ticket_id'], unique=False)


    op.create_table('catalogue_rules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('area_unit_id', sa.Integer(), nullable=True),
    sa.Column('keywords', sa.String(length=200), nullable=True),
    sa.Column('lead_unit_id', sa.Integer(), nullable=False),
    sa.Column('assist_units', JSON_TYPE, nullable=False),
    sa.Column('basis', sa.Text(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('effective_to', sa.Date(), nullable=True),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('effective_to IS NULL OR effective_to >= effective_from', name=op.f('ck_catalogue_rules_dates_in_order')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_catalogue_rules_version')),
    sa.ForeignKeyConstraint(['area_unit_id'], ['units.id'], name=op.f('fk_catalogue_rules_area_unit_id_units')),
    sa.ForeignKeyConstraint(['category_id'], ['categories.id'], name=op.f('fk_catalogue_rules_category_id_categories')),
    sa.ForeignKeyConstraint(['lead_unit_id'], ['units.id'], name=op.f('fk_catalogue_rules_lead_unit_id_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogue_rules'))
    )
    with op.batch_alter_table('catalogue_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalogue_rules_category_id'), ['category_id'], unique=False)
    op.create_table('catalogue_rule_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rule_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('values', JSON_TYPE, nullable=False),
    sa.Column('changed_fields', JSON_TYPE, nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_catalogue_rule_versions_changed_by_id_users')),
    sa.ForeignKeyConstraint(['rule_id'], ['catalogue_rules.id'], name=op.f('fk_catalogue_rule_versions_rule_id_catalogue_rules')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogue_rule_versions')),
    sa.UniqueConstraint('rule_id', 'version', name='uq_catalogue_rule_versions_rule_version')
    )
    with op.batch_alter_table('catalogue_rule_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalogue_rule_versions_rule_id'), ['rule_id'], unique=False)


def downgrade():
    op.drop_table('catalogue_rule_versions')
    op.drop_table('catalogue_rules')
    op.drop_table('dispatch_suggestions')
    op.drop_table('suggestion_models')
    op.execute("DELETE FROM ticket_events WHERE ticket_id IN (SELECT id FROM tickets WHERE channel = 'import')")
    op.execute("DELETE FROM tickets WHERE channel = 'import'")
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_tickets_channel'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_tickets_channel'), sa.text(OLD))
        batch_op.drop_constraint(batch_op.f('uq_tickets_import_id'), type_='unique')
        batch_op.drop_column('import_id')
