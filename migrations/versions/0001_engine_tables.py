"""engine tables

Revision ID: 0001
Revises: 
Create Date: 2026-11-26 05:07:31.009107
"""
import sqlalchemy as sa
from alembic import op


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('audit_event',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('process_id', sa.String(length=255), nullable=True),
    sa.Column('version', sa.Integer(), nullable=True),
    sa.Column('task_id', sa.String(length=36), nullable=True),
    sa.Column('element_id', sa.String(length=255), nullable=True),
    sa.Column('data', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_actor'), ['actor'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_kind'), ['kind'], unique=False)
        batch_op.create_index('ix_audit_instance', ['instance_id', 'seq'], unique=False)

    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    op.create_table('process_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.String(length=255), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('bpmn_xml', sa.Text(), nullable=False),
    sa.Column('spec_json', sa.Text(), nullable=False),
    sa.Column('forms_json', sa.Text(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('deployed_by', sa.String(length=120), nullable=False),
    sa.Column('deployed_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_version')),
    sa.UniqueConstraint('process_id', 'version', name=op.f('uq_process_version_process_id_version'))
    )
    with op.batch_alter_table('process_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_version_process_id'), ['process_id'], unique=False)

    op.create_table('process_instance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('process_id', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('state', sa.Text(), nullable=False),
    sa.Column('serializer_version', sa.String(length=20), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('started_by', sa.String(length=120), nullable=False),
    sa.Column('organisation', sa.String(length=120), nullable=True),
    sa.Column('title', sa.String(length=255), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.Column('timers', sa.Text(), nullable=False),
    sa.CheckConstraint("status in ('running', 'completed', 'error', 'cancelled')", name=op.f('ck_process_instance_status')),
    sa.ForeignKeyConstraint(['version_id'], ['process_version.id'], name=op.f('fk_process_instance_version_id_process_version')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_instance'))
    )
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.create_index('ix_instance_process_status', ['process_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_instance_organisation'), ['organisation'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_instance_started_at'), ['started_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_instance_version_id'), ['version_id'], unique=False)

    op.create_table('due_timer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('element_id', sa.String(length=255), nullable=False),
    sa.Column('due_at', sa.DateTime(), nullable=False),
    sa.Column('claimed_by', sa.String(length=120), nullable=True),
    sa.Column('claim_expires_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_due_timer_instance_id_process_instance')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_due_timer')),
    sa.UniqueConstraint('instance_id', 'task_id', name=op.f('uq_due_timer_instance_id_task_id'))
    )
    with op.batch_alter_table('due_timer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_due_timer_due_at'), ['due_at'], unique=False)

    op.create_table('human_task',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('element_id', sa.String(length=255), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('lane', sa.String(length=120), nullable=True),
    sa.Column('organisation', sa.String(length=120), nullable=True),
    sa.Column('process_id', sa.String(length=255), nullable=False),
    sa.Column('form', sa.String(length=255), nullable=True),
    sa.Column('instructions', sa.Text(), nullable=False),
    sa.Column('assignee', sa.String(length=120), nullable=True),
    sa.Column('claimed_at', sa.DateTime(), nullable=True),
    sa.Column('due_at', sa.DateTime(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('completed_at', sa.DateTime(), nullable=True),
    sa.Column('completed_by', sa.String(length=120), nullable=True),
    sa.CheckConstraint("status in ('ready', 'completed', 'cancelled')", name=op.f('ck_human_task_status')),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_human_task_instance_id_process_instance')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_human_task')),
    sa.UniqueConstraint('instance_id', 'task_id', name=op.f('uq_human_task_instance_id_task_id'))
    )
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_human_task_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_task_org_status', ['organisation', 'status'], unique=False)
        batch_op.create_index('ix_task_status_assignee', ['status', 'assignee'], unique=False)
        batch_op.create_index('ix_task_status_lane_due', ['status', 'lane', 'due_at'], unique=False)

    op.create_table('incident',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('element_id', sa.String(length=255), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('traceback', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('resolved_at', sa.DateTime(), nullable=True),
    sa.Column('resolved_by', sa.String(length=120), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_incident_instance_id_process_instance')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_incident'))
    )
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_incident_instance_id'), ['instance_id'], unique=False)



    # The audit chain's head row: appends lock it, so it must exist before the first one.
    op.bulk_insert(sa.table("audit_head", sa.column("id"), sa.column("seq"), sa.column("hash")),
                   [{"id": 1, "seq": 0, "hash": "0" * 64}])


def downgrade():
    with op.batch_alter_table('incident', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_incident_instance_id'))

    op.drop_table('incident')
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_task_status_lane_due')
        batch_op.drop_index('ix_task_status_assignee')
        batch_op.drop_index('ix_task_org_status')
        batch_op.drop_index(batch_op.f('ix_human_task_instance_id'))

    op.drop_table('human_task')
    with op.batch_alter_table('due_timer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_due_timer_due_at'))

    op.drop_table('due_timer')
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_instance_version_id'))
        batch_op.drop_index(batch_op.f('ix_process_instance_started_at'))
        batch_op.drop_index(batch_op.f('ix_process_instance_organisation'))
        batch_op.drop_index('ix_instance_process_status')

    op.drop_table('process_instance')
    with op.batch_alter_table('process_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_version_process_id'))

    op.drop_table('process_version')
    op.drop_table('audit_head')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_instance')
        batch_op.drop_index(batch_op.f('ix_audit_event_kind'))
        batch_op.drop_index(batch_op.f('ix_audit_event_at'))
        batch_op.drop_index(batch_op.f('ix_audit_event_actor'))

    op.drop_table('audit_event')
