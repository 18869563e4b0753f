"""Words and figures shared by the HTML and PDF reports, so both say exactly the same.

They are written in the current language (:func:`engine.i18n.use_language`: a customer
report in its customer's language), figures with the language's decimal sign (Babel).
"""
from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_decimal

from engine.i18n import _, current_language, ngettext

#: observation kind -> its count in words
KIND_LABELS = {
    "complaint": lambda n: ngettext("%(num)s complaint", "%(num)s complaints", n),
    "outage": lambda n: ngettext("%(num)s outage seen", "%(num)s outages seen", n),
    "slow": lambda n: ngettext("%(num)s slowness report", "%(num)s slowness reports", n),
    "praise": lambda n: ngettext("%(num)s praise", "%(num)s praises", n),
    "other": lambda n: ngettext("%(num)s other observation", "%(num)s other observations", n),
}


def kind_label(kind: str, n: int) -> str:
    """E.g. "1 complaint", "3 complaints"."""
    return KIND_LABELS[kind](n) if kind in KIND_LABELS else f"{n} {kind}"


def fmt(value, unit: str = "") -> str:
    """A figure as people read it: at most 3 decimals, no trailing zeros; "no data" if None."""
    if value is None:
        return _("no data")
    rounded = round(Decimal(str(float(value))), 3)
    text = format_decimal(rounded if rounded != 0 else Decimal(0), format="0.###",
                          locale=current_language())
    return f"{text} {unit}".strip() if unit and unit != "%" else f"{text}{unit}"


def target_text(t: dict) -> str:
    """E.g. ">= 99.5%"."""
    return f"{t['comparator']} {fmt(t['threshold'], t.get('unit', ''))}"


def margin_text(t: dict) -> str:
    if t.get("margin") is None:
        return _("no data")
    sign = "+" if t["margin"] > 0 else ""
    return f"{sign}{fmt(t['margin'])}"


def status_text(t: dict) -> str:
    return {"met": _("met"), "breached": _("BREACHED")}.get(t.get("status"), _("no data"))


def trend_text(t: dict) -> str:
    """Previous periods then this one, oldest first, e.g. "99.1, 99.3, 99.6 -> 99.8"."""
    before = ", ".join("-" if v is None else fmt(v) for v in t.get("trend", []))
    word = " " + _("(worsening)") if t.get("worsening") else ""
    return f"{before} -> {fmt(t.get('attained'))}{word}"


def breach_sentence(t: dict) -> str:
    return _("%(name)s: attained %(attained)s against a target of %(target)s (margin "
             "%(margin)s, %(samples)s samples)", name=t["name"],
             attained=fmt(t["attained"], t.get("unit", "")), target=target_text(t),
             margin=margin_text(t), samples=t.get("samples", 0))


def observation_counts(att: dict) -> str:
    """E.g. "3 customer observations: 2 complaints, 1 outage seen"."""
    by_kind = att.get("observations_by_kind") or {}
    total = att.get("observation_count", 0)
    if not total:
        return _("No observations were recorded by the customer for this period.")
    parts = ", ".join(kind_label(k, n) for k, n in by_kind.items())
    return ngettext("%(num)s customer observation: %(parts)s.",
                    "%(num)s customer observations: %(parts)s.", total, parts=parts)


def period_text(att: dict) -> str:
    return _("%(start)s to %(end)s", start=att["period_start"], end=att["period_end"])


def customer_title(att: dict) -> str:
    return _("Service performance report %(reference)s: %(service)s (%(level)s) for "
             "%(organisation)s, %(period)s", reference=att["reference"], service=att["service"],
             level=att.get("level") or _("custom"), organisation=att["organisation"],
             period=period_text(att))


def management_title(start: str, end: str) -> str:
    return _("Service level management report, %(start)s to %(end)s", start=start, end=end)


def totals(portfolio: list[dict]) -> dict:
    """Portfolio totals: SLAs, targets met/breached/without data, observations, cost."""
    targets = [t for a in portfolio for t in a["targets"]]
    cost = sum((Decimal(a["monthly_cost"]) for a in portfolio if a.get("monthly_cost")),
               Decimal("0"))
    return {"slas": len(portfolio), "targets": len(targets),
            "met": sum(t["status"] == "met" for t in targets),
            "breaches": sum(t["status"] == "breached" for t in targets),
            "no_data": sum(t["status"] == "no data" for t in targets),
            "observations": sum(a.get("observation_count", 0) for a in portfolio),
            "slas_breached": sum(1 for a in portfolio if a["breaches"]),
            "monthly_cost": f"{cost:.2f}"}


def portfolio_summary(tot: dict) -> str:
    return _("%(slas)s active SLAs, %(targets)s targets: %(met)s met, %(breaches)s breached, "
             "%(no_data)s without data; %(slas_breached)s SLAs with breaches; "
             "%(observations)s customer observations; monthly cost %(monthly_cost)s.", **tot)


def chart_scale(values: list, threshold: float) -> tuple[float, float]:
    """Value axis range showing every value and the threshold with some room around them."""
    points = [float(v) for v in values if v is not None] + [float(threshold)]
    low, high = min(points), max(points)
    pad = (high - low) * 0.15 or abs(high) * 0.05 or 1.0
    low = 0.0 if low >= 0 and low - pad <= 0 else low - pad
    return low, high + pad


def period_labels(att: dict) -> list[str]:
    """Short labels of the trend periods and this one: "2026-01" for months."""
    starts = att.get("trend_periods", []) + [att["period_start"]]
    return [s[:7] if s.endswith("-01") else s for s in starts]
