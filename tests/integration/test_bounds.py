"""Bounded timers, state, loops, call recursion and diagram sizes, on SQLite and PostgreSQL."""
from __future__ import annotations

import time
from datetime import timedelta

import pytest
from bounds_diagrams import calls, chain, endless_loop, fan_out, late_cycle, timers
from conftest import T0, load_form
from sandbox_support import instance, script_diagram, start, task_data, the_incident
from sqlalchemy import func, select

from engine.audit import verify_chain
from engine.deploy import deploy
from engine.errors import DeployError
from engine.instances import start_instance
from engine.models import DueTimer, ProcessInstance, ProcessVersion
from engine.runner import run_due
from engine.runtime import Engine
from engine.step_limits import MAX_TASK_DEPTH, StateTooLargeError


@pytest.fixture
def refused(factory, engine):
    def _refused(data: bytes, name: str = "bounds.bpmn"):
        with factory() as s, pytest.raises(DeployError) as info:
            deploy(s, data, name, registry=engine.registry, known_lanes=engine.known_lanes,
                   form_loader=load_form, actor="owner", now=T0)
        with factory() as s:
            assert s.execute(select(func.count()).select_from(ProcessVersion)).scalar_one() == 0
        return {p.element_id: p.message for p in info.value.problems}

    return _refused


# -- timers ------------------------------------------------------------------------------------
def test_deploy_refuses_every_timer_outside_the_policy_at_once(refused):
    began = time.monotonic()
    problems = refused(timers("timers", [
        ("zero", "timeCycle", '"R3/PT0S"'),
        ("fast", "timeCycle", '"R3/PT0.5S"'),
        ("endless", "timeCycle", '"R/PT1H"'),
        ("eons", "timeDuration", '"P5000000Y"'),
        ("far", "timeDate", '"9999-01-01T00:00:00Z"'),
        ("fine", "timeDuration", '"PT1H"'),
    ]))
    assert time.monotonic() - began < 10  # "P5000000Y" is refused, not added up year by year
    assert problems == {
        "zero": "timer: cycle R3/PT0S repeats more often than every 1 s",
        "fast": "timer: cycle R3/PT0.5S repeats more often than every 1 s",
        "endless": "timer: cycle R/PT1H has no repetition count and would never end; give one "
                   "(e.g. R12/P1M)",
        "eons": "timer: duration P5000000Y is longer than 50 years",
        "far": "timer: date 9999-01-01T00:00:00Z is more than 50 years away",
    }


@pytest.mark.parametrize("value, message", [
    ("P5000000Y", "duration P5000000Y is longer than 50 years"),
    ("PTXYZ", "'PTXYZ' is not an ISO 8601 duration"),
])
def test_timer_value_from_task_data_outside_the_policy_is_an_incident(
        value, message, deploy_file, factory, engine):
    deploy_file("t.bpmn", timers("computed", [("wait", "timeDuration", "wait_for")]))
    iid = start(engine, factory, "computed", {"wait_for": value})
    assert instance(factory, iid).status == "error"
    incident = the_incident(factory, iid)
    assert incident.element_id == "wait"
    assert incident.message == f"expression failed at wait: {message}"


def test_a_late_cycle_timer_fires_once_and_waits_for_its_next_occurrence(
        deploy_file, factory, engine):
    deploy_file("cycle.bpmn", late_cycle('"R100/PT1M"'))
    iid = start(engine, factory, "cycle")
    late = T0 + timedelta(hours=1, seconds=30)  # 60 occurrences missed

    assert run_due(engine, factory, late) == 1

    with factory() as s:
        loaded = Engine(engine.registry).load(s, iid, actor="test", now=late)
        notes = [t for t in loaded.workflow.get_tasks() if t.task_spec.name == "note"]
        due = s.execute(select(DueTimer.due_at).where(DueTimer.instance_id == iid)).scalars()
        due = list(due)
    assert len(notes) == 1 and instance(factory, iid).status == "running"
    assert due == [T0 + timedelta(hours=1, minutes=1)]  # the next one after "late"


