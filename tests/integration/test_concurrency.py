"""Races on one human task: many threads complete (or claim) it at the same moment.

Each thread works in its own session (its own connection) and they are released together
by a barrier. Exactly one must win; every other one must get a ConflictError, and the
database must show the winner's work once: one task_completed event, an intact audit
chain, the task row completed by the winner.

Variants: PostgreSQL and SQLite; each thread with its own ``Engine`` (no shared cache)
or all threads sharing one ``Engine`` (its live-workflow cache warm from the start).
Last, a user task completed while its interrupting boundary timer fires (PostgreSQL).
"""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from conftest import DATA, T0, load_form, recorded
from sqlalchemy import func, select

from engine.audit import verify_chain
from engine.db import make_engine, make_session_factory
from engine.deploy import deploy
from engine.errors import ConflictError
from engine.instances import start_instance
from engine.models import DueTimer, HumanTask, ProcessInstance
from engine.runner import claim_due, fire_timer, run_due
from engine.runtime import Engine
from engine.tasks import Actor, TaskAlreadyCompletedError, claim_task, complete_task

THREADS = 8
ROUNDS = 3  # fresh instances per test: more chances to hit a bad interleaving
FORM = {"amount": 40, "reason": "growth"}


@pytest.fixture(params=["pg", "sqlite"])
def backend(request):
    """(backend name, session factory) on a migrated, emptied database."""
    url = request.getfixturevalue(f"{request.param}_url")
    db = make_engine(url, pool_size=THREADS + 2)
    yield request.param, make_session_factory(db)
    db.dispose()


def customer(name: str) -> Actor:
    return Actor(name, frozenset({"Customer"}), "acme")


def deploy_full(engine: Engine, factory) -> None:
    with factory() as s:
        deploy(s, (DATA / "full.bpmn").read_bytes(), "full.bpmn", registry=engine.registry,
               known_lanes=engine.known_lanes, form_loader=load_form, actor="owner", now=T0)
        s.commit()


def start_with_submit_task(engine: Engine, factory) -> tuple[int, HumanTask]:
    """Start ``full`` (its first step is the Customer's 'Submit request') -> (iid, task)."""
    with factory() as s:
        iid = start_instance(engine, s, "full", actor="carol", now=T0, organisation="acme")
        s.commit()
    with factory() as s:
        [task] = s.execute(select(HumanTask).where(
            HumanTask.instance_id == iid, HumanTask.status == "ready")).scalars().all()
    return iid, task


