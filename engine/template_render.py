"""Jinja over task data, as a sandbox worker runs it (engine.sandbox_worker, op "template").

The template is the diagram author's text (``instructionsForEndUser``); the worker renders
it in Jinja's ImmutableSandboxedEnvironment (no attributes starting with an underscore, no
changing the data, ``range`` bounded) and under the worker's operating-system limits (CPU
seconds, memory, no files). Output stops at ``MAX_CHARS``. Undefined names are errors, so
that an author's typo is reported rather than shown as a blank.
"""
from __future__ import annotations

from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .i18n import _

#: the longest text a template may produce
MAX_CHARS = 100_000

_ENV = ImmutableSandboxedEnvironment(autoescape=False, undefined=StrictUndefined,
                                     auto_reload=False, cache_size=64)


class TemplateTooLong(Exception):
    """The template produced more than MAX_CHARS characters."""


def render(source: str, data: dict, max_chars: int = MAX_CHARS) -> str:
    """``source`` rendered over ``data``; raises Jinja's errors (syntax, undefined,
    security) and TemplateTooLong."""
    template = _ENV.from_string(source)
    out, size = [], 0
    for piece in template.generate(**(data if isinstance(data, dict) else {})):
        size += len(piece)
        if size > max_chars:
            raise TemplateTooLong(_("the instructions are longer than %(max_chars)s "
                                    "characters",
                                    max_chars=format(max_chars, ',')))
        out.append(piece)
    return "".join(out)
