"""Appending without a lock, sealing by one leased sealer (engine.sealer).

On PostgreSQL a step appends its events unsealed; the sealer gives every committed event
the next place in the chain, in the order it seals them. These tests show: writers never
wait for each other or for the sealer; an event committed after a later-numbered one is
sealed later, never skipped; rolled-back appends leave no gap; one sealer at a time holds
the lease, and one killed in the middle of a round is replaced once its lease expires,
with nothing lost or sealed twice; many writers and two sealers at once seal everything
exactly once. On SQLite (one writer at a time) a step seals its own events.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import DATA, T0
from sqlalchemy import select, text

from engine import sql
from engine.audit import AuditTrail, chain_head, queued_events, verify_chain
from engine.clock import utcnow
from engine.db import make_engine, make_session_factory
from engine.models import AuditEvent, AuditHead, AuditQueue
from engine.sealer import seal_pending, seal_round

SLM = Path(sys.executable).with_name("slm")
HANG = DATA / "seal_and_hang.py"


@pytest.fixture
def pg(pg_url):
    db = make_engine(pg_url)
    yield pg_url, make_session_factory(db)
    db.dispose()


def add(session, n: int, actor: str = "writer", first: int = 0) -> None:
    trail = AuditTrail()
    for i in range(first, first + n):
        trail.add("probe", at=T0, actor=actor, data={"i": i})
    trail.flush(session)


def append(factory, n: int, actor: str = "writer", commit: bool = True, first: int = 0):
    with factory() as s:
        add(s, n, actor, first)
        s.commit() if commit else s.rollback()


def rows(factory) -> list[tuple]:
    """(id, seq, actor, data) of every event: the sealed ones in their order, then those
    still queued (no id, no seq yet)."""
    with factory() as s:
        sealed = [tuple(r) for r in s.execute(select(
            AuditEvent.id, AuditEvent.seq, AuditEvent.actor, AuditEvent.data)
            .order_by(AuditEvent.id))]
        return sealed + [(None, None, ev.actor, ev.data) for ev in queued_events(s)]


def queue_ids(factory) -> list[int]:
    with factory() as s:
        return list(s.scalars(select(AuditQueue.id).order_by(AuditQueue.id)))


def verify(factory):
    with factory() as s:
        return verify_chain(s)


def test_a_step_appends_unsealed_and_the_sealer_seals_it(pg):
    _url, factory = pg
    append(factory, 3)
    assert [r[1] for r in rows(factory)] == [None, None, None]
    result = verify(factory)
    assert (result.ok, result.checked, result.unsealed) == (True, 0, 3)
    assert seal_pending(factory, "sealer-a") == 3
    assert [r[1] for r in rows(factory)] == [1, 2, 3]
    result = verify(factory)
    assert (result.ok, result.checked, result.unsealed) == (True, 3, 0)
    with factory() as s:
        last = s.scalar(select(AuditEvent).where(AuditEvent.seq == 3))
        assert chain_head(s) == (3, last.hash)
    assert seal_pending(factory, "sealer-a") == 0  # nothing sealed twice


def test_the_sealer_vacuums_the_queue_so_that_steps_reuse_its_space(pg):
    """A pass deletes the queue rows it sealed, then vacuums the queue: the next steps'
    rows reuse the space instead of growing the table and its index, whether or not
    autovacuum runs (once a minute at best)."""
    _url, factory = pg
    sizes = []
    for _cycle in range(4):
        for _ in range(150):
            append(factory, 2)
        assert seal_pending(factory, "sealer-v") == 300
        with factory() as s:
            sizes.append(s.scalar(text(
                "SELECT pg_relation_size('audit_queue') + pg_indexes_size('audit_queue')")))
    assert sizes[0] > 0
    assert sizes[-1] <= sizes[0] * 1.25, sizes  # without the vacuum: about 4 times
    with factory() as s:  # the vacuum ran outside the sealing transactions: none is open
        assert s.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                             "current_database() AND state LIKE 'idle in transaction%'")) == 0
    assert verify(factory).checked == 1200


def test_on_sqlite_a_step_seals_its_own_events(sqlite_url):
    factory = make_session_factory(make_engine(sqlite_url))
    append(factory, 3)
    assert [r[1] for r in rows(factory)] == [1, 2, 3]
    assert verify(factory).checked == 3 and verify(factory).unsealed == 0


def test_writers_do_not_wait_for_each_other_or_for_the_sealer(pg):
    """Before, a step held the head row's lock until its commit: a second writer waited.
    Now a second writer commits while the first is still open, and while a sealing round
    holds the head row, within a one-second lock timeout."""
    _url, factory = pg
    first = factory()
    add(first, 2, actor="first")  # appended, transaction left open
    sealing = factory()  # a sealing round's first statement, its transaction left open
    now = utcnow()
    assert sql.LEASE_TAKE.execute(sealing.connection(), {
        "holder": "slow-sealer", "now": now, "expires": now + timedelta(seconds=30)}) == 1
    with factory() as second:
        second.execute(text("SET LOCAL lock_timeout = '1s'"))
        add(second, 2, actor="second")
        second.commit()
    sealing.rollback()
    sealing.close()
    first.commit()
    first.close()
    assert seal_pending(factory, "sealer-a") == 4
    assert verify(factory).checked == 4


def test_an_event_committed_late_is_sealed_later_and_never_skipped(pg):
    """PostgreSQL hands out ids at insert time: the queue row with the lower id commits
    last. The chain follows the sealing order, so it is sealed in the next round."""
    _url, factory = pg
    early = factory()
    add(early, 1, actor="early")  # lower queue id, not committed yet
    append(factory, 1, actor="late")
    [late_id] = queue_ids(factory)
    assert seal_pending(factory, "sealer-a") == 1
    early.commit()
    early.close()
    [early_id] = queue_ids(factory)
    assert early_id < late_id
    assert seal_pending(factory, "sealer-a") == 1
    assert [(r[1], r[2]) for r in rows(factory)] == [(1, "late"), (2, "early")]
    assert queue_ids(factory) == []
    assert verify(factory).checked == 2 and verify(factory).ok


def test_a_rolled_back_append_leaves_no_gap_in_the_chain(pg):
    _url, factory = pg
    append(factory, 2)
    append(factory, 3, actor="rolled back", commit=False)
    append(factory, 2, first=2)
    first, second = queue_ids(factory)
    assert second - first > 1  # the queue's ids have the gap, the chain has none
    assert seal_pending(factory, "sealer-a") == 4
    found = rows(factory)
    assert [r[1] for r in found] == [1, 2, 3, 4] and {r[2] for r in found} == {"writer"}
    assert verify(factory).ok


def test_only_the_lease_holder_seals_until_its_lease_expires(pg):
    _url, factory = pg
    ttl = timedelta(seconds=30)
    append(factory, 2)
    with factory() as s:
        assert seal_round(s, "sealer-a", now=T0, ttl=ttl) == 2
    append(factory, 1, first=2)
    with factory() as s:
        assert seal_round(s, "sealer-b", now=T0 + timedelta(seconds=10), ttl=ttl) is None
    assert [r[1] for r in rows(factory)] == [1, 2, None]
    with factory() as s:  # a's lease has expired: b takes over
        assert seal_round(s, "sealer-b", now=T0 + timedelta(seconds=31), ttl=ttl) == 1
    with factory() as s:  # and a, back from a pause, is refused
        assert seal_round(s, "sealer-a", now=T0 + timedelta(seconds=32), ttl=ttl) is None
        head = s.get(AuditHead, 1)
        assert (head.sealer, head.seq) == ("sealer-b", 3)
    assert verify(factory).checked == 3


def test_a_sealer_killed_mid_round_is_replaced_after_its_lease(pg):
    url, factory = pg
    for i in range(10):  # ten steps of one event each: a round takes up to 4 steps
        append(factory, 1, first=i)
    proc = subprocess.Popen([sys.executable, str(HANG), url, "dying-sealer", "20", "4"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "sealed 4"
        assert proc.stdout.readline().strip() == "hanging 6"
        sealed_by_a = {r[0]: r[1] for r in rows(factory) if r[1] is not None}
        assert sorted(sealed_by_a.values()) == [1, 2, 3, 4]  # its open round is not visible
        with factory() as s:  # writers go on while the sealer hangs holding the head row
            s.execute(text("SET LOCAL lock_timeout = '1s'"))
            add(s, 2, actor="meanwhile")
            s.commit()
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
    with factory() as s:  # its lease (20 s) is still live: nobody else seals yet
        assert seal_round(s, "sealer-b", now=utcnow()) is None
    with factory() as s:  # 21 s later it has expired
        assert seal_round(s, "sealer-b", now=utcnow() + timedelta(seconds=21)) == 8
    found = rows(factory)
    assert len(found) == 12 and sorted(r[1] for r in found) == list(range(1, 13))
    assert {i: seq for i, seq, *_ in found if i in sealed_by_a} == sealed_by_a
    result = verify(factory)
    assert (result.ok, result.checked, result.unsealed) == (True, 12, 0)


def test_many_writers_and_two_sealers_seal_everything_exactly_once(pg):
    _url, factory = pg
    committed: list[tuple[str, int]] = []
    lock, stop, errors = threading.Lock(), threading.Event(), []

    def writer(name: str):
        try:
            for n in range(30):
                keep = n % 5 != 4  # every fifth transaction rolls back
                append(factory, 1 + n % 3, actor=name, commit=keep, first=100 * n)
                if keep:
                    with lock:
                        committed.extend((name, 100 * n + i) for i in range(1 + n % 3))
        except Exception as exc:  # reported below
            errors.append(exc)

    def sealer(name: str):
        try:
            while not stop.is_set():
                seal_pending(factory, name, ttl=timedelta(seconds=5))
        except Exception as exc:
            errors.append(exc)

    sealers = [threading.Thread(target=sealer, args=(f"sealer-{i}",)) for i in range(2)]
    writers = [threading.Thread(target=writer, args=(f"w{i}",)) for i in range(4)]
    for t in (*sealers, *writers):
        t.start()
    for t in writers:
        t.join(timeout=120)
    stop.set()
    for t in sealers:
        t.join(timeout=60)
    assert not errors, errors
    seal_pending(factory, "final", wait=10, release_after=True)
    found = rows(factory)
    assert sorted((r[2], json.loads(r[3])["i"]) for r in found) == sorted(committed)
    assert sorted(r[1] for r in found) == list(range(1, len(committed) + 1))
    result = verify(factory)
    assert (result.ok, result.checked, result.unsealed) == (True, len(committed), 0)


def test_verify_reports_what_a_live_sealer_has_not_sealed_yet(pg):
    url, factory = pg
    append(factory, 2)
    with factory() as s:
        assert seal_round(s, "runner-x", ttl=timedelta(minutes=5)) == 2
    append(factory, 3, first=2)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLM_")}
    env["SLM_DATABASE_URL"] = url
    run = [str(SLM), "audit", "verify", "--wait", "0"]
    done = subprocess.run(run, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ("audit log OK: 2 events checked; 3 events appended "
                                   "meanwhile are not sealed yet (checked once sealed)")
    with factory() as s:  # the runner stops and hands its lease back
        s.execute(text("UPDATE audit_head SET sealer = NULL"))
        s.commit()
    done = subprocess.run(run, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.stdout.strip() == "audit log OK: 5 events checked", done.stderr


def test_slm_runner_once_seals_what_is_committed(pg):
    url, factory = pg
    append(factory, 4)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLM_")}
    env["SLM_DATABASE_URL"] = url
    done = subprocess.run([str(SLM), "runner", "--once"], env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-2:] == ["0 timers fired; 0 mails sent, 0 to retry, 0 failed",
                                              "4 audit events sealed"]
    assert [r[1] for r in rows(factory)] == [1, 2, 3, 4]
    with factory() as s:  # the one-off runner handed its lease back
        assert s.get(AuditHead, 1).sealer is None


def test_the_embedded_runner_seals_in_the_background(pg):
    from web.config import Settings
    from web.services import Services

    url, factory = pg
    settings = Settings(database_url=url, runner_interval=60, sealer_interval=0.2)
    services = Services(settings)
    scheduler = services.start_scheduler()
    try:
        append(factory, 3)
        deadline = time.monotonic() + 30  # generous: it seals within a fraction of a second
        while time.monotonic() < deadline and None in [r[1] for r in rows(factory)]:
            time.sleep(0.1)
        assert [r[1] for r in rows(factory)] == [1, 2, 3]
        with factory() as s:
            assert s.get(AuditHead, 1).sealer == services.runner
    finally:
        scheduler.shutdown(wait=True)
        services.db.dispose()