# -- state ----------------------------------------------------------------------------------
def test_a_script_writing_too_much_data_is_an_incident_and_nothing_is_stored(
        deploy_file, factory, engine, monkeypatch):
    monkeypatch.setenv("SLM_MAX_STATE_BYTES", "100000")
    deploy_file("big.bpmn", script_diagram("blob = 'x' * 200000"))
    iid = start(engine, factory, "sandbox", {"amount": 3})
    assert instance(factory, iid).status == "error"
    incident = the_incident(factory, iid)
    assert incident.element_id == "evil"
    assert incident.message == ("script failed at evil: the script produced more than "
                                "100,000 bytes of data")
    assert task_data(engine, factory, iid, "evil") == {"amount": 3, "prepared": 1}
    with factory() as s:
        assert len(s.get(ProcessInstance, iid).state) < 100000


def test_a_handler_writing_too_much_data_is_an_incident(deploy_file, factory, engine, registry,
                                                        monkeypatch):
    from sandbox_support import service_diagram

    monkeypatch.setenv("SLM_MAX_STATE_BYTES", "100000")
    registry.replace("score", lambda params, ctx: {"blob": "y" * 150000},
                     {"amount": "an integer amount"})
    deploy_file("param.bpmn", service_diagram("amount"))
    iid = start(engine, factory, "sandbox_param", {"amount": 3})
    incident = the_incident(factory, iid)
    assert incident.element_id == "call"
    assert incident.message == ("handler failed at call: the task data written here would "
                                "take more than 100,000 bytes (SLM_MAX_STATE_BYTES); nothing "
                                "of it was stored")
    assert task_data(engine, factory, iid, "call") == {"amount": 3}


def test_a_state_over_the_limit_is_an_incident_naming_the_element(deploy_file, factory,
                                                                  engine, monkeypatch):
    # each value is under the limit, the state that would hold both is not
    monkeypatch.setenv("SLM_MAX_STATE_BYTES", "100000")
    deploy_file("big.bpmn", script_diagram("blob = 'x' * 45000\nmore = 'y' * 45000"))
    iid = start(engine, factory, "sandbox", {"amount": 3})
    assert instance(factory, iid).status == "error"
    incident = the_incident(factory, iid)
    assert incident.element_id == "evil"
    assert incident.message == (
        "script failed at evil: with the data written here the state of this instance would "
        "take more than 100,000 bytes (SLM_MAX_STATE_BYTES); nothing of it was stored")
    assert task_data(engine, factory, iid, "evil") == {"amount": 3, "prepared": 1}
    with factory() as s:
        assert len(s.get(ProcessInstance, iid).state) < 100000
        assert verify_chain(s).ok


def test_a_state_grown_round_by_round_is_an_incident_and_the_engine_serves_on(
        deploy_file, factory, engine, monkeypatch):
    # every round of the loop writes a new 20-40 kB value: no single value is too large,
    # but the stored state keeps each round's value
    monkeypatch.setenv("SLM_MAX_STATE_BYTES", "100000")
    deploy_file("grow.bpmn", endless_loop("n = n + 1\nblob = str(n) * 20000"))
    iid = start(engine, factory, "endless", {"n": 0})
    assert instance(factory, iid).status == "error"
    incident = the_incident(factory, iid)
    assert incident.element_id == "count"
    assert incident.message == (
        "script failed at count: with the data written here the state of this instance would "
        "take more than 100,000 bytes (SLM_MAX_STATE_BYTES); nothing of it was stored")
    with factory() as s:
        assert 0 < len(s.get(ProcessInstance, iid).state) <= 100000
        assert verify_chain(s).ok
    deploy_file("fine.bpmn", script_diagram("small = 1", pid="fine"))
    after = start(engine, factory, "fine", {"amount": 1})
    assert instance(factory, after).status == "completed"


def test_a_state_too_large_without_any_code_refuses_the_step_and_stores_nothing(
        deploy_file, factory, engine, monkeypatch):
    deploy_file("wide.bpmn", fan_out(60))  # no diagram code: nothing to put an incident on
    monkeypatch.setenv("SLM_MAX_STATE_BYTES", "20000")
    with factory() as s, pytest.raises(StateTooLargeError, match="more than "
                                       "SLM_MAX_STATE_BYTES \\(20,000\\); nothing was stored"):
        start_instance(engine, s, "wide", actor="dave", now=T0, data={})
    with factory() as s:
        assert s.execute(select(func.count()).select_from(ProcessInstance)).scalar_one() == 0


# -- loops and recursion ----------------------------------------------------------------------
def test_an_endless_loop_is_an_incident_never_a_completed_instance(deploy_file, factory,
                                                                   engine):
    deploy_file("loop.bpmn", endless_loop())
    iid = start(engine, factory, "endless", {"n": 0})
    assert instance(factory, iid).status == "error"
    incident = the_incident(factory, iid)
    assert incident.element_id in ("count", "again")
    assert f"more than {MAX_TASK_DEPTH} steps in a row" in incident.message
    assert task_data(engine, factory, iid, "end") == {}  # the end was never reached