def race(factory, work, n: int = THREADS) -> list[tuple[str, object]]:
    """Run ``work(i, session)`` in ``n`` threads released together; commit on success.

    Returns one (outcome, value) per thread: ("ok", result), ("conflict", error) or
    ("error", unexpected exception).
    """
    barrier = threading.Barrier(n, timeout=30)
    results: list = [None] * n

    def body(i: int) -> None:
        with factory() as session:
            try:
                barrier.wait()
                value = work(i, session)
                session.commit()
                results[i] = ("ok", value)
            except ConflictError as exc:
                session.rollback()
                results[i] = ("conflict", exc)
            except Exception as exc:  # anything else is a bug: report it, do not hang
                session.rollback()
                results[i] = ("error", exc)

    threads = [threading.Thread(target=body, args=(i,), name=f"racer-{i}") for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a racing thread hangs"
    return results


def split(results):
    unexpected = [(i, r[1]) for i, r in enumerate(results) if r[0] == "error"]
    assert not unexpected, f"threads failed with non-conflict errors: {unexpected!r}"
    winners = [i for i, r in enumerate(results) if r[0] == "ok"]
    losers = [i for i, r in enumerate(results) if r[0] == "conflict"]
    return winners, losers


def count_events(factory, kind: str, **where) -> int:
    with factory() as s:
        return len(recorded(s, kind=kind, **where))


@pytest.mark.parametrize("engines", ["own", "shared"])
def test_one_of_eight_concurrent_completions_wins(backend, registry, engines):
    name, factory = backend
    shared = Engine(registry)
    deploy_full(shared, factory)
    for _ in range(ROUNDS):
        # started with the shared engine: its live cache holds the instance already
        iid, task = start_with_submit_task(shared, factory)
        per_thread = [shared if engines == "shared" else Engine(registry)
                      for _ in range(THREADS)]

        def work(i, session, task_id=task.id, per_thread=per_thread):
            return complete_task(per_thread[i], session, task_id, dict(FORM),
                                 customer(f"user{i}"), T0 + timedelta(minutes=1))

        winners, losers = split(race(factory, work))
        assert len(winners) == 1, f"{name}/{engines}: winners {winners}"
        assert len(losers) == THREADS - 1
        [winner] = winners

        assert count_events(factory, "task_completed", task_id=task.task_id) == 1
        assert count_events(factory, "handler_run", instance_id=iid) == 1
        with factory() as s:
            row = s.get(HumanTask, task.id)
            assert (row.status, row.completed_by, row.assignee) == (
                "completed", f"user{winner}", f"user{winner}")
            assert row.completed_at == T0 + timedelta(minutes=1)
            inst = s.get(ProcessInstance, iid)
            # start saved revision 2, the one completion revision 3
            assert (inst.status, inst.revision) == ("running", 3)
            assert '"amount":40' in inst.state
            result = verify_chain(s)
            assert result.ok, result.reason

        with factory() as s:
            assert s.execute(select(func.count()).select_from(HumanTask).where(
                HumanTask.instance_id == iid, HumanTask.status == "ready")).scalar_one() == 0
            # the process now waits on its one-hour timer, written once
            assert s.execute(select(func.count()).select_from(DueTimer).where(
                DueTimer.instance_id == iid)).scalar_one() == 1


@pytest.mark.parametrize("engines", ["own", "shared"])
def test_the_losers_are_told_the_task_was_taken(backend, registry, engines):
    """Late callers (after the winner committed) get TaskAlreadyCompletedError, and the
    instance then continues from the winner's state with the cached engine as well."""
    _name, factory = backend
    shared = Engine(registry)
    deploy_full(shared, factory)
    iid, task = start_with_submit_task(shared, factory)
    winners, _ = split(race(factory, lambda i, s: complete_task(
        shared if engines == "shared" else Engine(registry), s, task.id, dict(FORM),
        customer(f"user{i}"), T0)))
    assert len(winners) == 1
    with factory() as s, pytest.raises(TaskAlreadyCompletedError, match=f"user{winners[0]}"):
        complete_task(shared, s, task.id, dict(FORM), customer("late"), T0)
    assert run_due(shared, factory, T0 + timedelta(hours=1)) == 1
    with factory() as s:
        [approve] = s.execute(select(HumanTask).where(
            HumanTask.instance_id == iid, HumanTask.status == "ready")).scalars().all()
        assert approve.element_id == "approve"
        assert verify_chain(s).ok


def test_two_concurrent_claims_one_wins(backend, registry):
    _name, factory = backend
    engine = Engine(registry)
    deploy_full(engine, factory)
    names = ["alice", "bob"]
    for _ in range(ROUNDS):
        _iid, task = start_with_submit_task(engine, factory)
        results = race(factory, lambda i, s, task_id=task.id: claim_task(
            s, task_id, customer(names[i]), T0).assignee, n=2)
        winners, losers = split(results)
        assert len(winners) == 1 and len(losers) == 1
        winner, loser = names[winners[0]], results[losers[0]][1]
        assert results[winners[0]][1] == winner
        assert f"already claimed by {winner}" in str(loser)
        assert type(loser) is ConflictError
        with factory() as s:
            row = s.get(HumanTask, task.id)
            assert (row.status, row.assignee, row.claimed_at) == ("ready", winner, T0)
        assert count_events(factory, "task_claimed", task_id=task.task_id) == 1
    with factory() as s:
        assert verify_chain(s).ok


class MeetInAdvance(Engine):
    """An engine whose steps wait for each other just before running diagram code.

    Every step takes its first lock before ``advance`` (complete_task: the human-task
    row; fire_timer: the due-timer row), so two steps meeting here hold their first locks
    at once: the interleaving that a busy server produces now and then. The wait times
    out, so an engine that serializes steps earlier (the second one blocked before
    ``advance``) is not held up.
    """

    def __init__(self, registry, barrier: threading.Barrier):
        super().__init__(registry)
        self.barrier = barrier

    def advance(self, session, loaded, first=None):
        try:
            self.barrier.wait(timeout=2)
        except threading.BrokenBarrierError:
            pass
        return super().advance(session, loaded, first)


def test_completing_a_task_while_its_boundary_timer_fires(pg_url, registry):
    """A manager completes 'Approve' the moment a runner fires its interrupting timer.

    One of them must win; the other must be refused as a conflict (ConflictError, or
    fire_timer returning False), never fail with a database error.
    """
    db = make_engine(pg_url)
    factory = make_session_factory(db)
    try:
        engine = Engine(registry)
        deploy_full(engine, factory)
        iid, submit = start_with_submit_task(engine, factory)
        with factory() as s:
            complete_task(engine, s, submit.id, dict(FORM), customer("carol"), T0)
            s.commit()
        assert run_due(engine, factory, T0 + timedelta(hours=1)) == 1
        with factory() as s:
            [approve] = s.execute(select(HumanTask).where(
                HumanTask.instance_id == iid, HumanTask.status == "ready")).scalars().all()
        late = T0 + timedelta(days=3)
        with factory() as s:
            [claim] = claim_due(s, late, "runner", claim_ttl=timedelta(minutes=5))
        assert claim.element_id == "approve_timeout"

        barrier = threading.Barrier(2)
        manager = Actor("mike", frozenset({"Service Level Manager"}))
        steps = [
            lambda s: complete_task(MeetInAdvance(registry, barrier), s, approve.id,
                                    {"approved": True}, manager, late),
            lambda s: fire_timer(MeetInAdvance(registry, barrier), s, claim, "runner", late),
        ]
        results = race(factory, lambda i, s: steps[i](s), n=2)
        unexpected = [(i, r[1]) for i, r in enumerate(results) if r[0] == "error"]
        assert not unexpected, (
            "a step failed with a database error instead of a conflict: "
            + "; ".join(f"{['complete_task', 'fire_timer'][i]}: {type(e).__name__}: "
                        f"{str(e).splitlines()[0]}" for i, e in unexpected))
        completed = results[0][0] == "ok"
        fired = results[1] == ("ok", True)
        assert completed != fired, results  # exactly one of them took effect
        with factory() as s:
            inst = s.get(ProcessInstance, iid)
            assert inst.status == "completed"
            assert s.get(HumanTask, approve.id).status == ("completed" if completed
                                                           else "cancelled")
            assert s.execute(select(func.count()).select_from(DueTimer)).scalar_one() == 0
            assert verify_chain(s).ok
    finally:
        db.dispose()
