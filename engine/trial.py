"""Trying a script, condition or timer expression on sample task data, before deploying.

``try_expression`` is the one function the web layer calls (the modeler's "Try it"). It runs
the code exactly as a running step does (engine.sandbox_env: the sandbox worker processes,
under their limits; only trivially safe expressions in this process) on a copy of the sample
data and answers in words a process owner reads: the value, the data after a script, when a
timer fires, or what went wrong.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from .clock import as_utc
from .i18n import _
from .sandbox_env import SandboxEnvironment
from .sandbox_pool import DiagramCodeError, SandboxLimitError
from .scripting import ScriptSandboxError, script_time_limit
from .timer_events import parse_cycle

KINDS = ("condition", "script", "timer")
#: the most characters of code tried at once
MAX_CODE = 10_000


@dataclass
class TryResult:
    ok: bool
    result: str = ""
    changed: str = ""
    error: str = ""


def _json(value) -> str:
    return json.dumps(value, default=str, ensure_ascii=False, sort_keys=True)


#: what diagram code raised in a worker, by its type's name -> words
_RAISED = {"ZeroDivisionError": "division by zero",
           "KeyError": "the task data has no such entry",
           "NameError": "a name in the code is not in the task data"}


def _why(exc: Exception, kind: str = "code") -> str:
    """A failure in words: no exception class names or Python reprs."""
    if isinstance(exc, SandboxLimitError):
        return exc.describe(kind)
    if isinstance(exc, DiagramCodeError):
        if exc.type_name in ("NameError", "KeyError") and str(exc):
            return f"{_RAISED[exc.type_name]}: {exc}"
        if exc.type_name in _RAISED:
            return _RAISED[exc.type_name]
        if exc.type_name in ("TypeError", "ValueError", "IndexError", "AttributeError"):
            return f"the code cannot run on this data: {exc}"
        return "the code failed on this data"
    if isinstance(exc, KeyError) and exc.args:
        return f"the task data has no entry {exc.args[0]}"
    if isinstance(exc, NameError):
        name = getattr(exc, "name", None)
        return f"{name} is not in the task data" if name else "a name is not in the task data"
    if isinstance(exc, SyntaxError):
        return f"the code is not valid Python: {exc.msg}" + (
            f" (line {exc.lineno})" if exc.lineno else "")
    if isinstance(exc, ScriptSandboxError):
        return str(exc).replace("SyntaxError: ", "not valid Python: ")
    if isinstance(exc, ZeroDivisionError):
        return "division by zero"
    if isinstance(exc, TypeError | ValueError | IndexError | AttributeError):
        return f"the code cannot run on this data: {exc}"
    return "the code failed on this data"


def _words(delta) -> str:
    """A timedelta in words: "1 day 4 hours"."""
    seconds = int(delta.total_seconds())
    out = []
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        n, seconds = divmod(seconds, size)
        if n:
            out.append(f"{n} {unit}{'' if n == 1 else 's'}")
    return " ".join(out) or "no time"


def _timer(value, now: datetime) -> str:
    if not isinstance(value, str):
        raise ValueError(_("a timer must give an ISO 8601 text, e.g. \"PT4H\""))
    text = value.strip()
    if text.upper().startswith("R"):
        cycles, first, interval = parse_cycle(text, now)
        times = "without end" if cycles < 0 else f"{cycles} times"
        return (f"{text}: first at {first:%Y-%m-%d %H:%M} UTC, then every "
                f"{_words(interval)}, {times}")
    if text.upper().startswith("P"):
        duration = TimerEventDefinition.get_timedelta_from_start(
            TimerEventDefinition.parse_iso_duration(text), now)
        return f"{text}: fires at {now + duration:%Y-%m-%d %H:%M} UTC (after {_words(duration)})"
    at = TimerEventDefinition.parse_time_or_duration(text)
    return f"{text}: fires at {at:%Y-%m-%d %H:%M} UTC"


def try_expression(kind: str, code: str, data: dict, now: datetime) -> TryResult:
    """Run ``code`` (a condition, a script or a timer expression) on a copy of ``data``."""
    if kind not in KINDS:
        return TryResult(False, error=f"cannot try a {kind!s:.20}: choose a condition, a "
                                      "script or a timer")
    if not code.strip():
        return TryResult(False, error=f"the {kind} is empty")
    if len(code) > MAX_CODE:
        return TryResult(False, error=f"the {kind} is longer than {MAX_CODE} characters")
    now = as_utc(now).replace(tzinfo=None)
    env = SandboxEnvironment(clock=lambda: now, time_limit=script_time_limit)
    context = json.loads(json.dumps(data))
    try:
        if kind == "script":
            env.execute(code, context)
            return TryResult(True, result="the script ran", changed=_json(context))
        value = env.evaluate(code, context)
        if kind == "condition":
            taken = bool(value)
            return TryResult(True, result=("true: the flow is taken" if taken
                                           else "false: the flow is not taken"))
        try:
            return TryResult(True, result=_timer(value, now))
        except Exception:
            return TryResult(False, error=f"{_json(value)} is not an ISO 8601 duration, "
                                          "date or repeating interval")
    except Exception as exc:  # the sandbox raises what the code raises
        return TryResult(False, error=_why(exc, kind))