@pytest.mark.parametrize("chain_of, problem_at", [
    ({"a": "a"}, {"call_a": "process 'a' calls itself: a process may not call itself, "
                            "directly or through others"}),
    ({"a": "b", "b": "c", "c": "a"}, {
        "call_a": "process 'a' calls 'b', which calls back into it: a process may not call "
                  "itself, directly or through others",
        "call_b": "process 'b' calls 'c', which calls back into it: a process may not call "
                  "itself, directly or through others",
        "call_c": "process 'c' calls 'a', which calls back into it: a process may not call "
                  "itself, directly or through others"}),
], ids=["self", "through-others"])
def test_a_process_that_calls_itself_is_refused_at_deploy(chain_of, problem_at, refused):
    assert refused(calls(chain_of)) == problem_at


def test_nested_calls_stop_at_the_configured_depth(deploy_file, factory, engine, monkeypatch):
    deploy_file("calls.bpmn", calls({"a": "b", "b": "c", "c": None}))
    assert instance(factory, start(engine, factory, "a")).status == "completed"
    monkeypatch.setenv("SLM_MAX_CALL_DEPTH", "1")
    iid = start(engine, factory, "a")
    assert instance(factory, iid).status == "error"
    incident = the_incident(factory, iid)
    assert incident.element_id == "call_b"
    assert incident.message.endswith("call activities are nested more than 1 deep "
                                     "(does a process call itself?)")


# -- sizes ------------------------------------------------------------------------------------
def test_a_long_chain_deploys_and_runs(deploy_file, factory, engine):
    [result] = deploy_file("chain.bpmn", chain(600))
    assert result.created
    assert instance(factory, start(engine, factory, "chain")).status == "completed"


def test_too_many_parallel_branches_are_refused_naming_the_gateway(refused):
    assert refused(fan_out(101), "wide.bpmn") == {
        "split": "opens 101 parallel branches; at most 100 may (SLM_MAX_PARALLEL_BRANCHES)"}


def test_a_diagram_over_the_element_limit_is_refused(refused, monkeypatch):
    monkeypatch.setenv("SLM_MAX_DIAGRAM_ELEMENTS", "100")
    assert refused(chain(60), "chain.bpmn") == {
        "chain.bpmn": "the diagram has 123 elements (tasks, events, gateways and flows); at "
                      "most 100 may be deployed (SLM_MAX_DIAGRAM_ELEMENTS)"}


def test_parser_problems_come_with_our_own_in_plain_words(refused):
    """A task with two outgoing flows (the parser stops there) and a flow to nowhere (our
    own check): both are reported, in words, with no SpiffWorkflow wording."""
    data = chain(3).replace(
        b'<bpmn:outgoing>f2</bpmn:outgoing>',
        b'<bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>fx</bpmn:outgoing>', 1).replace(
        b"</bpmn:process>",
        b'<bpmn:sequenceFlow id="fx" sourceRef="t1" targetRef="nowhere"/></bpmn:process>')
    problems = refused(data)
    assert problems["fx"] == "sequence flow ends at unknown element 'nowhere'"
    assert problems["t1"] in ("has more than one outgoing flow; only gateways may split the "
                              "flow", "a sequence flow from here leads to an element that is "
                              "not in this process")
    assert not any("perhaps" in m or "(None)" in m or "Error(" in m for m in problems.values())


def test_code_problems_are_listed_even_when_the_parser_stops(refused):
    """The parser stops at t1's two outgoing flows; the import in t2's script and the
    underscore name in the timer-free chain's last script are still reported."""
    data = chain(3).replace(
        b'<bpmn:outgoing>f2</bpmn:outgoing>',
        b'<bpmn:outgoing>f2</bpmn:outgoing><bpmn:outgoing>fx</bpmn:outgoing>', 1).replace(
        b"</bpmn:process>",
        b'<bpmn:sequenceFlow id="fx" sourceRef="t1" targetRef="end"/></bpmn:process>').replace(
        b"<bpmn:script>step = 2</bpmn:script>", b"<bpmn:script>import os</bpmn:script>")
    problems = refused(data)
    assert "t1" in problems
    assert problems["t2"] == "script, line 1: imports are not allowed in diagram code"
