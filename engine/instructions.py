"""What a person reads on a task: ``instructionsForEndUser`` filled in from the task data.

The text is Markdown with Jinja (SpiffArena's convention). Jinja runs in a sandbox worker
(engine.template_render, through engine.sandbox_pool) under the same limits as scripts;
text without any Jinja mark never leaves this process. Turning the Markdown into safe HTML
is the web layer's business.
"""
from __future__ import annotations

from dataclasses import dataclass

from .sandbox_pool import SandboxLimitError, get_pool
from .script_limits import ScriptSandboxError
from .scripting import script_time_limit
from .template_render import MAX_CHARS

#: what makes a text a template
_MARKS = ("{{", "{%", "{#")
#: bytes of the worker's answer: the text (UTF-8, JSON-escaped) and its envelope
_MAX_ANSWER = MAX_CHARS * 6 + 1024


@dataclass(frozen=True)
class Filled:
    """The instructions to show (Markdown) and, when filling them in failed, why (then
    ``text`` is the author's text as written)."""

    text: str
    problem: str | None = None


def fill_instructions(source: str, data: dict, time_limit: float | None = None) -> Filled:
    """``source`` with its Jinja evaluated over ``data`` in a sandbox worker. Never raises
    for anything in the template: a syntax error, an undefined name, a forbidden attribute,
    a limit (time, memory, length) becomes ``problem``."""
    if not source or not any(mark in source for mark in _MARKS):
        return Filled(source or "")
    limit = time_limit or script_time_limit()
    request = ("template", source, dict(data or {}), None, None, limit, _MAX_ANSWER)
    try:
        answer = get_pool().run(request, limit, _MAX_ANSWER + 1024)
    except SandboxLimitError as exc:
        return Filled(source, _problem(exc.describe("template")))
    except ScriptSandboxError as exc:
        return Filled(source, _problem(str(exc)))
    if answer.get("ok") and isinstance(answer.get("value"), str):
        return Filled(answer["value"])
    if answer.get("limit") == "time":
        return Filled(source, _problem(f"the template ran longer than {limit:g} s"))
    if answer.get("limit") == "memory":
        return Filled(source, _problem("the template used too much memory"))
    if answer.get("limit") == "output":
        return Filled(source, _problem(f"the template gives more than {MAX_CHARS:,} "
                                       "characters"))
    kind = str(answer.get("type", "Error"))
    message = " ".join(str(answer.get("message", "")).split())[:300]
    return Filled(source, _problem(f"{_KINDS.get(kind, kind)}: {message}"))


_KINDS = {"TemplateSyntaxError": "syntax error", "UndefinedError": "unknown name",
          "SecurityError": "not allowed"}


def _problem(reason: str) -> str:
    return f"The instructions could not be filled in from the task data ({reason})."
