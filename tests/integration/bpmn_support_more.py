"""More rows of README's "BPMN support" table (see bpmn_support_cases): tasks, gateways,
sub-processes, loops, and the events by trigger; and the refused elements."""
from __future__ import annotations

from datetime import timedelta

from bpmn_support_cases import PO, REFUSED, _ran, _split, supported
from bpmn_support_diagrams import (
    bpmn,
    chain,
    end,
    flow,
    lane,
    message_def,
    script,
    start,
    timer,
    user,
)

from engine.messages import send_message


def _line(*elements: tuple[str, str]) -> bytes:
    """start -> the (id, xml) elements in a row -> end."""
    ids = ["start", *(i for i, _ in elements), "end"]
    return bpmn(start() + "".join(x for _, x in elements) + end() + chain(*ids))


@supported
def script_task(w):
    w.deploy(_line(("s", script("s", "x = 6 * 7"))))
    w.start()
    assert w.status() == "completed" and w.data()["x"] == 42


@supported
def user_task_in_lane(w):
    w.deploy(bpmn(start() + user("work") + end() + chain("start", "work", "end"),
                  lanes=lane(PO, "work")))
    w.start()
    assert w.ready() == ["work"]
    w.complete("work", {"approved": True})
    assert w.status() == "completed" and w.data()["approved"] is True


@supported
def service_task(w):
    svc = ('<bpmn:serviceTask id="svc"><bpmn:extensionElements>'
           '<spiffworkflow:serviceTaskOperator id="score" resultVariable="scored">'
           '<spiffworkflow:parameters><spiffworkflow:parameter id="amount" type="int" '
           'value="amount" /></spiffworkflow:parameters></spiffworkflow:serviceTaskOperator>'
           "</bpmn:extensionElements></bpmn:serviceTask>")
    w.deploy(_line(("svc", svc)))
    w.start(data={"amount": 10})
    assert w.status() == "completed" and w.data()["scored"] == {"score": 5}


def _gateway(kind: str, conds: tuple[str, str]) -> bytes:
    body = (start() + f'<bpmn:{kind} id="gw" default="fb" />' + script("a", "went = 'a'")
            + script("b", "went = 'b'") + f'<bpmn:{kind} id="join" />' + end()
            + flow("f0", "start", "gw") + flow("fa", "gw", "a", conds[0])
            + flow("fb", "gw", "b", conds[1]) + flow("fa2", "a", "join")
            + flow("fb2", "b", "join") + flow("fe", "join", "end"))
    return bpmn(body.replace(' default="fb"', ' default="fb"' if kind != "parallelGateway"
                             else ""))


@supported
def exclusive_gateway(w):
    w.deploy(_gateway("exclusiveGateway", ("n &gt; 5", "")))
    for n, went in ((9, "a"), (1, "b")):
        iid = w.start(data={"n": n})
        assert w.status(iid) == "completed" and w.data(iid)["went"] == went


@supported
def inclusive_gateway(w):
    body = _gateway("inclusiveGateway", ("n &gt; 5", "n &gt; 0")).replace(
        b' default="fb"', b"")
    w.deploy(body)
    iid = w.start(data={"n": 9})
    assert w.status(iid) == "completed" and _ran(w, "a") and _ran(w, "b")


@supported
def parallel_gateway(w):
    w.deploy(_gateway("parallelGateway", ("", "")))
    w.start()
    assert w.status() == "completed" and _ran(w, "a") and _ran(w, "b")


@supported
def event_based_gateway(w):
    msg, ev = message_def("go")
    body = (start() + '<bpmn:eventBasedGateway id="gw" />'
            + f'<bpmn:intermediateCatchEvent id="on_msg">{ev}</bpmn:intermediateCatchEvent>'
            + f'<bpmn:intermediateCatchEvent id="on_time">{timer(chr(34) + "PT1H" + chr(34))}'
            "</bpmn:intermediateCatchEvent>" + end() + end("late")
            + chain("start", "gw", "on_msg", "end") + flow("t1", "gw", "on_time")
            + flow("t2", "on_time", "late"))
    w.deploy(bpmn(body, extra=msg))
    w.start()
    assert w.later(timedelta(hours=2)) == 1
    assert w.status() == "completed" and _ran(w, "late") and not _ran(w, "end")


@supported
def embedded_subprocess(w):
    sub = ('<bpmn:subProcess id="sub">' + start("s_start") + script("s_work", "inner = 1")
           + end("s_end") + chain("s_start", "s_work", "s_end", prefix="s") + "</bpmn:subProcess>")
    w.deploy(_line(("sub", sub)))
    w.start()
    assert w.status() == "completed" and w.data()["inner"] == 1


@supported
def call_activity_same_file(w):
    called = ('<bpmn:process id="helper" isExecutable="true">' + start() + script("h", "h = 2")
              + end() + chain("start", "h", "end") + "</bpmn:process>")
    w.deploy(bpmn(start() + '<bpmn:callActivity id="call" calledElement="helper" />' + end()
                  + chain("start", "call", "end"), extra=called))
    w.start()
    assert w.status() == "completed" and w.data()["h"] == 2


