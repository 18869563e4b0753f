"""What a target's number may be, judged by its metric's unit and direction.

``value_problems(metric, comparator, threshold)`` is the one check every entry point for a
target goes through (through ``target_problems``): a percentage lies between 0 and 100, a
duration or time is positive, a count or any other quantity is not negative, a score
"score A-B" lies between A and B, and the comparator suits the metric's direction (a
metric where higher is better takes ">=", one where lower is better "<=").
"""
from __future__ import annotations

import re

from engine.i18n import _

PERCENT_UNITS = frozenset({"%", "percent", "per cent"})
DURATION_UNITS = frozenset({
    "ms", "millisecond", "milliseconds", "s", "sec", "second", "seconds", "min", "minute",
    "minutes", "h", "hour", "hours", "day", "days", "week", "weeks"})
_SCORE = re.compile(r"score\s+(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)", re.IGNORECASE)


def unit_kind(unit: str) -> str:
    """'percent', 'duration', 'score' or 'quantity' (counts and anything else)."""
    text = (unit or "").strip().lower()
    if text in PERCENT_UNITS:
        return "percent"
    if text in DURATION_UNITS:
        return "duration"
    if _SCORE.fullmatch(text):
        return "score"
    return "quantity"


def _number(value: float) -> str:
    return format(float(value), ".10g")


def value_problems(metric, comparator, threshold) -> dict[str, list[str]]:
    """Why ``threshold`` (a finite number) and ``comparator`` do not suit ``metric``, by field
    ('threshold', 'comparator'); empty when they do. ``comparator`` None is not judged (the
    metric's direction supplies it)."""
    errors: dict[str, list[str]] = {}
    kind, unit = unit_kind(metric.unit), metric.unit
    value = float(threshold)
    shown = f"{_number(value)} {unit}".strip()
    if kind == "percent" and not 0 <= value <= 100:
        errors["threshold"] = [_("%(name)s is a percentage: %(shown)s is not between 0 and "
                                 "100 %%",
                                 name=metric.name,
                                 shown=shown)]
    elif kind == "duration" and value <= 0:
        errors["threshold"] = [_("%(name)s is a duration: %(shown)s must be more than 0 "
                                 "%(unit)s",
                                 name=metric.name,
                                 shown=shown,
                                 unit=unit)]
    elif kind == "score":
        low, high = (float(x) for x in _SCORE.fullmatch(unit.strip()).groups())
        if not low <= value <= high:
            errors["threshold"] = [_("%(name)s is a %(unit)s: %(number)s is not between "
                                     "%(number2)s and %(number3)s",
                                     name=metric.name,
                                     unit=unit,
                                     number=_number(value),
                                     number2=_number(low),
                                     number3=_number(high))]
    elif kind == "quantity" and value < 0:
        errors["threshold"] = [_("%(name)s cannot be negative: %(shown)s",
                                 name=metric.name,
                                 shown=shown)]
    wanted = ">=" if metric.direction == "higher" else "<="
    if comparator in (">=", "<=") and comparator != wanted:
        better = "higher" if metric.direction == "higher" else "lower"
        word = "at least" if wanted == ">=" else "at most"
        errors["comparator"] = [_("for %(name)s %(better)s is better, so its target says "
                                  "'%(wanted)s' (%(word)s), not '%(comparator)s'",
                                  name=metric.name,
                                  better=better,
                                  wanted=wanted,
                                  word=word,
                                  comparator=comparator)]
    return errors
