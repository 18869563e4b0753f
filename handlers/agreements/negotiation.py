"""SLA negotiation on terms as plain dicts: applying a counter-proposal, readable diffs.

``apply_changes(session, terms, changes)`` returns new terms (the old ones are untouched);
``diff_terms(old, new)`` lists what differs between any two versions as
``[{field, before, after, text}]`` with display strings, e.g.
``{"field": "targets.availability", "before": ">= 99.5 %", "after": ">= 99.9 %",
"text": "Availability target: >= 99.5 % -> >= 99.9 %"}``.
"""
from __future__ import annotations

import copy
import re
from calendar import monthrange
from datetime import date
from decimal import Decimal, InvalidOperation

from engine.i18n import _
from handlers.catalogue.operations import (
    default_comparator,
    is_number,
    metric_by_key,
    money,
    target_problems,
)
from handlers.errors import ValidationError

#: ISO 8601 duration, e.g. P1M, P3M, P2W, P1Y, PT12H
DURATION = re.compile(r"^P(?!$)(\d+Y)?(\d+M)?(\d+W)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+S)?)?$")
CHANGEABLE = ("targets", "review_cycle", "service_hours", "timezone", "monthly_cost",
              "validity_months")
SCALARS = (("service", "service"), ("level", "level"), ("monthly_cost", "monthly cost"),
           ("service_hours", "service hours"), ("timezone", "timezone"),
           ("review_cycle", "review cycle"), ("parties.customer", "customer"),
           ("parties.provider", "provider"), ("validity.months", "validity (months)"))
#: review cycles in words, for diffs people read
CYCLE_WORDS = {"P1M": "monthly", "P3M": "quarterly", "P6M": "every six months",
               "P1Y": "yearly", "P12M": "yearly"}


