"""Diagram expressions (gateway conditions, service-task parameters, preScripts) and
the values scripts store run in the sandbox: refused operations become incidents naming
what was refused, nothing leaks (see test_sandbox_scripts.py).
"""
from __future__ import annotations

import pytest
from conftest import T0
from sandbox_support import (
    assert_isolated,
    gateway_diagram,
    head_seq,
    instance,
    prescript_diagram,
    script_diagram,
    service_diagram,
    snapshot,
    start,
    task_data,
    the_incident,
)
from sandbox_support import bystander as bystander  # the fixture
from sandbox_support import refuse_deploy as refuse_deploy  # the fixture
from SpiffWorkflow.util.task import TaskState

from engine.instances import retry_instance
from engine.runtime import Engine


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
