"""Attainment: per SLA target and period, what was delivered within service hours.

For each target of the SLA's current terms: the measurements of the period inside the
SLA's service hours (in its timezone), combined with the metric's aggregation, the attained
value, met or breached per the comparator, the margin (positive = better than the target),
the sample count and the trend (attained values of the three previous periods, oldest
first). The customer's observations of the period are listed and counted beside the
numbers (mission rule 1). Periods are local days of the SLA's timezone, ``end`` inclusive.

Without measurements a target has ``attained`` None and status "no data" (neither met nor
breached), except for ``count`` and ``sum`` metrics, where none means 0. ``worsening`` is
true when the last three periods (this one included) each did worse than the one before,
in the metric's direction. ``breaches`` is the number of breached targets, ``breached``
their metric keys. The measurements are aggregated in SQL: see handlers.delivery._aggregation.
"""
from __future__ import annotations

import json
from collections import Counter
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, func, select

from engine.i18n import _
from handlers.agreements.models import ServiceLevelAgreement
from handlers.agreements.models import SLAVersion as V
from handlers.catalogue.models import Metric, ServiceLevelOption
from handlers.errors import DomainError
from handlers.reviews.models import Review

from ._aggregation import aggregate
from .models import Observation
from .periods import previous_periods
from .service_hours import local_range_utc, parse_service_hours, utc_windows


def attainment(session, sla: ServiceLevelAgreement, period_start: date,
               period_end: date) -> dict:
    """Attainment of one SLA for ``period_start``..``period_end`` (see the module docstring).

    Returns ``{targets, observations, observation_count, observations_by_kind, breaches,
    breached, ...}``; raises DomainError when the SLA has no terms or bad service hours.
    """
    return _compute(session, [sla], period_start, period_end, list_observations=True)[0]


def portfolio_attainment(session, period_start: date, period_end: date) -> list[dict]:
    """Attainment of every active SLA for the period, with one aggregate query for all.

    Each entry is shaped like :func:`attainment` without the observation list (counts only).
    """
    slas = session.scalars(select(ServiceLevelAgreement)
                           .where(ServiceLevelAgreement.status == "active")
                           .order_by(ServiceLevelAgreement.priority,
                                     ServiceLevelAgreement.reference)).all()
    return _compute(session, list(slas), period_start, period_end, list_observations=False)


def _compute(session, slas: list, period_start: date, period_end: date,
             list_observations: bool) -> list[dict]:
    if period_end < period_start:
        raise DomainError(_("period end %(period_end)s is before its start %(period_start)s",
                            period_end=period_end,
                            period_start=period_start))
    if not slas:
        return []
    terms = _current_terms(session, [s.id for s in slas])
    periods = previous_periods(period_start, period_end) + [(period_start, period_end)]
    keys = {t["metric"] for tm in terms.values() for t in tm.get("targets", [])}
    metrics = {m.key: m for m in session.scalars(select(Metric).where(Metric.key.in_(keys)))}
    calendar_of, windows, problems = {}, {}, {}
    for sla in slas:
        try:
            calendar_of[sla.id] = _calendar(sla, terms.get(sla.id), periods, windows)
        except DomainError as exc:
            if list_observations:  # one SLA asked for: say what is wrong with it
                raise
            problems[sla.id] = str(exc)  # a portfolio goes on without it
    stats = aggregate(session, calendar_of, windows, {m.id for m in metrics.values()})
    seen = _observations(session, slas, terms, period_start, period_end, list_observations)
    options = _levels(session, slas)
    return [_result(sla, terms.get(sla.id, {}), metrics, stats, periods, seen.get(sla.id, []),
                    options.get(sla.option_id), list_observations, problems.get(sla.id))
            for sla in slas]


def _calendar(sla, terms: dict | None, periods: list, windows: dict) -> tuple[str, str]:
    """The SLA's calendar key (service hours, timezone), its windows added to ``windows``."""
    if terms is None:
        raise DomainError(_("SLA %(reference)s has no terms (version %(current_version)s)",
                            reference=sla.reference,
                            current_version=sla.current_version))
    key = (terms.get("service_hours") or "24x7", terms.get("timezone") or "UTC")
    if key not in windows:
        hours = parse_service_hours(*key)
        windows[key] = [utc_windows(hours, *local_range_utc(a, b, key[1])) for a, b in periods]
    return key


def _current_terms(session, sla_ids: list[int]) -> dict[int, dict]:
    rows = session.execute(
        select(V.sla_id, V.terms).join(ServiceLevelAgreement, and_(
            ServiceLevelAgreement.id == V.sla_id,
            ServiceLevelAgreement.current_version == V.number))
        .where(V.sla_id.in_(sla_ids)))
    return {sla_id: json.loads(text or "{}") for sla_id, text in rows}


def _levels(session, slas: list) -> dict[int, ServiceLevelOption]:
    ids = {s.option_id for s in slas if s.option_id}
    if not ids:
        return {}
    return {o.id: o for o in session.scalars(select(ServiceLevelOption)
                                             .where(ServiceLevelOption.id.in_(ids)))}


