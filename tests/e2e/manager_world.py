"""Records the manager pages need beside ``sla_world``'s: a configuration item linked to the
Email service and a management report, and the ids their URLs take. Built with the handlers.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from engine.clock import utcnow
from handlers.catalogue import operations as catalogue
from handlers.catalogue.models import Metric, Service
from handlers.delivery.periods import period_before
from handlers.reports.operations import management_report


def records(app, now: datetime | None = None) -> dict:
    """After ``sla_world.build_catalogue``: ``{service_id, option_id, metric_id, ci_id,
    management_report_id}`` (the option is Email's first level, the metric availability)."""
    now = now or utcnow()
    with app.extensions["slm"].sessions() as s:
        email = s.scalar(select(Service).where(Service.key == "email"))
        ci = catalogue.create_ci(s, "CI-MAIL-01", "Mail server", "Virtual server",
                                 location="DC London")
        catalogue.link_ci(s, email, ci)
        report = management_report(s, *period_before(now, 1), now)
        s.commit()
        return {"service_id": email.id, "option_id": email.options[0].id,
                "metric_id": s.scalar(select(Metric.id).where(Metric.key == "availability")),
                "ci_id": ci.id, "management_report_id": report.id}
