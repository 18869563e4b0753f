"""drop two indexes that only cost writes

``ix_audit_event_kind`` serves no query (auditor search goes by instance, actor and
date), and ``ix_human_task_instance_id`` duplicates the leading column of the
unique (instance_id, task_id) constraint's index. Every engine step wrote their pages.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 09:30:00
"""
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_audit_event_kind', table_name='audit_event')
    op.drop_index('ix_human_task_instance_id', table_name='human_task')


def downgrade():
    op.create_index('ix_human_task_instance_id', 'human_task', ['instance_id'], unique=False)
    op.create_index('ix_audit_event_kind', 'audit_event', ['kind'], unique=False)
