"""Revision 0021 (roles are data): the people of a database migrated from before it keep
their roles, as rows of user_role; going down gives them back as the comma-separated text.
On SQLite and PostgreSQL."""
from __future__ import annotations

from sqlalchemy import text

from engine.db import make_engine
from engine.schema import downgrade, upgrade


def _run(url: str, sql: str, params=None) -> list:
    eng = make_engine(url)
    try:
        with eng.begin() as conn:
            result = conn.execute(text(sql), params or {})
            return result.all() if result.returns_rows else []
    finally:
        eng.dispose()


def test_existing_people_keep_their_roles(empty_url):
    upgrade(empty_url, "0013")
    for i, (name, held) in enumerate((("pat", "Process Owner,Service Level Manager"),
                                      ("cat", "Customer"), ("ada", " Admin , Auditor"))):
        _run(empty_url, "INSERT INTO app_user (id, username, display_name, email, password_hash, "
                  "roles, active, must_change_password) VALUES (:i, :u, :u, '', 'x', :r, "
                  ":t, :f)", {"i": i + 1, "u": name, "r": held, "t": True, "f": False})
    upgrade(empty_url)
    held = _run(empty_url, "SELECT app_user.username, role.name FROM user_role "
                     "JOIN app_user ON app_user.id = user_role.user_id "
                     "JOIN role ON role.id = user_role.role_id ORDER BY 1, 2")
    assert held == [("ada", "Admin"), ("ada", "Auditor"), ("cat", "Customer"),
                    ("pat", "Process Owner"), ("pat", "Service Level Manager")]
    builtin = _run(empty_url, "SELECT name FROM role WHERE builtin ORDER BY id")
    assert [r[0] for r in builtin] == ["Admin", "Process Owner", "Service Level Manager",
                                       "Customer", "Auditor"]
    # a role added afterwards gets the next id (the sequence follows the seeded rows)
    _run(empty_url, "INSERT INTO role (name, description, builtin) VALUES ('Finance', '', :f)",
         {"f": False})
    downgrade(empty_url, "0013")
    assert dict(_run(empty_url, "SELECT username, roles FROM app_user")) == {
        "pat": "Process Owner,Service Level Manager", "cat": "Customer",
        "ada": "Admin,Auditor"}
