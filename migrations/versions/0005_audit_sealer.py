"""audit events appended unsealed and sealed by a leased sealer; runner heartbeats

``audit_event`` gets its own key ``id`` (the insert order, from the table's sequence);
``seq``, ``prev_hash`` and ``hash`` become empty until the sealer gives the event its place
in the chain (``seq`` stays unique). Existing events keep their seq and hashes (id = seq).
``audit_head`` gets the sealer's lease; ``runner_heartbeat`` records live runners.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 16:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_CONTENT = ('at', 'actor', 'kind', 'instance_id', 'process_id', 'version', 'task_id',
            'element_id', 'data', 'prev_hash', 'hash')


def _content_columns(sealed: bool):
    return [
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('actor', sa.String(length=120), nullable=False),
        sa.Column('kind', sa.String(length=60), nullable=False),
        sa.Column('instance_id', sa.Integer(), nullable=True),
        sa.Column('process_id', sa.String(length=255), nullable=True),
        sa.Column('version', sa.Integer(), nullable=True),
        sa.Column('task_id', sa.String(length=36), nullable=True),
        sa.Column('element_id', sa.String(length=255), nullable=True),
        sa.Column('data', sa.Text(), nullable=False),
        sa.Column('prev_hash', sa.String(length=64), nullable=not sealed),
        sa.Column('hash', sa.String(length=64), nullable=not sealed),
    ]


def _move_aside(old_indexes):
    for name in old_indexes:
        op.drop_index(name, table_name='audit_event')
    if op.get_bind().dialect.name == 'postgresql':  # its name is an index name there
        op.execute('ALTER TABLE audit_event DROP CONSTRAINT pk_audit_event')
    op.rename_table('audit_event', '_audit_event_old')


def _common_indexes(last: str):
    op.create_index('ix_audit_event_actor', 'audit_event', ['actor'], unique=False)
    op.create_index('ix_audit_event_at', 'audit_event', ['at'], unique=False)
    op.create_index('ix_audit_instance', 'audit_event', ['instance_id', last], unique=False)


def upgrade():
    _move_aside(('ix_audit_event_actor', 'ix_audit_event_at', 'ix_audit_instance'))
    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=True),
    *_content_columns(sealed=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event')),
    sa.UniqueConstraint('seq', name=op.f('uq_audit_event_seq'))
    )
    cols = ', '.join(_CONTENT)
    op.execute(f'INSERT INTO audit_event (id, seq, {cols}) '
               f'SELECT seq, seq, {cols} FROM _audit_event_old')
    op.drop_table('_audit_event_old')
    _common_indexes('id')
    if op.get_bind().dialect.name == 'postgresql':  # the next id follows the copied ones
        op.execute("SELECT setval('audit_event_id_seq', COALESCE(MAX(id), 0) + 1, false) "
                   "FROM audit_event")
    with op.batch_alter_table('audit_head', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sealer', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('lease_expires_at', sa.DateTime(), nullable=True))
    op.create_table('runner_heartbeat',
    sa.Column('runner', sa.String(length=120), nullable=False),
    sa.Column('seen_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('runner', name=op.f('pk_runner_heartbeat'))
    )
    op.create_index(op.f('ix_runner_heartbeat_seen_at'), 'runner_heartbeat', ['seen_at'],
                    unique=False)


def downgrade():
    unsealed = op.get_bind().execute(
        sa.text('SELECT COUNT(*) FROM audit_event WHERE seq IS NULL')).scalar()
    if unsealed:
        raise RuntimeError(f'{unsealed} audit events are not sealed yet: run `slm audit '
                           'verify` (it seals them) before downgrading below 0005')
    op.drop_index(op.f('ix_runner_heartbeat_seen_at'), table_name='runner_heartbeat')
    op.drop_table('runner_heartbeat')
    with op.batch_alter_table('audit_head', schema=None) as batch_op:
        batch_op.drop_column('lease_expires_at')
        batch_op.drop_column('sealer')
    _move_aside(('ix_audit_event_actor', 'ix_audit_event_at', 'ix_audit_instance'))
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ALTER TABLE _audit_event_old DROP CONSTRAINT uq_audit_event_seq')
    op.create_table('audit_event',
    sa.Column('seq', sa.Integer(), autoincrement=False, nullable=False),
    *_content_columns(sealed=True),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_audit_event'))
    )
    cols = ', '.join(_CONTENT)
    op.execute(f'INSERT INTO audit_event (seq, {cols}) SELECT seq, {cols} FROM _audit_event_old')
    op.drop_table('_audit_event_old')
    _common_indexes('seq')
