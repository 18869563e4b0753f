"""JSON Schema forms: checking schemas at deploy time and form data at completion."""
from __future__ import annotations

import math

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from referencing.exceptions import Unresolvable

from .errors import FormValidationError
from .form_rules import form_validator, rule_problems
from .i18n import _


def schema_problems(schema) -> list[str]:
    """Why ``schema`` is not a usable form schema (empty list when it is)."""
    if not isinstance(schema, dict):
        return ["a form schema must be a JSON object"]
    broken = rule_problems(schema)
    if any("nested more than" in p for p in broken):
        return broken  # too deep to check against the meta-schema
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(root)"
        return [f"invalid JSON Schema at {where}: {exc.message}"]
    if schema.get("type", "object") != "object":
        return ["a form schema must describe an object (type: object)"]
    return broken


def resolve_schema(schema: dict | None, data: dict) -> dict | None:
    """The schema with data-driven choices filled in.

    A property (or an array's ``items``) with ``"x-enum-from": "name"`` gets
    ``enum`` = the values of the task data list ``name``; items that are objects give
    their ``"x-enum-value"`` key (default ``"key"``). Forms thus offer exactly the choices
    a handler computed (e.g. the ranked catalogue options), and the server refuses others.
    """
    if not schema:
        return schema

    def walk(node):
        if isinstance(node, dict):
            out = {k: walk(v) for k, v in node.items()}
            source = node.get("x-enum-from")
            if isinstance(source, str):
                key = node.get("x-enum-value", "key")
                items = data.get(source) or []
                out["enum"] = [i.get(key) if isinstance(i, dict) else i for i in items]
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


def field_path(error) -> str:
    """Dotted path of the field an error concerns; a missing required field names itself."""
    parts = [str(p) for p in error.absolute_path]
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        parts.append(missing)
    return ".".join(parts)


def validate_form(schema: dict | None, data, validator=None) -> None:
    """Raise FormValidationError listing every problem by field; None schema accepts a dict.

    ``validator``, when given, is a ready validator for ``schema`` (see check_task_form).
    """
    if not isinstance(data, dict):
        raise FormValidationError({"": [_("form data must be a JSON object")]})
    if not_finite := non_finite_fields(data):  # JSON Schema counts NaN and Infinity as numbers
        raise FormValidationError({f: [_("NaN and Infinity are not numbers")] for f in not_finite})
    if not schema:
        return
    if validator is None:
        validator = _validator(schema)
    errors: dict[str, list[str]] = {}
    try:
        found = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path)))
    except Unresolvable:  # a form deployed before references were checked
        raise FormValidationError({"": [
            _("this form refers to a schema outside itself, which is never fetched; ask the "
              "process owner to deploy a corrected form")]}) from None
    for err in found:
        errors.setdefault(field_path(err), []).append(err.message)
    if errors:
        raise FormValidationError(errors)


def non_finite_fields(data, path: str = "") -> list[str]:
    """Dotted paths of the NaN/Infinity floats in ``data``."""
    if isinstance(data, float):
        return [] if math.isfinite(data) else [path]
    if isinstance(data, dict):
        items = ((f"{path}.{k}" if path else str(k), v) for k, v in data.items())
    elif isinstance(data, list):
        items = ((f"{path}.{i}" if path else str(i), v) for i, v in enumerate(data))
    else:
        return []
    return [found for sub, value in items for found in non_finite_fields(value, sub)]


def _validator(schema: dict):
    return form_validator(schema)


def _is_dynamic(node) -> bool:
    if isinstance(node, dict):
        return "x-enum-from" in node or any(_is_dynamic(v) for v in node.values())
    if isinstance(node, list):
        return any(_is_dynamic(v) for v in node)
    return False


#: id(schema) -> (schema, validator or None when its choices come from task data). The
#: schema object is kept in the entry, so its id cannot be reused while it is cached.
_PREPARED: dict[int, tuple[dict, Draft202012Validator | None]] = {}


def check_task_form(schema: dict | None, task_data: dict, data) -> None:
    """validate_form for a task's form: the schema resolved against the task's data.

    Deployed form schemas live as long as their version's spec, so one without
    data-driven choices is compiled into a validator once, not at every completion.
    """
    if not schema:
        validate_form(schema, data)
        return
    entry = _PREPARED.get(id(schema))
    if entry is None or entry[0] is not schema:
        if len(_PREPARED) >= 1024:
            _PREPARED.clear()
        entry = _PREPARED[id(schema)] = (
            schema, None if _is_dynamic(schema) else _validator(schema))
    if entry[1] is None:
        validate_form(resolve_schema(schema, task_data), data)
    else:
        validate_form(schema, data, entry[1])
