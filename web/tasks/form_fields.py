"""A task's JSON Schema form as a tree of fields the templates render (no Flask here).

``build_form(schema, data, values, errors)`` takes the schema resolved against the task data
(``engine.forms.resolve_schema``), the task data (for the labels of data-driven choices),
the values to show (the task data, or what was just submitted) and the errors by field
path. Every field's HTML name is its dotted path ("priorities.0.priority"), the same path
``engine.forms.validate_form`` names in its errors, so each error lands at its field.

Widgets: text, textarea (``x-widget: textarea``, ``format: textarea`` or long text), number
(integers and numbers with their bounds), date (``format: date``), select or radios for
enums (labels from ``x-enum-from`` objects' ``label``, a ``oneOf`` of consts with titles,
or ``x-enum-labels``), checkbox (booleans), checkboxes (arrays of enums), list (arrays of
plain values), rows (arrays of objects: the existing rows and a few empty ones) and
fieldset (nested objects).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from engine.i18n import DEFAULT_LANGUAGE, _, current_language

from . import ui_schema

#: empty rows offered below the existing ones of a repeatable group
EXTRA_ROWS = 3
#: enums with more choices than this are a select rather than radio buttons
MAX_RADIOS = 5
#: strings allowed to be longer than this get a textarea
LONG_TEXT = 255
LABEL_KEYS = ("label", "title", "name")


def in_language(node, key: str):
    """``node[key]`` in the reader's language: ``key_ru`` (``title_ru``, ``description_ru``,
    ``x-enum-labels_ru``, ``x-instructions_ru``) when the form carries it, else ``key``: a
    form's texts stay as their author wrote them, in as many languages as they wrote."""
    if not isinstance(node, dict):
        return None
    language = current_language()
    if language != DEFAULT_LANGUAGE:
        localised = node.get(f"{key}_{language}")
        if localised:
            return localised
    return node.get(key)


@dataclass
class Field:
    name: str
    label: str
    widget: str
    value: Any = None
    required: bool = False
    help: str = ""
    errors: list = field(default_factory=list)
    #: (value as text, label) for enums
    options: list = field(default_factory=list)
    #: HTML attributes: min, max, step, maxlength
    attrs: dict = field(default_factory=dict)
    #: fieldset: its fields; list: one field per item; rows: one list of fields per row
    children: list = field(default_factory=list)
    #: rows: (heading, required, help) of each column
    columns: list = field(default_factory=list)

    @property
    def id(self) -> str:
        return "f-" + self.name.replace(".", "-")

    def checked(self, option_value: str) -> bool:
        values = self.value if isinstance(self.value, list) else [self.value]
        return option_value in {_text(v) for v in values if v is not None}


@dataclass
class FormView:
    fields: list
    #: errors that concern no single field (e.g. a rule across fields), by path
    general_errors: dict
    has_errors: bool = False


def build_form(schema: dict | None, data: dict, values: dict | None,
               errors: dict | None = None, ui: dict | None = None) -> FormView:
    """``ui``: the form's ui schema (web.tasks.ui_schema), if it has one."""
    errors = {k: [humanize(m) for m in v] for k, v in (errors or {}).items()}
    if not schema:
        return FormView([], errors, bool(errors))
    builder = _Builder(data or {}, errors)
    fields = builder.properties(schema, values if isinstance(values, dict) else {}, "",
                                ui=ui if isinstance(ui, dict) else {})
    general = {k: v for k, v in errors.items() if k not in builder.placed}
    return FormView(fields, general, bool(errors))


