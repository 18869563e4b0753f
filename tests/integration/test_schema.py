"""The Alembic revisions and the models agree, and every revision can be undone.

Each test migrates a database of its own from empty, on SQLite and on PostgreSQL.
"""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from engine.db import Base, make_engine
from engine.schema import alembic_config, downgrade, upgrade


def differences(url: str) -> list:
    eng = make_engine(url)
    try:
        with eng.connect() as conn:
            return compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        eng.dispose()


def index_names(url: str, table: str) -> set[str]:
    eng = make_engine(url)
    try:
        return {ix["name"] for ix in inspect(eng).get_indexes(table)}
    finally:
        eng.dispose()


def test_migrated_database_matches_the_models(empty_url):
    upgrade(empty_url)
    assert differences(empty_url) == []


def test_every_revision_goes_down_and_up_again(empty_url):
    upgrade(empty_url)
    revisions = [r.revision for r in ScriptDirectory.from_config(
        alembic_config(empty_url)).walk_revisions()]  # newest first
    for older in [*revisions[1:], "base"]:
        downgrade(empty_url, older)
    upgrade(empty_url)
    assert differences(empty_url) == []


def test_0003_drops_the_write_only_indexes_and_brings_them_back(empty_url):
    upgrade(empty_url, "0002")
    assert "ix_audit_event_kind" in index_names(empty_url, "audit_event")
    assert "ix_human_task_instance_id" in index_names(empty_url, "human_task")
    upgrade(empty_url, "0003")
    assert "ix_audit_event_kind" not in index_names(empty_url, "audit_event")
    assert "ix_human_task_instance_id" not in index_names(empty_url, "human_task")
    downgrade(empty_url, "0002")
    assert "ix_audit_event_kind" in index_names(empty_url, "audit_event")
