"""Revision 0018 (change_request.instance_id): a database migrated from before it gets the
links of its existing records filled in, from the records they came from.

On a copy of the SQLite demo database (the shared one stays as it is): taken down to 0004,
the SLAs' instance links removed as they were before this revision, then upgraded again.
"""
from __future__ import annotations

import shutil

from demo_db import demo_database
from sqlalchemy import text

from engine.db import make_engine
from engine.schema import downgrade, upgrade


def _rows(url: str, sql: str) -> dict:
    eng = make_engine(url)
    try:
        with eng.connect() as conn:
            return dict(conn.execute(text(sql)).all())
    finally:
        eng.dispose()


def test_existing_change_requests_and_slas_get_their_instances(request, tmp_path):
    source, _ = demo_database(request, "sqlite")
    copy = tmp_path / "before-0018.sqlite3"
    shutil.copy(source.removeprefix("sqlite:///"), copy)
    url = f"sqlite:///{copy}"
    changes = _rows(url, "SELECT reference, instance_id FROM change_request")
    slas = _rows(url, "SELECT reference, instance_id FROM sla")
    assert changes and all(changes.values()) and slas and all(slas.values())

    downgrade(url, "0004")
    eng = make_engine(url)
    with eng.begin() as conn:
        conn.execute(text("UPDATE sla SET instance_id = NULL"))
    eng.dispose()
    upgrade(url)
    assert _rows(url, "SELECT reference, instance_id FROM change_request") == changes
    assert _rows(url, "SELECT reference, instance_id FROM sla") == slas
