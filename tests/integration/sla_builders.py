"""Builders of SLM records for the measurement, attainment, report and review tests.

SLAs are built directly with the models: organisation, metric, service, option, an active
SLA and its current SLAVersion whose ``terms`` hold the targets.
"""
from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from handlers.agreements.models import ServiceLevelAgreement, SLAVersion
from handlers.catalogue.models import Metric, Service, ServiceLevelOption
from handlers.delivery.models import Measurement
from handlers.people.models import Organisation

CREATED = datetime(2025, 12, 1, 9, 0)
#: key -> (name, unit, direction, aggregation)
METRICS = {
    "availability": ("Availability", "%", "higher", "avg"),
    "resolution_time": ("Incident resolution time", "hours", "lower", "max"),
    "response_time": ("Response time", "ms", "lower", "avg"),
    "min_throughput": ("Minimum throughput", "requests", "higher", "min"),
    "downtime": ("Downtime", "minutes", "lower", "sum"),
    "major_incidents": ("Major incidents", "count", "lower", "count"),
}


def metric(s, key: str) -> Metric:
    found = s.scalar(select(Metric).where(Metric.key == key))
    if found:
        return found
    name, unit, direction, aggregation = METRICS[key]
    m = Metric(key=key, name=name, unit=unit, direction=direction, aggregation=aggregation,
               data_source="monitoring")
    s.add(m)
    s.flush()
    return m


def _get_or_add(s, model, key: str, **fields):
    found = s.scalar(select(model).where(model.key == key))
    if found is None:
        found = model(key=key, **fields)
        s.add(found)
        s.flush()
    return found


def make_sla(s, targets: list[tuple[str, str, float]], *, org: str = "acme",
             service: str = "mail", level: str = "Gold", hours: str = "24x7",
             tz: str = "UTC", cycle: str = "monthly", cost: str = "1250.00",
             status: str = "active", priority: int = 2, number: int = 1) -> ServiceLevelAgreement:
    """An SLA with ``targets`` [(metric key, comparator, threshold)], committed by the caller."""
    o = _get_or_add(s, Organisation, org, name=f"{org.title()} Ltd")
    svc = _get_or_add(s, Service, service, name=f"{service.title()} service", status="live",
                      owner="olivia")
    option = s.scalar(select(ServiceLevelOption).where(
        ServiceLevelOption.service_id == svc.id, ServiceLevelOption.name == level))
    if option is None:
        option = ServiceLevelOption(service=svc, name=level, monthly_cost=Decimal(cost),
                                    service_hours=hours, timezone=tz)
        s.add(option)
        s.flush()
    terms = {
        "targets": [{"metric": key, "name": metric(s, key).name, "unit": metric(s, key).unit,
                     "comparator": comp, "threshold": threshold, "period": "month"}
                    for key, comp, threshold in targets],
        "service_hours": hours, "timezone": tz, "monthly_cost": cost, "review_cycle": cycle,
    }
    count = len(s.scalars(select(ServiceLevelAgreement.id)).all())
    sla = ServiceLevelAgreement(
        reference=f"SLA-2026-{count + 1:04d}", organisation_id=o.id, service_id=svc.id,
        option_id=option.id, title=f"{svc.name} for {o.name}", status=status,
        current_version=number, priority=priority, created_at=CREATED)
    s.add(sla)
    s.flush()
    s.add(SLAVersion(sla_id=sla.id, number=number, terms=json.dumps(terms), author="mike",
                     created_at=CREATED))
    s.flush()
    return sla


def add_measurements(s, sla, key: str, points: list[tuple[datetime, float]]) -> None:
    m = metric(s, key)
    s.add_all(Measurement(sla_id=sla.id, metric_id=m.id, measured_at=at, value=value,
                          source="test") for at, value in points)
    s.flush()
