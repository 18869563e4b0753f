"""slr.service_id: the catalogue service a customer started a requirement from (none when
they described the need without one); the options list that service's levels first

Revision ID: 0020
Revises: 0024
Create Date: 2026-12-03 08:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0024'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('slr', sa.Column('service_id', sa.Integer(), nullable=True))


def downgrade():
    # SQLite drops the column in place (3.35+): a batch copy would drop slr, which the
    # SLAs' and design specifications' foreign keys refuse once there is data
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE slr DROP COLUMN service_id")
    else:
        op.drop_column('slr', 'service_id')
