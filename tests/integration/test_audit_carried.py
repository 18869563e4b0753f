"""PostgreSQL: a step's audit events ride in the statement that saves its instance.

``Engine.save`` hands the step's events to ``AuditTrail.append_with``, which runs the
instance's UPDATE with the events' INSERT as a data-modifying CTE (one round trip). These
tests show the events land unsealed in the step's order, more than one statement's worth
(APPEND_ROWS_MAX) land too, and a save that finds the instance changed (revision
mismatch) counts 0 and leaves nothing once its transaction rolls back.
"""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from conftest import T0
from sqlalchemy import select

from engine import sql
from engine.audit import AuditTrail, verify_chain
from engine.errors import ConflictError
from engine.models import AuditEvent, HumanTask, ProcessInstance
from engine.sealer import seal_pending
from engine.tasks import Actor, complete_task

CUSTOMER = Actor("carol", frozenset({"Customer"}), "acme")


#: PostgreSQL only: SQLite seals a step's events itself, in statements of their own
pytestmark = pytest.mark.parametrize("db_url", ["pg"], indirect=True)


@pytest.fixture
def pg(factory):
    return factory


def _kinds(factory, instance_id: int) -> list[str]:
    with factory() as s:
        return list(s.scalars(select(AuditEvent.kind).where(
            AuditEvent.instance_id == instance_id).order_by(AuditEvent.id)))


def _save(session, iid: int, revision: int):
    conn = session.connection()
    values = dict(v_state=session.get(ProcessInstance, iid).state, v_revision=revision + 1,
                  v_updated_at=T0, v_timers="[]", v_serializer_version="1", iid=iid,
                  rev=revision)
    return lambda events: sql.save_instance_pg(conn, sql.SAVE_INSTANCE, values, events)


def test_a_steps_events_are_carried_by_its_save_in_order(pg, engine, full_instance):
    assert _kinds(pg, full_instance) == ["instance_started", "task_ready"]
    with pg() as s:
        [submit] = s.scalars(select(HumanTask).where(HumanTask.instance_id == full_instance))
        assert complete_task(engine, s, submit.id, {"amount": 4, "reason": "small"},
                             CUSTOMER, T0 + timedelta(minutes=1)) == "completed"
        s.commit()
    assert _kinds(pg, full_instance) == ["instance_started", "task_ready", "task_claimed",
                                         "task_completed", "handler_run", "instance_completed"]
    with pg() as s:
        assert s.scalar(select(AuditEvent.seq).where(AuditEvent.instance_id == full_instance)
                        .limit(1)) is None  # appended unsealed: the sealer places them
    seal_pending(pg, "sealer")
    with pg() as s:
        assert verify_chain(s).ok


def test_more_events_than_one_statement_carries_all_land_in_order(pg, full_instance):
    most = sql.APPEND_ROWS_MAX
    with pg() as s:
        revision = s.get(ProcessInstance, full_instance).revision
        trail = AuditTrail()
        for i in range(most + 5):
            trail.add("probe", at=T0, actor="writer", instance_id=full_instance, data={"i": i})
        assert trail.append_with(s, _save(s, full_instance, revision)) == 1
        s.commit()
    with pg() as s:
        probes = [json.loads(d)["i"] for d in s.scalars(select(AuditEvent.data).where(
            AuditEvent.kind == "probe").order_by(AuditEvent.id))]
        assert probes == list(range(most + 5))
        assert s.get(ProcessInstance, full_instance).revision == revision + 1


def test_a_save_on_a_stale_revision_counts_zero_and_leaves_nothing(pg, engine, full_instance):
    before = _kinds(pg, full_instance)
    with pg() as s:
        revision = s.get(ProcessInstance, full_instance).revision
        trail = AuditTrail()
        for i in range(sql.APPEND_ROWS_MAX + 3):
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
