"""Timer runners racing each other, dying with claims held, and losing expired claims.

The process tests run real ``slm runner --once`` processes side by side against
PostgreSQL (``FOR UPDATE SKIP LOCKED`` claims); time is given by ``--now``, never by
sleeping. Every timer must fire exactly once: one ``timer_fired`` event per instance,
no row left in ``due_timer``, an intact audit chain.
"""
from __future__ import annotations

import os
import re
import select as selectmod
import signal
import subprocess
import sys
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from conftest import DATA, T0, load_form, recorded
from sqlalchemy import func, select

from engine.audit import verify_chain
from engine.db import make_engine, make_session_factory
from engine.deploy import deploy
from engine.instances import start_instance
from engine.models import AuditEvent, DueTimer, ProcessInstance
from engine.runner import claim_due, fire_timer, run_due
from engine.runtime import Engine

ROOT = Path(__file__).resolve().parents[2]
SLM = ROOT / ".venv" / "bin" / "slm"
HANG = DATA / "claim_and_hang.py"
DUE = T0 + timedelta(hours=1)  # the diagram's one-hour timer
TTL = timedelta(minutes=5)
FIRED = re.compile(r"^(\d+) timers fired;", re.MULTILINE)


@pytest.fixture
def pg(pg_url, registry):
    """(url, session factory, engine) on an emptied PostgreSQL database with timer_only."""
    db = make_engine(pg_url)
    factory = make_session_factory(db)
    engine = Engine(registry)
    deploy_timer_only(engine, factory)
    yield pg_url, factory, engine
    db.dispose()


def deploy_timer_only(engine: Engine, factory) -> None:
    with factory() as s:
        [result] = deploy(s, (DATA / "timer_only.bpmn").read_bytes(), "timer_only.bpmn",
                          registry=engine.registry, known_lanes=engine.known_lanes,
                          form_loader=load_form, actor="owner", now=T0)
        s.commit()
    assert result.process_id == "timer_only"


def start_many(engine: Engine, factory, n: int, per_transaction: int = 100) -> list[int]:
    ids: list[int] = []
    while len(ids) < n:
        with factory() as s:
            for _ in range(min(per_transaction, n - len(ids))):
                ids.append(start_instance(engine, s, "timer_only", actor="starter", now=T0))
            s.commit()
    with factory() as s:
        assert s.execute(select(func.count()).select_from(DueTimer)).scalar_one() == n
        assert set(s.execute(select(DueTimer.due_at)).scalars()) == {DUE}
    return ids


