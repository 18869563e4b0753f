"""The catalogue as a customer sees it: read-only, every live standard service with what
each level guarantees and costs, whether targets can be agreed on it yet (mission rule 5),
and a way to ask for it (a requirement started from the service)."""
from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from handlers.catalogue.models import Service
from handlers.catalogue.operations import readiness

from .. import db_session
from ..auth.access import roles_required
from . import CUSTOMER, bp


def offered_services(session) -> list[dict]:
    """Live standard services (none designed for one customer), by name, with levels."""
    shown = []
    for service in session.scalars(select(Service).where(
            Service.status == "live", Service.organisation_id.is_(None)).order_by(Service.name)):
        ready, missing = readiness(session, service)
        levels = [{"name": o.name, "monthly_cost": o.monthly_cost,
                   "service_hours": o.service_hours, "timezone": o.timezone,
                   "targets": [{"name": t.metric.name, "comparator": t.comparator,
                                "threshold": t.threshold, "unit": t.metric.unit,
                                "period": t.period} for t in o.targets]}
                  for o in service.options]
        shown.append({"key": service.key, "name": service.name,
                      "description": service.description, "ready": ready,
                      "missing": list(missing), "levels": levels})
    return shown


@bp.get("/catalogue")
@roles_required(CUSTOMER)
def catalogue():
    return render_template("portal/catalogue.html", services=offered_services(db_session()))
