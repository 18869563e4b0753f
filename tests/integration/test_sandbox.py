"""Diagram code runs in the sandbox: refused operations become incidents, nothing leaks.

Every diagram here deploys (deploy checks only syntax); the sandbox refuses the code when
it runs. The instance then waits in status 'error' with an incident saying what was
refused, the failing task's data is as before it ran, and no row outside the instance
(and no file) has changed.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from xml.sax.saxutils import escape

import pytest
from conftest import T0
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import MetaData, func, select

from engine import scripting
from engine.audit import instance_events, verify_chain
from engine.instances import open_incidents, retry_instance, start_instance
from engine.models import AuditEvent, ProcessInstance
from engine.runtime import Engine

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="defs_{pid}" targetNamespace="http://example.org/slm-test">
  <bpmn:process id="{pid}" isExecutable="true">
"""


def script_diagram(script: str, pid: str = "sandbox") -> bytes:
    """start -> prep (sets ``prepared``) -> evil (``script``) -> end."""
    return (HEADER.format(pid=pid) + f"""
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="prep"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>prepared = 1</bpmn:script></bpmn:scriptTask>
    <bpmn:scriptTask id="evil"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="prep" />
    <bpmn:sequenceFlow id="f2" sourceRef="prep" targetRef="evil" />
    <bpmn:sequenceFlow id="f3" sourceRef="evil" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
""").encode()


def gateway_diagram(condition: str, pid: str = "sandbox_cond") -> bytes:
    return (HEADER.format(pid=pid) + f"""
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:exclusiveGateway id="route" default="f_no">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f_yes</bpmn:outgoing>
      <bpmn:outgoing>f_no</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:endEvent id="end_yes"><bpmn:incoming>f_yes</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="end_no"><bpmn:incoming>f_no</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="route" />
    <bpmn:sequenceFlow id="f_yes" sourceRef="route" targetRef="end_yes">
      <bpmn:conditionExpression>{escape(condition)}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_no" sourceRef="route" targetRef="end_no" />
  </bpmn:process>
</bpmn:definitions>
""").encode()


def service_diagram(param_expr: str, pid: str = "sandbox_param") -> bytes:
    """A service task calling the fixture's ``score`` handler with ``amount=param_expr``."""
    value = escape(param_expr, {'"': "&quot;"})
    return (HEADER.format(pid=pid) + f"""
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="call">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="score" resultVariable="scored">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="amount" type="int" value="{value}" />
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="call" />
    <bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
""").encode()


def prescript_diagram(prescript: str, pid: str = "sandbox_pre") -> bytes:
    """A plain task whose Spiff preScript is ``prescript``."""
    return (HEADER.format(pid=pid) + f"""
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:task id="noted">
      <bpmn:extensionElements>
        <spiffworkflow:preScript>{escape(prescript)}</spiffworkflow:preScript>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:task>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="noted" />
    <bpmn:sequenceFlow id="f2" sourceRef="noted" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
""").encode()


# -- helpers ---------------------------------------------------------------------------------
def snapshot(factory) -> dict:
    """Every row of every table in the database (reflected, so domain tables count too)."""
    with factory() as s:
        meta = MetaData()
        meta.reflect(bind=s.connection())
        return {name: (list(t.columns.keys()),
                       sorted((tuple(r) for r in s.execute(select(t)).all()), key=repr))
                for name, t in meta.tables.items()}


def without_instance(snap: dict, iid: int, head_seq: int) -> dict:
    """``snap`` minus the rows that belong to instance ``iid`` or were appended after it
    (``head_seq``: the last audit event's id before)."""
    out = {}
    for name, (cols, rows) in snap.items():
        if name == "audit_head":
            continue
        keep = []
        for row in rows:
            r = dict(zip(cols, row, strict=True))
            if name == "process_instance" and r["id"] == iid:
                continue
            if name == "audit_event":
                if r["id"] > head_seq:
                    continue
            elif r.get("instance_id") == iid:
                continue
            keep.append(row)
        out[name] = keep
    return out


@pytest.fixture
def refuse_deploy(factory, engine):
    """refuse_deploy(name) -> the problems of a refused deploy of tests/data/<name>."""
    from conftest import DATA, load_form

    from engine.deploy import deploy
    from engine.errors import DeployError

    def _refuse(name):
        with factory() as s, pytest.raises(DeployError) as info:
            deploy(s, (DATA / name).read_bytes(), name, registry=engine.registry,
                   known_lanes=engine.known_lanes, form_loader=load_form, actor="o", now=T0)
        return info.value.problems

    return _refuse


