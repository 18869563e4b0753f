"""Diagram scripts run in the sandbox: refused operations become incidents, nothing leaks.

Every diagram here deploys (deploy checks only syntax); the sandbox refuses the code when
it runs. The instance then waits in status 'error' with an incident saying what was
refused, the failing task's data is as before it ran, and no row outside the instance
(and no file) has changed.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sandbox_support import (
    assert_isolated,
    gateway_diagram,
    head_seq,
    instance,
    script_diagram,
    snapshot,
    start,
    task_data,
    the_incident,
)
from sandbox_support import bystander as bystander  # the fixture

from engine import scripting

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