class _Builder:
    def __init__(self, data: dict, errors: dict):
        self.data, self.errors, self.placed = data, errors, set()

    def properties(self, node: dict, values: dict, prefix: str,
                   compact: bool = False, ui: dict | None = None) -> list[Field]:
        required = set(node.get("required") or ())
        props = node.get("properties") or {}
        return [self.field(props[name], values.get(name), f"{prefix}{name}", name,
                           name in required, compact, ui_schema.of(ui, name))
                for name in ui_schema.ordered(list(props), ui)
                if isinstance(props[name], dict) and not props[name].get("readOnly")]

    def field(self, node: dict, value, path: str, key: str, required: bool,
              compact: bool = False, ui: dict | None = None) -> Field:
        """One field; ``compact`` (a cell of a row, an item of a list): no radios, no textarea."""
        self.placed.add(path)
        f = Field(name=path, label=in_language(node, "title") or humanize_name(key),
                  widget="text", value=value, required=required,
                  help=in_language(node, "description") or "",
                  errors=self.errors.get(path, []))
        kind = node_type(node)
        widget = node.get("x-widget")
        if kind == "object":
            f.widget = "fieldset"
            f.children = self.properties(node, value if isinstance(value, dict) else {},
                                         f"{path}.", ui=ui)
        elif kind == "array":
            self.array(f, node, value, ui_schema.of(ui, "items"))
        elif kind == "boolean":
            f.widget = "checkbox"
            f.value = value is True
        elif "enum" in node or "oneOf" in node:
            f.options = self.options(node)
            few = len(f.options) <= MAX_RADIOS and not compact
            f.widget = widget or ("radios" if few else "select")
        elif kind in ("integer", "number"):
            f.widget = "number"
            f.attrs = number_attrs(node, kind)
        elif node.get("format") == "date":
            f.widget = "date"
        else:
            long = (node.get("maxLength") or 0) > LONG_TEXT and not compact
            f.widget = widget or ("textarea" if long or node.get("format") == "textarea"
                                  else "text")
            if node.get("maxLength"):
                f.attrs["maxlength"] = node["maxLength"]
        if f.widget not in ("fieldset", "rows", "list", "checkbox", "checkboxes"):
            f.value = "" if value is None else value
        if ui:
            ui_schema.apply(f, ui)
        return f

    def array(self, f: Field, node: dict, value, ui: dict | None = None) -> None:
        items = node.get("items") if isinstance(node.get("items"), dict) else {}
        existing = value if isinstance(value, list) else []
        if "enum" in items or "oneOf" in items:
            f.widget, f.options, f.value = "checkboxes", self.options(items), existing
            return
        count = len(existing) + EXTRA_ROWS
        if isinstance(node.get("maxItems"), int):
            count = max(len(existing), min(count, node["maxItems"]))
        padded = existing + [None] * (count - len(existing))
        if node_type(items) == "object":
            f.widget = "rows"
            required = set(items.get("required") or ())
            f.children = [self.properties(items, v if isinstance(v, dict) else {},
                                          f"{f.name}.{i}.", compact=True, ui=ui)
                          for i, v in enumerate(padded)]
            props = items.get("properties") or {}
            f.columns = [(cell.label, name in required, cell.help) for name, cell in zip(
                [n for n in ui_schema.ordered(list(props), ui)
                 if isinstance(props[n], dict) and not props[n].get("readOnly")],
                f.children[0] if f.children else [], strict=False)]
            for cell in (c for row in f.children for c in row):
                cell.help = ""  # said once, in the column heading
        else:
            f.widget = "list"
            f.children = [self.field(items, v, f"{f.name}.{i}", f"{f.label} {i + 1}", False,
                                     compact=True) for i, v in enumerate(padded)]

    def options(self, node: dict) -> list[tuple[str, str]]:
        """(value, label) of each choice."""
        if "enum" not in node:  # oneOf: [{const, title}]
            return [(_text(o["const"]), in_language(o, "title") or _text(o["const"]))
                    for o in node["oneOf"] if isinstance(o, dict) and "const" in o]
        labels = dict(in_language(node, "x-enum-labels") or {})
        source = node.get("x-enum-from")
        if isinstance(source, str):
            key = node.get("x-enum-value", "key")
            label_key = node.get("x-enum-label")
            for item in self.data.get(source) or []:
                if isinstance(item, dict):
                    keys = (label_key,) if label_key else LABEL_KEYS
                    label = next((item[k] for k in keys if item.get(k)), None)
                    if label is not None:
                        labels.setdefault(_text(item.get(key)), str(label))
        return [(_text(v), labels.get(_text(v)) or humanize_value(v)) for v in node["enum"]]


def enum_sources(schema) -> set[str]:
    """The task data lists the form offers choices from (``x-enum-from``)."""
    if isinstance(schema, dict):
        found = {schema["x-enum-from"]} if isinstance(schema.get("x-enum-from"), str) else set()
        return found.union(*(enum_sources(v) for v in schema.values()))
    if isinstance(schema, list):
        return set().union(*(enum_sources(v) for v in schema))
    return set()


def node_type(node: dict) -> str:
    """The node's JSON type ("string" when unsaid); of a list of types, the first not null."""
    kind = node.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind is None:
        kind = "object" if "properties" in node else "string"
    return kind


def number_attrs(node: dict, kind: str) -> dict:
    attrs = {"step": "1" if kind == "integer" else "any"}
    if "minimum" in node:
        attrs["min"] = node["minimum"]
    if "maximum" in node:
        attrs["max"] = node["maximum"]
    return attrs


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def humanize_name(name: str) -> str:
    text = str(name).replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def humanize_value(value) -> str:
    text = _text(value)
    if re.fullmatch(r"[a-z][a-z_-]*", text):  # "counter-propose" -> "Counter-propose"
        return humanize_name(text)
    return text


_MESSAGES = (
    (re.compile(r"^'[^']*' is a required property$"), lambda m: _("This field is required.")),
    (re.compile(r" is not one of "), lambda m: _("Choose one of the offered values.")),
    (re.compile(r" is not of type 'integer'$"), lambda m: _("Enter a whole number.")),
    (re.compile(r" is not of type 'number'$"), lambda m: _("Enter a number.")),
    (re.compile(r" is greater than the maximum of (\S+)$"),
     lambda m: _("At most %(limit)s.", limit=m[1])),
    (re.compile(r" is less than the minimum of (\S+)$"),
     lambda m: _("At least %(limit)s.", limit=m[1])),
    (re.compile(r" is not a 'date'$"), lambda m: _("Enter a date (YYYY-MM-DD).")),
    (re.compile(r" (is too short|should be non-empty)$"), lambda m: _("Too short.")),
    (re.compile(r" (is too long|is expected to be empty)$"), lambda m: _("Too long.")),
    (re.compile(r" has non-unique elements$"), lambda m: _("Each value may appear only once.")),
    (re.compile(r" is not valid under any of the given schemas$"),
     lambda m: _("These values do not fit together: fill in what your choice requires.")),
)


def humanize(message: str) -> str:
    """A validator message in words for people (unknown ones pass unchanged)."""
    for pattern, words in _MESSAGES:
        match = pattern.search(message)
        if match:
            return words(match)
    return message