def run_runners(url: str, now: datetime, n: int) -> list[int]:
    """Run ``n`` ``slm runner --once --now NOW`` processes at once; their fired counts."""
    env = dict(os.environ, SLM_DATABASE_URL=url, SLM_CLAIM_TTL=str(TTL.total_seconds()),
               PYTHONDONTWRITEBYTECODE="1")
    procs = [subprocess.Popen([str(SLM), "runner", "--once", "--now", now.isoformat()],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(n)]
    counts = []
    for p in procs:
        try:
            out, err = p.communicate(timeout=180)
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            raise
        assert p.returncode == 0, f"runner failed ({p.returncode}):\n{out}\n{err}"
        assert "Traceback" not in err and "not fired" not in err, err
        found = FIRED.findall(out)
        assert len(found) == 1, f"no 'N timers fired' line in {out!r}"
        counts.append(int(found[0]))
    return counts


def fired_per_instance(factory) -> Counter:
    with factory() as s:
        return Counter(s.execute(select(AuditEvent.instance_id).where(
            AuditEvent.kind == "timer_fired")).scalars())


def assert_all_fired_once(factory, ids: list[int]) -> None:
    per_instance = fired_per_instance(factory)
    assert sum(per_instance.values()) == len(ids)
    assert set(per_instance) == set(ids)
    assert {k: v for k, v in per_instance.items() if v != 1} == {}
    with factory() as s:
        statuses = Counter(s.execute(select(ProcessInstance.status).where(
            ProcessInstance.id.in_(ids))).scalars())
        assert statuses == {"completed": len(ids)}
        states = s.execute(select(ProcessInstance.state).where(
            ProcessInstance.id.in_(ids))).scalars().all()
        assert all('"fired":true' in st for st in states)
        assert s.execute(select(func.count()).select_from(DueTimer)).scalar_one() == 0
        kinds = Counter(s.execute(select(AuditEvent.kind)).scalars())
        assert kinds["instance_completed"] == len(ids)
        result = verify_chain(s)
        assert result.ok, result.reason


def test_three_runner_processes_fire_300_timers_exactly_once(pg):
    url, factory, engine = pg
    ids = start_many(engine, factory, 300)
    # a minute before the timers are due nothing fires
    assert run_due(engine, factory, DUE - timedelta(minutes=1)) == 0

    counts = run_runners(url, T0 + timedelta(hours=2), 3)
    assert sum(counts) == 300, counts
    assert_all_fired_once(factory, ids)
    with factory() as s:
        assert set(s.execute(select(ProcessInstance.completed_at).where(
            ProcessInstance.id.in_(ids))).scalars()) == {T0 + timedelta(hours=2)}


def spawn_doomed(url: str, now: datetime, limit: int) -> tuple[subprocess.Popen, int]:
    """A runner process that claims ``limit`` timers as 'doomed' and then hangs."""
    proc = subprocess.Popen(
        [sys.executable, str(HANG), url, now.isoformat(), "doomed", str(limit),
         str(TTL.total_seconds())],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ready, _, _ = selectmod.select([proc.stdout], [], [], 60)
    if not ready:
        proc.kill()
        proc.wait()
        pytest.fail("the claiming process printed nothing within 60 s")
    line = proc.stdout.readline().strip()
    if not line.startswith("claimed "):
        proc.kill()
        _, err = proc.communicate()
        pytest.fail(f"claiming process said {line!r}: {err}")
    return proc, int(line.split()[1])


def test_claims_of_a_killed_runner_expire_and_are_fired_once(pg):
    url, factory, engine = pg
    ids = start_many(engine, factory, 60)
    now = T0 + timedelta(hours=2)
    proc, claimed = spawn_doomed(url, now, 30)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait(timeout=30) == -signal.SIGKILL
    proc.stdout.close()
    proc.stderr.close()
    assert claimed == 30
    with factory() as s:
        held = s.execute(select(DueTimer).where(DueTimer.claimed_by == "doomed")).scalars().all()
        assert len(held) == 30
        assert {t.claim_expires_at for t in held} == {now + TTL}
        doomed_instances = {t.instance_id for t in held}

    # claims still valid: live runners fire only the other 30
    counts = run_runners(url, now, 2)
    assert sum(counts) == 30, counts
    with factory() as s:
        left = s.execute(select(DueTimer)).scalars().all()
        assert {t.instance_id for t in left} == doomed_instances
        assert {t.claimed_by for t in left} == {"doomed"}
    assert set(fired_per_instance(factory)) == set(ids) - doomed_instances

    # exactly at expiry the claims still hold (expiry is strict)
    assert run_due(engine, factory, now + TTL) == 0

    # after the claims expired, the rest are fired, at the runners' clock
    later = now + TTL + timedelta(minutes=1)
    counts = run_runners(url, later, 2)
    assert sum(counts) == 30, counts
    assert_all_fired_once(factory, ids)
    with factory() as s:
        done = dict(s.execute(select(ProcessInstance.id, ProcessInstance.completed_at).where(
            ProcessInstance.id.in_(ids))).all())
        runners = dict(s.execute(select(AuditEvent.instance_id, AuditEvent.data).where(
            AuditEvent.kind == "timer_fired")).all())
    assert {i for i, at in done.items() if at == later} == doomed_instances
    assert {i for i, at in done.items() if at == now} == set(ids) - doomed_instances
    assert not any('"runner":"doomed"' in data for data in runners.values())


def test_a_runner_that_lost_its_claim_does_not_fire(factory, engine, deploy_file):
    """A claims at t; its claim expires; B re-claims; A's late fire must do nothing.

    Both orders: A tries before B fires, and A tries after B fired.
    """
    deploy_file("timer_only.bpmn")
    t = T0 + timedelta(hours=2)
    for a_first in (True, False):
        with factory() as s:
            iid = start_instance(engine, s, "timer_only", actor="starter", now=T0)
            s.commit()
        with factory() as s:
            [a] = claim_due(s, t, "A", claim_ttl=TTL)
        with factory() as s:
            assert claim_due(s, t + TTL, "B", claim_ttl=TTL) == []  # not yet expired
        with factory() as s:
            [b] = claim_due(s, t + TTL + timedelta(seconds=1), "B", claim_ttl=TTL)
        assert (a.id, a.instance_id) == (b.id, iid)
        with factory() as s:
            assert s.get(DueTimer, b.id).claimed_by == "B"

        def fire_a(a=a):
            with factory() as s:
                return fire_timer(engine, s, a, "A", t)

        if a_first:
            assert fire_a() is False
        with factory() as s:
            assert fire_timer(engine, s, b, "B", t + TTL + timedelta(seconds=1)) is True
        if not a_first:
            assert fire_a() is False

        with factory() as s:
            events = recorded(s, instance_id=iid, kind="timer_fired")
            assert len(events) == 1
            assert '"runner":"B"' in events[0].data
            inst = s.get(ProcessInstance, iid)
            assert inst.status == "completed"
            assert inst.completed_at == t + TTL + timedelta(seconds=1)
            assert s.execute(select(func.count()).select_from(DueTimer)).scalar_one() == 0
            assert verify_chain(s).ok
