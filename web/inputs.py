"""Input bounds every request passes through, in one place (no input gives a 500).

- ``int`` URL parts and integer query/form parameters stay within a 32-bit signed integer
  (PostgreSQL's ``integer``; SQLite's 64-bit range is wider): an id beyond is a 404 in the
  URL (no such record), a 400 naming the parameter in the query string or form;
- control characters (NUL included) are refused in the path, in query parameters (names and
  values) and in form fields (tab, CR and LF allowed there: text areas): 400 naming the
  parameter;
- JSON bodies are parsed by orjson (NaN and Infinity are not JSON and are refused), at most
  :data:`MAX_JSON_DEPTH` deep, with no NUL in any string: 400 saying why;
- request bodies are at most ``MAX_CONTENT_LENGTH`` (16 MiB, uploads of diagrams and
  measurement files), and :data:`BODY_LIMITS` per endpoint less (413).

Views use :data:`MAX_INT` and :func:`refuse` for their own checks.
"""
from __future__ import annotations

import math
import re

import orjson
from flask import Request, g, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.datastructures import ImmutableMultiDict
from werkzeug.exceptions import BadRequest
from werkzeug.routing import IntegerConverter

from engine.i18n import _

#: the largest id or number a parameter may carry (PostgreSQL ``integer``)
MAX_INT = 2**31 - 1
MIN_INT = -(2**31)
MAX_JSON_DEPTH = 32
#: body size per endpoint (bytes); others get MAX_CONTENT_LENGTH
BODY_LIMITS = {
    "auth.login": 16 * 1024,
    "auth.logout": 16 * 1024,
    "api.submit": 256 * 1024,
    "api.complete": 1024 * 1024,
    "account.create_token": 16 * 1024,
    "account.end_session": 16 * 1024,
    "account.end_other_sessions": 16 * 1024,
    "portal.new_requirement": 256 * 1024,
    "portal.observe": 64 * 1024,
    "tasks.complete": 1024 * 1024,
    "tasks.claim": 16 * 1024,
    "tasks.unclaim": 16 * 1024,
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # tab, LF, CR allowed


class InputRefused(BadRequest):
    """400 with a message naming the parameter (shown as is by web/errors.py)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def refuse(message: str, field: str | None = None):
    raise InputRefused(message, field)


class BoundedIntConverter(IntegerConverter):
    """``<int:...>`` within 0 .. MAX_INT: a larger id matches no route (404)."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_INT, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


class BoundedMultiDict(ImmutableMultiDict):
    """``get(name, type=int)`` refuses a number outside the 32-bit range (400 naming it)."""

    def get(self, key, default=None, type=None):
        value = super().get(key, default, type)
        if type is int and isinstance(value, int) and not MIN_INT <= value <= MAX_INT:
            refuse(_("%(key)s: %(value)s is out of range (at most %(MAX_INT)s)",
                     key=key,
                     value=value,
                     MAX_INT=MAX_INT), key)
        return value


class SafeRequest(Request):
    parameter_storage_class = BoundedMultiDict

    def on_json_loading_failed(self, e):
        g.slm_refusal = (_("The body is not accepted: %(reason)s", reason=e) if e
                         else _("The body is not JSON."))
        raise InputRefused(g.slm_refusal)


def _check_parameters() -> None:
    """before_request: control characters in the path, query and form; body size."""
    limit = BODY_LIMITS.get(request.endpoint or "")
    if limit is not None:
        request.max_content_length = limit
    if _CONTROL.search(request.path):
        refuse(_("the address contains control characters"))
    for key, value in request.args.items(multi=True):
        if _CONTROL.search(key) or _CONTROL.search(value):
            refuse(_("%(shown)s: control characters are not allowed", shown=_shown(key)), key)
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for key, value in request.form.items(multi=True):
            if _CONTROL.search(key) or _CONTROL_IN_TEXT.search(value):
                refuse(_("%(shown)s: control characters are not allowed", shown=_shown(key)), key)
        for key, file in request.files.items(multi=True):
            if _CONTROL.search(key) or _CONTROL.search(file.filename or ""):
                refuse(_("%(field)s: control characters in the file name",
                         field=_shown(key)), key)


def _shown(key: str) -> str:
    return _CONTROL.sub("?", key)[:60] or "a parameter"


def json_problem(value, depth: int = 0) -> str | None:
    """Why a parsed JSON value is refused (too deep, NUL in a string, not finite), or None."""
    if depth > MAX_JSON_DEPTH:
        return _("nested more than %(MAX_JSON_DEPTH)s levels deep",
                 MAX_JSON_DEPTH=MAX_JSON_DEPTH)
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = ((None, v) for v in value)
    elif isinstance(value, str):
        return "NUL characters are not allowed" if "\x00" in value else None
    elif isinstance(value, float):
        return None if math.isfinite(value) else "NaN and Infinity are not numbers here"
    else:
        return None
    for key, item in items:
        if key is not None and "\x00" in key:
            return "NUL characters are not allowed"
        if problem := json_problem(item, depth + 1):
            return problem
    return None


class SafeJSONProvider(DefaultJSONProvider):
    """Loads with orjson (strict JSON: no NaN/Infinity; depth-limited, no recursion error)."""

    def loads(self, s, **kwargs):
        try:
            value = orjson.loads(s)
        except orjson.JSONDecodeError as exc:
            raise ValueError(_("not valid JSON: %(exc)s", exc=exc)) from None
        if problem := json_problem(value):
            raise ValueError(problem)
        return value


def init_inputs(app) -> None:
    """Install the converter, request class, JSON provider and the parameter hook; call
    before any other before_request hook is added (the access checks come after)."""
    app.url_map.converters["int"] = BoundedIntConverter
    app.request_class = SafeRequest
    app.json = SafeJSONProvider(app)
    app.before_request(_check_parameters)
