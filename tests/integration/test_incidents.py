"""Failing handlers and scripts become incidents; a retry after the fix goes on.

The failing step keeps everything that succeeded before the failure (a user task
completed in the same step, an earlier handler's database writes), rolls back the failing
handler's own writes, and restores the failing task's data.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import T0
from sqlalchemy import event, select, update

from engine.audit import instance_events, verify_chain
from engine.errors import TaskStateError
from engine.instances import open_incidents, retry_instance, start_instance
from engine.models import DueTimer, HumanTask, Incident, ProcessInstance
from engine.registry import HandlerRegistry
from engine.runner import run_due
from engine.runtime import Engine
from engine.tasks import Actor, complete_task

CUSTOMER = Actor("carol", frozenset({"Customer"}), "acme")
HANDLER_TITLE = "written by the failing handler"


@pytest.fixture(params=["reload", "cached"])
def fresh(request, registry, engine):
    """Engine for the next step: a new one (reload from the database) or the same one."""
    return (lambda: Engine(registry)) if request.param == "reload" else (lambda: engine)


@pytest.fixture
def calls():
    return []


@pytest.fixture
def service_registry(registry, calls):
    """``record`` writes the instance title and succeeds; ``notify`` writes, then fails."""

    @registry.register("record", params={"reason": "why"})
    def record(params, ctx):
        ctx.session.execute(update(ProcessInstance).where(
            ProcessInstance.id == ctx.instance_id).values(title=f"recorded: {params['reason']}"))
        return {"ok": True}

    @registry.register("notify", params={"amount": "how much"})
    def notify(params, ctx):
        calls.append(("broken", params))
        # Writes every way before failing: a statement, a flushed and a pending ORM object.
        ctx.session.execute(update(ProcessInstance).where(
            ProcessInstance.id == ctx.instance_id).values(title=HANDLER_TITLE))
        ctx.session.add(Incident(instance_id=ctx.instance_id, task_id=ctx.task_id,
                                 element_id="forged", message=HANDLER_TITLE, traceback="",
                                 created_at=ctx.now))
        ctx.session.flush()
        ctx.session.add(Incident(instance_id=ctx.instance_id, task_id=ctx.task_id,
                                 element_id="forged-pending", message=HANDLER_TITLE,
                                 traceback="", created_at=ctx.now))  # never flushed
        raise RuntimeError("backend down")

    return registry


def rows(factory, model, **where):
    with factory() as s:
        q = select(model)
        for k, v in where.items():
            q = q.where(getattr(model, k) == v)
        found = s.execute(q).scalars().all()
        for r in found:
            s.expunge(r)
        return found


def get_instance(factory, iid) -> ProcessInstance:
    [inst] = rows(factory, ProcessInstance, id=iid)
    return inst


def kinds(factory, iid) -> list[str]:
    with factory() as s:
        return [e.kind for e in instance_events(s, iid)]


def spiff_task(registry, factory, iid, element_id):
    with factory() as s:
        loaded = Engine(registry).load(s, iid, actor="test", now=T0)
        [task] = [t for t in loaded.workflow.get_tasks() if t.task_spec.name == element_id]
        return task


def run_to_failure(fresh, factory, deploy_file):
    deploy_file("incident_service.bpmn")
    with factory() as s:
        iid = start_instance(fresh(), s, "incident_service", actor="carol", now=T0,
                             organisation="acme")
        s.commit()
    [review] = rows(factory, HumanTask, instance_id=iid)
    with factory() as s:
        status = complete_task(fresh(), s, review.id, {"amount": 7, "reason": "growth"},
                               CUSTOMER, T0)
        s.commit()
    assert status == "error"
    return iid, review


# -- failing handler -------------------------------------------------------------------------
def test_failing_handler_becomes_an_incident(service_registry, fresh, factory, deploy_file,
                                             calls):
    iid, review = run_to_failure(fresh, factory, deploy_file)

    inst = get_instance(factory, iid)
    assert inst.status == "error"
    [incident] = rows(factory, Incident, instance_id=iid)
    send = spiff_task(service_registry, factory, iid, "send")
    assert incident.status == "open"
    assert incident.task_id == str(send.id)
    assert incident.element_id == "send"
    assert incident.created_at == T0
    assert incident.message == "handler failed at send: RuntimeError: backend down"
    assert "Traceback (most recent call last)" in incident.traceback
    assert 'raise RuntimeError("backend down")' in incident.traceback
    assert incident.traceback.rstrip().endswith("RuntimeError: backend down")
    assert calls == [("broken", {"amount": 7})]

    # the failing handler's writes are gone (statement, flushed and pending object)...
    assert inst.title == "recorded: growth"  # ...but the earlier handler's write is kept
    assert [i.element_id for i in rows(factory, Incident)] == ["send"]
    # the user task completed in the same step is kept, with its form data
    [done] = rows(factory, HumanTask, instance_id=iid)
    assert (done.id, done.status, done.completed_by) == (review.id, "completed", "carol")
    assert send.data == {"amount": 7, "reason": "growth", "recorded": {"ok": True}}
    assert kinds(factory, iid) == ["instance_started", "task_ready", "task_claimed",
                                   "task_completed", "handler_run", "incident_raised",
                                   "instance_error"]
    with factory() as s:
        [raised] = [e for e in instance_events(s, iid) if e.kind == "incident_raised"]
        assert (raised.task_id, raised.element_id) == (str(send.id), "send")
        assert "backend down" in raised.data
        assert verify_chain(s).ok


def test_retry_after_the_handler_is_fixed_completes(service_registry, fresh, factory,
                                                   deploy_file, calls):
    iid, _ = run_to_failure(fresh, factory, deploy_file)

    def fixed(params, ctx):
        """Fixed notify: writes, and this time succeeds."""
        calls.append(("fixed", params, ctx.data.get("reason")))
        ctx.session.execute(update(ProcessInstance).where(
            ProcessInstance.id == ctx.instance_id).values(title="notified"))
        return {"sent": params["amount"]}

    service_registry.replace("notify", fixed, {"amount": "how much"})
    later = T0.replace(hour=10)
    with factory() as s:
        assert retry_instance(fresh(), s, iid, actor="olga", now=later) == "completed"
        s.commit()

    inst = get_instance(factory, iid)
    assert inst.status == "completed" and inst.completed_at == later
    assert inst.title == "notified"  # a successful handler's write is committed
    assert calls[-1] == ("fixed", {"amount": 7}, "growth")
    [incident] = rows(factory, Incident, instance_id=iid)
    assert (incident.status, incident.resolved_by, incident.resolved_at) == (
        "resolved", "olga", later)
    with factory() as s:
        assert open_incidents(s, iid) == []
        assert verify_chain(s).ok
    assert kinds(factory, iid) == [
        "instance_started", "task_ready", "task_claimed", "task_completed", "handler_run",
        "incident_raised", "instance_error", "instance_retried", "handler_run",
        "instance_completed"]
    assert spiff_task(service_registry, factory, iid, "end").data["notified"] == {"sent": 7}


def test_retry_without_a_failed_task_is_refused(service_registry, factory, deploy_file,
                                                engine):
    deploy_file("incident_service.bpmn")
    with factory() as s:
        iid = start_instance(engine, s, "incident_service", actor="carol", now=T0)
        s.commit()
    with factory() as s, pytest.raises(TaskStateError, match="no failed task"):
        retry_instance(engine, s, iid, actor="olga", now=T0)


def test_handler_missing_at_run_time_becomes_an_incident(service_registry, factory,
                                                         deploy_file):
    """Deployed with the handler known; run by an engine whose registry lacks it."""
    iid, _ = run_to_failure(lambda: Engine(service_registry), factory, deploy_file)
    bare = HandlerRegistry()
    bare.add("record", lambda params, ctx: {"ok": True}, {"reason": "why"})
    with factory() as s:
        assert retry_instance(Engine(bare), s, iid, actor="olga", now=T0) == "error"
        s.commit()
    messages = [i.message for i in rows(factory, Incident, instance_id=iid, status="open")]
    assert messages == ["handler failed at send: LookupError: no handler registered as "
                        "'notify'"]


def test_handler_returning_a_non_dict_becomes_an_incident(service_registry, factory,
                                                          deploy_file):
    iid, _ = run_to_failure(lambda: Engine(service_registry), factory, deploy_file)
    service_registry.replace("notify", lambda params, ctx: ["not", "a", "dict"])
    with factory() as s:
        assert retry_instance(Engine(service_registry), s, iid, actor="olga", now=T0) == "error"
        s.commit()
    [open_one] = rows(factory, Incident, instance_id=iid, status="open")
    assert "returned list, not a dict" in open_one.message


def test_a_handler_gets_a_savepoint_only_once_it_uses_the_session(service_registry, factory,
                                                                  deploy_file, db_engine):
    iid, _ = run_to_failure(lambda: Engine(service_registry), factory, deploy_file)
    iid2, _ = run_to_failure(lambda: Engine(service_registry), factory, deploy_file)
    savepoints = []
    event.listen(db_engine, "savepoint", lambda _conn, name: savepoints.append(name))
    service_registry.replace("notify", lambda params, ctx: {"sent": params["amount"]})
    with factory() as s:
        assert retry_instance(Engine(service_registry), s, iid, actor="olga", now=T0) != "error"
        s.commit()
    assert savepoints == []  # the handler never used ctx.session

    def spawn(params, ctx):
        ctx.start_process("incident_service", organisation="acme")  # a write: in a savepoint
        raise RuntimeError("failed after starting a process")

    service_registry.replace("notify", spawn)
    with factory() as s:
        assert retry_instance(Engine(service_registry), s, iid2, actor="olga", now=T0) == "error"
        s.commit()
    assert len(savepoints) == 1
    # the process the failing handler started is gone with the rest of its writes
    assert sorted(i.id for i in rows(factory, ProcessInstance)) == [iid, iid2]
    [incident] = rows(factory, Incident, instance_id=iid2, status="open")
    assert "failed after starting a process" in incident.message
    with factory() as s:
        assert verify_chain(s).ok


# -- failing script --------------------------------------------------------------------------
START_DATA = {"amount": 10, "divisor": 0, "items": ["a"], "limits": {"max": 5}}


def test_failing_script_incident_retry_fails_again(factory, deploy_file, fresh, registry):
    deploy_file("incident_script.bpmn")
    with factory() as s:
        iid = start_instance(fresh(), s, "incident_script", actor="carol", now=T0,
                             data=START_DATA)
        s.commit()

    assert get_instance(factory, iid).status == "error"
    [first] = rows(factory, Incident, instance_id=iid)
    calc = spiff_task(registry, factory, iid, "calc")
    assert (first.element_id, first.task_id) == ("calc", str(calc.id))
    assert first.message.startswith("script failed at calc: ")
    assert "ZeroDivisionError" in first.message and "division by zero" in first.message
    assert "ZeroDivisionError: division by zero" in first.traceback
    # the script's changes before the error are not kept: no new name, the list and the
    # dict it changed in place are as before
    assert calc.data == START_DATA

    later = T0.replace(hour=11)
    with factory() as s:
        assert retry_instance(fresh(), s, iid, actor="olga", now=later) == "error"
        s.commit()

    assert get_instance(factory, iid).status == "error"
    incidents = rows(factory, Incident, instance_id=iid)
    assert [(i.status, i.created_at) for i in sorted(incidents, key=lambda i: i.id)] == [
        ("resolved", T0), ("open", later)]
    assert spiff_task(registry, factory, iid, "calc").data == START_DATA
    assert kinds(factory, iid) == ["instance_started", "incident_raised", "instance_error",
                                   "instance_retried", "incident_raised"]
    with factory() as s:
        assert len(open_incidents(s, iid)) == 1
        assert verify_chain(s).ok


# -- runner ----------------------------------------------------------------------------------
def test_one_broken_instance_does_not_stop_the_runner(deploy_file, factory, engine, registry):
    """An instance whose step fails unexpectedly (here: its stored state is unreadable)
    must not keep the runner from firing the other due timers."""
    deploy_file("full.bpmn")
    ids = []
    for _ in range(2):
        with factory() as s:
            iid = start_instance(engine, s, "full", actor="carol", now=T0, organisation="acme")
            s.commit()
        [submit] = rows(factory, HumanTask, instance_id=iid)
        with factory() as s:
            complete_task(engine, s, submit.id, {"amount": 40, "reason": "growth"}, CUSTOMER, T0)
            s.commit()
        ids.append(iid)
    broken, healthy = ids
    with factory() as s:
        s.execute(update(ProcessInstance).where(ProcessInstance.id == broken).values(
            state="not JSON", revision=ProcessInstance.revision + 1))
        s.commit()

    fired = run_due(Engine(registry), factory, T0 + timedelta(hours=1))  # today: raises

    assert fired == 1
    assert rows(factory, DueTimer, instance_id=healthy)[0].element_id == "approve_timeout"
    assert [t.element_id for t in rows(factory, DueTimer, instance_id=broken)] == ["wait"]
