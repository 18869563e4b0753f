"""Called processes and messages: process_instance.parent_instance_id, parent_task_id and
call_depth (a call activity's child instance), message_wait (message catch events waited
on) and bpmn_message (messages thrown by instances or sent from outside, kept until
delivered)

Revision ID: 0027
Revises: 0022
Create Date: 2026-12-03 08:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0027'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('process_instance') as batch:
        batch.add_column(sa.Column('parent_instance_id', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('parent_task_id', sa.String(length=36), nullable=True))
        batch.add_column(sa.Column('call_depth', sa.Integer(), server_default='0',
                                   nullable=False))
        batch.create_index(batch.f('ix_process_instance_parent_instance_id'),
                           ['parent_instance_id'], unique=False)
    op.create_table(
        'message_wait',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.String(length=36), nullable=False),
        sa.Column('element_id', sa.String(length=255), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('correlations', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                                name=op.f('fk_message_wait_instance_id_process_instance')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_message_wait')),
        sa.UniqueConstraint('instance_id', 'task_id',
                            name=op.f('uq_message_wait_instance_id_task_id')),
    )
    op.create_index('ix_message_wait_name', 'message_wait', ['name'], unique=False)
    op.create_table(
        'bpmn_message',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('correlations', sa.Text(), nullable=False),
        sa.Column('payload', sa.Text(), nullable=False),
        sa.Column('source', sa.String(length=20), nullable=False),
        sa.Column('source_instance_id', sa.Integer(), nullable=True),
        sa.Column('sent_by', sa.String(length=120), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('delivered_at', sa.DateTime(), nullable=True),
        sa.Column('delivered_to', sa.Text(), nullable=False),
        sa.Column('claimed_by', sa.String(length=120), nullable=True),
        sa.Column('claim_expires_at', sa.DateTime(), nullable=True),
        sa.CheckConstraint("status in ('pending', 'delivered', 'unclaimed')",
                           name=op.f('ck_bpmn_message_status')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_bpmn_message')),
    )
    op.create_index('ix_bpmn_message_status_name', 'bpmn_message', ['status', 'name'],
                    unique=False)


def downgrade():
    op.drop_index('ix_bpmn_message_status_name', table_name='bpmn_message')
    op.drop_table('bpmn_message')
    op.drop_index('ix_message_wait_name', table_name='message_wait')
    op.drop_table('message_wait')
    op.drop_index(op.f('ix_process_instance_parent_instance_id'),
                  table_name='process_instance')
    # SQLite drops the columns in place (3.35+): a batch copy would drop process_instance,
    # which every table pointing at an instance refuses once there is data
    for column in ('call_depth', 'parent_task_id', 'parent_instance_id'):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE process_instance DROP COLUMN {column}")
        else:
            op.drop_column('process_instance', column)
