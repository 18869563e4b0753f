"""audit events queued for the sealer: ``audit_queue`` (PostgreSQL steps write there, the
sealer moves them into ``audit_event`` sealed)

A step used to insert its events into ``audit_event`` unsealed and the sealer updated each
row in place: every event was written twice, with all of the table's indexes. Events that
are still unsealed when this runs move into the queue, one row each, in their order.

Revision ID: 0028
Revises: 0023
Create Date: 2026-12-04 20:00:00
"""
import json
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = '0028'
down_revision = '0023'
branch_labels = None
depends_on = None

_CONTENT = ('at', 'actor', 'kind', 'instance_id', 'process_id', 'version', 'task_id',
            'element_id', 'data')


def upgrade():
    op.create_table('audit_queue',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('events', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_queue')))
    bind = op.get_bind()
    unsealed = bind.execute(sa.text(
        f"SELECT id, {', '.join(_CONTENT)} FROM audit_event WHERE seq IS NULL ORDER BY id"
    )).all()
    queue = sa.table('audit_queue', sa.column('instance_id'), sa.column('events'))
    for row in unsealed:  # the format of engine.audit.encode_events, one event per row
        values = list(row[1:])
        at = values[0]
        values[0] = (at if isinstance(at, str)
                     else at.isoformat(timespec="microseconds"))
        bind.execute(queue.insert().values(
            instance_id=row.instance_id,
            events=json.dumps([values], ensure_ascii=False, separators=(",", ":"))))
    if unsealed:
        bind.execute(sa.text("DELETE FROM audit_event WHERE seq IS NULL"))


def downgrade():
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT events FROM audit_queue ORDER BY id")).all()
    event = sa.table('audit_event', *(sa.column(c) for c in _CONTENT))
    for (events,) in rows:  # back to unsealed rows, which the earlier sealer seals
        for values in json.loads(events):
            record = dict(zip(_CONTENT, values, strict=True))
            record['at'] = datetime.fromisoformat(record['at'])
            bind.execute(event.insert().values(**record))
    op.drop_table('audit_queue')