@pytest.fixture
def bystander(deploy_file, factory, engine):
    """Another process's instance that must not be touched by the sandboxed ones."""
    deploy_file("full.bpmn")
    with factory() as s:
        iid = start_instance(engine, s, "full", actor="carol", now=T0, organisation="acme")
        s.commit()
    return iid


def head_seq(factory) -> int:
    """The id of the last audit event appended so far (sealed or not)."""
    with factory() as s:
        return s.scalar(select(func.max(AuditEvent.id))) or 0


def start(engine, factory, pid, data=None) -> int:
    with factory() as s:
        iid = start_instance(engine, s, pid, actor="dave", now=T0, data=data or {})
        s.commit()
    return iid


def instance(factory, iid):
    with factory() as s:
        inst = s.get(ProcessInstance, iid)
        s.expunge(inst)
        return inst


def task_data(engine, factory, iid, element_id) -> dict:
    """The data of the (single) task of ``element_id``, loaded by a fresh engine."""
    with factory() as s:
        loaded = Engine(engine.registry).load(s, iid, actor="test", now=T0)
        found = [t.data for t in loaded.workflow.get_tasks() if t.task_spec.name == element_id]
    assert len(found) == 1, found
    return found[0]


def the_incident(factory, iid):
    with factory() as s:
        incidents = open_incidents(s, iid)
        for i in incidents:
            s.expunge(i)
    assert len(incidents) == 1, [i.message for i in incidents]
    return incidents[0]


def assert_isolated(factory, before, seq_before, iid):
    after = snapshot(factory)
    assert without_instance(after, iid, seq_before) == without_instance(before, iid, seq_before)
    with factory() as s:
        assert verify_chain(s).ok
        kinds = [e.kind for e in instance_events(s, iid)]
    assert kinds[-2:] == ["incident_raised", "instance_error"]


# -- scripts ---------------------------------------------------------------------------------
SANDBOX = "ScriptSandboxError"
REFUSED_SCRIPTS = {
    "open_read": ("marker = 1\ncontent = open('/etc/passwd').read()",
                  [SANDBOX, "'open' is not available to scripts"]),
    "eval": ("value = eval('1')", [SANDBOX, "Eval calls are not allowed"]),
    "exec": ("exec('value = 1')", [SANDBOX, "Exec calls are not allowed"]),
    "globals": ("marker = 1\ng = globals()", [SANDBOX, "'globals' is not available to scripts"]),
    "getattr": ("marker = 1\nr = getattr(prepared, 'real')",
                [SANDBOX, "'getattr' is not available to scripts"]),
    "frame_escape": ("def g():\n    yield gen.gi_frame.f_back\ngen = g()\nframe = next(gen)",
                     [SANDBOX, '"gi_frame" is a restricted name']),
    "format_escape": ("marker = 1\nleak = '{0.__class__}'.format(prepared)",
                      ["NotImplementedError", "format*() methods of `str` is not safe"]),
}


@pytest.mark.parametrize("case", sorted(REFUSED_SCRIPTS))
def test_refused_script_becomes_an_incident(case, deploy_file, factory, engine, bystander):
    """Code refused at run time: deploy refuses only imports and underscore names (see
    test_sandbox_hostile.py); these the sandbox refuses when they run."""
    script, expected = REFUSED_SCRIPTS[case]
    [result] = deploy_file("sandbox.bpmn", script_diagram(script))
    assert result.created
    before, seq = snapshot(factory), head_seq(factory)

    iid = start(engine, factory, "sandbox", {"amount": 3})

    assert instance(factory, iid).status == "error"
    incident = the_incident(factory, iid)
    assert incident.element_id == "evil"
    assert incident.message.startswith("script failed at evil: ")
    for text in expected:
        assert text in incident.message
    assert "Traceback" in incident.traceback
    # the failing task's data is as before it ran; earlier work (prep) is kept
    assert task_data(engine, factory, iid, "evil") == {"amount": 3, "prepared": 1}
    assert_isolated(factory, before, seq, iid)


def test_script_cannot_write_a_file(deploy_file, factory, engine, bystander, tmp_path):
    target = tmp_path / "pwned.txt"
    deploy_file("sandbox.bpmn", script_diagram(
        f"marker = 'touched'\nhandle = open({str(target)!r}, 'w')\nhandle.write('pwned')"))
    before, seq = snapshot(factory), head_seq(factory)

    iid = start(engine, factory, "sandbox")

    assert not target.exists()
    assert instance(factory, iid).status == "error"
    assert "'open' is not available to scripts" in the_incident(factory, iid).message
    assert task_data(engine, factory, iid, "evil") == {"prepared": 1}
    assert_isolated(factory, before, seq, iid)


