"""Database plumbing: the declarative base, engines and sessions.

Every table of the product lives on ``Base``; Flask-SQLAlchemy (web layer only) and the
command-line runners share it.
"""
from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, sessionmaker

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every table; constraints get stable names for migrations."""

    metadata = MetaData(naming_convention=NAMING)


DEFAULT_SQLITE = "instance/slm.sqlite3"


def database_url(url: str | None = None) -> str:
    """The database URL: the argument, ``SLM_DATABASE_URL``, or a SQLite file under instance/."""
    url = url or os.environ.get("SLM_DATABASE_URL")
    if url:
        return url
    path = Path(DEFAULT_SQLITE).resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def is_sqlite(bind) -> bool:
    return bind.dialect.name == "sqlite"


def _sqlite_pragmas(dbapi_conn, _record):
    # WAL lets readers run beside the single writer; NORMAL sync is durable in WAL mode
    # except for the last transactions on power loss, the trade-off SQLite documents.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=30000")
    # 32 MiB of page cache per connection instead of SQLite's 2 MiB: index lookups into a
    # large human_task table (task lists) stay in memory instead of re-reading the file.
    cur.execute("PRAGMA cache_size=-32768")
    cur.close()


def _sqlite_begin(conn):
    # Take the write lock at BEGIN: a deferred transaction that reads and then writes
    # can deadlock against another writer ("database is locked") instead of waiting.
    # Sent on the driver connection: it starts every transaction, so it is kept cheap.
    try:
        conn.connection.driver_connection.execute("BEGIN IMMEDIATE")
    except sqlite3.Error as exc:
        raise DBAPIError.instance("BEGIN IMMEDIATE", (), exc, sqlite3.Error) from exc


def make_engine(url: str | None = None, **kwargs) -> Engine:
    """Create an engine for ``url`` with the settings this product relies on."""
    url = database_url(url)
    if url.startswith("sqlite"):
        eng = create_engine(url, connect_args={"isolation_level": None}, **kwargs)
        event.listen(eng, "connect", _sqlite_pragmas)
        event.listen(eng, "begin", _sqlite_begin)
        return eng
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def make_session_factory(bind: Engine) -> sessionmaker:
    """Sessions that keep loaded objects usable after commit (no reload storms)."""
    return sessionmaker(bind=bind, expire_on_commit=False)
