"""A submitted task form as JSON data typed by the form's schema (no Flask here).

``form_to_data(schema, form)`` reads only the properties the schema declares (nothing else
the browser sends gets through), field names being dotted paths as rendered by
``form_fields``. Values are typed by schema: integers and numbers are parsed (what does not
parse is kept as typed, so validation names the field and the page shows it again),
booleans are checkboxes (absent = false), arrays of enums are checkbox groups, arrays are
read row by row. Empty text, empty rows and empty nested objects are left out, so a
required field left blank is reported as missing.
"""
from __future__ import annotations

import math
import re

from .form_fields import node_type

#: rows read per repeatable group at most (the form offers far fewer)
MAX_ROWS = 200
_MISSING = object()
_INTEGER = re.compile(r"[+-]?\d+")


def form_to_data(schema: dict | None, form) -> dict:
    """``form``: a MultiDict-like object (``get``, ``getlist``, ``keys``)."""
    if not schema:
        return {}
    return _object(schema, form, "", top=True)


def _value(node: dict, form, name: str):
    kind = node_type(node)
    if kind == "object":
        return _object(node, form, f"{name}.")
    if kind == "array":
        return _array(node, form, name)
    if kind == "boolean":
        return form.get(name) not in (None, "", "false", "off")
    return _scalar(node, form.get(name))


def _scalar(node: dict, raw):
    """One typed value from its text; _MISSING when left blank."""
    text = (raw or "").replace("\r\n", "\n").strip()
    if not text:
        return _MISSING
    kind = node_type(node)
    if kind in ("integer", "number"):
        return parse_number(text, kind)
    if kind == "boolean":
        return text in ("true", "on", "1")
    return text


def parse_number(text: str, kind: str):
    """The number in ``text``; the text itself when it is not one (validation says so)."""
    if _INTEGER.fullmatch(text):
        return int(text)
    try:
        number = float(text)
    except ValueError:
        return text
    if not math.isfinite(number):
        return text
    return int(number) if kind == "integer" and number.is_integer() else number


def _object(node: dict, form, prefix: str, top: bool = False):
    out = {}
    for name, sub in (node.get("properties") or {}).items():
        if not isinstance(sub, dict) or sub.get("readOnly"):
            continue
        value = _value(sub, form, f"{prefix}{name}")
        if value is not _MISSING:
            out[name] = value
    if top or any(not _blank(v) for v in out.values()):
        return out
    return _MISSING


def _array(node: dict, form, name: str):
    items = node.get("items") if isinstance(node.get("items"), dict) else {}
    if "enum" in items or "oneOf" in items or "x-enum-from" in items:
        chosen = (_scalar(items, raw) for raw in form.getlist(name))
        return [v for v in chosen if v is not _MISSING]
    values = (_value(items, form, f"{name}.{i}") for i in row_indexes(form, name))
    return [v for v in values if not _blank(v)]


def row_indexes(form, name: str) -> list[int]:
    """The row numbers submitted for the repeatable group ``name`` ("name.3.x" -> 3)."""
    pattern = re.compile(re.escape(name) + r"\.(\d{1,4})(?:\.|$)")
    found = {int(m[1]) for key in form.keys() if (m := pattern.match(key))}
    return sorted(found)[:MAX_ROWS]


def _blank(value) -> bool:
    return value is _MISSING or value is False or value == [] or value == {}
