"""The script sandbox (RestrictedEnvironment): runaway code, huge values and the time
limit setting.
"""
from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from scripting_support import ENV, ev, run

from engine import script_limits, scripting
from engine.scripting import (
    ScriptSandboxError,
    compile_script,
    script_time_limit,
)

# -- runaway code ----------------------------------------------------------------------------
LIMIT = 0.05  # seconds: the runaway cases below each take about this long


@pytest.fixture
def short_limit(monkeypatch):
    monkeypatch.setattr(scripting, "SCRIPT_TIME_LIMIT", LIMIT)


RUNAWAY_SCRIPTS = {
    "while-true": "while True:\n    pass",
    "huge-for": "total = 0\nfor i in range(10**12):\n    total += i",
    "comprehension": "found = [i for i in range(10**12) if i < 0]",
    "generator-in-sum": "n = sum(1 for i in range(10**12))",
    "builtin-over-huge-range": "n = sum(range(10**12))",
    "recursion": "def f(n):\n    if n:\n        f(n - 1)\n        f(n - 1)\nf(100)",
    "lambda-recursion": "f = lambda n: n and (f(n - 1), f(n - 1))\nx = f(100)",
    "error-swallowed": ("while True:\n    try:\n        while True:\n            pass\n"
                        "    except Exception:\n        pass"),
}


@pytest.mark.parametrize("case", RUNAWAY_SCRIPTS)
def test_runaway_script_fails_naming_the_limit(case, short_limit):
    ctx = {"amount": 5}
    with pytest.raises(ScriptSandboxError) as info:
        ENV.execute(RUNAWAY_SCRIPTS[case], ctx)
    assert str(info.value) == "script ran longer than 0.05 s (a loop that does not end?)"
    assert ctx == {"amount": 5}


@pytest.mark.parametrize("expression", [
    "any(i < 0 for i in range(10**12))",
    "len([i for i in range(10**12)]) > 0",
    "sum(range(10**12)) > 0",
])
def test_runaway_expression_fails_naming_the_limit(expression, short_limit):
    with pytest.raises(ScriptSandboxError) as info:
        ev(expression)
    assert str(info.value) == "expression ran longer than 0.05 s (a loop that does not end?)"


def test_each_call_starts_a_fresh_budget(monkeypatch):
    """A fake clock that moves 0.5 s per reading: with a 2 s limit the guard may read it
    four times after the run starts, however many runs came before."""
    clock = iter(range(10**6))
    monkeypatch.setattr(script_limits.time, "monotonic", lambda: next(clock) * 0.5)
    monkeypatch.setattr(scripting, "SCRIPT_TIME_LIMIT", 2.0)
    for _ in range(3):
        assert run("n = 0\nfor i in range(3):\n    n += i") == {"n": 3, "i": 2}
    with pytest.raises(ScriptSandboxError, match="script ran longer than 2 s"):
        run("n = 0\nfor i in range(5):\n    n += i")


def test_ordinary_loops_still_work():
    got = run("total = 0\nfor i in range(10000):\n    total += i\n"
              "n = 0\nwhile n < 10000:\n    n += 1\n"
              "evens = len([i for i in range(10000) if i % 2 == 0])\n"
              "def fact(k):\n    return 1 if k < 2 else k * fact(k - 1)\nf = fact(20)\n"
              "big = sum(range(10**6))")
    assert got == {"total": sum(range(10000)), "i": 9999, "n": 10000, "evens": 5000,
                   "f": 2432902008176640000, "big": sum(range(10**6))}


def test_huge_ranges_stay_usable_without_iterating():
    assert ev("len(range(10**12)) == 10**12 and 10**11 in range(10**12) "
              "and range(10**12)[7] == 7 and range(10**12).index(5) == 5 "
              "and range(0, 10**12, 2).step == 2 and len(range(10**12)[::2]) == 5 * 10**11")
    assert run("r = list(reversed(range(3)))\nt = isinstance(r, list)") == {"r": [2, 1, 0],
                                                                           "t": True}


