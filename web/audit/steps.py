"""Each step's data as a person reads it: a tree of fields with formatted values (dates,
money, long texts folded), and the values that changed since the step last ran marked.

"The step last ran" is the previous event of the same element with data: a task done
again in a negotiation loop, a handler run again. Its values are compared path by path.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

#: audit event kinds whose data is what a person submitted or a handler computed
DATA_KINDS = ("task_completed", "handler_run", "instance_started", "timer_fired",
              "instance_migrated", "incident_raised")
LONG_TEXT = 120
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$")
MONEY_KEYS = ("cost", "price", "amount", "fee")


@dataclass
class Field:
    """One key of a step's data: a scalar shown as ``text`` or a list/object of ``children``."""

    key: str
    label: str
    text: str = ""
    #: how the value reads: text, long, date, money, number, yes/no, empty, list, object
    kind: str = "text"
    children: list[Field] = field(default_factory=list)
    #: changed since the step last ran (``was``: the value then); ``new``: not there then
    changed: bool = False
    was: str | None = None
    new: bool = False

    @property
    def has_changes(self) -> bool:
        return self.changed or self.new or any(c.has_changes for c in self.children)


def label(key: str) -> str:
    """``option_key`` -> ``Option key``; list indexes read as ``#1``."""
    if key.isdigit():
        return f"#{int(key) + 1}"
    text = key.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def _is_money(key: str) -> bool:
    return any(word in key.lower() for word in MONEY_KEYS)


def format_scalar(key: str, value) -> tuple[str, str]:
    """(text, kind) of a scalar value under ``key``."""
    if value is None or value == "":
        return "—", "empty"
    if isinstance(value, bool):
        return ("yes" if value else "no"), "yes/no"
    if _is_money(key) and isinstance(value, int | float | str):
        try:
            return f"{Decimal(str(value)):,.2f}", "money"
        except InvalidOperation:
            pass
    if isinstance(value, int | float):
        return f"{value:g}" if isinstance(value, float) else str(value), "number"
    text = str(value)
    if _DATE.match(text):
        try:
            return date.fromisoformat(text).strftime("%d %b %Y"), "date"
        except ValueError:
            return text, "text"
    if _DATETIME.match(text):
        try:
            at = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return text, "text"
        zone = "UTC" if at.utcoffset() in (None,) or not at.utcoffset() else at.strftime("%z")
        return f"{at.strftime('%d %b %Y %H:%M')} {zone}", "date"
    return text, ("long" if len(text) > LONG_TEXT or "\n" in text else "text")


def _flat(value, prefix: tuple = ()) -> dict[tuple, object]:
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            out.update(_flat(v, (*prefix, str(k))))
        return out or {prefix: {}}
    if isinstance(value, list):
        out = {}
        for i, v in enumerate(value):
            out.update(_flat(v, (*prefix, str(i))))
        return out or {prefix: []}
    return {prefix: value}


def build(data, before=None, organisations: dict | None = None) -> list[Field]:
    """The fields of ``data`` (a dict or list); ``before``: the data when the step last ran
    (None: it did not run before, nothing is marked); ``organisations``: key -> name, to
    show an ``organisation`` by its name."""
    prior = _flat(before) if before is not None else None
    items = data.items() if isinstance(data, dict) else enumerate(data)
    return [_field(str(k), v, prior, (str(k),), organisations or {}) for k, v in items]


def _scalar(name: str, value, organisations: dict) -> tuple[str, str]:
    if name == "organisation" and isinstance(value, str) and value in organisations:
        return organisations[value], "text"
    return format_scalar(name, value)


def _field(key: str, value, prior, path: tuple, orgs: dict) -> Field:
    if isinstance(value, dict | list) and value:
        children = [_field(str(k), v, prior, (*path, str(k)), orgs) for k, v in
                    (value.items() if isinstance(value, dict) else enumerate(value))]
        n = len(value)
        text = f"{n} item{'' if n == 1 else 's'}" if isinstance(value, list) else \
            ", ".join(label(str(k)) for k in value)[:80]
        return Field(key, label(key), text, "list" if isinstance(value, list) else "object",
                     children)
    name = key if not key.isdigit() or len(path) < 2 else path[-2]
    if isinstance(value, dict | list):
        text, kind = "none", "empty"
    else:
        text, kind = _scalar(name, value, orgs)
    f = Field(key, label(key), text, kind)
    if prior is not None:
        if path not in prior:
            f.new = True
        elif prior[path] != value:
            was = prior[path]
            f.changed = True
            f.was = "—" if isinstance(was, dict | list) else _scalar(name, was, orgs)[0]
    return f


def pretty_json(value) -> str:
    """Indented JSON as a person reads it: no ``\\u0026``-style escapes (the page escapes
    for HTML)."""
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True)


def readable(events: list[dict], organisations: dict | None = None) -> list[dict]:
    """``events`` (event dicts of one instance, oldest first) with ``fields``: the tree of
    each data-bearing step, marked against the step's previous run; organisations
    (key -> name) by name."""
    last: dict[str, object] = {}
    for ev in events:
        data = ev["data"]
        ev["fields"] = []
        ev["reran"] = False
        if ev["kind"] not in DATA_KINDS or not isinstance(data, dict | list) or not data:
            continue
        step = f"{ev['kind']}:{ev['element_id'] or ''}"
        before = last.get(step)
        ev["reran"] = before is not None
        ev["fields"] = build(data, before, organisations)
        last[step] = data
    return events
