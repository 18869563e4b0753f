"""The sealer: one process at a time gives committed, unsealed audit events their place in
the hash chain.

Writers append events without a lock (engine.audit). A sealer holds an expiring lease on
the ``audit_head`` row (holder and expiry, taken with a conditional UPDATE: the pattern of
the timer claims); each sealing round is one transaction that

1. takes or renews the lease (``UPDATE ... WHERE free, expired or ours``; on PostgreSQL
   this also locks the head row until the round commits, so two rounds never overlap),
2. reads the committed events that have no ``seq`` yet, oldest insert first,
3. gives them the next places after the head, their ``prev_hash`` and ``hash``
   (on PostgreSQL one ``UPDATE ... FROM unnest(arrays) ... WHERE seq IS NULL`` for the
   whole batch, whose row count must be the batch's size), and moves the head.

The chain's order is the order of sealing, not the order of the ids: an event whose
transaction commits after a later-numbered one (PostgreSQL hands out ids at insert time)
is simply sealed in a later round. Nothing is skipped (every committed event without a
``seq`` is picked up by some round), nothing is sealed twice (a round only seals events
without a ``seq``, under the head row's lock, and checks that it sealed every one it
read), and the places are gap-free because they come from the head, not from a sequence.

A sealer that dies mid-round leaves nothing behind (its transaction rolls back) but its
lease; once that expires, the next sealer takes over where the head is.
"""
from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from . import sql
from .audit import chain_events, head_row
from .clock import utcnow
from .errors import EngineError

log = logging.getLogger(__name__)
DEFAULT_LEASE_TTL = timedelta(seconds=30)
DEFAULT_BATCH = 2000
#: seconds between a runner's sealing passes (``SLM_SEALER_INTERVAL``): a longer pause means
#: larger batches, which cost less per event (one UPDATE per batch), and a longer wait before
#: an event is sealed
DEFAULT_INTERVAL = 1.0


def seal_round(session: Session, holder: str, now: datetime | None = None,
               ttl: timedelta = DEFAULT_LEASE_TTL, batch: int = DEFAULT_BATCH) -> int | None:
    """One sealing round in one transaction (committed here).

    Returns how many events were sealed, or None when another sealer holds a live lease.
    """
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
    events = sql.UNSEALED.all(conn, {"limit": batch})
    if events:
        rows = chain_events(seq, prev, events)
        sealed = _seal(conn, events, rows)
        if sealed != len(rows):
            session.rollback()
            raise EngineError(f"sealing events {seq + 1}..{rows[-1]['seq']} found "
                              f"{sealed} of {len(rows)} sealed: someone else sealed meanwhile")
        sql.AUDIT_HEAD_UPDATE.execute(conn, {"new_seq": rows[-1]["seq"],
                                             "new_hash": rows[-1]["hash"]})
    session.commit()
    return len(events)


def _seal(conn, events, rows) -> int:
    """Write the seals of ``rows`` onto ``events``; returns how many events were unsealed
    and got theirs. PostgreSQL: the whole batch in one statement (an array each of ids,
    places and hashes); SQLite (whose steps seal their own events): one row at a time."""
    if conn.dialect.name == "postgresql":
        return sql.SEAL_BATCH_PG.execute(conn, (
            [e.id for e in events], [r["seq"] for r in rows],
            [r["prev_hash"] for r in rows], [r["hash"] for r in rows]))
    sql.SEAL_EVENT.execute_many(conn, [
        {"eid": e.id, "s_seq": r["seq"], "s_prev": r["prev_hash"], "s_hash": r["hash"]}
        for e, r in zip(events, rows, strict=True)])
    return sql.SEALED_COUNT.scalar(conn, {"first": rows[0]["seq"], "last": rows[-1]["seq"]})


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
    at the end (one-off callers such as ``slm audit verify``).
    """
    total, deadline = 0, time.monotonic() + wait
    try:
        while True:
            with factory() as session:
                # a read first: an idle log costs no write (and no lease renewal) per pass
                if sql.ANY_UNSEALED.first(session.connection()) is None:
                    return total
                session.rollback()
                n = seal_round(session, holder, ttl=ttl, batch=batch)
            if n is None:
                if time.monotonic() >= deadline:
                    return total
                time.sleep(0.05)
                continue
            total += n
            if n < batch:
                return total
    finally:
        if release_after:
            with factory() as session:
                release(session, holder)


def run_sealer(factory: sessionmaker, holder: str, ttl: timedelta = DEFAULT_LEASE_TTL,
               batch: int = DEFAULT_BATCH) -> int:
    """One scheduled sealer pass (runners call this every interval); errors are logged."""
    try:
        return seal_pending(factory, holder, ttl=ttl, batch=batch)
    except Exception:
        log.exception("audit sealer %s failed; the lease expires and is taken over", holder)
        return 0
