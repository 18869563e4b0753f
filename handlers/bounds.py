"""Input bounds, declared once per model and checked wherever its records are written.

A text field is bounded by its column's length (``String(200)``: 200 characters) or, for
``Text`` columns and lists, by the model's ``LIMITS`` (``{"need": 5000, "wishes": 5}``).
Operations call :func:`check_bounds` with the values they are about to store, before anything
is written, so the portal's forms, the JSON API, imports and the CLI refuse the same input
with the same message naming the field (web answers 400 for a form, 422 for the API).
"""
from __future__ import annotations

from collections.abc import Mapping

from engine.i18n import _

#: Text columns without a LIMITS entry: generous, but not megabytes
DEFAULT_TEXT_LIMIT = 10_000


def limit_of(model, field: str) -> int | None:
    """The bound of ``model.field``: LIMITS, else the String column's length, else
    DEFAULT_TEXT_LIMIT for a Text column; None for a field that is not text or a list."""
    limits = getattr(model, "LIMITS", {})
    if field in limits:
        return limits[field]
    column = model.__table__.columns.get(field)
    if column is None:
        return None
    length = getattr(column.type, "length", None)
    if length:
        return length
    return DEFAULT_TEXT_LIMIT if column.type.python_type is str else None


def check_bounds(model, values: Mapping, errors: dict, prefix: str = "") -> dict:
    """Add "at most N characters/items" to ``errors`` (under ``prefix + field``) for every
    value of ``values`` beyond its bound on ``model``; returns ``errors``."""
    return check_limits({f: limit_of(model, f) for f in values}, values, errors, prefix)


def check_limits(limits: Mapping, values: Mapping, errors: dict, prefix: str = "") -> dict:
    """As check_bounds, with the bounds given (``{field: limit}``, None: unbounded), for
    values that are not columns of their own (the items of a JSON list column)."""
    for field, value in values.items():
        limit = limits.get(field) if isinstance(value, str | list | tuple) else None
        if limit is None or len(value) <= limit:
            continue
        unit = "characters" if isinstance(value, str) else "items"
        errors.setdefault(prefix + field, []).append(
            _("at most %(limit)s %(unit)s (got %(value)s)",
              limit=limit,
              unit=unit,
              value=len(value)))
    return errors
