"""Task data survives dumps_state/loads_state of a real workflow, value for value.

The workflow is the full test diagram, checked and parsed as deploy does, its spec stored
and reloaded as the engine does. SpiffWorkflow stores a task's data as a delta against its
parent's, so values set on a waiting task take the delta path.
"""
from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import pytest
from conftest import DATA, T0, load_form
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.util.task import TaskState

from engine.deploy import check_diagram
from engine.registry import HandlerRegistry
from engine.runtime import DEFAULT_ROLES
from engine.scripting import EngineScriptEngine
from engine.serialization import dumps_spec, dumps_state, loads_spec, loads_state
from engine.timer_events import use_engine_timers

SAMPLE = {
    "text": "héllo ✓ \"quoted\" \\ back",
    "empty": "",
    "date_like_text": "2026-01-05",
    "int": 42,
    "big_int": 2**70,
    "negative": -7,
    "float": 0.1,
    "bool": True,
    "false": False,
    "none": None,
    "list": [1, "a", None, [2, 3]],
    "dict": {"nested": {"deep": [1, {"x": 2}]}, "empty": {}},
    "when": datetime(2026, 1, 5, 9, 30, 15, 123456),
    "when_utc": datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
    "day": date(2026, 1, 5),
    "price": Decimal("12.50"),
    "tiny": Decimal("0.000001"),
    "id": UUID("12345678-1234-5678-1234-567812345678"),
    "wait": timedelta(days=2, hours=3, seconds=5),
    "negative_wait": timedelta(days=-1, seconds=30),
    "mixed": [date(2026, 2, 1), {"amount": Decimal("1.5"), "at": datetime(2026, 2, 1, 8)},
              UUID("87654321-4321-8765-4321-876543218765")],
}


