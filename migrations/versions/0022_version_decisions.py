"""Decisions with versions: the DMN files a diagram's business rule tasks use, stored with
each process version ({file name: DMN XML})

Revision ID: 0022
Revises: 0013
Create Date: 2026-12-03 08:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('process_version') as batch:
        batch.add_column(sa.Column('dmn_json', sa.Text(), nullable=False, server_default='{}'))


def downgrade():
    # SQLite drops the column in place (3.35+): a batch copy would drop process_version,
    # which the instances' foreign keys refuse once there is data
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE process_version DROP COLUMN dmn_json")
    else:
        op.drop_column('process_version', 'dmn_json')
