"""More event rows of README's "BPMN support" table (see bpmn_support_cases)."""
from __future__ import annotations

from datetime import timedelta

from bpmn_support_cases import PO, _ran, supported
from bpmn_support_diagrams import bpmn, chain, end, lane, message_def, script, start, timer, user
from bpmn_support_more import _line

from engine.messages import run_messages

ONE_DAY = timer('"P1D"')


@supported
def intermediate_timer(w):
    w.deploy(_line(("wait", f'<bpmn:intermediateCatchEvent id="wait">{ONE_DAY}'
                            "</bpmn:intermediateCatchEvent>")))
    w.start()
    assert w.later(timedelta(hours=23)) == 0 and w.status() == "running"
    assert w.later(timedelta(hours=2)) == 1 and w.status() == "completed"


@supported
def boundary_escalation_non_interrupting(w):
    esc = '<bpmn:escalation id="esc_up" name="up" escalationCode="up" />'
    ev = '<bpmn:escalationEventDefinition escalationRef="esc_up" />'
    sub = ('<bpmn:subProcess id="sub">' + start("s_start")
           + f'<bpmn:intermediateThrowEvent id="s_up">{ev}</bpmn:intermediateThrowEvent>'
           + script("s_work", "inner = 1") + end("s_end")
           + chain("s_start", "s_up", "s_work", "s_end", prefix="s") + "</bpmn:subProcess>")
    body = (start() + sub + end() + chain("start", "sub", "end")
            + f'<bpmn:boundaryEvent id="told" attachedToRef="sub" cancelActivity="false">{ev}'
            "</bpmn:boundaryEvent>" + script("note", "told = True") + end("n_end")
            + chain("told", "note", "n_end", prefix="n"))
    w.deploy(bpmn(body, extra=esc))
    w.start()
    assert w.status() == "completed" and _ran(w, "note") and _ran(w, "s_work") and _ran(w, "end")


@supported
def message_end_event(w):
    msg, ev = message_def("done")
    w.deploy(bpmn(start() + f'<bpmn:intermediateCatchEvent id="wait">{ev}'
                  "</bpmn:intermediateCatchEvent>" + end() + chain("start", "wait", "end"),
                  pid="listener", extra=msg), "listener.bpmn")
    w.deploy(bpmn(start() + end("end", ev) + chain("start", "end"), pid="teller", extra=msg),
             "teller.bpmn")
    listener = w.start("listener")
    teller = w.start("teller")
    assert w.status(teller) == "completed" and run_messages(w.engine, w.factory, w.now) == 1
    assert w.status(listener) == "completed"


@supported
def cancel_end_event_in_transaction(w):
    cancel = "<bpmn:cancelEventDefinition />"
    tx = ('<bpmn:transaction id="tx">' + start("t_start") + end("t_cancel", cancel)
          + chain("t_start", "t_cancel", prefix="t") + "</bpmn:transaction>")
    body = (start() + tx + end() + chain("start", "tx", "end")
            + f'<bpmn:boundaryEvent id="cancelled" attachedToRef="tx">{cancel}'
            "</bpmn:boundaryEvent>" + script("undo", "undone = True") + end("u_end")
            + chain("cancelled", "undo", "u_end", prefix="u"))
    w.deploy(bpmn(body))
    w.start()
    assert w.status() == "completed" and w.data()["undone"] is True and not _ran(w, "end")


@supported
def data_object(w):
    """A script writes the data object (named by its id), a later one reads it."""
    body = (start() + '<bpmn:dataObject id="total" />'
            + '<bpmn:scriptTask id="write"><bpmn:dataOutputAssociation id="out">'
            "<bpmn:targetRef>total_ref</bpmn:targetRef></bpmn:dataOutputAssociation>"
            "<bpmn:script>total = 41</bpmn:script></bpmn:scriptTask>"
            '<bpmn:dataObjectReference id="total_ref" dataObjectRef="total" />'
            '<bpmn:scriptTask id="read"><bpmn:dataInputAssociation id="in">'
            "<bpmn:sourceRef>total_ref</bpmn:sourceRef></bpmn:dataInputAssociation>"
            "<bpmn:script>answer = total + 1</bpmn:script></bpmn:scriptTask>"
            + end() + chain("start", "write", "read", "end"))
    w.deploy(bpmn(body))
    w.start()
    assert w.status() == "completed" and w.data()["answer"] == 42
    assert "total" not in w.data()  # kept as the process's data object, not task data


@supported
def standard_loop_user_task(w):
    """A user task repeated until approved, each round completed by another engine process
    (so no round relies on what one process remembers)."""
    from engine.runtime import Engine
    task = user("work").replace("</bpmn:userTask>", "<bpmn:standardLoopCharacteristics>"
                                "<bpmn:loopCondition>not approved</bpmn:loopCondition>"
                                "</bpmn:standardLoopCharacteristics></bpmn:userTask>")
    w.deploy(bpmn(start() + task + end() + chain("start", "work", "end"),
                  lanes=lane(PO, "work")))
    w.start(data={"approved": False})
    for approved in (False, True):
        w.engine = Engine(w.engine.registry)
        w.complete("work", {"approved": approved})
    assert w.status() == "completed" and w.ready() == []


@supported
def message_start_event_starts_an_instance(w):
    """A message no instance waits for starts the process whose start event it names; the
    new instance takes the message's payload. A message of another name starts nothing."""
    from sqlalchemy import func, select

    from engine.messages import send_message
    from engine.models import ProcessInstance

    msg, ev = message_def("breach_reported")
    w.deploy(bpmn(start(inner=ev) + script("s", "handled = True") + end()
                  + chain("start", "s", "end"), extra=msg))
    with w.factory() as s:
        _msg, taken = send_message(w.engine, s, name="breach_reported", correlation={},
                                   payload={"sla": 4}, actor="monitoring", now=w.now)
        _other, none = send_message(w.engine, s, name="something_else", correlation={},
                                    payload={}, actor="monitoring", now=w.now)
        s.commit()
    assert len(taken) == 1 and none == []
    w.id = taken[0]
    assert w.status() == "completed" and w.data()["handled"] is True
    with w.factory() as s:
        assert s.scalar(select(func.count()).select_from(ProcessInstance)) == 1
