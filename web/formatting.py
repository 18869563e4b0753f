"""How the product writes values for people: money with its currency, review cycles and
periods in words, target thresholds with their unit. One function per kind of value, used
by every page and registered as Jinja filters (``money``, ``cycle``, ``target``, ``number``).
Numbers and money follow the reader's language (Babel): "EUR 2,400.00" in English,
"2 400,00 €" in Russian.

The currency is an installation setting (``SLM_CURRENCY``, default EUR).
"""
from __future__ import annotations

import os
from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency, format_decimal
from flask import current_app, has_app_context

from engine.i18n import N_, current_language, gettext

#: ISO 8601 review cycles and target periods in words
CYCLES = {"P1M": N_("monthly"), "P3M": N_("quarterly"), "P6M": N_("every six months"),
          "P1Y": N_("yearly"), "P12M": N_("yearly"), "month": N_("per month"),
          "quarter": N_("per quarter")}


def currency() -> str:
    if has_app_context():
        return current_app.config.get("SLM_CURRENCY") or "EUR"
    return os.environ.get("SLM_CURRENCY", "EUR")


def money(value) -> str:
    """``value`` as "EUR 2,400.00" (English); text that is not an amount is returned unchanged."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if not amount.is_finite():
        return str(value)
    language = current_language()
    if language == "en":
        return format_currency(amount, currency(), format="¤¤ #,##0.00", locale="en")
    return format_currency(amount, currency(), locale=language)


def cycle(value) -> str:
    """"P1M" -> "monthly", "quarter" -> "per quarter"; unknown codes as given."""
    if value in CYCLES:
        return gettext(CYCLES[value])
    return "—" if value in (None, "") else str(value)


def number(value) -> str:
    """A number in the reader's language ("99.95", "99,95"); up to ten significant digits."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        plain = format(float(value), ".10g")
        if "e" in plain:
            return plain
        return format_decimal(Decimal(plain), format="#,##0.##########", locale=current_language())
    return "—" if value is None else str(value)


def fixed(value, digits: int = 2) -> str:
    """``value`` rounded to ``digits`` decimals, trailing zeros dropped, in the reader's
    language ("99.95", "99,95")."""
    if not isinstance(value, int | float | Decimal) or isinstance(value, bool):
        return "—" if value is None else str(value)
    pattern = "#,##0." + "#" * max(0, min(int(digits), 10))
    return format_decimal(round(Decimal(str(value)), digits), format=pattern,
                          locale=current_language())


def target(t: dict) -> str:
    """A target of an SLA's terms: "Availability >= 99.9 % per month"."""
    text = f"{t.get('comparator', '')} {number(t.get('threshold'))} {t.get('unit', '')}"
    return f"{text.strip()} {cycle(t.get('period'))}".strip()


def init_formatting(app) -> None:
    app.config.setdefault("SLM_CURRENCY", os.environ.get("SLM_CURRENCY", "EUR"))
    app.add_template_filter(money, "money")
    app.add_template_filter(cycle, "cycle")
    app.add_template_filter(target, "target")
    app.add_template_filter(number, "number")
    app.add_template_filter(fixed, "fixed")
