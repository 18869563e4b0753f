"""Firing due timers: claim rows atomically with an expiring claim, fire, commit.

Any number of runners (threads, processes, machines) may run ``run_due`` at once: a
row is claimed by one runner at a time (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; the
single-writer lock on SQLite), and firing deletes the row only if the claim is still
ours, in the same transaction as the instance's new state. A runner that dies leaves
claims that expire after ``claim_ttl``; another runner then fires those timers. On
SQLite the first timer of each batch is fired in the transaction that picked it, without a
claim: nobody else can write meanwhile, and a runner that dies leaves it due.
"""
from __future__ import annotations

import logging
import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from . import sql
from .clock import as_utc
from .db import is_sqlite
from .errors import ConflictError, EngineError
from .runtime import Engine

log = logging.getLogger(__name__)
DEFAULT_CLAIM_TTL = timedelta(minutes=5)


def runner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class Claimed:
    id: int
    instance_id: int
    task_id: str
    element_id: str
    due_at: datetime


def claim_due(session: Session, now: datetime, runner: str, limit: int = 50,
              claim_ttl: timedelta = DEFAULT_CLAIM_TTL) -> list[Claimed]:
    """Claim up to ``limit`` due timers for ``runner`` and commit the claim."""
    now = as_utc(now)
    conn = session.connection()
    claim = sql.CLAIM_DUE if is_sqlite(conn) else sql.CLAIM_DUE_LOCKED
    rows = claim.all(conn, {"now": now, "limit": limit, "runner": runner,
                            "expires": now + claim_ttl})
    session.commit()
    return sorted((Claimed(r.id, r.instance_id, r.task_id, r.element_id, r.due_at)
                   for r in rows), key=lambda c: (c.due_at, c.id))


def _pick_and_claim_rest(session: Session, now: datetime, runner: str, limit: int,
                         claim_ttl: timedelta) -> list[Claimed]:
    """SQLite: the due timers; all but the first are claimed, and nothing is committed.

    SQLite has one writer at a time, so the first timer needs no claim: this transaction
    fires it, and a crash before the commit leaves it due and unclaimed.
    """
    now = as_utc(now)
    conn = session.connection()
    rows = sql.PICK_DUE.all(conn, {"now": now, "limit": limit})
    sql.CLAIM_ONE.execute_many(conn, [{"tid": r.id, "now": now, "runner": runner,
                                       "expires": now + claim_ttl} for r in rows[1:]])
    return [Claimed(r.id, r.instance_id, r.task_id, r.element_id, r.due_at) for r in rows]


def fire_timer(engine: Engine, session: Session, claim: Claimed, runner: str,
               now: datetime, picked: bool = False) -> bool:
    """Fire one claimed timer in one transaction; False if the claim was lost.

    ``picked``: the timer was picked, not claimed, in this very transaction (SQLite).
    """
    # Fire at the due time if the runner is late: the clock never runs backwards.
    at = max(as_utc(now), claim.due_at)
    # Lock order: the instance first (load), then the timer row, as every step does.
    loaded = engine.load(session, claim.instance_id, actor="timer", now=at)
    take = sql.TAKE_PICKED if picked else sql.TAKE_CLAIMED
    if take.execute(session.connection(), {"tid": claim.id, "runner": runner}) != 1:
        session.rollback()
        return False
    task = loaded.workflow.get_task_from_id(UUID(claim.task_id))
    loaded.timers = [t for t in loaded.timers if t[0] != claim.task_id]
    loaded.trail.add("timer_fired", at=at, actor="timer", instance_id=claim.instance_id,
                     process_id=loaded.version.process_id, version=loaded.version.version,
                     task_id=claim.task_id, element_id=claim.element_id,
                     data={"due": claim.due_at.isoformat(), "runner": runner})
    if task is not None:
        loaded.workflow.refresh_timers()
        engine.advance(session, loaded)
    engine.save(session, loaded)
    session.commit()
    return True


def run_due(engine: Engine, factory: sessionmaker, now: datetime, runner: str | None = None,
            limit: int = 50, claim_ttl: timedelta = DEFAULT_CLAIM_TTL) -> int:
    """Claim and fire due timers until none are left; returns how many fired.

    On SQLite, which has one writer at a time, the first due timer is fired in the
    transaction that claims the others (one transaction less per batch, and no claim for
    it: nobody else can write meanwhile); if that firing fails, the others are claimed
    again on their own. On PostgreSQL the claims always commit first: firing locks the
    instance before the timer row, the order every other step uses.
    """
    runner = runner or runner_id()
    fired = 0
    while True:
        with factory() as session:
            if is_sqlite(session.connection()):
                batch = _pick_and_claim_rest(session, now, runner, limit, claim_ttl)
                if not batch:
                    session.rollback()
                    return fired
                ok, n = _fire(engine, session, batch[0], runner, now, picked=True)
                fired += n
                if ok:
                    rest = batch[1:]
                else:  # rolled back, claims included: claim them again on their own
                    with factory() as again:
                        rest = claim_due(again, now, runner, limit, claim_ttl)
            else:
                batch = rest = claim_due(session, now, runner, limit, claim_ttl)
        if not batch:
            return fired
        for claim in rest:
            with factory() as session:
                fired += _fire(engine, session, claim, runner, now)[1]
        if len(batch) < limit:
            return fired


def _fire(engine: Engine, session: Session, claim: Claimed, runner: str,
          now: datetime, picked: bool = False) -> tuple[bool, int]:
    """fire_timer, with failures logged: (False, 0) after an error, else (True, fired)."""
    try:
        return True, int(fire_timer(engine, session, claim, runner, now, picked))
    except (ConflictError, EngineError, OperationalError) as exc:
        # Someone changed the instance between claim and fire (or the database gave up
        # on a lock): leave the row to expire and be fired again.
        session.rollback()
        log.warning("timer %s on instance %s not fired: %s", claim.id, claim.instance_id, exc)
    except Exception:
        # Anything else (e.g. unreadable state): fire the others; the claim expires and
        # this timer is tried again later.
        session.rollback()
        log.exception("timer %s on instance %s failed", claim.id, claim.instance_id)
    return False, 0
