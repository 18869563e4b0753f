"""slm domain tables

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 05:13:40.715974
"""
import sqlalchemy as sa
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('configuration_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('ci_type', sa.String(length=60), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('location', sa.String(length=120), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_configuration_item')),
    sa.UniqueConstraint('key', name=op.f('uq_configuration_item_key'))
    )
    op.create_table('management_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_management_report'))
    )
    op.create_table('metric',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('unit', sa.String(length=30), nullable=False),
    sa.Column('direction', sa.String(length=10), nullable=False),
    sa.Column('aggregation', sa.String(length=10), nullable=False),
    sa.Column('data_source', sa.String(length=200), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.CheckConstraint("aggregation in ('avg', 'min', 'max', 'sum', 'count')", name=op.f('ck_metric_aggregation')),
    sa.CheckConstraint("direction in ('higher', 'lower')", name=op.f('ck_metric_direction')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_metric')),
    sa.UniqueConstraint('key', name=op.f('uq_metric_key'))
    )
    op.create_table('organisation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation')),
    sa.UniqueConstraint('key', name=op.f('uq_organisation_key')),
    sa.UniqueConstraint('name', name=op.f('uq_organisation_name'))
    )
    op.create_table('app_user',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=120), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('roles', sa.String(length=255), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_app_user_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_app_user')),
    sa.UniqueConstraint('username', name=op.f('uq_app_user_username'))
    )
    op.create_table('service',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=60), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('owner', sa.String(length=120), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status in ('draft', 'live', 'retired')", name=op.f('ck_service_status')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_service_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service')),
    sa.UniqueConstraint('key', name=op.f('uq_service_key'))
    )
    op.create_table('slr',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('submitted_by', sa.String(length=120), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('need', sa.Text(), nullable=False),
    sa.Column('wishes', sa.Text(), nullable=False),
    sa.Column('assessment', sa.Text(), nullable=False),
    sa.Column('options', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status in ('submitted', 'assessed', 'agreed', 'withdrawn')", name=op.f('ck_slr_status')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_slr_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_slr'))
    )
    with op.batch_alter_table('slr', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_slr_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('design_specification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('slr_id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('content', sa.Text(), nullable=False),
    sa.Column('estimated_monthly_cost', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_design_specification_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_design_specification_service_id_service')),
    sa.ForeignKeyConstraint(['slr_id'], ['slr.id'], name=op.f('fk_design_specification_slr_id_slr')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_design_specification'))
    )
    op.create_table('service_ci',
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('ci_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['ci_id'], ['configuration_item.id'], name=op.f('fk_service_ci_ci_id_configuration_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_service_ci_service_id_service'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('service_id', 'ci_id', name=op.f('pk_service_ci'))
    )
    op.create_table('service_level_option',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('monthly_cost', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('service_hours', sa.String(length=60), nullable=False),
    sa.Column('timezone', sa.String(length=60), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.CheckConstraint('monthly_cost >= 0', name=op.f('ck_service_level_option_cost_positive')),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_service_level_option_service_id_service')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_level_option')),
    sa.UniqueConstraint('service_id', 'name', name=op.f('uq_service_level_option_service_id_name'))
    )
    op.create_table('supporting_process',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('owner', sa.String(length=120), nullable=False),
    sa.Column('agreement', sa.Text(), nullable=False),
    sa.Column('defined_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status in ('undefined', 'defined')", name=op.f('ck_supporting_process_status')),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_supporting_process_service_id_service')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supporting_process')),
    sa.UniqueConstraint('service_id', 'kind', name=op.f('uq_supporting_process_service_id_kind'))
    )
    op.create_table('sla',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=30), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('slr_id', sa.Integer(), nullable=True),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('option_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('current_version', sa.Integer(), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=True),
    sa.Column('valid_until', sa.Date(), nullable=True),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('activated_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status in ('draft', 'negotiating', 'agreed', 'active', 'expired', 'terminated')", name=op.f('ck_sla_status')),
    sa.ForeignKeyConstraint(['option_id'], ['service_level_option.id'], name=op.f('fk_sla_option_id_service_level_option')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_sla_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['service_id'], ['service.id'], name=op.f('fk_sla_service_id_service')),
    sa.ForeignKeyConstraint(['slr_id'], ['slr.id'], name=op.f('fk_sla_slr_id_slr')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla')),
    sa.UniqueConstraint('reference', name=op.f('uq_sla_reference'))
    )
    with op.batch_alter_table('sla', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sla_organisation_id'), ['organisation_id'], unique=False)

    op.create_table('target',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('option_id', sa.Integer(), nullable=False),
    sa.Column('metric_id', sa.Integer(), nullable=False),
    sa.Column('comparator', sa.String(length=2), nullable=False),
    sa.Column('threshold', sa.Float(), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.CheckConstraint("comparator in ('>=', '<=')", name=op.f('ck_target_comparator')),
    sa.CheckConstraint("period in ('month', 'quarter')", name=op.f('ck_target_period')),
    sa.ForeignKeyConstraint(['metric_id'], ['metric.id'], name=op.f('fk_target_metric_id_metric')),
    sa.ForeignKeyConstraint(['option_id'], ['service_level_option.id'], name=op.f('fk_target_option_id_service_level_option')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_target')),
    sa.UniqueConstraint('option_id', 'metric_id', name=op.f('uq_target_option_id_metric_id'))
    )
    op.create_table('measurement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sla_id', sa.Integer(), nullable=False),
    sa.Column('metric_id', sa.Integer(), nullable=False),
    sa.Column('measured_at', sa.DateTime(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['metric_id'], ['metric.id'], name=op.f('fk_measurement_metric_id_metric')),
    sa.ForeignKeyConstraint(['sla_id'], ['sla.id'], name=op.f('fk_measurement_sla_id_sla')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measurement')),
    sa.UniqueConstraint('sla_id', 'metric_id', 'measured_at', name=op.f('uq_measurement_sla_id_metric_id_measured_at'))
    )
    with op.batch_alter_table('measurement', schema=None) as batch_op:
        batch_op.create_index('ix_measurement_lookup', ['sla_id', 'metric_id', 'measured_at'], unique=False)

    op.create_table('observation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sla_id', sa.Integer(), nullable=False),
    sa.Column('observed_at', sa.DateTime(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('impact_minutes', sa.Integer(), nullable=True),
    sa.Column('recorded_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind in ('complaint', 'outage', 'slow', 'praise', 'other')", name=op.f('ck_observation_kind')),
    sa.ForeignKeyConstraint(['sla_id'], ['sla.id'], name=op.f('fk_observation_sla_id_sla')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_observation'))
    )
    with op.batch_alter_table('observation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_observation_sla_id'), ['sla_id'], unique=False)

    op.create_table('review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sla_id', sa.Integer(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attainment', sa.Text(), nullable=False),
    sa.Column('discussion', sa.Text(), nullable=False),
    sa.Column('record', sa.Text(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status in ('open', 'reported', 'discussed', 'closed')", name=op.f('ck_review_status')),
    sa.ForeignKeyConstraint(['sla_id'], ['sla.id'], name=op.f('fk_review_sla_id_sla')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_review')),
    sa.UniqueConstraint('sla_id', 'period_start', name=op.f('uq_review_sla_id_period_start'))
    )
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_review_sla_id'), ['sla_id'], unique=False)

    op.create_table('sla_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sla_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('terms', sa.Text(), nullable=False),
    sa.Column('author', sa.String(length=120), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['sla_id'], ['sla.id'], name=op.f('fk_sla_version_sla_id_sla')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sla_version')),
    sa.UniqueConstraint('sla_id', 'number', name=op.f('uq_sla_version_sla_id_number'))
    )
    op.create_table('customer_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=True),
    sa.Column('sla_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['review_id'], ['review.id'], name=op.f('fk_customer_report_review_id_review')),
    sa.ForeignKeyConstraint(['sla_id'], ['sla.id'], name=op.f('fk_customer_report_sla_id_sla')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_customer_report'))
    )
    with op.batch_alter_table('customer_report', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_customer_report_sla_id'), ['sla_id'], unique=False)

    op.create_table('improvement_proposal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.String(length=10), nullable=False),
    sa.Column('review_id', sa.Integer(), nullable=True),
    sa.Column('sla_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("scope in ('service', 'process')", name=op.f('ck_improvement_proposal_scope')),
    sa.CheckConstraint("status in ('proposed', 'accepted', 'rejected', 'done')", name=op.f('ck_improvement_proposal_status')),
    sa.ForeignKeyConstraint(['review_id'], ['review.id'], name=op.f('fk_improvement_proposal_review_id_review')),
    sa.ForeignKeyConstraint(['sla_id'], ['sla.id'], name=op.f('fk_improvement_proposal_sla_id_sla')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_improvement_proposal'))
    )
    op.create_table('change_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=30), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.Column('design_spec_id', sa.Integer(), nullable=True),
    sa.Column('sla_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status in ('open', 'approved', 'rejected', 'implemented')", name=op.f('ck_change_request_status')),
    sa.ForeignKeyConstraint(['design_spec_id'], ['design_specification.id'], name=op.f('fk_change_request_design_spec_id_design_specification')),
    sa.ForeignKeyConstraint(['proposal_id'], ['improvement_proposal.id'], name=op.f('fk_change_request_proposal_id_improvement_proposal')),
    sa.ForeignKeyConstraint(['sla_id'], ['sla.id'], name=op.f('fk_change_request_sla_id_sla')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_request')),
    sa.UniqueConstraint('reference', name=op.f('uq_change_request_reference'))
    )


def downgrade():
    op.drop_table('change_request')
    op.drop_table('improvement_proposal')
    with op.batch_alter_table('customer_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_customer_report_sla_id'))

    op.drop_table('customer_report')
    op.drop_table('sla_version')
    with op.batch_alter_table('review', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_review_sla_id'))

    op.drop_table('review')
    with op.batch_alter_table('observation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_observation_sla_id'))

    op.drop_table('observation')
    with op.batch_alter_table('measurement', schema=None) as batch_op:
        batch_op.drop_index('ix_measurement_lookup')

    op.drop_table('measurement')
    op.drop_table('target')
    with op.batch_alter_table('sla', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sla_organisation_id'))

    op.drop_table('sla')
    op.drop_table('supporting_process')
    op.drop_table('service_level_option')
    op.drop_table('service_ci')
    op.drop_table('design_specification')
    with op.batch_alter_table('slr', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_slr_organisation_id'))

    op.drop_table('slr')
    op.drop_table('service')
    op.drop_table('app_user')
    op.drop_table('organisation')
    op.drop_table('metric')
    op.drop_table('management_report')
    op.drop_table('configuration_item')