@pytest.mark.parametrize("script", [
    "_loop_guard_ = None",
    "_loop_guard_()",
    "guard = _loop_guard_",
    "del _loop_guard_",
    "def f(_loop_guard_):\n    pass",
    "def _loop_guard_():\n    return True",
    "for _loop_guard_ in [1]:\n    pass",
    "_sandbox_mul_ = None",
])
def test_the_guard_cannot_be_reached_or_rebound(script):
    with pytest.raises(ScriptSandboxError, match="is an invalid variable name because it "
                                                 'starts with "_"'):
        compile_script(script)  # refused when compiled, before anything runs


def test_task_data_cannot_replace_the_guard(short_limit):
    ctx = {"_loop_guard_": None}
    with pytest.raises(ScriptSandboxError, match="script ran longer than 0.05 s"):
        ENV.execute("while True:\n    pass", ctx)
    assert ctx == {"_loop_guard_": None}


HUGE = {
    "str-repeat": ("x = 'x' * 10**10", "a str of 10,000,000,000 items"),
    "list-repeat": ("x = [0] * 10**10", "a list of 10,000,000,000 items"),
    "repeat-reversed": ("x = 10**10 * (0,)", "a tuple of 10,000,000,000 items"),
    "inplace-repeat": ("x = 'ab'\nx *= 10**9", "a str of 2,000,000,000 items"),
    "power": ("x = 3 ** 10**8", "a number of more than 100,000 bits"),
    "pow-builtin": ("x = pow(7, 10**9)", "a number of more than 100,000 bits"),
    "inplace-power": ("x = 3\nx **= 10**8", "a number of more than 100,000 bits"),
    "shift": ("x = 1 << 10**10", "a number of more than 100,000 bits"),
    "squaring": ("x = 3\nwhile True:\n    x = x * x", "a number of more than 100,000 bits"),
}


@pytest.mark.parametrize("case", HUGE)
def test_huge_values_are_refused_before_they_are_built(case):
    script, text = HUGE[case]
    with pytest.raises(ScriptSandboxError, match="this would build") as info:
        run(script)
    assert text in str(info.value)


def test_guarded_operators_keep_their_meaning():
    got = run("a = 2 ** 0.5 * 2\nb = (-2) ** 3\nc = 2 ** -1\nd = pow(3, 10**8, 7)\n"
              "e = Decimal('1.10') * 3\nf = '-' * 3 + 2 * 'ab'\ng = timedelta(hours=1) * 3\n"
              "h = 1 << 3\nl = [1]\nalias = l\nl *= 2\nn = 5\nn *= 4\nn **= 2")
    assert got == {"a": 2 ** 0.5 * 2, "b": -8, "c": 0.5, "d": pow(3, 10**8, 7),
                   "e": Decimal("3.30"), "f": "---abab", "g": timedelta(hours=3), "h": 8,
                   "l": [1, 1], "alias": [1, 1], "n": 400}


@pytest.mark.parametrize("value, expected", [(None, 2.0), ("", 2.0), ("0.5", 0.5), (" 10 ", 10.0)])
def test_time_limit_setting(value, expected):
    environ = {} if value is None else {"SLM_SCRIPT_TIME_LIMIT": value}
    assert script_time_limit(environ) == expected


@pytest.mark.parametrize("value", ["two", "0", "-1", "nan", "inf"])
def test_a_bad_time_limit_fails_clearly(value):
    with pytest.raises(ValueError, match="SLM_SCRIPT_TIME_LIMIT must be a positive number of "
                                         f"seconds, not '{value}'"):
        script_time_limit({"SLM_SCRIPT_TIME_LIMIT": value})


def test_a_bad_time_limit_stops_the_import():
    env = {"SLM_SCRIPT_TIME_LIMIT": "2s", "PATH": ""}
    done = subprocess.run([sys.executable, "-c", "import engine.scripting"], env=env,
                          cwd=Path(__file__).parents[2], capture_output=True, text=True,
                          check=False)
    assert done.returncode != 0
    assert "SLM_SCRIPT_TIME_LIMIT must be a positive number of seconds, not '2s'" in done.stderr
