"""Roles are data: the role table (seeded with the built-in roles), user_role (who holds
which role, filled from app_user.roles, which goes) and human_task.lane_owners (a lane
narrowed to named people for one instance)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03 08:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

BUILTIN = (
    ("Admin", "People, roles and organisations"),
    ("Process Owner", "Edits, validates and deploys the process diagrams"),
    ("Service Level Manager", "Works the SLM task list and the catalogue"),
    ("Customer", "A person of one customer organisation"),
    ("Auditor", "Reads everything, changes nothing"),
)


def upgrade():
    # read the people's roles first: on SQLite dropping the column rebuilds app_user, which
    # would take the rows of a user_role table made before it along (ON DELETE CASCADE)
    conn = op.get_bind()
    ids = {n: i for i, (n, _d) in enumerate(BUILTIN, start=1)}
    rows = []
    for user_id, text in conn.execute(sa.text("SELECT id, roles FROM app_user")).all():
        for name in sorted({r.strip() for r in (text or "").split(",") if r.strip()}):
            if name in ids:
                rows.append({"user_id": user_id, "role_id": ids[name]})
    with op.batch_alter_table('app_user') as batch:
        batch.drop_column('roles')
    role = op.create_table(
        'role',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('description', sa.String(length=500), nullable=False),
        sa.Column('builtin', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=True),
        sa.Column('retired_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_role')),
        sa.UniqueConstraint('name', name=op.f('uq_role_name')),
    )
    op.create_table(
        'user_role',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('role_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['role_id'], ['role.id'], name=op.f('fk_user_role_role_id_role')),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ondelete='CASCADE',
                                name=op.f('fk_user_role_user_id_app_user')),
        sa.PrimaryKeyConstraint('user_id', 'role_id', name=op.f('pk_user_role')),
    )
    with op.batch_alter_table('user_role') as batch:
        batch.create_index(batch.f('ix_user_role_role_id'), ['role_id'], unique=False)
    op.bulk_insert(role, [{"id": i, "name": n, "description": d, "builtin": True}
                          for i, (n, d) in enumerate(BUILTIN, start=1)])
    if conn.dialect.name == "postgresql":
        op.execute("SELECT setval(pg_get_serial_sequence('role', 'id'), "
                   f"{len(BUILTIN)})")
    if rows:
        conn.execute(sa.text("INSERT INTO user_role (user_id, role_id) "
                             "VALUES (:user_id, :role_id)"), rows)
    with op.batch_alter_table('human_task') as batch:
        batch.add_column(sa.Column('lane_owners', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('human_task') as batch:
        batch.drop_column('lane_owners')
    conn = op.get_bind()
    held: dict[int, list[str]] = {}
    for user_id, name in conn.execute(sa.text(
            "SELECT user_role.user_id, role.name FROM user_role "
            "JOIN role ON role.id = user_role.role_id WHERE role.builtin")).all():
        held.setdefault(user_id, []).append(name)
    with op.batch_alter_table('user_role') as batch:
        batch.drop_index(batch.f('ix_user_role_role_id'))
    op.drop_table('user_role')
    op.drop_table('role')
    # roles added by admins have no place in the text column: only built-in ones go back
    with op.batch_alter_table('app_user') as batch:
        batch.add_column(sa.Column('roles', sa.String(length=255), nullable=False,
                                   server_default=''))
    order = [n for n, _d in BUILTIN]
    for user_id, names in held.items():
        conn.execute(sa.text("UPDATE app_user SET roles = :r WHERE id = :i"),
                     {"r": ",".join(n for n in order if n in names), "i": user_id})
