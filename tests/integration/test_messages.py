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
