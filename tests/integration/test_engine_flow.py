"""The full test diagram runs to the end on both backends, reloaded after every step.

A fresh ``Engine`` per step means no live-workflow cache: every step deserializes the
stored state, as a new process would.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import T0
from sqlalchemy import select

from engine.audit import instance_events, verify_chain
from engine.instances import start_instance
from engine.models import DueTimer, HumanTask, ProcessInstance
from engine.runner import run_due
from engine.runtime import Engine
from engine.tasks import Actor, complete_task

CUSTOMER = Actor("carol", frozenset({"Customer"}), "acme")
MANAGER = Actor("mike", frozenset({"Service Level Manager"}))


def ready_tasks(factory, instance_id):
    with factory() as s:
        return s.execute(select(HumanTask).where(
            HumanTask.instance_id == instance_id, HumanTask.status == "ready")).scalars().all()


def timers(factory, instance_id):
    with factory() as s:
        return [(t.element_id, t.due_at) for t in s.execute(
            select(DueTimer).where(DueTimer.instance_id == instance_id)).scalars()]


@pytest.fixture(params=["reload", "cached"])
def fresh(request, registry, engine):
    """Engine for the next step: a new one (reload from the database) or the same one."""
    return (lambda: Engine(registry)) if request.param == "reload" else (lambda: engine)


def step_start(fresh, factory, amount_data=None):
    with factory() as s:
        iid = start_instance(fresh(), s, "full", actor="carol", now=T0, organisation="acme",
                             data=amount_data or {})
        s.commit()
    return iid


def test_full_diagram_runs_to_the_end(deploy_file, factory, fresh):
    deploy_file("full.bpmn")
    iid = step_start(fresh, factory)
    [submit] = ready_tasks(factory, iid)
    assert (submit.name, submit.lane, submit.organisation) == ("Submit request", "Customer", "acme")
    assert submit.due_at == T0 + timedelta(days=3)
    assert submit.instructions == "Describe what you need."

    with factory() as s:
        assert complete_task(fresh(), s, submit.id, {"amount": 40, "reason": "growth"},
                             CUSTOMER, T0) == "running"
        s.commit()
    # the call activity ran (totals) and the parallel branch waits on the 1-hour timer
    assert timers(factory, iid) == [("wait", T0 + timedelta(hours=1))]
    assert ready_tasks(factory, iid) == []

    assert run_due(fresh(), factory, T0 + timedelta(minutes=59)) == 0
    assert run_due(fresh(), factory, T0 + timedelta(hours=1)) == 1
    [approve] = ready_tasks(factory, iid)
    assert approve.lane == "Service Level Manager"
    assert timers(factory, iid) == [("approve_timeout", T0 + timedelta(days=2, hours=1))]

    with factory() as s:
        assert complete_task(fresh(), s, approve.id, {"approved": True}, MANAGER,
                             T0 + timedelta(hours=2)) == "completed"
        s.commit()
    assert timers(factory, iid) == []
    with factory() as s:
        inst = s.get(ProcessInstance, iid)
        assert inst.status == "completed" and inst.completed_at == T0 + timedelta(hours=2)
        state = inst.state
        kinds = [e.kind for e in instance_events(s, iid)]
        assert verify_chain(s).ok
    assert '"total":60' in state and '"waited":true' in state and "escalated" not in state
    # completing an unclaimed task claims it first, on the record
    assert kinds == ["instance_started", "task_ready", "task_claimed", "task_completed",
                     "handler_run", "timer_fired", "task_ready", "task_claimed",
                     "task_completed", "instance_completed"]


def test_interrupting_boundary_timer_cancels_the_task(deploy_file, factory, fresh):
    deploy_file("full.bpmn")
    iid = step_start(fresh, factory)
    [submit] = ready_tasks(factory, iid)
    with factory() as s:
        complete_task(fresh(), s, submit.id, {"amount": 40, "reason": "growth"}, CUSTOMER, T0)
        s.commit()
    run_due(fresh(), factory, T0 + timedelta(hours=1))
    [approve] = ready_tasks(factory, iid)
    assert run_due(fresh(), factory, T0 + timedelta(days=3)) == 1
    assert ready_tasks(factory, iid) == []
    with factory() as s:
        inst = s.get(ProcessInstance, iid)
        assert inst.status == "completed"
        assert s.get(HumanTask, approve.id).status == "cancelled"
        assert '"escalated":true' in inst.state
        assert "task_cancelled" in [e.kind for e in instance_events(s, iid)]


def test_exclusive_gateway_default_path(deploy_file, factory, fresh):
    deploy_file("full.bpmn")
    iid = step_start(fresh, factory)
    [submit] = ready_tasks(factory, iid)
    with factory() as s:
        assert complete_task(fresh(), s, submit.id, {"amount": 4, "reason": "small"},
                             CUSTOMER, T0) == "completed"
        s.commit()
    assert timers(factory, iid) == []