def _observations(session, slas, terms, start, end, full: bool) -> dict[int, list]:
    """Per SLA, the observations of the period (dicts if ``full``, else just kinds)."""
    by_tz: dict[str, list[int]] = {}
    for sla in slas:
        by_tz.setdefault(_zone(terms.get(sla.id, {}).get("timezone")), []).append(sla.id)
    out: dict[int, list] = {}
    for tz, ids in by_tz.items():
        lo, hi = local_range_utc(start, end, tz)
        where = (Observation.sla_id.in_(ids), Observation.observed_at >= lo,
                 Observation.observed_at < hi)
        if full:
            for o in session.scalars(select(Observation).where(*where)
                                     .order_by(Observation.observed_at, Observation.id)):
                out.setdefault(o.sla_id, []).append({
                    "id": o.id, "observed_at": o.observed_at.isoformat(), "kind": o.kind,
                    "description": o.description, "impact_minutes": o.impact_minutes,
                    "recorded_by": o.recorded_by})
        else:
            rows = session.execute(select(Observation.sla_id, Observation.kind, func.count())
                                   .where(*where).group_by(Observation.sla_id, Observation.kind))
            for sla_id, kind, n in rows:
                out.setdefault(sla_id, []).extend([{"kind": kind}] * n)
    return out


def _zone(name: str | None) -> str:
    """``name`` if it is a known timezone, else UTC (that SLA's problem is reported apart)."""
    try:
        ZoneInfo(name or "UTC")
        return name or "UTC"
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"


def _value(aggregation: str, st: list | None) -> float | None:
    if not st or not st[0]:
        return 0.0 if aggregation in ("count", "sum") else None
    n, total, low, high = st
    return {"avg": total / n, "sum": total, "min": low, "max": high,
            "count": float(n)}[aggregation]


def _target(t: dict, metric, sla_id: int, stats: dict, periods: list) -> dict:
    comparator, threshold = t.get("comparator", ">="), float(t["threshold"])
    aggregation = metric.aggregation if metric else "avg"
    direction = metric.direction if metric else ("higher" if comparator == ">=" else "lower")
    values = []
    for p in range(len(periods)):
        st = stats.get((sla_id, metric.id, p)) if metric else None
        v = _value(aggregation, st)
        values.append(None if v is None else round(v, 6))
    attained = values[-1]
    current = stats.get((sla_id, metric.id, len(periods) - 1)) if metric else None
    met = margin = None
    if attained is not None:
        met = attained >= threshold if comparator == ">=" else attained <= threshold
        margin = round(attained - threshold if comparator == ">=" else threshold - attained, 6)
    last3 = values[-3:]
    if None in last3:
        worsening = False
    elif direction == "higher":
        worsening = last3[0] > last3[1] > last3[2]
    else:
        worsening = last3[0] < last3[1] < last3[2]
    return {
        "metric": t["metric"], "name": t.get("name") or (metric.name if metric else t["metric"]),
        "unit": t.get("unit") or (metric.unit if metric else ""), "comparator": comparator,
        "threshold": threshold, "attained": attained, "met": met, "margin": margin,
        "samples": current[0] if current else 0, "trend": values[:-1],
        "aggregation": aggregation, "direction": direction, "worsening": worsening,
        "status": "no data" if met is None else ("met" if met else "breached"),
    }


def _result(sla, terms: dict, metrics: dict, stats: dict, periods: list, seen: list,
            option, full: bool, problem: str | None) -> dict:
    targets = [] if problem else [_target(t, metrics.get(t["metric"]), sla.id, stats, periods)
                                  for t in terms.get("targets", [])]
    breached = [t["metric"] for t in targets if t["met"] is False]
    cost = terms.get("monthly_cost", option.monthly_cost if option else None)
    out = {
        "sla_id": sla.id, "reference": sla.reference, "title": sla.title,
        "organisation": sla.organisation.name, "organisation_key": sla.organisation.key,
        "service": sla.service.name, "level": option.name if option else terms.get("level"),
        "priority": sla.priority,
        "monthly_cost": None if cost is None else f"{Decimal(str(cost)):.2f}",
        "period_start": periods[-1][0].isoformat(), "period_end": periods[-1][1].isoformat(),
        "trend_periods": [p[0].isoformat() for p in periods[:-1]],
        "service_hours": terms.get("service_hours") or "24x7",
        "timezone": terms.get("timezone") or "UTC", "version": sla.current_version,
        "targets": targets, "observation_count": len(seen),
        "observations_by_kind": dict(sorted(Counter(o["kind"] for o in seen).items())),
        "breaches": len(breached), "breached": breached, "problem": problem,
    }
    if full:
        out["observations"] = seen
    return out


def review_attainment(session, review: Review) -> dict:
    """Compute the review's attainment, store it on the review and return it."""
    result = attainment(session, review.sla, review.period_start, review.period_end)
    review.attainment = json.dumps(result)
    session.flush()
    return result


def compute_attainment(params: dict, ctx) -> dict:
    """Attainment of a review's SLA and period; stored in ``review.attainment``.

    Params: ``review_id``. Returns ``{targets: [{metric, name, unit, comparator, threshold,
    attained, met, margin, samples, trend, ...}], observations, observation_count,
    observations_by_kind, breaches (count), breached (metric keys), ...}``.
    """
    review = ctx.session.get(Review, int(params["review_id"]))
    if review is None:
        raise DomainError(_("review %(review_id)s does not exist",
                            review_id=params['review_id']))
    return review_attainment(ctx.session, review)


def register(registry) -> None:
    registry.add("compute_attainment", compute_attainment,
                 {"review_id": "the review whose SLA and period to compute"})
