"""The catalogue's forms: request values -> handler arguments, and the errors only the web
layer can see (a rank that is not a whole number, service hours that do not parse...).

No Flask here: every function takes the submitted form (a mapping with ``get``).
"""
from __future__ import annotations

from engine.i18n import _
from handlers.delivery.service_hours import parse_service_hours
from handlers.errors import DomainError, ValidationError


def text(form, *names: str) -> dict:
    return {name: (form.get(name) or "").strip() for name in names}


def save(session, action, web_errors: dict | None = None):
    """Run ``action``; commit and return (result, {}), or roll back and return (None, errors).

    ``web_errors`` (found by the web layer) are shown together with the handler's, so every
    problem is named at once; with any error nothing is saved. One transaction per request:
    the handler only flushes, this commits or undoes it all.
    """
    try:
        result = action()
    except ValidationError as exc:
        session.rollback()
        return None, {**(web_errors or {}), **exc.errors}
    if web_errors:
        session.rollback()
        return None, web_errors
    session.commit()
    return result, {}


def service_values(form, new: bool) -> tuple[dict, dict]:
    values = text(form, "name", "owner", "status")
    values["description"] = (form.get("description") or "").strip()
    errors: dict = {}
    if new:
        values["key"] = (form.get("key") or "").strip()
        org = (form.get("organisation_id") or "").strip()
        values["organisation_id"] = int(org) if org.isdigit() else None
        if org and not org.isdigit():
            errors["organisation_id"] = [_("choose an organisation from the list")]
    return values, errors


def level_values(form) -> tuple[dict, dict]:
    """(values as typed, errors); ``option_args`` turns the values into handler arguments."""
    values = text(form, "name", "monthly_cost", "service_hours", "timezone")
    values["description"] = (form.get("description") or "").strip()
    raw_rank = (form.get("rank") or "").strip()
    errors: dict = {}
    try:
        values["rank"] = int(raw_rank)
        if values["rank"] < 1:
            raise ValueError
    except ValueError:
        values["rank"] = raw_rank
        errors["rank"] = [_("rank must be a whole number of at least 1 (1 = the lowest level)")]
    if values["service_hours"] and values["timezone"]:
        try:
            parse_service_hours(values["service_hours"], values["timezone"])
        except DomainError as exc:
            field = "timezone" if "timezone" in str(exc) else "service_hours"
            errors[field] = [str(exc)]
    return values, errors


def option_args(values: dict) -> dict:
    """The level's handler arguments: a rank that is not a number (already an error) as 1."""
    return {**values, "rank": values["rank"] if isinstance(values["rank"], int) else 1}


def target_values(form) -> dict:
    """metric key, comparator (None: from the metric's direction), threshold (a float when it
    is a number, else the text as typed, so the rule-6 check can name it), period."""
    values = text(form, "metric", "comparator", "threshold", "period")
    threshold = values["threshold"]
    try:
        values["threshold"] = float(threshold) if threshold else None
    except ValueError:
        pass  # kept as text: target_problems says it is not a number
    values["comparator"] = values["comparator"] or None
    return values


def supporting_values(form) -> dict:
    values = text(form, "kind", "owner", "agreement")
    values["required"] = form.get("required") == "on"
    return values


def metric_values(form, new: bool) -> dict:
    values = text(form, "name", "unit", "direction", "aggregation", "data_source")
    values["description"] = (form.get("description") or "").strip()
    if new:
        values["key"] = (form.get("key") or "").strip()
    return values


def ci_values(form, new: bool) -> dict:
    values = text(form, "name", "ci_type", "status", "location")
    if new:
        values["key"] = (form.get("key") or "").strip()
    return values


def shown(values: dict) -> dict:
    """Values as the form shows them again: None as empty, numbers as typed."""
    return {k: "" if v is None else (f"{v:g}" if isinstance(v, float) else v)
            for k, v in values.items()}
