"""Messages between instances and from outside.

* An instance that waits on a message catch event (intermediate, receive task, boundary,
  an event sub-process's message start) has a ``message_wait`` row with the correlation
  values it expects (SpiffWorkflow's ``workflow.correlations``), kept in step by each save.
* A message an instance throws that nothing in the instance catches becomes a
  ``bpmn_message`` row (``pending``) in the thrower's step; a runner delivers it in a
  following transaction (``run_messages``: one message per transaction, rows taken with
  ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so several runners never deliver one twice).
* ``send_message`` (``POST /api/v1/messages``) stores a message from another system and
  delivers it at once, answering which instances took it.

A message goes to every waiting instance whose correlation matches: an instance that
expects values for a correlation key (computed from its data by the catch event's
``processVariableCorrelation``, or set by an earlier message) takes a message that carries
all of that key's properties with those values; one that expects nothing takes any
message of that name. A message nobody waits for is kept as ``unclaimed``, listed for process
owners, and delivered to the first instance that starts waiting for it: never dropped.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime
from uuid import UUID

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.util import BpmnEvent
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from . import message_starts
from .audit import AuditTrail
from .clock import as_utc
from .db import is_sqlite
from .models import BpmnMessage, MessageWait

log = logging.getLogger(__name__)
#: at most this many instances take one message (the rest are left waiting, logged)
MAX_RECIPIENTS = 100
START = "start:"


def _uses_messages(vs) -> bool:
    known = getattr(vs, "slm_messages", None)
    if known is None:
        known = any(isinstance(getattr(ts, "event_definition", None), MessageEventDefinition)
                    for spec in (vs.spec, *vs.subprocess_specs.values())
                    for ts in spec.task_specs.values())
        vs.slm_messages = known
    return known


def waits_of(workflow) -> list[tuple[str, str, str, dict]]:
    """(key, element id, message name, expected correlations) the workflow waits on."""
    out = []
    for task in workflow.event_manager.tasks.values():
        ev = task.task_spec.event_definition
        if isinstance(ev, MessageEventDefinition) and task.has_state(TaskState.WAITING):
            out.append((str(task.id), task.task_spec.bpmn_id or task.task_spec.name, ev.name,
                        dict(task.workflow.correlations)))
    for name in getattr(workflow.spec.start, "trigger_specs", ()):
        sp_spec = workflow.subprocess_specs.get(name)
        for ts in getattr(sp_spec, "bpmn_start_events", ()):
            if isinstance(ts.event_definition, MessageEventDefinition):
                out.append((START + ts.bpmn_id, ts.bpmn_id, ts.event_definition.name,
                            dict(workflow.correlations)))
    return out


def after_step(session: Session, loaded, status: str) -> None:
    """In an instance's save: store the messages it threw, and its message waits."""
    if not _uses_messages(loaded.version):
        return
    for event in loaded.workflow.get_events():
        if isinstance(event.event_definition, MessageEventDefinition):
            _store(session, loaded.trail, event.event_definition.name, flat(event.correlations),
                   event.payload, source="instance", source_instance_id=loaded.id,
                   sent_by=loaded.actor, now=loaded.now, process_id=loaded.version.process_id)
    current = {} if status in ("completed", "cancelled") else {
        w[0]: w for w in waits_of(loaded.workflow)}
    rows = {r.task_id: r for r in session.scalars(
        select(MessageWait).where(MessageWait.instance_id == loaded.id))}
    gone = [k for k, r in rows.items() if k not in current
            or json.loads(r.correlations) != current[k][3]]
    if gone:
        session.execute(delete(MessageWait).where(MessageWait.instance_id == loaded.id,
                                                  MessageWait.task_id.in_(gone)))
    fresh = [w for k, w in current.items() if k not in rows or k in gone]
    for key, eid, name, corr in fresh:
        session.add(MessageWait(instance_id=loaded.id, task_id=key, element_id=eid, name=name,
                                correlations=json.dumps(corr, sort_keys=True, default=str)))
    if fresh:  # kept messages of these names are tried again by the next runner round
        session.flush()
        session.execute(update(BpmnMessage).where(
            BpmnMessage.status == "unclaimed",
            BpmnMessage.name.in_(sorted({w[2] for w in fresh}))).values(status="pending"))


def _store(session, trail, name, correlations, payload, *, source, source_instance_id,
           sent_by, now, process_id=None) -> BpmnMessage:
    from .serialization import SERIALIZER
    msg = BpmnMessage(name=name, correlations=json.dumps(correlations or {}, sort_keys=True,
                                                         default=str),
                      payload=json.dumps(SERIALIZER.registry.convert(payload or {})),
                      source=source, source_instance_id=source_instance_id, sent_by=sent_by,
                      status="pending", created_at=as_utc(now), delivered_to="[]")
    session.add(msg)
    session.flush()
    trail.add("message_thrown" if source == "instance" else "message_sent", at=as_utc(now),
              actor=sent_by, instance_id=source_instance_id, process_id=process_id,
              data={"message_id": msg.id, "name": name, "correlation": correlations or {}})
    return msg


def flat(correlations: dict) -> dict:
    """{property: value} of SpiffWorkflow's {correlation key: {property: value}}."""
    out: dict = {}
    for props in (correlations or {}).values():
        out.update(props)
    return out