@pytest.fixture(scope="module")
def specs():
    registry = HandlerRegistry()
    registry.add("score", lambda params, ctx: {"score": params["amount"] // 2},
                 {"amount": "an integer amount"})
    [full] = [p for p in check_diagram((DATA / "full.bpmn").read_bytes(), "full.bpmn",
                                       registry=registry, known_lanes=DEFAULT_ROLES,
                                       form_loader=load_form) if p.process_id == "full"]
    for spec in (full.spec, *full.subprocess_specs.values()):
        use_engine_timers(spec)
    spec, subs = loads_spec(dumps_spec(full.spec, full.subprocess_specs))
    return registry, spec, subs


def new_workflow(specs):
    registry, spec, subs = specs
    wf = BpmnWorkflow(spec, subs)
    attach(wf, registry)
    wf.do_engine_steps()
    return wf


def attach(wf, registry):
    se = EngineScriptEngine(registry)
    se.now = T0
    wf.script_engine = se
    return wf


def reload(specs, wf):
    registry, spec, subs = specs
    return attach(loads_state(dumps_state(wf), spec, subs), registry)


def submit_task(wf):
    [task] = wf.get_tasks(state=TaskState.READY, manual=True)
    assert task.task_spec.name == "submit"
    return task


def assert_same_values(got: dict, expected: dict):
    assert got == expected
    for key, value in expected.items():  # == is not enough: date == datetime is False, but
        assert type(got[key]) is type(value), key  # True == 1 and Decimal("1.0") == 1
    assert str(got["price"]) == "12.50"
    assert got["when_utc"].tzinfo is not None and got["when"].tzinfo is None
    assert [type(v) for v in got["mixed"]] == [date, dict, UUID]
    assert type(got["mixed"][1]["amount"]) is Decimal
    assert type(got["mixed"][1]["at"]) is datetime


# -- round trip ------------------------------------------------------------------------------
def test_task_data_round_trip(specs):
    wf = new_workflow(specs)
    task = submit_task(wf)
    task.data.update(SAMPLE)

    again = reload(specs, wf)

    assert_same_values(again.get_task_from_id(task.id).data, SAMPLE)
    assert [(t.id, t.state, t.task_spec.name) for t in again.get_tasks()] == [
        (t.id, t.state, t.task_spec.name) for t in wf.get_tasks()]


def test_dump_of_a_reloaded_workflow_is_identical(specs):
    wf = new_workflow(specs)
    submit_task(wf).data.update(SAMPLE)
    text = dumps_state(wf)
    _, spec, subs = specs
    assert dumps_state(loads_state(text, spec, subs)) == text


def test_values_survive_running_on_after_reload(specs):
    """Reload, complete the user task, run the service task and call activity, reload again."""
    wf = new_workflow(specs)
    submit_task(wf).data.update(SAMPLE)
    wf = reload(specs, wf)
    task = submit_task(wf)
    task.data.update({"amount": 40, "reason": "growth"})
    task.run()
    wf.do_engine_steps()
    [waiting] = [t for t in wf.get_tasks(state=TaskState.WAITING) if t.task_spec.name == "wait"]

    wf = reload(specs, wf)

    data = wf.get_task_from_id(waiting.id).data
    assert data["scored"] == {"score": 20}
    assert_same_values({k: data[k] for k in SAMPLE}, SAMPLE)
    [called] = [t for t in wf.get_tasks(state=TaskState.COMPLETED)
                if t.task_spec.name == "call_sub"]
    assert called.data["total"] == 60  # the call activity's script ran on reloaded data
    assert_same_values({k: called.data[k] for k in SAMPLE}, SAMPLE)


def test_timedelta_keeps_microseconds(specs):
    """SpiffWorkflow's default timedelta converter keeps days and seconds only."""
    wf = new_workflow(specs)
    task = submit_task(wf)
    task.data["precise"] = timedelta(seconds=1, microseconds=250000)
    assert reload(specs, wf).get_task_from_id(task.id).data["precise"] == timedelta(
        seconds=1, microseconds=250000)


@pytest.mark.parametrize("data", [
    {"typename": "standard"},  # e.g. a form field named "typename", merged into task data
    {"service": {"typename": "gold", "hours": 24}},
    {"rows": [{"typename": "nonexistent"}]},
    {"lookalike": {"typename": "Decimal", "value": "1"}},
], ids=["top-level", "nested", "in-list", "lookalike"])
def test_user_dicts_with_a_typename_key_round_trip(specs, data):
    """Plain dicts that happen to have a "typename" key are data, not serialized objects.

    Today loads_state tries to restore them as registered types: an unknown name makes
    the whole instance impossible to load (TypeError: 'NoneType' object is not callable),
    a known one silently turns user data into a Decimal.
    """
    wf = new_workflow(specs)
    task = submit_task(wf)
    task.data.update(data)
    got = reload(specs, wf).get_task_from_id(task.id).data
    assert got == data


# -- unsupported values ----------------------------------------------------------------------
class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y


@pytest.mark.parametrize("value", [object(), Point(1, 2), b"raw", complex(1, 2)],
                         ids=["object", "instance", "bytes", "complex"])
def test_unsupported_value_is_refused_not_stored(specs, value):
    """Refused loudly, naming the type; never stored as something else."""
    wf = new_workflow(specs)
    submit_task(wf).data["odd"] = value
    with pytest.raises(TypeError, match=type(value).__name__):
        dumps_state(wf)


def test_set_is_refused_or_stored_as_its_items(specs):
    """A set has no JSON form: refusing it or storing its items as a list are both honest."""
    wf = new_workflow(specs)
    task = submit_task(wf)
    task.data["tags"] = {"gold", "silver"}
    try:
        text = dumps_state(wf)
    except TypeError as exc:
        assert "set" in str(exc)
        return
    _, spec, subs = specs
    stored = loads_state(text, spec, subs).get_task_from_id(task.id).data["tags"]
    assert sorted(stored) == ["gold", "silver"]


def test_tuples_come_back_as_lists(specs):
    """Documented JSON normalisation (equal items, list type)."""
    wf = new_workflow(specs)
    task = submit_task(wf)
    task.data["pair"] = (1, "a")
    assert reload(specs, wf).get_task_from_id(task.id).data["pair"] == [1, "a"]


def test_state_is_plain_json_without_the_spec(specs):
    wf = new_workflow(specs)
    submit_task(wf).data.update({"amount": 1})
    dct = json.loads(dumps_state(wf))
    assert "spec" not in dct and "subprocess_specs" not in dct
    assert "tasks" in dct and dct["typename"] == "BpmnWorkflow"
