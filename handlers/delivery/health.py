"""SLA health ahead of breaches: error budget, burn rates and a forecast per target.

For a target on a percentage metric (availability >= 99.5 %, error rate <= 1 %) the
**error budget** is the shortfall the target allows over the whole period: (100 - 99.5) %
of the period's time. Each measurement covers the time since the one before (the first:
since the period began) and spends ``(100 - value) %`` of that time (for ``<=`` targets:
``value %``). Then, at ``now``:

- ``used``: budget spent so far, as a fraction of the whole budget (1.0 = all of it);
- ``burn_short`` / ``burn_long``: the rate of spending over the last ``short`` and ``long``
  windows, 1.0 being the rate that spends exactly the budget by the period's end
  (multi-window burn-rate alerting, as in the SRE workbook, chapter 5);
- ``forecast_used``: the budget spent by the period's end if it goes on as so far
  (the period-to-date rate), and ``forecast``: the value the period would end with.

Status: **breached** when the budget is spent; **at risk** when the forecast spends it, or
when both windows burn faster than ``alert`` (default 1.0); else **healthy**. A target on
another kind of metric (hours, counts) has no budget: its forecast is the mean of the
period so far and it is at risk when that mean misses the target. Without measurements in
the period: ``no data``. Health reads every measurement of the period (attainment applies
the service hours; health is the early warning).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from handlers.agreements.models import ServiceLevelAgreement
from handlers.catalogue.models import Metric

from .models import Measurement

SHORT_WINDOW = timedelta(hours=6)
LONG_WINDOW = timedelta(days=3)
STATUS_ORDER = ("breached", "at_risk", "healthy", "no_data")


@dataclass
class TargetHealth:
    metric: str
    name: str
    unit: str
    comparator: str
    threshold: float
    period_start: datetime
    period_end: datetime
    samples: int
    status: str
    forecast: float | None = None
    used: float | None = None
    burn_short: float | None = None
    burn_long: float | None = None
    forecast_used: float | None = None


def period_bounds(period: str, now: datetime) -> tuple[datetime, datetime]:
    """The calendar month or quarter (UTC) holding ``now``: [start, end)."""
    month = now.month if period == "month" else 3 * ((now.month - 1) // 3) + 1
    start = datetime(now.year, month, 1)
    step = 1 if period == "month" else 3
    year, nxt = divmod(month - 1 + step, 12)
    return start, datetime(now.year + year, nxt + 1, 1)


def _bad(value: float, comparator: str) -> float:
    """The bad fraction of one percentage sample."""
    v = min(max(value, 0.0), 100.0)
    return (100.0 - v) / 100.0 if comparator == ">=" else v / 100.0


def budget_health(samples: list[tuple[datetime, float]], comparator: str, threshold: float,
                  start: datetime, end: datetime, now: datetime,
                  short: timedelta = SHORT_WINDOW, long: timedelta = LONG_WINDOW,
                  alert: float = 1.0) -> dict:
    """The figures of one percentage target (see the module docstring); ``samples`` are
    (measured at, value) of the period up to ``now``."""
    allowed = (100.0 - threshold) / 100.0 if comparator == ">=" else threshold / 100.0
    samples = sorted((at, v) for at, v in samples if start < at <= now)
    if not samples:
        return {"status": "no_data"}
    spans, before = [], start  # (from, to, bad fraction)
    for at, value in samples:
        spans.append((before, at, _bad(value, comparator)))
        before = at
    period_h = (end - start).total_seconds() / 3600
    bad_h = sum((b - a).total_seconds() / 3600 * f for a, b, f in spans)
    covered_h = sum((b - a).total_seconds() / 3600 for a, b, _ in spans)
    if allowed <= 0:  # a 100 % target allows nothing: any shortfall spends it all
        used = 1.0 if bad_h > 0 else 0.0
        return {"status": "breached" if used else "healthy", "used": used,
                "forecast": 100.0 - 100.0 * bad_h / covered_h if comparator == ">="
                else 100.0 * bad_h / covered_h}

    def burn(window: timedelta) -> float | None:
        lo = now - window
        bad = cover = 0.0
        for a, b, f in spans:
            a2 = max(a, lo)
            if b > a2:
                hours = (b - a2).total_seconds() / 3600
                bad, cover = bad + hours * f, cover + hours
        return bad / cover / allowed if cover else None

    used = bad_h / (allowed * period_h)
    rate = bad_h / covered_h  # bad fraction so far
    forecast_used = rate / allowed
    short_b, long_b = burn(short), burn(long)
    if used >= 1.0:
        status = "breached"
    elif forecast_used >= 1.0 or (short_b is not None and long_b is not None
                                  and short_b >= alert and long_b >= alert):
        status = "at_risk"
    else:
        status = "healthy"
    forecast = 100.0 * (1 - rate) if comparator == ">=" else 100.0 * rate
    return {"status": status, "used": used, "burn_short": short_b, "burn_long": long_b,
            "forecast_used": forecast_used, "forecast": forecast}


def _misses(value: float, comparator: str, threshold: float) -> bool:
    return value < threshold if comparator == ">=" else value > threshold


def sla_health(session, sla: ServiceLevelAgreement, terms: dict, now: datetime,
               **windows) -> list[TargetHealth]:
    """Health of every target of ``terms`` (the SLA's current terms) at ``now``."""
    targets = terms.get("targets") or []
    metrics = {m.key: m for m in session.scalars(select(Metric).where(
        Metric.key.in_([t["metric"] for t in targets])))}
    out = []
    for t in targets:
        metric = metrics.get(t["metric"])
        start, end = period_bounds(t.get("period") or "month", now)
        rows = [] if metric is None else session.execute(select(
            Measurement.measured_at, Measurement.value).where(
            Measurement.sla_id == sla.id, Measurement.metric_id == metric.id,
            Measurement.measured_at > start, Measurement.measured_at <= now)).all()
        threshold, comparator = float(t["threshold"]), t["comparator"]
        health = TargetHealth(t["metric"], t.get("name", t["metric"]), t.get("unit", ""),
                              comparator, threshold, start, end, len(rows), "no_data")
        if rows and (t.get("unit") or getattr(metric, "unit", "")) == "%":
            figures = budget_health([(r[0], r[1]) for r in rows], comparator, threshold,
                                    start, end, now, **windows)
            for key, value in figures.items():
                setattr(health, key, value)
        elif rows:
            health.forecast = sum(r[1] for r in rows) / len(rows)
            health.status = ("at_risk" if _misses(health.forecast, comparator, threshold)
                             else "healthy")
        out.append(health)
    return out


def overall(healths: list[TargetHealth]) -> str:
    """The worst status of an SLA's targets ("no_data" when none has data)."""
    statuses = {h.status for h in healths}
    return next((s for s in STATUS_ORDER if s in statuses), "no_data")


def health_of(session, slas, now: datetime, limit: int = 200) -> dict[int, dict]:
    """sla id -> {"status", "targets"} for the active ones of ``slas`` (at most ``limit``)."""
    out = {}
    for sla in [s for s in slas if s.status == "active"][:limit]:
        terms = json.loads(sla.versions[-1].terms) if sla.versions else {}
        targets = sla_health(session, sla, terms, now)
        out[sla.id] = {"status": overall(targets), "targets": targets}
    return out


def active_slas(session, organisation_id: int | None = None, limit: int = 50) -> list:
    """Active SLAs (of one organisation when given), by reference."""
    query = select(ServiceLevelAgreement).where(ServiceLevelAgreement.status == "active")
    if organisation_id is not None:
        query = query.where(ServiceLevelAgreement.organisation_id == organisation_id)
    return list(session.scalars(query.order_by(ServiceLevelAgreement.reference).limit(limit)))