@supported
def transaction_subprocess(w):
    tx = ('<bpmn:transaction id="tx">' + start("t_start") + script("t_work", "booked = True")
          + end("t_end") + chain("t_start", "t_work", "t_end", prefix="t") + "</bpmn:transaction>")
    w.deploy(_line(("tx", tx)))
    w.start()
    assert w.status() == "completed" and w.data()["booked"] is True


def _multi(sequential: bool) -> bytes:
    flag = "true" if sequential else "false"
    task = ('<bpmn:scriptTask id="each"><bpmn:multiInstanceLoopCharacteristics '
            f'isSequential="{flag}"><bpmn:loopDataInputRef>items</bpmn:loopDataInputRef>'
            "<bpmn:loopDataOutputRef>doubled</bpmn:loopDataOutputRef>"
            '<bpmn:inputDataItem id="item" name="item" />'
            '<bpmn:outputDataItem id="twice" name="twice" />'
            "</bpmn:multiInstanceLoopCharacteristics><bpmn:script>twice = item * 2</bpmn:script>"
            "</bpmn:scriptTask>")
    return _line(("each", task))


@supported
def multi_instance_parallel(w):
    w.deploy(_multi(False))
    w.start(data={"items": [1, 2, 3], "doubled": []})
    assert w.status() == "completed" and w.data()["doubled"] == [2, 4, 6]


@supported
def multi_instance_sequential(w):
    w.deploy(_multi(True))
    w.start(data={"items": [5, 6], "doubled": []})
    assert w.status() == "completed" and w.data()["doubled"] == [10, 12]


@supported
def standard_loop(w):
    task = ('<bpmn:scriptTask id="again"><bpmn:standardLoopCharacteristics>'
            "<bpmn:loopCondition>n &lt; 3</bpmn:loopCondition>"
            "</bpmn:standardLoopCharacteristics><bpmn:script>n = n + 1</bpmn:script>"
            "</bpmn:scriptTask>")
    w.deploy(_line(("again", task)))
    w.start(data={"n": 0})
    assert w.status() == "completed" and w.data()["n"] == 3


@supported
def timer_start_event(w):
    w.deploy(bpmn(start(inner=timer('"PT1H"')) + script("s", "ran = True") + end()
                  + chain("start", "s", "end")))
    w.start()
    assert w.status() == "running" and not _ran(w, "s")
    assert w.later(timedelta(hours=2)) == 1
    assert w.status() == "completed" and w.data()["ran"] is True


@supported
def message_start_event(w):
    msg, ev = message_def("kick")
    w.deploy(bpmn(start(inner=ev) + script("s", "ran = True") + end()
                  + chain("start", "s", "end"), extra=msg))
    w.start()
    assert w.status() == "running"
    with w.factory() as s:
        _msg, taken = send_message(w.engine, s, name="kick", correlation={}, payload={},
                                   actor="api", now=w.now)
        s.commit()
    assert taken == [w.id] and w.status() == "completed"


def _signal_pair(catch_tag: str) -> tuple[str, str, str]:
    sig = '<bpmn:signal id="sig_go" name="go" />'
    ev = '<bpmn:signalEventDefinition signalRef="sig_go" />'
    return sig, ev, catch_tag


@supported
def signal_within_an_instance(w):
    sig, ev, _ = _signal_pair("intermediateCatchEvent")
    branch = (f'<bpmn:intermediateThrowEvent id="b_in">{ev}</bpmn:intermediateThrowEvent>'
              + script("b_out", "thrown = True") + flow("b2", "b_in", "b_out"))
    body = (start() + '<bpmn:parallelGateway id="split" />'
            + f'<bpmn:intermediateCatchEvent id="work">{ev}</bpmn:intermediateCatchEvent>'
            + end() + '<bpmn:endEvent id="b_end" />' + branch
            + chain("start", "split", "work", "end", prefix="m")
            + flow("b0", "split", "b_in") + flow("b1", "b_out", "b_end"))
    w.deploy(bpmn(body, extra=sig))
    w.start()
    assert w.status() == "completed" and _ran(w, "work")


@supported
def terminate_end_event(w):
    body = _split(script("b_in", "x = 1") + script("b_out", "y = 1") + flow("b2", "b_in", "b_out"),
                  "").replace('<bpmn:endEvent id="b_end" />',
                              '<bpmn:endEvent id="b_end"><bpmn:terminateEventDefinition />'
                              "</bpmn:endEvent>")
    w.deploy(bpmn(body, lanes=lane(PO, "work")))
    w.start()
    assert w.status() == "completed" and w.ready() == []  # "work" was terminated


@supported
def boundary_timer_non_interrupting(w):
    body = (start() + user("work") + end() + chain("start", "work", "end")
            + '<bpmn:boundaryEvent id="remind" attachedToRef="work" cancelActivity="false">'
            + timer('"PT1H"') + "</bpmn:boundaryEvent>" + script("note", "reminded = True")
            + end("note_end") + chain("remind", "note", "note_end", prefix="r"))
    w.deploy(bpmn(body, lanes=lane(PO, "work")))
    w.start()
    assert w.later(timedelta(hours=2)) == 1
    assert _ran(w, "note") and w.ready() == ["work"]
    w.complete("work")
    assert w.status() == "completed"