def carried_for(expected: dict, values: dict) -> dict | None:
    """The message's correlations as the waiting instance keys them (SpiffWorkflow's
    {key: {property: value}}), or None when they do not match what it expects: an
    instance that expects nothing takes any message; otherwise one of its correlation
    keys must have all its properties in the message, with the values it expects."""
    if not expected:
        return {}
    carried = {k: {p: values[p] for p in props} for k, props in expected.items()
               if props and all(p in values for p in props)}
    return carried if any(carried[k] == expected[k] for k in carried) else None


def deliver(engine, session: Session, msg: BpmnMessage, now: datetime, actor: str) -> list[int]:
    """Deliver ``msg`` to every waiting instance it correlates with (each one step, in this
    transaction), or else to a new instance of each process it starts (a message start
    event); sets its status and returns the instance ids that took it."""
    now = as_utc(now)
    values = json.loads(msg.correlations)
    waits = session.scalars(select(MessageWait).where(MessageWait.name == msg.name)
                            .order_by(MessageWait.instance_id, MessageWait.id)).all()
    by_instance: dict[int, list[MessageWait]] = {}
    for w in waits:
        carried = carried_for(json.loads(w.correlations), values)
        if w.instance_id != msg.source_instance_id and carried is not None:
            by_instance.setdefault(w.instance_id, []).append((w, carried))
    if len(by_instance) > MAX_RECIPIENTS:
        log.warning("message %s: %d instances wait for it; delivered to the first %d",
                    msg.id, len(by_instance), MAX_RECIPIENTS)
    taken = [iid for iid in sorted(by_instance)[:MAX_RECIPIENTS]  # one lock order
             if _deliver_one(engine, session, msg, iid, *by_instance[iid][0], values, now,
                             actor)]
    if not taken:  # a message start event: a new instance of its process takes it
        for iid in message_starts.start_for(engine, session, msg.name, actor=actor, now=now):
            for w in session.scalars(select(MessageWait).where(
                    MessageWait.instance_id == iid, MessageWait.name == msg.name)):
                if _deliver_one(engine, session, msg, iid, w, {}, values, now, actor):
                    taken.append(iid)
                    break
    msg.status = "delivered" if taken else "unclaimed"
    msg.delivered_to = json.dumps(taken)
    msg.delivered_at = now if taken else None
    if not taken:
        trail = AuditTrail()
        trail.add("message_unclaimed", at=now, actor=actor,
                  data={"message_id": msg.id, "name": msg.name, "correlation": values})
        trail.flush(session)
    session.flush()
    return taken


def _deliver_one(engine, session: Session, msg: BpmnMessage, iid: int, wait: MessageWait,
                 carried: dict, values: dict, now: datetime, actor: str) -> bool:
    """One step of instance ``iid`` catching ``msg`` at ``wait``; whether it took it."""
    from .serialization import SERIALIZER
    loaded = engine.load(session, iid, actor=actor, now=now)
    if loaded.status != "running":
        return False
    ev_def = _definition(loaded.workflow, wait)
    if ev_def is None:
        return False
    # the correlation values are part of the message: Spiff reads them from the payload
    payload = {**values, **SERIALIZER.registry.restore(json.loads(msg.payload))}
    caught = loaded.workflow.event_manager.catch(
        BpmnEvent(ev_def, payload=payload, correlations=carried), internal=False)
    if not caught and not wait.task_id.startswith(START):
        return False
    loaded.trail.add("message_received", at=now, actor=actor, instance_id=iid,
                     process_id=loaded.version.process_id, version=loaded.version.version,
                     element_id=wait.element_id,
                     data={"message_id": msg.id, "name": msg.name, "from": msg.source,
                           "from_instance_id": msg.source_instance_id})
    engine.advance(session, loaded)
    engine.save(session, loaded)
    return True


def _definition(workflow, wait: MessageWait):
    if wait.task_id.startswith(START):
        bpmn_id = wait.task_id[len(START):]
        for name in workflow.spec.start.trigger_specs:
            for ts in workflow.subprocess_specs[name].bpmn_start_events:
                if ts.bpmn_id == bpmn_id:
                    return ts.event_definition
        return None
    task = workflow.get_task_from_id(UUID(wait.task_id))
    if task is None or not task.has_state(TaskState.WAITING):
        return None
    return task.task_spec.event_definition


def send_message(engine, session: Session, *, name: str, correlation: dict, payload: dict,
                 actor: str, now: datetime) -> tuple[BpmnMessage, list[int]]:
    """A message from outside, ``correlation`` as {property: value}: stored, then delivered
    at once. The caller commits."""
    trail = AuditTrail()
    msg = _store(session, trail, name, correlation, payload, source="api",
                 source_instance_id=None, sent_by=actor, now=now)
    trail.flush(session)
    return msg, deliver(engine, session, msg, now, actor)


def run_messages(engine, factory, now: datetime, actor: str = "runner") -> int:
    """Deliver the pending messages, one per transaction; returns how many were handled."""
    done, last = 0, 0
    while True:
        with factory() as session:
            query = (select(BpmnMessage).where(BpmnMessage.status == "pending",
                                               BpmnMessage.id > last)
                     .order_by(BpmnMessage.id).limit(1))
            if not is_sqlite(session.connection()):
                query = query.with_for_update(skip_locked=True, of=BpmnMessage)
            msg = session.scalars(query).first()
            if msg is None:
                session.rollback()
                return done
            last = msg.id
            try:
                deliver(engine, session, msg, now, actor)
                session.commit()
                done += 1
            except Exception:
                session.rollback()
                log.exception("message %s not delivered; tried again next round", last)
