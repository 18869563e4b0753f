"""audit_event: a partial index on the events not sealed yet

The sealer asks, every round, for the oldest events without a place in the chain
(``WHERE seq IS NULL ORDER BY id``). Without an index of their own that question reads
the table's key index from its start (every sealed event) and gets slower as the log
grows; this index holds only the unsealed events (a handful at any time), so the
question costs the same however long the log is.

Revision ID: 0026
Revises: 0013
Create Date: 2026-12-03 08:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0026'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_audit_event_unsealed', 'audit_event', ['id'], unique=False,
                    postgresql_where=sa.text('seq IS NULL'),
                    sqlite_where=sa.text('seq IS NULL'))


def downgrade():
    op.drop_index('ix_audit_event_unsealed', table_name='audit_event')