@supported
def boundary_error_on_subprocess(w):
    err = '<bpmn:error id="err_x" name="x" errorCode="x" />'
    ev = '<bpmn:errorEventDefinition errorRef="err_x" />'
    sub = ('<bpmn:subProcess id="sub">' + start("s_start") + end("s_end", ev)
           + chain("s_start", "s_end", prefix="s") + "</bpmn:subProcess>")
    body = (start() + sub + end() + chain("start", "sub", "end")
            + f'<bpmn:boundaryEvent id="caught" attachedToRef="sub">{ev}</bpmn:boundaryEvent>'
            + script("handle", "handled = True") + end("h_end")
            + chain("caught", "handle", "h_end", prefix="h"))
    w.deploy(bpmn(body, extra=err))
    w.start()
    assert w.status() == "completed" and w.data()["handled"] is True and not _ran(w, "end")


@supported
def boundary_message(w):
    msg, ev = message_def("stop")
    body = (start() + user("work") + end() + chain("start", "work", "end")
            + f'<bpmn:boundaryEvent id="stopped" attachedToRef="work">{ev}</bpmn:boundaryEvent>'
            + script("note", "stopped = True") + end("s_end")
            + chain("stopped", "note", "s_end", prefix="s"))
    w.deploy(bpmn(body, extra=msg, lanes=lane(PO, "work")))
    w.start()
    with w.factory() as s:
        _m, taken = send_message(w.engine, s, name="stop", correlation={}, payload={},
                                 actor="api", now=w.now)
        s.commit()
    assert taken == [w.id] and w.status() == "completed" and w.ready() == []


@supported
def send_and_receive_tasks(w):
    msg, ev = message_def("ping")
    w.deploy(bpmn(start() + '<bpmn:receiveTask id="wait" messageRef="msg_ping" />' + end()
                  + chain("start", "wait", "end"), pid="receiver", extra=msg))
    w.deploy(bpmn(start() + '<bpmn:sendTask id="send" messageRef="msg_ping" />' + end()
                  + chain("start", "send", "end"), pid="sender", extra=msg), "sender.bpmn")
    receiver = w.start("receiver")
    sender = w.start("sender")
    assert w.status(sender) == "completed" and w.status(receiver) == "running"
    from engine.messages import run_messages
    assert run_messages(w.engine, w.factory, w.now) == 1
    assert w.status(receiver) == "completed"


# -- refused ------------------------------------------------------------------------------------
def _refuse(name: str, diagram: bytes, element_id: str, words: str) -> None:
    REFUSED[name] = (diagram, element_id, words)


_refuse("complex_gateway", _line(("cx", '<bpmn:complexGateway id="cx" />')), "cx",
        "complex gateways are not supported")
_refuse("ad_hoc_subprocess", _line(("ah", '<bpmn:adHocSubProcess id="ah">'
                                          + script("in", "x = 1") + "</bpmn:adHocSubProcess>")),
        "ah", "ad-hoc sub-processes are not supported")
_refuse("data_store", bpmn(start() + end() + chain("start", "end")
                           + '<bpmn:dataStoreReference id="store" />'), "store",
        "data stores are not supported")
_COND = ("<bpmn:conditionalEventDefinition><bpmn:condition>x &gt; 1</bpmn:condition>"
         "</bpmn:conditionalEventDefinition>")
_refuse("conditional_intermediate_event", _line(
    ("c", f'<bpmn:intermediateCatchEvent id="c">{_COND}</bpmn:intermediateCatchEvent>')),
    "c", "conditional events are not supported")
_refuse("conditional_start_event", bpmn(start(inner=_COND) + end() + chain("start", "end")),
        "start", "conditional events are not supported")
_refuse("compensation_event", _line(
    ("k", '<bpmn:intermediateThrowEvent id="k"><bpmn:compensateEventDefinition />'
          "</bpmn:intermediateThrowEvent>")), "k", "compensation is not supported")
_refuse("link_event", _line(
    ("l", '<bpmn:intermediateThrowEvent id="l"><bpmn:linkEventDefinition name="a" />'
          "</bpmn:intermediateThrowEvent>")), "l", "link events are not supported")
_refuse("multiple_event", _line(
    ("mx", '<bpmn:intermediateCatchEvent id="mx">' + timer('"PT1H"')
           + timer('"PT2H"') + "</bpmn:intermediateCatchEvent>")), "mx",
    "several triggers")
_refuse("signal_from_outside", bpmn(
    '<bpmn:signal id="sig_x" name="x" />'.join(("", "")) + start(
        inner='<bpmn:signalEventDefinition signalRef="sig_x" />') + end()
    + chain("start", "end"), extra='<bpmn:signal id="sig_x" name="x" />'), "start",
    "nothing in this diagram throws the signal 'x'")
