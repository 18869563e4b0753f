"""Restricted execution of BPMN scripts and expressions, and service-task calls.

Scripts run under RestrictedPython: no imports, no ``open``/``eval``/``exec``, no names or
attributes starting with an underscore, writes only to plain containers. Diagram
authors get a small set of safe builtins plus ``datetime``, ``date``, ``timedelta``
and ``Decimal`` values.

Runaway code is stopped: every loop, comprehension, function and lambda body calls a
guard that raises ScriptSandboxError once one evaluate()/execute() call has run longer
than ``SLM_SCRIPT_TIME_LIMIT`` seconds (default 2), and ``*``, ``**``, ``<<``, ``pow``
and long ``range`` objects are checked so that one operation cannot build a huge value
or run for long inside C code, where the guard cannot interrupt it.
"""
from __future__ import annotations

import ast
import json
import math
import os
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from uuid import UUID

from RestrictedPython import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safe_builtins,
    safer_getattr,
)
from RestrictedPython.PrintCollector import PrintCollector
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from .clock import aware
from .registry import HandlerRegistry, SteppingContext
from .sandbox_env import SandboxEnvironment
from .sandbox_pool import max_state_bytes
from .script_limits import (
    GUARD_NAME,
    GuardingTransformer,
    MemoryLimitError,
    ScriptSandboxError,
    guarded_lshift,
    guarded_mul,
    guarded_pow,
    inplacevar,
    make_guard,
    make_range,
)
from .step_limits import StepLimitError

FORBIDDEN_NAMES = {
    "open", "eval", "exec", "compile", "__import__", "globals", "locals", "vars",
    "getattr", "setattr", "delattr", "input", "breakpoint", "help", "exit", "quit",
}


# -- limits ----------------------------------------------------------------------------------
DEFAULT_SCRIPT_TIME_LIMIT = 2.0


def script_time_limit(environ=os.environ) -> float:
    """Seconds one script or expression may run: ``SLM_SCRIPT_TIME_LIMIT`` (default 2)."""
    raw = environ.get("SLM_SCRIPT_TIME_LIMIT", "").strip()
    if not raw:
        return DEFAULT_SCRIPT_TIME_LIMIT
    try:
        value = float(raw)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"SLM_SCRIPT_TIME_LIMIT must be a positive number of seconds, "
                         f"not {raw!r}")
    return value


#: read once at import; tests may lower it (each evaluate()/execute() reads it when it starts)
SCRIPT_TIME_LIMIT = script_time_limit()
def _apply(func, *args, **kwargs):
    return func(*args, **kwargs)


def _builtins() -> dict:
    b = dict(safe_builtins)
    b.pop("__build_class__", None)  # no class definitions in diagram scripts
    for f in (list, dict, set, frozenset, sum, min, max, any, all, enumerate, map, filter,
              reversed):
        b[f.__name__] = f
    b["pow"] = guarded_pow  # range is set per call (it needs that call's loop guard)
    return b


_BUILTINS = _builtins()
BASE_GLOBALS = {
    "__builtins__": _BUILTINS,
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": iter,
    "_write_": full_write_guard,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_inplacevar_": inplacevar,
    "_print_": PrintCollector,
    "_apply_": _apply,
    "_sandbox_mul_": guarded_mul,
    "_sandbox_pow_": guarded_pow,
    "_sandbox_lshift_": guarded_lshift,
    "datetime": datetime,
    "date": date,
    "timedelta": timedelta,
    "Decimal": Decimal,
}
_HIDDEN = set(BASE_GLOBALS) | {GUARD_NAME}


def _check_imports(source: str) -> None:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return  # RestrictedPython reports it with the line
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            raise ScriptSandboxError(
                f"line {node.lineno}: import statements are not allowed in scripts")


@lru_cache(maxsize=2048)
def compile_script(source: str, mode: str = "exec"):
    """Compile ``source`` under the sandbox rules (cached); raise ScriptSandboxError."""
    _check_imports(source)
    compile_ = compile_restricted_exec if mode == "exec" else compile_restricted_eval
    result = compile_(source, policy=GuardingTransformer)
    if result.errors:
        raise ScriptSandboxError("; ".join(result.errors))
    return result.code


def _explain(exc: Exception) -> Exception:
    if isinstance(exc, NameError) and getattr(exc, "name", None) in FORBIDDEN_NAMES:
        return ScriptSandboxError(f"'{exc.name}' is not available to scripts")
    if isinstance(exc, NameError) and "__build_class__" in str(exc):
        return ScriptSandboxError("class definitions are not allowed in scripts")
    if isinstance(exc, KeyError) and exc.args == ("__import__",):
        return ScriptSandboxError("this call needs an import, which scripts may not do "
                                  "(outside a running step, e.g. date.today() at deploy time)")
    if isinstance(exc, ImportError) and "__import__" in str(exc):
        return ScriptSandboxError("import statements are not allowed in scripts")
    if isinstance(exc, MemoryError):  # e.g. list(range(10**12)) sizes the list first
        return MemoryLimitError("out of memory: the code builds a value far too large")
    return exc


_STORABLE = (str, int, float, bool, type(None), datetime, date, timedelta, Decimal, UUID)


def _check_storable(name: str, value, where: str = "") -> None:
    """Raise ScriptSandboxError unless ``value`` can be kept in task data."""
    if isinstance(value, _STORABLE):
        return
    if isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_storable(name, item, f"{where}[{i}]")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ScriptSandboxError(f"{name!r}{where} has a {type(key).__name__} key "
                                         f"{key!r}; task data keys must be strings")
            _check_storable(name, item, f"{where}[{key!r}]")
        return
    raise ScriptSandboxError(f"{name!r}{where} holds a {type(value).__name__}, which task "
                             "data cannot store (use a list, a dict or plain values)")


