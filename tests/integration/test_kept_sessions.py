"""SQLite's session factory keeps closed sessions with their connection (engine.db.KeptSessions)."""
from __future__ import annotations

import shutil
import sqlite3
import threading

from sqlalchemy import select, text
from sqlalchemy.orm import sessionmaker

from engine.db import KeptSessions, make_engine, make_session_factory
from engine.models import AuditHead
from engine.schema import upgrade


def test_a_closed_session_comes_back_with_its_connection_and_nothing_else(sqlite_url):
    eng = make_engine(sqlite_url)
    factory = make_session_factory(eng)
    assert isinstance(factory, KeptSessions)
    with factory() as first:
        head = first.get(AuditHead, 1)
        first.info["left"] = "behind"
        conn = first.connection().connection.driver_connection
    with factory() as again:
        assert again is first
        assert again.connection().connection.driver_connection is conn
        assert again.info == {} and head not in again  # cleared like any closed session
    eng.dispose()


def test_what_a_session_did_not_commit_is_gone_for_the_next_one(sqlite_url):
    eng = make_engine(sqlite_url)
    factory = make_session_factory(eng)
    with factory() as s:
        s.execute(text("UPDATE audit_head SET sealer = 'uncommitted' WHERE id = 1"))
    with factory() as s:
        assert s.scalar(select(AuditHead.sealer)) is None
        s.execute(text("UPDATE audit_head SET sealer = 'committed' WHERE id = 1"))
        s.commit()
    with eng.connect() as conn:  # and the write lock was let go: another connection writes
        conn.execute(text("UPDATE audit_head SET sealer = NULL WHERE id = 1"))
        conn.commit()
    eng.dispose()


def test_only_a_few_wait_and_the_others_hand_their_connection_back(sqlite_url):
    eng = make_engine(sqlite_url)
    factory = make_session_factory(eng)
    sessions = [factory() for _ in range(4)]  # each holds a connection (no transaction)
    assert eng.pool.checkedout() == 4
    for s in sessions:
        s.close()
    assert eng.pool.checkedout() == factory.keep == 2  # the two kept, waiting
    factory.release()
    assert eng.pool.checkedout() == 0
    eng.dispose()


def test_a_session_used_after_close_is_nobody_elses(sqlite_url):
    eng = make_engine(sqlite_url)
    factory = make_session_factory(eng)
    s = factory()
    s.close()
    assert s.scalar(select(AuditHead.seq)) == 0  # allowed, as with any session
    other = factory()
    assert other is not s
    s.close()
    other.close()
    eng.dispose()


def test_dispose_closes_the_waiting_connections(sqlite_url):
    eng = make_engine(sqlite_url)
    factory = make_session_factory(eng)
    with factory() as s:
        s.connection()
    assert not s.kept.closed
    eng.dispose()
    assert s.kept.closed
    with factory() as fresh:  # the factory goes on with new connections
        assert fresh is not s and fresh.scalar(select(AuditHead.seq)) == 0
    eng.dispose()


def test_a_session_out_during_dispose_lets_its_connection_go(tmp_path):
    """As with a disposed pool: closing the file's last connection checkpoints the WAL, so
    a copy of the file alone holds what was committed (a file of its own: nobody else may
    hold a connection to it)."""
    sqlite_url = f"sqlite:///{tmp_path}/own.sqlite3"
    upgrade(sqlite_url)
    eng = make_engine(sqlite_url)
    factory = make_session_factory(eng)
    with factory() as s:
        s.execute(text("UPDATE audit_head SET sealer = 'in the file' WHERE id = 1"))
        s.commit()
        eng.dispose()
    assert s.kept.closed and factory.release() is None and eng.pool.checkedout() == 0
    copy = tmp_path / "copy.sqlite3"
    shutil.copy(sqlite_url.removeprefix("sqlite:///"), copy)
    with sqlite3.connect(copy) as raw:
        assert raw.execute("SELECT sealer FROM audit_head").fetchone() == ("in the file",)
    raw.close()


def test_threads_each_get_their_own_session(sqlite_url):
    eng = make_engine(sqlite_url)
    factory = make_session_factory(eng)
    seen, barrier = [], threading.Barrier(3)

    def work():
        with factory() as s:
            s.scalar(select(AuditHead.seq))
            s.commit()  # SQLite: one transaction at a time; the session stays out
            seen.append(s)
            barrier.wait(timeout=10)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(s) for s in seen}) == 3
    eng.dispose()


def test_postgresql_keeps_the_plain_sessionmaker(pg_url):
    eng = make_engine(pg_url)
    assert isinstance(make_session_factory(eng), sessionmaker)
    eng.dispose()