def months_later(start: date, months: int) -> date:
    """``start`` plus ``months`` calendar months (the day clamped to the month's end)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, monthrange(year, month)[1]))


def _change_target(session, targets: list[dict], change: dict, errors: dict, i: int) -> None:
    where = f"targets.{i}"
    key = change.get("metric") if isinstance(change, dict) else None
    if not key:
        errors[f"{where}.metric"] = [_("each target change names its metric")]
        return
    current = next((t for t in targets if t["metric"] == key), None)
    if change.get("remove"):
        targets[:] = [t for t in targets if t["metric"] != key]
        return
    metric = metric_by_key(session, key)
    if metric is None:
        errors[f"{where}.metric"] = [_("unknown metric %(key)s", key=repr(key))]
        return
    if current is None:
        current = {"metric": key, "name": metric.name, "unit": metric.unit,
                   "comparator": default_comparator(metric), "threshold": None,
                   "period": None}
        targets.append(current)
    threshold = change.get("threshold", current["threshold"])
    comparator = change.get("comparator") or current["comparator"]
    period = change.get("period") or current["period"]
    # the same check as every other entry point for a target (catalogue, imports, API)
    problems = target_problems(metric, comparator, threshold, period, key)
    for left_to_rule6 in ("metric", "period"):  # no data source, no period: check_targets
        problems.pop(left_to_rule6, None)
    for field, messages in problems.items():
        errors.setdefault(f"{where}.{field}", []).extend(messages)
    if problems:
        return
    current["threshold"], current["comparator"], current["period"] = (
        float(threshold), comparator, period)


def apply_changes(session, terms: dict, changes: dict) -> dict:
    """New terms = ``terms`` with ``changes`` applied; raises ValidationError by field.

    ``changes`` keys: ``targets`` ([{metric, threshold, comparator?, period?, remove?}]; a
    metric not yet in the terms is added), ``review_cycle`` (ISO 8601 duration),
    ``service_hours``, ``timezone``, ``monthly_cost`` (number >= 0), ``validity_months``.
    Whether the new targets can be measured is checked by the caller (rule 6).
    """
    new, errors = copy.deepcopy(terms), {}
    for key in changes:
        if key not in CHANGEABLE:
            errors[key] = [_("cannot be changed (changeable: %(value)s)",
                             value=', '.join(CHANGEABLE))]
    for i, change in enumerate(changes.get("targets") or []):
        _change_target(session, new["targets"], change, errors, i)
    new["targets"].sort(key=lambda t: t["metric"])
    cycle = changes.get("review_cycle")
    if cycle is not None:
        if not isinstance(cycle, str) or not DURATION.match(cycle):
            errors["review_cycle"] = [_("%(cycle)s is not an ISO 8601 duration such as P1M",
                                        cycle=repr(cycle))]
        new["review_cycle"] = cycle
    for key in ("service_hours", "timezone"):
        if key in changes:
            if not str(changes[key] or "").strip():
                errors[key] = [_("%(key)s cannot be blank", key=key)]
            new[key] = str(changes[key] or "").strip()
    if changes.get("monthly_cost") not in (None, ""):
        try:
            cost = Decimal(str(changes["monthly_cost"]))
            if not cost.is_finite() or cost < 0:
                raise InvalidOperation
            new["monthly_cost"] = money(cost)
        except (InvalidOperation, ValueError):
            errors["monthly_cost"] = [_("monthly cost must be a number of at least 0")]
    if changes.get("validity_months") not in (None, ""):
        months = changes["validity_months"]
        if not isinstance(months, int) or isinstance(months, bool) or months < 1:
            errors["validity_months"] = [_("validity must be a whole number of months >= 1")]
        new["validity"] = {"months": months}
    if errors:
        raise ValidationError(errors)
    return new


def change_problems(session, terms: dict, changes: dict) -> dict[str, list[str]]:
    """What is wrong with the counter-proposal ``changes`` to ``terms``, by field (paths as in
    ``changes``, e.g. "targets.0.threshold"); empty when ``apply_changes`` would accept it.
    For checking a form before its task completes, so nothing is stored."""
    try:
        new = apply_changes(session, terms, changes)
    except ValidationError as exc:
        return exc.errors
    errors, periods = {}, {t["metric"]: t.get("period") for t in new["targets"]}
    for i, change in enumerate(changes.get("targets") or []):
        metric = metric_by_key(session, change["metric"])
        if not change.get("remove") and periods.get(change["metric"]) in (None, ""):
            errors[f"targets.{i}.period"] = [
                _("%(name)s is not among the SLA's targets yet: a new target needs a period "
                  "(month or quarter), which this form cannot give; ask for it in your "
                  "comment",
                  name=metric.name)]
        elif not change.get("remove") and not metric.data_source:
            errors[f"targets.{i}.metric"] = [
                _("%(name)s has no data source: it cannot be measured, so no target may use "
                  "it",
                  name=metric.name)]
    return errors


def _number(value) -> str:
    return format(float(value), ".10g") if is_number(value) else str(value)


def _target_text(t: dict, with_period: bool) -> str:
    text = f"{t.get('comparator')} {_number(t.get('threshold'))} {t.get('unit', '')}".strip()
    return f"{text} per {t.get('period')}" if with_period else text


def _get(terms: dict, path: str):
    value = terms
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def diff_terms(old: dict, new: dict) -> list[dict]:
    """What differs from ``old`` to ``new`` terms (any two versions, either order)."""
    diff = []
    before = {t["metric"]: t for t in old.get("targets", [])}
    after = {t["metric"]: t for t in new.get("targets", [])}
    for key in sorted(before.keys() | after.keys()):
        b, a = before.get(key), after.get(key)
        name = (a or b).get("name") or key
        field = f"targets.{key}"
        if b is None:
            shown = _target_text(a, True)
            diff.append({"field": field, "before": None, "after": shown,
                         "text": f"{name} target added: {shown}"})
        elif a is None:
            shown = _target_text(b, True)
            diff.append({"field": field, "before": shown, "after": None,
                         "text": f"{name} target removed (was {shown})"})
        elif any(b.get(k) != a.get(k) for k in ("comparator", "threshold", "period", "unit")):
            periods = b.get("period") != a.get("period")
            was, now = _target_text(b, periods), _target_text(a, periods)
            diff.append({"field": field, "before": was, "after": now,
                         "text": f"{name} target: {was} -> {now}"})
    for path, label in SCALARS:
        b, a = _get(old, path), _get(new, path)
        if b != a:
            if path == "review_cycle":
                b, a = CYCLE_WORDS.get(b, b), CYCLE_WORDS.get(a, a)
            was = "(none)" if b is None else str(b)
            now = "(none)" if a is None else str(a)
            diff.append({"field": path, "before": None if b is None else str(b),
                         "after": None if a is None else str(a),
                         "text": f"{label}: {was} -> {now}"})
    return diff


def describe_diff(diff: list[dict]) -> str:
    """The diff as one line of text ("no changes" when empty)."""
    return "; ".join(d["text"] for d in diff) or "no changes"
