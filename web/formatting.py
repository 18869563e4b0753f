"""How the product writes values for people: money with its currency, review cycles and
periods in words, target thresholds with their unit. One function per kind of value, used
by every page and registered as Jinja filters (``money``, ``cycle``, ``target``).

The currency is an installation setting (``SLM_CURRENCY``, default EUR).
"""
from __future__ import annotations

import os
from decimal import Decimal, InvalidOperation

from flask import current_app, has_app_context

#: ISO 8601 review cycles and target periods in words
CYCLES = {"P1M": "monthly", "P3M": "quarterly", "P6M": "every six months",
          "P1Y": "yearly", "P12M": "yearly", "month": "per month", "quarter": "per quarter"}


def currency() -> str:
    if has_app_context():
        return current_app.config.get("SLM_CURRENCY") or "EUR"
    return os.environ.get("SLM_CURRENCY", "EUR")


def money(value) -> str:
    """``value`` as "EUR 2,400.00"; text that is not an amount is returned unchanged."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if not amount.is_finite():
        return str(value)
    return f"{currency()} {amount:,.2f}"


def cycle(value) -> str:
    """"P1M" -> "monthly", "quarter" -> "per quarter"; unknown codes as given."""
    return CYCLES.get(value, "—" if value in (None, "") else str(value))


def number(value) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return format(float(value), ".10g")
    return "—" if value is None else str(value)


def target(t: dict) -> str:
    """A target of an SLA's terms: "Availability >= 99.9 % per month"."""
    text = f"{t.get('comparator', '')} {number(t.get('threshold'))} {t.get('unit', '')}"
    return f"{text.strip()} {cycle(t.get('period'))}".strip()


def init_formatting(app) -> None:
    app.config.setdefault("SLM_CURRENCY", os.environ.get("SLM_CURRENCY", "EUR"))
    app.add_template_filter(money, "money")
    app.add_template_filter(cycle, "cycle")
    app.add_template_filter(target, "target")