_CLOCK_READERS = frozenset({"now", "utcnow", "today"})


def clock_getattr(now: datetime):
    """RestrictedPython's attribute guard, except that ``datetime.now()``,
    ``datetime.utcnow()``, ``datetime.today()`` and ``date.today()`` read ``now`` (the
    engine's clock, naive UTC) instead of the wall clock: a script computes what the step's
    time says, as timers do, and tests with fixed times get fixed results."""

    def now_(tz=None):
        return now if tz is None else aware(now).astimezone(tz)

    readers = {
        (datetime, "now"): now_, (datetime, "utcnow"): lambda: now,
        (datetime, "today"): lambda: now, (date, "today"): lambda: now.date(),
    }

    def getattr_(obj, name, *default):
        if name in _CLOCK_READERS and (obj is datetime or obj is date):
            return readers[obj, name]
        return safer_getattr(obj, name, *default)

    return getattr_


def _globals(context, external_context, what: str, now: datetime | None = None) -> dict:
    """The globals for one run, with a fresh time budget (SCRIPT_TIME_LIMIT, read now) and,
    given the engine's ``now``, clock readers that return it."""
    guard = make_guard(SCRIPT_TIME_LIMIT, what)
    builtins = {**_BUILTINS, "range": make_range(guard)}
    glb = {**BASE_GLOBALS, "__builtins__": builtins, **(external_context or {}), **context,
           GUARD_NAME: guard}
    if now is not None:
        glb["_getattr_"] = clock_getattr(now)
    return glb


class RestrictedEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates expressions and runs scripts over task data inside the sandbox.

    ``clock``, when set, returns the current step's time (or None): scripts then read it
    through ``datetime.now()`` and friends.
    """

    def __init__(self, clock=None):
        super().__init__()
        self.clock = clock

    def _now(self, source: str):
        # An attribute is named in the source (getattr() is not available to scripts), so
        # code that mentions neither "now" nor "today" needs no clock readers.
        if self.clock is None or ("now" not in source and "today" not in source):
            return None
        return self.clock()

    def evaluate(self, expression, context, external_context=None):
        code = compile_script(expression.strip(), "eval")
        glb = _globals(context, external_context, "expression", self._now(expression))
        try:
            return eval(code, glb)  # noqa: S307 - restricted bytecode
        except ScriptSandboxError:
            raise
        except Exception as exc:
            raise _explain(exc) from exc

    def execute(self, script, context, external_context=None):
        code = compile_script(script, "exec")
        glb = _globals(context, external_context, "script", self._now(script))
        try:
            exec(code, glb)  # noqa: S102 - restricted bytecode
        except ScriptSandboxError:
            raise
        except Exception as exc:
            raise _explain(exc) from exc
        hidden = _HIDDEN | set(external_context or ())
        for key, value in glb.items():
            if key not in hidden and not key.startswith("_") and not callable(value):
                _check_storable(key, value)
        for key in list(context):
            if key not in glb:
                del context[key]
        for key, value in glb.items():
            if key in hidden or key.startswith("_") or callable(value):
                continue
            context[key] = value
        return True


class EngineScriptEngine(PythonScriptEngine):
    """The script engine set on every loaded workflow.

    Diagram code runs in the sandbox workers (engine.sandbox_env); RestrictedEnvironment
    above is what each worker runs it with.

    It carries the current step's context (session, clock, actor, instance) so that
    timers read the engine's clock and service tasks reach the handler registry.
    """

    def __init__(self, registry: HandlerRegistry):
        super().__init__(environment=SandboxEnvironment(
            clock=lambda: self.now, time_limit=lambda: SCRIPT_TIME_LIMIT))
        self.registry = registry
        self.session = None
        self.now: datetime | None = None
        self.actor = "system"
        self.instance_id: int | None = None
        self.on_handler_run = None  # callback(task, name, params, result)
        self.start_process = None  # callback(process_id, data, organisation, title)
        #: what a handler's first use of ``ctx.session`` calls (the runtime opens the
        #: handler's savepoint there)
        self.open_session = lambda: self.session

    def call_service(self, task, operation_name=None, operation_params=None, **_kw):
        """Call the registered handler; return its result as a JSON string, as Spiff expects."""
        handler = self.registry.get(operation_name)
        if handler is None:
            raise LookupError(f"no handler registered as {operation_name!r}")
        params = {k: v["value"] for k, v in (operation_params or {}).items()}
        ctx = SteppingContext(
            session=self.open_session, now=self.now, instance_id=self.instance_id,
            task_id=str(task.id), element_id=task.task_spec.bpmn_id or task.task_spec.name,
            actor=self.actor, data=dict(task.data), start_process=self.start_process,
        )
        result = handler.func(params, ctx)
        if result is None:
            result = {}
        if not isinstance(result, dict):
            kind = type(result).__name__
            raise TypeError(f"handler {operation_name!r} returned {kind}, not a dict")
        text = json.dumps(result, default=_json_default)
        limit = max_state_bytes()
        if len(text) > limit:
            raise StepLimitError(f"the task data written here would take more than {limit:,} "
                                 "bytes (SLM_MAX_STATE_BYTES); nothing of it was stored")
        if self.on_handler_run is not None:
            self.on_handler_run(task, operation_name, params, json.loads(text))
        return text


def _json_default(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")
