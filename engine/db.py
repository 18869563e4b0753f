"""Database plumbing: the declarative base, engines and sessions.

Every table of the product lives on ``Base``; Flask-SQLAlchemy (web layer only) and the
command-line runners share it.
"""
from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

from sqlalchemy import MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

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


def make_session_factory(bind: Engine) -> sessionmaker | KeptSessions:
    """Sessions that keep loaded objects usable after commit (no reload storms); on SQLite
    a closed session is kept with its connection for the next caller (KeptSessions)."""
    if is_sqlite(bind):
        return KeptSessions(bind)
    return sessionmaker(bind=bind, expire_on_commit=False)


class KeptSessions:
    """SQLite's session factory: a session, once closed, waits with its connection for the
    next caller instead of handing the connection back to the pool and being dropped.

    On SQLite the session and pool bookkeeping around a transaction (a Session object, a
    pool checkout, a Connection object, the checkin) costs about as much as one engine
    step's own statements; a kept session skips it. At most ``keep`` sessions wait; more
    close as usual. A kept session is cleared when closed (objects, ``info``), as any
    closed session is. Used again after it was closed, it is taken back from the waiting
    list first, so nobody else gets it meanwhile. ``release()`` closes the waiting
    sessions' connections; the engine's ``dispose()`` does too, and a session still out
    then closes its connection when it is closed (as a disposed pool's connections do).
    """

    def __init__(self, bind: Engine, keep: int = 2):
        self.bind, self.keep = bind, keep
        self._waiting: list[_KeptSession] = []
        self._lock = threading.Lock()
        self.generation = 0  # how often the engine was disposed
        event.listen(bind, "engine_disposed", self._disposed)

    def _disposed(self, _engine) -> None:
        with self._lock:
            self.generation += 1
        self.release()

    def __call__(self) -> Session:
        with self._lock:
            session = self._waiting.pop() if self._waiting else None
        if session is None:
            session = _KeptSession(self)
        session.out = True
        return session

    def _back(self, session: _KeptSession) -> None:
        conn = session.kept
        with self._lock:
            if session.generation != self.generation:  # from before a dispose(): let go
                conn.invalidate()
            elif len(self._waiting) < self.keep and not (conn.closed or conn.invalidated):
                self._waiting.append(session)
                return
        conn.close()

    def _reclaim(self, session: _KeptSession) -> None:
        with self._lock:
            if session in self._waiting:
                self._waiting.remove(session)
        session.out = True

    def release(self) -> None:
        """Close the connections of the sessions waiting (e.g. before the pool goes).

        They are closed, not handed back: a pool that ``dispose()`` already replaced would
        keep them open, and SQLite checkpoints its WAL into the file only when the file's
        last connection closes."""
        with self._lock:
            waiting, self._waiting = self._waiting, []
        for session in waiting:
            session.kept.invalidate()
            session.kept.close()


class _KeptSession(Session):
    def __init__(self, owner: KeptSessions):
        self.generation = owner.generation
        self.kept = owner.bind.connect()
        super().__init__(bind=self.kept, expire_on_commit=False)
        self.owner, self.out = owner, True

    def close(self) -> None:
        super().close()
        if self.out:
            self.out = False
            self.info.clear()
            self.owner._back(self)


@event.listens_for(_KeptSession, "after_begin")
def _used_again(session, _transaction, _connection):
    if not session.out:  # used after it was closed: nobody else may take it meanwhile
        session.owner._reclaim(session)
