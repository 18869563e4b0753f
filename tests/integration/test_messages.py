"""Messages between instances of different processes and from outside, persisted: a
thrown message is delivered by a runner in a following transaction to the instance whose
correlation matches; one nobody waits for is kept and delivered when someone waits."""
from __future__ import annotations

import json

import pytest
from bpmn_support_world import World
from message_diagrams import agreement, monitor
from sqlalchemy import select

from engine.messages import run_messages, send_message
from engine.models import BpmnMessage, MessageWait


@pytest.fixture
def w(engine, factory):
    world = World(engine, factory)
    world.deploy(agreement(), "agreement.bpmn")
    world.deploy(monitor(), "monitor.bpmn")
    return world


def messages(w) -> list[BpmnMessage]:
    with w.factory() as s:
        return list(s.scalars(select(BpmnMessage).order_by(BpmnMessage.id)))


def test_a_thrown_message_reaches_the_correlated_instance_of_another_process(w):
    one = w.start("agreement", {"sla_id": 1})
    two = w.start("agreement", {"sla_id": 2})
    with w.factory() as s:
        assert s.scalars(select(MessageWait.instance_id).order_by(MessageWait.instance_id)
                         ).all() == [one, two]
    sender = w.start("monitor", {"sla_id": 2, "minutes": 42})
    assert w.status(sender) == "completed"
    [msg] = messages(w)
    assert (msg.status, msg.source_instance_id) == ("pending", sender)
    assert w.status(two) == "running"  # delivered in a following transaction
    assert run_messages(w.engine, w.factory, w.now) == 1
    assert w.status(two) == "completed" and w.data(two)["minutes_late"] == 42
    assert w.status(one) == "running"  # another SLA's breach is not its business
    [msg] = messages(w)
    assert msg.status == "delivered" and json.loads(msg.delivered_to) == [two]
    assert [e.instance_id for e in w.events("message_thrown")] == [sender]
    assert [e.instance_id for e in w.events("message_received")] == [two]
    assert run_messages(w.engine, w.factory, w.now) == 0  # nothing delivered twice


def test_a_message_from_outside_answers_who_took_it(w):
    target = w.start("agreement", {"sla_id": 7})
    with w.factory() as s:
        msg, taken = send_message(w.engine, s, name="breach",
                                  correlation={"sla": 7},
                                  payload={"minutes": 5}, actor="monitoring",
                                  now=w.now)
        s.commit()
    assert taken == [target] and w.status(target) == "completed"
    assert w.data(target)["minutes_late"] == 5
    [sent] = w.events("message_sent")
    assert sent.actor == "monitoring" and json.loads(sent.data)["name"] == "breach"


def test_a_message_nobody_waits_for_is_kept_and_delivered_later(w):
    with w.factory() as s:
        msg, taken = send_message(w.engine, s, name="breach",
                                  correlation={"sla": 9},
                                  payload={"minutes": 9}, actor="monitoring",
                                  now=w.now)
        s.commit()
    assert taken == [] and messages(w)[0].status == "unclaimed"
    assert json.loads(w.events("message_unclaimed")[0].data)["message_id"] == msg.id
    other = w.start("agreement", {"sla_id": 8})  # waits for another SLA: stays kept
    run_messages(w.engine, w.factory, w.now)
    assert messages(w)[0].status == "unclaimed" and w.status(other) == "running"
    late = w.start("agreement", {"sla_id": 9})
    assert messages(w)[0].status == "pending"  # someone waits for it now
    assert run_messages(w.engine, w.factory, w.now) == 1
    assert w.status(late) == "completed" and w.data(late)["minutes_late"] == 9
    assert messages(w)[0].status == "delivered"
    assert w.status(other) == "running"


def test_several_runners_deliver_each_message_once(pg_url, registry):
    """PostgreSQL: three runner threads (each its own Engine) race over 12 thrown messages."""
    import threading

    from engine.db import make_engine, make_session_factory
    from engine.runtime import Engine

    db = make_engine(pg_url)
    try:
        w = World(Engine(registry), make_session_factory(db))
        w.deploy(agreement(), "agreement.bpmn")
        w.deploy(monitor(), "monitor.bpmn")
        waiting = [w.start("agreement", {"sla_id": n}) for n in range(12)]
        for n in range(12):
            w.start("monitor", {"sla_id": n, "minutes": n})
        barrier, done, errors = threading.Barrier(3, timeout=30), [], []

        def runner():
            try:
                barrier.wait()
                done.append(run_messages(Engine(registry), w.factory, w.now))
            except Exception as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=runner) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == [] and sum(done) == 12
        assert [w.status(i) for i in waiting] == ["completed"] * 12
        assert [w.data(i)["minutes_late"] for i in waiting] == list(range(12))
        assert {m.status for m in messages(w)} == {"delivered"}
        received = [e.instance_id for e in w.events("message_received")]
        assert sorted(received) == waiting  # each instance took its message once
    finally:
        db.dispose()
