"""The rows of README's "BPMN support" table: each supported element is a small diagram and
what running it must show; each refused element a diagram and the refusal deploy must give.

``SUPPORTED[name](world)`` deploys, runs and asserts; ``REFUSED[name]`` is (diagram,
element id, words of the problem). tests/integration/test_bpmn_support.py runs them all,
tests/unit/test_support_table.py checks that every README row names one of them.
"""
from __future__ import annotations

from datetime import timedelta

from bpmn_support_diagrams import (
    bpmn,
    chain,
    end,
    event_sub,
    flow,
    lane,
    message_def,
    script,
    start,
    timer,
    user,
)

SUPPORTED: dict = {}
REFUSED: dict = {}
PO = "Process Owner"


def supported(fn):
    SUPPORTED[fn.__name__] = fn
    return fn


def _waiting_work(extra: str, lanes: tuple = ("work",), prefix: str = "m") -> bytes:
    """start -> user task "work" -> end, beside ``extra``."""
    return start() + user("work") + end() + chain("start", "work", "end", prefix=prefix) + extra


# -- event sub-processes ------------------------------------------------------------------
@supported
def timer_event_subprocess_interrupting(w):
    w.deploy(bpmn(_waiting_work(event_sub(
        "es", timer('"PT1H"'), script("late", "escalated = True") + end("es_end")
        + chain("es_start", "late", "es_end", prefix="e"))), lanes=lane(PO, "work")))
    w.start()
    assert w.ready() == ["work"]
    assert w.later(timedelta(minutes=30)) == 0
    assert w.later(timedelta(hours=1)) == 1  # the runner fires the due_timer row
    assert w.status() == "completed" and w.ready() == []  # "work" was interrupted
    assert w.data()["escalated"] is True


@supported
def timer_event_subprocess_non_interrupting(w):
    w.deploy(bpmn(_waiting_work(event_sub(
        "es", timer('"PT1H"'), script("remind", "reminded = True") + end("es_end")
        + chain("es_start", "remind", "es_end", prefix="e"), interrupting=False)),
        lanes=lane(PO, "work")))
    w.start()
    assert w.later(timedelta(hours=2)) == 1
    assert w.status() == "running" and w.ready() == ["work"]  # still waiting for the person
    assert [e.element_id for e in w.events("timer_fired")] == ["es_start"]
    w.complete("work")
    assert w.status() == "completed"


def _split(branch: str, sub: str) -> bytes:
    """A parallel split: "work" waits for a person while ``branch`` (ids b_in .. b_out)
    runs beside it; ``sub`` is an event sub-process."""
    return (start() + '<bpmn:parallelGateway id="split" />' + user("work") + end()
            + '<bpmn:endEvent id="b_end" />' + branch + sub
            + chain("start", "split", "work", "end", prefix="m")
            + flow("b0", "split", "b_in") + flow("b1", "b_out", "b_end"))


def _thrower(ev: str, tag: str = "intermediateThrowEvent") -> str:
    """The branch b_in -> b_out: an event thrown with ``ev``, then a script."""
    return (f'<bpmn:{tag} id="b_in">{ev}</bpmn:{tag}>' + script("b_out", "thrown = True")
            + flow("b2", "b_in", "b_out"))


def _reacting(ev: str, interrupting: bool) -> str:
    return event_sub("es", ev, script("react", "reacted = True") + end("es_end")
                     + chain("es_start", "react", "es_end", prefix="e"), interrupting)


@supported
def message_event_subprocess_non_interrupting(w):
    msg, ev = message_def("breach")
    w.deploy(bpmn(_split(_thrower(ev), _reacting(ev, False)), extra=msg,
                  lanes=lane(PO, "work")))
    w.start()
    assert _ran(w, "react") and w.ready() == ["work"]  # the person's task stays
    w.complete("work")
    assert w.status() == "completed"


@supported
def message_event_subprocess_interrupting(w):
    msg, ev = message_def("breach")
    w.deploy(bpmn(_split(_thrower(ev), _reacting(ev, True)), extra=msg,
                  lanes=lane(PO, "work")))
    w.start()
    assert _ran(w, "react") and w.ready() == [] and w.status() == "completed"
    assert not _ran(w, "work")


@supported
def error_event_subprocess(w):
    err = '<bpmn:error id="err_quota" name="quota" errorCode="quota" />'
    ev = '<bpmn:errorEventDefinition errorRef="err_quota" />'
    branch = script("b_in", "x = 1") + end("b_out", ev) + flow("b2", "b_in", "b_out")
    doc = _split(branch, _reacting(ev, True)).replace(
        '<bpmn:endEvent id="b_end" />', "").replace(flow("b1", "b_out", "b_end"), "")
    w.deploy(bpmn(doc, extra=err, lanes=lane(PO, "work")))
    w.start()
    assert _ran(w, "react") and w.ready() == [] and w.status() == "completed"


@supported
def escalation_event_subprocess_non_interrupting(w):
    esc = '<bpmn:escalation id="esc_late" name="late" escalationCode="late" />'
    ev = '<bpmn:escalationEventDefinition escalationRef="esc_late" />'
    w.deploy(bpmn(_split(_thrower(ev), _reacting(ev, False)), extra=esc,
                  lanes=lane(PO, "work")))
    w.start()
    assert _ran(w, "react") and _ran(w, "b_out") and w.ready() == ["work"]
    w.complete("work")
    assert w.status() == "completed"


@supported
def boundary_event_without_outgoing_flow(w):
    """A timer on "work" with no outgoing flow: when it fires, that path simply ends."""
    body = (start() + user("work") + end() + chain("start", "work", "end")
            + '<bpmn:boundaryEvent id="gone" attachedToRef="work" cancelActivity="true">'
            + timer('"P1D"') + "</bpmn:boundaryEvent>")
    w.deploy(bpmn(body, lanes=lane(PO, "work")))
    w.start()
    assert w.later(timedelta(days=2)) == 1
    assert w.ready() == [] and w.status() == "completed"
    assert not _ran(w, "end")  # the implicit end, not the end event after "work"


def _ran(w, element_id: str) -> bool:
    from SpiffWorkflow.util.task import TaskState
    with w.factory() as s:
        loaded = w.engine.load(s, w.id, actor="test", now=w.now, lock=False)
        s.rollback()
    return any(t.task_spec.bpmn_id == element_id and t.has_state(TaskState.COMPLETED)
               for t in loaded.workflow.get_tasks())

