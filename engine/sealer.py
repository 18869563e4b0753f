"""The sealer: one process at a time moves the committed, queued audit events into the
hash chain.

Writers queue their events without a lock (engine.audit: one ``audit_queue`` row per
step). A sealer holds an expiring lease on the ``audit_head`` row (holder and expiry, taken
with a conditional UPDATE: the pattern of the timer claims); each sealing round is one
transaction that

1. takes or renews the lease (``UPDATE ... WHERE free, expired or ours``; on PostgreSQL
   this also locks the head row until the round commits, so two rounds never overlap),
2. reads the committed queue rows, oldest first,
3. deletes exactly those rows from the queue (the row count must be theirs),
4. inserts their events into ``audit_event``, each with the next place ``seq`` after the
   head, its ``prev_hash`` and ``hash`` (on PostgreSQL with one ``COPY``), and moves the
   head.

Every event is written once, sealed (it used to be inserted unsealed and then updated in
place: twice, with every index). The chain's order is the order of sealing, not the
order of the queue's ids: a step whose transaction commits after a later-numbered one
(PostgreSQL hands out ids at insert time) is simply sealed in a later round. Nothing is
skipped (every committed queue row is picked up by some round), nothing is sealed twice (a
round seals only the rows it deleted from the queue, under the head row's lock, and
``seq`` is unique), and the places are gap-free because they come from the head, not from
a sequence.

A sealer that dies mid-round leaves nothing behind (its transaction rolls back: the queue
rows are still there) but its lease; once that expires, the next sealer takes over where
the head is.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from . import sql
from .audit import head_row, seal_queued
from .clock import utcnow
from .errors import EngineError
from .prepared import copy_rows_pg

log = logging.getLogger(__name__)
DEFAULT_LEASE_TTL = timedelta(seconds=30)
#: queue rows (steps) per round
DEFAULT_BATCH = 1000
#: seconds between a runner's sealing passes (``SLM_SEALER_INTERVAL``): a longer pause means
#: larger batches, which cost less per event (one COPY and one DELETE per batch), and a
#: longer wait before an event is sealed
DEFAULT_INTERVAL = 1.0


def seal_round(session: Session, holder: str, now: datetime | None = None,
               ttl: timedelta = DEFAULT_LEASE_TTL, batch: int = DEFAULT_BATCH) -> int | None:
    """One sealing round in one transaction (committed here): up to ``batch`` queue rows.

    Returns how many events were sealed, or None when another sealer holds a live lease.
    """
    taken = _round(session, holder, now, ttl, batch)
    return None if taken is None else taken[1]


def _round(session: Session, holder: str, now: datetime | None, ttl: timedelta,
           batch: int) -> tuple[int, int] | None:
    """seal_round's work; returns (queue rows taken, events sealed) or None."""
    if batch < 1:
        raise ValueError(f"batch must be at least 1, not {batch}")
    now = now or utcnow()
    conn = session.connection()
    lease = {"holder": holder, "now": now, "expires": now + ttl}
    if sql.LEASE_TAKE.execute(conn, lease) != 1:
        if sql.AUDIT_HEAD.first(conn) is not None:
            session.rollback()
            return None
        head_row(conn)  # a bare create_all has no head row yet
        sql.LEASE_TAKE.execute(conn, lease)
    seq, prev = head_row(conn)
    queued = sql.QUEUED.all(conn, {"limit": batch})
    if not queued:
        session.commit()
        return 0, 0
    ids = [row.id for row in queued]
    taken = _take(conn, ids)
    if taken != len(ids):
        session.rollback()
        raise EngineError(f"sealing after event {seq} found {taken} of {len(ids)} queued "
                          "rows still queued: someone else sealed meanwhile")
    rows, last = seal_queued(seq, prev, [row.events for row in queued])
    if rows:
        if conn.dialect.name == "postgresql":
            copy_rows_pg(conn, sql.SEALED_COPY_PG, rows)
        else:  # SQLite steps seal their own events; a queue there is only ever a copy's
            sql.AUDIT_INSERT_SEALED.execute_many(conn, [
                dict(zip(sql.SEALED_COLUMNS, row, strict=True), at=datetime.fromisoformat(row[1]))
                for row in rows])
        sql.AUDIT_HEAD_UPDATE.execute(conn, {"new_seq": rows[-1][0], "new_hash": last})
    session.commit()
    return len(queued), len(rows)


def _take(conn, ids: list[int]) -> int:
    """Delete the queue rows ``ids``; returns how many were still there."""
    if conn.dialect.name == "postgresql":
        return sql.QUEUE_TAKE_PG.execute(conn, (ids,))
    queue = sql.AQ
    return conn.execute(queue.delete().where(queue.c.id.in_(ids))).rowcount


def release(session: Session, holder: str) -> None:
    """Give the lease up (if still ours), so the next sealer need not wait for expiry."""
    sql.LEASE_RELEASE.execute(session.connection(), {"holder": holder})
    session.commit()


def seal_pending(factory: sessionmaker, holder: str, *, ttl: timedelta = DEFAULT_LEASE_TTL,
                 batch: int = DEFAULT_BATCH, wait: float = 0.0,
                 release_after: bool = False) -> int:
    """Seal until no committed event is left unsealed; returns how many were sealed.

    While another sealer holds a live lease, retry for up to ``wait`` seconds (it is
    sealing meanwhile), then give up quietly. ``release_after``: hand the lease back
    at the end (one-off callers such as ``slm audit verify``). On PostgreSQL a pass that
    sealed something then vacuums the queue (``vacuum_queue``).
    """
    total, deadline = 0, time.monotonic() + wait
    try:
        while True:
            with factory() as session:
                # a read first: an idle log costs no write (and no lease renewal) per pass
                if sql.ANY_QUEUED.first(session.connection()) is None:
                    break
                session.rollback()
                taken = _round(session, holder, None, ttl, batch)
            if taken is None:
                if time.monotonic() >= deadline:
                    break
                time.sleep(0.05)
                continue
            total += taken[1]
            if taken[0] < batch:
                break
    finally:
        if release_after:
            with factory() as session:
                release(session, holder)
    if total:
        vacuum_queue(factory)
    return total


def vacuum_queue(factory: sessionmaker) -> bool:
    """PostgreSQL: reclaim the queue rows the sealer deleted; returns whether it ran.

    Every step inserts a queue row and every sealing pass deletes them, so the queue is
    all dead rows but the last second's. Left to autovacuum (once a minute at best, and
    only where it is on) they pile up: the table and its index grow, and the steps'
    inserts and the sealer's reads walk past them. ``VACUUM (TRUNCATE false)`` removes
    them and lets new rows reuse the space; without truncation it never takes the lock
    that would make it wait for, or block, the steps inserting meanwhile. A failure (not
    the table's owner: PostgreSQL only warns) is logged; the rows wait for the next pass."""
    with factory() as session:
        bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return False
    try:
        with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(sql.QUEUE_VACUUM_PG)
    except DBAPIError:
        log.warning("vacuuming the audit queue failed; the next pass tries again",
                    exc_info=True)
        return False
    return True


def run_sealer(factory: sessionmaker, holder: str, ttl: timedelta = DEFAULT_LEASE_TTL,
               batch: int = DEFAULT_BATCH) -> int:
    """One scheduled sealer pass (runners call this every interval); errors are logged."""
    try:
        return seal_pending(factory, holder, ttl=ttl, batch=batch)
    except Exception:
        log.exception("audit sealer %s failed; the lease expires and is taken over", holder)
        return 0
