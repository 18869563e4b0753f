"""Words and figures shared by the HTML and PDF reports, so both say exactly the same."""
from __future__ import annotations

from decimal import Decimal

#: observation kind -> (one, several)
KIND_LABELS = {"complaint": ("complaint", "complaints"), "outage": ("outage seen", "outages seen"),
               "slow": ("slowness report", "slowness reports"), "praise": ("praise", "praise"),
               "other": ("other observation", "other observations")}


def kind_label(kind: str, n: int) -> str:
    """E.g. "1 complaint", "3 complaints"."""
    one, several = KIND_LABELS.get(kind, (kind, kind))
    return f"{n} {one if n == 1 else several}"


def fmt(value, unit: str = "") -> str:
    """A figure as people read it: at most 3 decimals, no trailing zeros; "no data" if None."""
    if value is None:
        return "no data"
    text = f"{float(value):.3f}".rstrip("0").rstrip(".")
    text = "0" if text == "-0" else text
    return f"{text} {unit}".strip() if unit and unit != "%" else f"{text}{unit}"


def target_text(t: dict) -> str:
    """E.g. ">= 99.5%"."""
    return f"{t['comparator']} {fmt(t['threshold'], t.get('unit', ''))}"


def margin_text(t: dict) -> str:
    if t.get("margin") is None:
        return "no data"
    sign = "+" if t["margin"] > 0 else ""
    return f"{sign}{fmt(t['margin'])}"


def status_text(t: dict) -> str:
    return {"met": "met", "breached": "BREACHED"}.get(t.get("status"), "no data")


def trend_text(t: dict) -> str:
    """Previous periods then this one, oldest first, e.g. "99.1, 99.3, 99.6 -> 99.8"."""
    before = ", ".join("-" if v is None else fmt(v) for v in t.get("trend", []))
    word = " (worsening)" if t.get("worsening") else ""
    return f"{before} -> {fmt(t.get('attained'))}{word}"


def breach_sentence(t: dict) -> str:
    return (f"{t['name']}: attained {fmt(t['attained'], t.get('unit', ''))} against a target of "
            f"{target_text(t)} (margin {margin_text(t)}, {t.get('samples', 0)} samples)")


def observation_counts(att: dict) -> str:
    """E.g. "3 customer observations: 2 complaints, 1 outage seen"."""
    by_kind = att.get("observations_by_kind") or {}
    total = att.get("observation_count", 0)
    if not total:
        return "No observations were recorded by the customer for this period."
    parts = ", ".join(kind_label(k, n) for k, n in by_kind.items())
    return f"{total} customer observation{'s' if total != 1 else ''}: {parts}."


def period_text(att: dict) -> str:
    return f"{att['period_start']} to {att['period_end']}"


def customer_title(att: dict) -> str:
    return (f"Service performance report {att['reference']}: {att['service']} "
            f"({att.get('level') or 'custom'}) for {att['organisation']}, {period_text(att)}")


def management_title(start: str, end: str) -> str:
    return f"Service level management report, {start} to {end}"


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
