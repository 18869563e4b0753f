"""JSON Schema forms: checking schemas at deploy time and form data at completion."""
from __future__ import annotations

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from .errors import FormValidationError


def schema_problems(schema) -> list[str]:
    """Why ``schema`` is not a usable form schema (empty list when it is)."""
    if not isinstance(schema, dict):
        return ["a form schema must be a JSON object"]
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(root)"
        return [f"invalid JSON Schema at {where}: {exc.message}"]
    if schema.get("type", "object") != "object":
        return ["a form schema must describe an object (type: object)"]
    return []


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


def validate_form(schema: dict | None, data) -> None:
    """Raise FormValidationError listing every problem by field; None schema accepts a dict."""
    if not isinstance(data, dict):
        raise FormValidationError({"": ["form data must be a JSON object"]})
    if not schema:
        return
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors: dict[str, list[str]] = {}
    for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.path))):
        errors.setdefault(field_path(err), []).append(err.message)
    if errors:
        raise FormValidationError(errors)