def test_allowed_script_still_runs(deploy_file, factory, engine):
    """Control: the same diagram shape with harmless code completes."""
    deploy_file("sandbox.bpmn", script_diagram(
        "total = sum([amount, prepared])\nlabel = str(date(2026, 1, 5) + timedelta(days=1))"))
    iid = start(engine, factory, "sandbox", {"amount": 3})
    assert instance(factory, iid).status == "completed"
    assert task_data(engine, factory, iid, "end")["total"] == 4
    assert task_data(engine, factory, iid, "end")["label"] == "2026-01-06"


def test_script_may_store_the_values_it_is_given(deploy_file, factory, engine):
    """Scripts get datetime, date, timedelta and Decimal; values made with them must be storable
    (engine/serialization.py promises date and Decimal in task data)."""
    deploy_file("sandbox.bpmn", script_diagram(
        "when = datetime(2026, 1, 5, 9, 30)\nday = date(2026, 1, 5)\n"
        "price = Decimal('12.50')\nwait = timedelta(hours=2)"))
    iid = start(engine, factory, "sandbox", {"amount": 3})
    assert instance(factory, iid).status == "completed"
    data = task_data(engine, factory, iid, "end")
    assert data["when"] == datetime(2026, 1, 5, 9, 30) and data["day"] == date(2026, 1, 5)
    assert data["price"] == Decimal("12.50") and data["wait"] == timedelta(hours=2)


@pytest.mark.parametrize("diagram, pid, element, kind, last_good", [
    (script_diagram("counter = 0\nwhile True:\n    counter += 1"), "sandbox", "evil", "script",
     {"amount": 3, "prepared": 1}),
    (gateway_diagram("any(i < 0 for i in range(10**12))"), "sandbox_cond", "route",
     "condition", {"amount": 3}),
], ids=["script-loops-forever", "condition-runs-away"])
def test_runaway_code_becomes_an_incident(diagram, pid, element, kind, last_good, deploy_file,
                                          factory, engine, bystander, monkeypatch):
    """A script or condition that never ends must not hang the worker: the time limit
    (SLM_SCRIPT_TIME_LIMIT, lowered here) stops it and the instance waits in 'error'."""
    monkeypatch.setattr(scripting, "SCRIPT_TIME_LIMIT", 0.05)
    deploy_file("runaway.bpmn", diagram)
    before, seq = snapshot(factory), head_seq(factory)

    iid = start(engine, factory, pid, {"amount": 3})

    assert instance(factory, iid).status == "error"
    incident = the_incident(factory, iid)
    assert incident.element_id == element
    assert incident.message == f"{kind} failed at {element}: the {kind} ran longer than 0.05 s"
    assert task_data(engine, factory, iid, element) == last_good
    assert_isolated(factory, before, seq, iid)


# -- expressions -----------------------------------------------------------------------------
def test_gateway_condition_is_sandboxed(deploy_file, factory, engine, bystander):
    """A condition that is not a plain comparison of names runs in the sandbox, which
    refuses what RestrictedPython refuses (here getattr)."""
    deploy_file("cond.bpmn", gateway_diagram("getattr(amount, 'real') > 0"))
    before, seq = snapshot(factory), head_seq(factory)

    iid = start(engine, factory, "sandbox_cond", {"amount": 3})

    assert instance(factory, iid).status == "error"
    incident = the_incident(factory, iid)
    assert incident.element_id == "route"
    assert "getattr(amount, 'real') > 0" in incident.traceback
    assert "ScriptSandboxError: 'getattr' is not available to scripts" in incident.message
    assert_isolated(factory, before, seq, iid)


def test_deploy_refuses_the_dunder_condition_naming_the_gateway(refuse_deploy):
    """sandbox_gateway.bpmn's condition walks ``amount.__class__.__subclasses__()``: deploy
    refuses it, naming the gateway and the line."""
    problems = refuse_deploy("sandbox_gateway.bpmn")
    assert [p.element_id for p in problems] == ["route", "route"]
    assert problems[0].message.startswith("condition, line 1: '__")


def test_gateway_condition_cannot_open_files(deploy_file, factory, engine, tmp_path):
    target = tmp_path / "cond.txt"
    deploy_file("cond.bpmn", gateway_diagram(f"open({str(target)!r}, 'w') is None"))
    iid = start(engine, factory, "sandbox_cond")
    assert not target.exists()
    assert instance(factory, iid).status == "error"
    incident = the_incident(factory, iid)
    assert incident.element_id == "route"
    assert "ScriptSandboxError: 'open' is not available to scripts" in incident.traceback


