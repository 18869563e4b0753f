"""The fast state converter gives exactly what Spiff's serializer registry gives.

``engine.serialization.state_dict`` walks workflows, subprocesses and tasks directly
instead of through the registry's generic converters. It must stay a pure speed-up: at
every point of a run through tests/data/full.bpmn (service task, parallel gateway, call
activity, timers, boundary event, user tasks) and with every kind of value task data may
hold, its output and the registry's are equal and serialize to the same JSON text.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState
from test_serialization import SAMPLE, attach, specs  # noqa: F401 - fixture

from engine.serialization import SERIALIZER, dumps_state, loads_state, state_dict


def registry_dict(wf) -> dict:
    return SERIALIZER.registry.convert(wf)


def assert_same(wf) -> None:
    fast, slow = state_dict(wf), registry_dict(wf)
    assert fast == slow
    assert json.dumps(fast, separators=(",", ":")) == json.dumps(slow, separators=(",", ":"))


def run_through(specs, data_for_task, on_step=assert_same, amount=25):  # noqa: F811
    """Drive full.bpmn to its end, calling ``on_step`` after every change."""
    registry, spec, subs = specs
    wf = attach(BpmnWorkflow(spec, subs), registry)
    for task in wf.get_tasks(state=TaskState.READY):
        task.data.update({"amount": amount, "scratch": [1, 2]})
    on_step(wf)
    wf.do_engine_steps()
    on_step(wf)
    for _ in range(30):
        if wf.is_completed():
            return wf
        ready = [t for t in wf.get_tasks(state=TaskState.READY) if t.task_spec.manual]
        if ready:
            for task in ready:
                task.data.update(data_for_task(task))
                on_step(wf)
                task.run()
                on_step(wf)
        else:
            waiting = [t for t in wf.get_tasks(state=TaskState.WAITING)
                       if isinstance(getattr(t.task_spec, "event_definition", None),
                                     TimerEventDefinition)]
            assert waiting, "the run is stuck"
            waiting[0]._set_internal_data(event_fired=True)
            wf.refresh_timers()
        wf.do_engine_steps()
        on_step(wf)
    raise AssertionError("full.bpmn did not complete")


def plain_answers(task):
    return {"approved": True, "note": f"done {task.task_spec.name}"}


def test_same_as_the_registry_at_every_step(specs):  # noqa: F811
    wf = run_through(specs, plain_answers)
    assert wf.is_completed()
    assert wf.subprocesses == {} or all(type(sp).__name__ == "BpmnSubWorkflow"
                                        for sp in wf.subprocesses.values())


def test_a_run_visits_a_subprocess_and_a_timer(specs):  # noqa: F811
    """The walk above is only a check if it sees the parts it claims to cover."""
    seen = {"subprocess": False, "timer_data": False}

    def watch(wf):
        assert_same(wf)
        if wf.subprocesses:
            seen["subprocess"] = True
        if any(t.internal_data for t in wf.get_tasks()):
            seen["timer_data"] = True

    run_through(specs, plain_answers, on_step=watch)
    assert seen == {"subprocess": True, "timer_data": True}


ODD_VALUES = {
    **SAMPLE,
    "typename": "not an object",
    "looks_serialized": {"typename": "datetime", "value": "2026-01-05T09:00:00"},
    "nested_typename": [{"typename": "Decimal", "value": "1"}, {"a": {"typename": "x"}}],
    "pair": (1, "a"),
    "flag_int": 1,
    "flag_bool": True,
    "nan_like": float("inf"),
    "unicode_key_é": "✓",
}


def test_same_for_every_kind_of_value(specs):  # noqa: F811
    def answers(task):
        return {**ODD_VALUES, "step": task.task_spec.name}

    run_through(specs, answers)


def test_deleted_and_changed_keys_give_the_same_delta(specs):  # noqa: F811
    def answers(task):
        # a changed value, a removed key and a key whose value only changes type
        task.data.pop("scratch", None)
        task.data["amount"] = 30 if task.task_spec.name == "submit" else 31
        return {"approved": 1 if task.task_spec.name == "submit" else True,
                "when": datetime(2026, 1, 5) if task.task_spec.name == "submit"
                else date(2026, 1, 5)}

    run_through(specs, answers, amount=29)


def test_workflow_data_and_callables_are_treated_alike(specs):  # noqa: F811
    registry, spec, subs = specs
    wf = attach(BpmnWorkflow(spec, subs), registry)
    wf.data.update({"total": Decimal("3.10"), "helper": len, "when": date(2026, 3, 1),
                    "inner": {"fn": print, "ok": [UUID(int=5), timedelta(seconds=3)]}})
    [start] = wf.get_tasks(state=TaskState.READY)
    start.data.update({"callback": lambda: 1, "amount": 3})
    assert_same(wf)
    assert "helper" not in state_dict(wf)["data"]


@pytest.mark.parametrize("value", [object(), b"raw", complex(1, 2)],
                         ids=["object", "bytes", "complex"])
def test_unsupported_values_fail_the_same_way(specs, value):  # noqa: F811
    registry, spec, subs = specs
    wf = attach(BpmnWorkflow(spec, subs), registry)
    wf.do_engine_steps()
    [task] = [t for t in wf.get_tasks(state=TaskState.READY) if t.task_spec.manual]
    task.data["odd"] = value
    with pytest.raises(TypeError):
        dumps_state(wf)
    with pytest.raises(TypeError):
        json.dumps(registry_dict(wf))


def test_stored_text_loads_back(specs):  # noqa: F811
    """dumps_state uses the fast path; what it writes must load into an equal state."""
    _, spec, subs = specs

    def reload_check(wf):
        assert_same(wf)
        again = loads_state(dumps_state(wf), spec, subs)
        assert state_dict(again) == state_dict(wf)

    run_through(specs, lambda task: {**ODD_VALUES, "pair": [1, "a"]}, on_step=reload_check)


def normalised(text: str) -> str:
    """JSON text re-encoded one way, so texts that mean the same compare equal."""
    return json.dumps(json.loads(text), sort_keys=True)


@pytest.mark.parametrize("value", [
    float("inf"), float("-inf"), float("nan"), 2**70, -(2**80), {1: "an int key"},
    "\ud800 lone surrogate", 1e16, 0.1, 5e-324, "é ✓ \u2028", [1.5, {"x": None}],
], ids=["inf", "-inf", "nan", "big-int", "big-negative", "int-key", "surrogate", "1e16",
        "0.1", "tiny", "unicode", "nested"])
def test_stored_text_means_what_the_standard_encoder_writes(specs, value):  # noqa: F811
    """dumps_state writes with orjson and falls back to json.dumps for what orjson would
    refuse or change (e.g. it would write NaN as null): the text must mean the same."""
    registry, spec, subs = specs
    wf = attach(BpmnWorkflow(spec, subs), registry)
    wf.do_engine_steps()
    [task] = [t for t in wf.get_tasks(state=TaskState.READY) if t.task_spec.manual]
    task.data["v"] = value
    text = dumps_state(wf)
    assert normalised(text) == normalised(json.dumps(registry_dict(wf), separators=(",", ":")))
    again = loads_state(text, spec, subs).get_task_from_id(task.id).data["v"]
    expected = json.loads(json.dumps(value))  # what JSON can give back (int keys -> str)
    if isinstance(value, float) and value != value:
        assert again != again
    else:
        assert again == expected and type(again) is type(expected)


def test_loading_gives_what_spiffs_own_task_converter_gives(specs, monkeypatch):  # noqa: F811
    """EngineTaskConverter.from_dict is Spiff 3.2.0's with cached id parsing: a state loaded
    either way must serialize to the same dict, at every step of a run."""
    from functools import partial

    from SpiffWorkflow.bpmn.serializer.default.workflow import TaskConverter

    _, spec, subs = specs
    registry = SERIALIZER.registry
    typename = SERIALIZER.registry.typenames[__import__("SpiffWorkflow.task").task.Task]
    ours = registry.convert_from_dict[typename]
    converter = ours.args[0].__self__
    spiffs = partial(ours.func, partial(TaskConverter.from_dict, converter))

    def compare(wf):
        text = dumps_state(wf)
        fast = state_dict(loads_state(text, spec, subs))
        monkeypatch.setitem(registry.convert_from_dict, typename, spiffs)
        try:
            slow = state_dict(loads_state(text, spec, subs))
        finally:
            monkeypatch.setitem(registry.convert_from_dict, typename, ours)
        assert fast == slow == state_dict(wf)

    run_through(specs, plain_answers, on_step=compare)
