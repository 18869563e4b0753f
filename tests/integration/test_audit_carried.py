"""PostgreSQL: a step's audit events ride in the statement that saves its instance.

``Engine.save`` hands the step's events to ``AuditTrail.append_with``, which runs the
instance's UPDATE with the INSERT of the step's queue row as a data-modifying CTE (one
round trip). These tests show the events are queued in the step's order (visible as not
sealed yet, then sealed in that order), many events ride in the one row, a step's events
that do not fit the log's columns refuse the step, and a save that finds the instance
changed (revision mismatch) counts 0 and leaves nothing once its transaction rolls back.
"""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from conftest import T0
from sqlalchemy import func, select

from engine import sql
from engine.audit import AuditTrail, instance_events, queued_events, verify_chain
from engine.errors import ConflictError, EngineError
from engine.models import AuditEvent, AuditQueue, HumanTask, ProcessInstance
from engine.sealer import seal_pending
from engine.tasks import Actor, complete_task

CUSTOMER = Actor("carol", frozenset({"Customer"}), "acme")


#: PostgreSQL only: SQLite seals a step's events itself, in statements of their own
pytestmark = pytest.mark.parametrize("db_url", ["pg"], indirect=True)


@pytest.fixture
def pg(factory):
    return factory


def _kinds(factory, instance_id: int) -> list[str]:
    """The instance's events, sealed and queued, in order."""
    with factory() as s:
        return [ev.kind for ev in instance_events(s, instance_id)]


def _save(session, iid: int, revision: int):
    conn = session.connection()
    values = dict(v_state=session.get(ProcessInstance, iid).state, v_revision=revision + 1,
                  v_updated_at=T0, v_timers="[]", v_serializer_version="1", iid=iid,
                  rev=revision)
    return lambda queued: sql.save_instance_pg(conn, sql.SAVE_INSTANCE, values, queued)


def test_a_steps_events_are_carried_by_its_save_in_order(pg, engine, full_instance):
    assert _kinds(pg, full_instance) == ["instance_started", "task_ready"]
    with pg() as s:
        [submit] = s.scalars(select(HumanTask).where(HumanTask.instance_id == full_instance))
        assert complete_task(engine, s, submit.id, {"amount": 4, "reason": "small"},
                             CUSTOMER, T0 + timedelta(minutes=1)) == "completed"
        s.commit()
    assert _kinds(pg, full_instance) == ["instance_started", "task_ready", "task_claimed",
                                         "task_completed", "handler_run", "instance_completed"]
    with pg() as s:  # queued, not sealed: the sealer places them
        assert [ev.seq for ev in instance_events(s, full_instance)] == [None] * 6
        assert s.scalar(select(func.count()).select_from(AuditEvent)
                        .where(AuditEvent.instance_id == full_instance)) == 0
    seal_pending(pg, "sealer")
    with pg() as s:
        assert verify_chain(s).ok
        sealed = instance_events(s, full_instance)
        assert [ev.kind for ev in sealed] == _kinds(pg, full_instance)
        assert [ev.seq for ev in sealed] == sorted(ev.seq for ev in sealed)
        assert None not in {ev.seq for ev in sealed}


def test_many_events_ride_in_one_queue_row_and_are_sealed_in_order(pg, full_instance):
    most = 40
    with pg() as s:
        queue_rows = s.scalar(select(func.count()).select_from(AuditQueue))
        revision = s.get(ProcessInstance, full_instance).revision
        trail = AuditTrail()
        for i in range(most + 5):
            trail.add("probe", at=T0, actor="writer", instance_id=full_instance, data={"i": i})
        assert trail.append_with(s, _save(s, full_instance, revision)) == 1
        s.commit()
    with pg() as s:
        assert s.scalar(select(func.count()).select_from(AuditQueue)) == queue_rows + 1
        queued = [ev for ev in queued_events(s, full_instance) if ev.kind == "probe"]
        assert [json.loads(ev.data)["i"] for ev in queued] == list(range(most + 5))
        assert {ev.seq for ev in queued} == {None}
        assert s.get(ProcessInstance, full_instance).revision == revision + 1
    seal_pending(pg, "sealer")
    with pg() as s:
        probes = [json.loads(d)["i"] for d in s.scalars(select(AuditEvent.data).where(
            AuditEvent.kind == "probe").order_by(AuditEvent.seq))]
        assert probes == list(range(most + 5))
        assert verify_chain(s).ok


def test_a_save_on_a_stale_revision_counts_zero_and_leaves_nothing(pg, engine, full_instance):
    before = _kinds(pg, full_instance)
    with pg() as s:
        revision = s.get(ProcessInstance, full_instance).revision
        trail = AuditTrail()
        for i in range(35):
            trail.add("probe", at=T0, actor="writer", instance_id=full_instance, data={"i": i})
        assert trail.append_with(s, _save(s, full_instance, revision - 1)) == 0
        s.rollback()
    assert _kinds(pg, full_instance) == before
    # the engine's own path: a step whose instance moved on in between is refused whole
    with pg() as s1, pg() as s2:
        [submit] = s1.scalars(select(HumanTask).where(HumanTask.instance_id == full_instance))
        loaded = engine.load(s2, full_instance, actor="x", now=T0, lock=False)
        s1.execute(ProcessInstance.__table__.update().where(
            ProcessInstance.id == full_instance).values(revision=ProcessInstance.revision + 1))
        s1.commit()
        loaded.trail.add("probe", at=T0, actor="x", instance_id=full_instance)
        with pytest.raises(ConflictError):
            engine.save(s2, loaded)
        s2.rollback()
    assert _kinds(pg, full_instance) == before


@pytest.mark.parametrize("field, value", [
    ("actor", "x" * 121), ("kind", "k" * 61), ("element_id", "bad\x00id"),
    ("instance_id", 2**31), ("process_id", 7)])
def test_an_event_the_log_cannot_hold_refuses_the_step_and_queues_nothing(
        pg, full_instance, field, value):
    """The sealer must always be able to insert what a step queued: what the columns of
    audit_event would refuse is refused when the step queues it, naming the field."""
    before = _kinds(pg, full_instance)
    with pg() as s:
        revision = s.get(ProcessInstance, full_instance).revision
        trail = AuditTrail()
        trail.add("probe", at=T0, actor="writer", instance_id=full_instance)
        trail.events[0][field] = value
        with pytest.raises(EngineError, match=field):
            trail.append_with(s, _save(s, full_instance, revision))
        s.rollback()
    assert _kinds(pg, full_instance) == before
    with pg() as s:
        assert s.get(ProcessInstance, full_instance).revision == revision
