"""Version notes: the change note a process owner writes when deploying a diagram

Revision ID: 0015
Revises: 0018
Create Date: 2026-12-02 16:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('process_version') as batch:
        batch.add_column(sa.Column('note', sa.String(length=500), nullable=False,
                                   server_default=''))


def downgrade():
    # SQLite drops the column in place (3.35+): a batch copy would drop process_version,
    # which the instances' foreign keys refuse once there is data
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE process_version DROP COLUMN note")
    else:
        op.drop_column('process_version', 'note')