def test_service_task_parameter_is_sandboxed(deploy_file, factory, engine, registry):
    calls = []

    def recorder(params, ctx):
        calls.append(params)
        return {"score": 0}

    registry.replace("score", recorder, {"amount": "an integer amount"})
    deploy_file("param.bpmn", service_diagram("len(open('/etc/passwd').read())"))
    iid = start(engine, factory, "sandbox_param", {"amount": 3})
    assert calls == []  # the handler never ran
    assert instance(factory, iid).status == "error"
    incident = the_incident(factory, iid)
    assert incident.element_id == "call"
    assert "'open' is not available to scripts" in incident.traceback


@pytest.mark.parametrize("diagram, pid, kind, element, reason", [
    (gateway_diagram("getattr(amount, 'real') == 3"), "sandbox_cond", "condition", "route",
     "'getattr' is not available to scripts"),
    (gateway_diagram("open('/etc/passwd') is None"), "sandbox_cond", "condition", "route",
     "'open' is not available to scripts"),
    (service_diagram("vars()"), "sandbox_param", "handler", "call",
     "'vars' is not available to scripts"),
], ids=["condition-getattr", "condition-open", "service-parameter"])
def test_expression_incident_message_says_what_was_refused(
        diagram, pid, kind, element, reason, deploy_file, factory, engine):
    """The message (shown to operators) must carry the refusal, not only the traceback.

    Today it reads "handler failed at route: WorkflowTaskException: Error evaluating
    expression '...'": the reason is lost, and a gateway condition is called a handler.
    """
    deploy_file("expr.bpmn", diagram)
    iid = start(engine, factory, pid, {"amount": 3})
    message = the_incident(factory, iid).message
    assert message.startswith(f"{kind} failed at {element}: "), message
    assert "ScriptSandboxError" in message and reason in message, message


def test_prescript_is_sandboxed(deploy_file, factory, engine, tmp_path):
    target = tmp_path / "pre.txt"
    deploy_file("pre.bpmn", prescript_diagram(f"open({str(target)!r}, 'w').write('x')"))
    iid = start(engine, factory, "sandbox_pre", {"amount": 3})
    assert not target.exists()
    assert instance(factory, iid).status == "error"
    assert "'open' is not available to scripts" in the_incident(factory, iid).message


def test_prescript_incident_names_the_task_whose_prescript_failed(deploy_file, factory, engine):
    """A preScript runs while the task becomes ready, i.e. inside its predecessor's step.

    The incident must name the task that owns the preScript, and the predecessor (a
    completed start event) must not be put back into ERROR.
    """
    deploy_file("pre.bpmn", prescript_diagram("x = vars()"))
    iid = start(engine, factory, "sandbox_pre", {"amount": 3})
    assert the_incident(factory, iid).element_id == "noted"
    with factory() as s:
        loaded = Engine(engine.registry).load(s, iid, actor="test", now=T0)
        errored = [t.task_spec.name for t in loaded.workflow.get_tasks(state=TaskState.ERROR)]
    assert errored == ["noted"]


def test_retry_of_a_failed_prescript_runs_the_prescript_again(deploy_file, factory, engine):
    """Retrying must not skip the refused preScript and carry on as if it had run."""
    deploy_file("pre.bpmn", prescript_diagram("x = vars()"))
    iid = start(engine, factory, "sandbox_pre", {"amount": 3})
    with factory() as s:
        assert retry_instance(Engine(engine.registry), s, iid, actor="olga", now=T0) == "error"
        s.commit()
    assert instance(factory, iid).status == "error"
    assert "'vars' is not available to scripts" in the_incident(factory, iid).message


@pytest.mark.parametrize("script, name, kind", [
    ("tags = {'gold', 'silver'}", "tags", "set"),
    ("pairs = zip([1, 2], ['a', 'b'])", "pairs", "zip"),
    ("raw = b'bytes'", "raw", "bytes"),
    ("row = {'nested': range(3)}", "row", "range"),
], ids=["set", "zip", "bytes", "nested-range"])
def test_script_storing_an_unstorable_value_becomes_an_incident(
        script, name, kind, deploy_file, factory, engine, bystander):
    """Task data must stay storable. Today the script "succeeds" and the step then dies in
    dumps_state with a bare TypeError: the caller's whole step fails, no incident names the
    task or the variable (and in a timer step it escapes run_due)."""
    deploy_file("sandbox.bpmn", script_diagram(script))
    before, seq = snapshot(factory), head_seq(factory)
    iid = start(engine, factory, "sandbox", {"amount": 3})
    assert instance(factory, iid).status == "error"
    incident = the_incident(factory, iid)
    assert incident.element_id == "evil"
    assert repr(name) in incident.message and kind in incident.message, incident.message
    assert task_data(engine, factory, iid, "evil") == {"amount": 3, "prepared": 1}
    assert_isolated(factory, before, seq, iid)
