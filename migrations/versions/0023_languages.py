"""Languages: each person's language and time zone, each organisation's language (its
reports are written in it)

Revision ID: 0023
Revises: 0021
Create Date: 2026-12-03 08:15:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column('time_zone', sa.String(length=60), nullable=True))
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=5), nullable=False,
                                      server_default='en'))


def downgrade():
    # SQLite drops the columns in place (3.35+): a batch copy would drop app_user and
    # organisation, which every table pointing at them refuses once there is data
    columns = (('organisation', 'language'), ('app_user', 'time_zone'), ('app_user', 'language'))
    for table, column in columns:
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
        else:
            op.drop_column(table, column)
