"""SpiffWorkflow's script environment for the engine: diagram code goes to the sandbox.

Spiff calls ``evaluate`` for conditions, timer, multi-instance and parameter expressions,
and ``execute`` for scripts, pre- and post-scripts. Both send the code and the task data it
names to a sandbox worker (engine.sandbox_pool); the only code run in the engine's process is an
expression that engine.safe_expr accepts (names, subscripts, literals, comparisons and
boolean operators).
"""
from __future__ import annotations

import ast
from functools import lru_cache

from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from .safe_expr import evaluate_safe, safe_code
from .sandbox_pool import DiagramCodeError, SandboxLimitError, get_pool, max_state_bytes
from .script_limits import ScriptSandboxError

#: room for the answer's envelope on top of the data itself
_ENVELOPE = 64 * 1024


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    """Evaluates expressions and runs scripts over task data in the sandbox workers.

    ``clock`` returns the current step's time (scripts read it through ``datetime.now()``),
    ``time_limit`` the seconds one evaluation may take (read at every call).
    """

    def __init__(self, clock, time_limit):
        super().__init__()
        self.clock = clock
        self.time_limit = time_limit
        self.evaluations = 0

    def _now(self, source: str):
        if "now" not in source and "today" not in source:
            return None
        return self.clock()

    def _run(self, op: str, source: str, context: dict, external):
        limit, max_bytes = self.time_limit(), max_state_bytes()
        request = (op, source, context, _only(external, source) if external else None,
                   self._now(source), limit, max_bytes)
        self.evaluations += 1
        answer = get_pool().run(request, limit, max_bytes + _ENVELOPE)
        if answer.get("ok"):
            return answer
        if answer.get("limit") == "memory":
            raise SandboxLimitError("memory", get_pool().memory_mb)
        if answer.get("limit") == "time":
            raise SandboxLimitError("time", limit)
        if answer.get("limit") == "output":
            raise SandboxLimitError("output", max_bytes)
        kind, message = str(answer.get("type", "Error")), str(answer.get("message", ""))
        exc = (ScriptSandboxError(message) if kind == "ScriptSandboxError"
               else DiagramCodeError(kind, message))
        tb = answer.get("traceback")
        if tb:
            exc.add_note("in the sandbox worker:\n" + str(tb))
        raise exc

    def evaluate(self, expression, context, external_context=None):
        code = safe_code(expression)
        if code is not None:
            return evaluate_safe(code, context, external_context)
        source = expression.strip()
        return self._run("eval", source, _only(context, source), external_context).get("value")

    def execute(self, script, context, external_context=None):
        sent = _only(context, script)
        data = self._run("exec", script, sent, external_context).get("data")
        if not isinstance(data, dict):
            raise ScriptSandboxError("malformed answer from the sandbox")
        for key in sent:  # what the script deleted; what it did not name stays as it is
            if key not in data:
                del context[key]
        context.update(data)
        return True


@lru_cache(maxsize=4096)
def names_in(source: str) -> frozenset | None:
    """Every name ``source`` mentions (None if it does not parse). Diagram code cannot
    reach a variable it does not name (no ``globals()``, ``vars()`` or ``eval`` in the
    sandbox), so a worker is sent only these: less to copy for instances with much data."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return frozenset(node.id for node in ast.walk(tree) if isinstance(node, ast.Name))


def _only(values: dict, source: str) -> dict:
    names = names_in(source)
    if names is None:
        return dict(values)
    return {k: v for k, v in values.items() if k in names}
