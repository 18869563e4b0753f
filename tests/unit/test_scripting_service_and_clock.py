"""EngineScriptEngine.call_service and the engine's clock in the script sandbox.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from uuid import uuid4

import pytest
from scripting_support import ENV, run

from engine.registry import HandlerRegistry
from engine.scripting import (
    EngineScriptEngine,
    RestrictedEnvironment,
    ScriptSandboxError,
)


# -- call_service ----------------------------------------------------------------------------
def fake_task(data=None):
    spec = SimpleNamespace(bpmn_id="svc", name="svc")
    return SimpleNamespace(id=uuid4(), task_spec=spec, data=dict(data or {}))


def test_call_service_passes_params_and_context_and_returns_json():
    reg = HandlerRegistry()
    seen = {}

    @reg.register("echo", params={"a": "anything"})
    def echo(params, ctx):
        seen.update(params=params, ctx=ctx)
        return {"when": datetime(2026, 1, 5, 9), "day": date(2026, 1, 5),
                "price": Decimal("1.50"), "n": 1}

    se = EngineScriptEngine(reg)
    se.now, se.actor, se.instance_id, se.session = datetime(2026, 1, 5), "olga", 7, "S"
    runs = []
    se.on_handler_run = lambda task, name, params, result: runs.append((name, params, result))
    task = fake_task({"reason": "x"})

    text = se.call_service(task, operation_name="echo",
                           operation_params={"a": {"value": 3, "type": "int"}})

    assert json.loads(text) == {"when": "2026-01-05T09:00:00", "day": "2026-01-05",
                                "price": "1.50", "n": 1}
    ctx = seen["ctx"]
    assert seen["params"] == {"a": 3}
    assert (ctx.session, ctx.instance_id, ctx.actor, ctx.element_id) == ("S", 7, "olga", "svc")
    assert ctx.task_id == str(task.id) and ctx.data == {"reason": "x"}
    ctx.data["reason"] = "changed"
    assert task.data == {"reason": "x"}  # the handler gets a copy
    assert runs == [("echo", {"a": 3}, json.loads(text))]


def test_call_service_refuses_unknown_handlers_and_non_dict_results():
    reg = HandlerRegistry()
    reg.add("listy", lambda params, ctx: [1, 2])
    reg.add("nothing", lambda params, ctx: None)
    reg.add("odd", lambda params, ctx: {"s": {1, 2}})
    se = EngineScriptEngine(reg)
    with pytest.raises(LookupError, match="no handler registered as 'missing'"):
        se.call_service(fake_task(), operation_name="missing")
    with pytest.raises(TypeError, match="handler 'listy' returned list, not a dict"):
        se.call_service(fake_task(), operation_name="listy")
    assert se.call_service(fake_task(), operation_name="nothing") == "{}"
    with pytest.raises(TypeError, match="set is not JSON serializable"):
        se.call_service(fake_task(), operation_name="odd")


# -- the engine's clock ----------------------------------------------------------------------
STEP_TIME = datetime(2026, 3, 4, 5, 6, 7)


def clocked(now=STEP_TIME) -> RestrictedEnvironment:
    return RestrictedEnvironment(clock=lambda: now)


@pytest.mark.parametrize("script, expected", [
    ("t = datetime.now()", STEP_TIME),
    ("t = datetime.utcnow()", STEP_TIME),
    ("t = datetime.today()", STEP_TIME),
    ("t = date.today()", STEP_TIME.date()),
    ("t = datetime.now() + timedelta(days=2)", STEP_TIME + timedelta(days=2)),
    ("f = lambda: date.today()\nt = f()", STEP_TIME.date()),
], ids=["now", "utcnow", "today", "date.today", "arithmetic", "in-a-lambda"])
def test_scripts_read_the_steps_time_not_the_wall_clock(script, expected):
    data = {}
    clocked().execute(script, data)
    assert data["t"] == expected and type(data["t"]) is type(expected)


def test_a_time_zone_gives_the_same_moment_there():
    from zoneinfo import ZoneInfo

    data = {}
    clocked().execute("t = datetime.now(tz).isoformat()", data, {"tz": ZoneInfo("Europe/Berlin")})
    assert data["t"] == "2026-03-04T06:06:07+01:00"


def test_expressions_read_it_too_and_other_attributes_are_untouched():
    env = clocked()
    assert env.evaluate("date.today() >= due", {"due": date(2026, 3, 4)}) is True
    assert env.evaluate("datetime(2026, 1, 2).year", {}) == 2026
    assert env.evaluate("date.fromisoformat('2026-05-06').day", {}) == 6


def test_the_engine_script_engine_gives_each_step_its_own_time():
    se = EngineScriptEngine(HandlerRegistry())
    task = SimpleNamespace(data={})
    for now in (datetime(2026, 1, 1, 9), datetime(2027, 6, 30, 17, 45)):
        se.now = now
        se.execute(task, "seen = datetime.now()")
        assert task.data["seen"] == now


def test_without_a_clock_the_sandbox_still_refuses_the_unguarded_call():
    with pytest.raises(ScriptSandboxError, match="import"):
        run("d = date.today()")


def test_the_clocked_attribute_guard_keeps_restrictedpythons_checks():
    """str.format can reach attributes RestrictedPython's guard would refuse; the guard
    that adds the clock readers must still refuse it."""
    with pytest.raises(Exception, match="format"):
        clocked().evaluate("'{0}'.format(now)", {"now": 1})
    with pytest.raises(Exception, match="format"):
        ENV.evaluate("'{0}'.format(now)", {"now": 1})
