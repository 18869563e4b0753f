"""Read queries of the catalogue pages (no Flask: a session in, records out)."""
from __future__ import annotations

from dataclasses import replace

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from handlers.catalogue.models import (
    ConfigurationItem,
    Metric,
    Service,
    ServiceLevelOption,
    Target,
    service_ci,
)
from handlers.catalogue.supporting import readiness
from handlers.paging import paginate
from handlers.people.models import Organisation


def services_page(session, page: int, per_page: int):
    """Services by key, each as (service, ready, missing kinds)."""
    stmt = (select(Service).options(selectinload(Service.options),
                                    selectinload(Service.supporting))
            .order_by(Service.key))
    result = paginate(session, stmt, page, per_page)
    rows = [(s, *readiness(session, s)) for s in result.items]
    return replace(result, items=rows)


def metrics_page(session, page: int, per_page: int):
    """Metrics by key, each as (metric, number of catalogue targets using it)."""
    used = (select(Target.metric_id, func.count().label("n")).group_by(Target.metric_id)
            .subquery())
    stmt = (select(Metric, func.coalesce(used.c.n, 0))
            .outerjoin(used, used.c.metric_id == Metric.id).order_by(Metric.key))
    return paginate(session, stmt, page, per_page, scalars=False)


def cis_page(session, page: int, per_page: int):
    """Configuration items by key, each as (ci, [services it supports])."""
    result = paginate(session, select(ConfigurationItem).order_by(ConfigurationItem.key),
                      page, per_page)
    ids = [ci.id for ci in result.items]
    services: dict[int, list[Service]] = {}
    if ids:
        for ci_id, service in session.execute(
                select(service_ci.c.ci_id, Service)
                .join(Service, Service.id == service_ci.c.service_id)
                .where(service_ci.c.ci_id.in_(ids)).order_by(Service.key)):
            services.setdefault(ci_id, []).append(service)
    rows = [(ci, services.get(ci.id, [])) for ci in result.items]
    return replace(result, items=rows)


def all_metrics(session) -> list[Metric]:
    return list(session.scalars(select(Metric).order_by(Metric.name)))


def unlinked_cis(session, service: Service) -> list[ConfigurationItem]:
    linked = {ci.id for ci in service.cis}
    return [ci for ci in session.scalars(select(ConfigurationItem)
                                         .order_by(ConfigurationItem.key))
            if ci.id not in linked]


def customer_organisations(session) -> list[Organisation]:
    return list(session.scalars(select(Organisation).where(Organisation.kind == "customer")
                                .order_by(Organisation.name)))


def option(session, option_id: int) -> ServiceLevelOption | None:
    return session.get(ServiceLevelOption, option_id)
