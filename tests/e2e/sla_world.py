"""A small SLM world for the portal, SLA and role-matrix tests, built through the real code.

``build_catalogue`` adds three metrics (one without a data source) and one live service,
Email, with Bronze/Silver/Gold options whose supporting processes are all defined, and
deploys the product's diagrams. ``agreed_sla`` then walks the real ``sla_agreement``
process with the engine (submit, choose, accept, approve) for one customer and adds a
service performance review with its customer report: an active SLA with one version.
Everything runs with the handlers and the engine, never by writing rows by hand.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from engine.clock import utcnow
from engine.instances import start_instance
from engine.models import HumanTask
from engine.tasks import Actor, complete_task
from handlers.agreements.models import ServiceLevelAgreement
from handlers.catalogue import operations as catalogue
from handlers.catalogue.models import ServiceLevelOption
from handlers.demo.seed import deploy_diagrams
from handlers.reports.operations import customer_report
from handlers.requirements.operations import submit_slr
from handlers.reviews.operations import open_review

from .support import Demo, DemoUser

#: level, monthly cost, availability >= (%), incident resolution <= (hours)
EMAIL_LEVELS = (("Bronze", "500.00", 99.0, 24.0), ("Silver", "800.00", 99.5, 8.0),
                ("Gold", "1200.00", 99.9, 4.0))
MANAGER = Actor("manager", frozenset({"Service Level Manager"}))
WISHES = [
    {"text": "Mail available around the clock", "metric": "availability",
     "comparator": ">=", "value": "99.9", "period": "month"},
    {"text": "Incidents fixed within 4 hours", "metric": "incident_resolution",
     "comparator": "<=", "value": "4", "period": "month"},
    {"text": "Happy users", "metric": None, "comparator": None, "value": None, "period": None,
     "clarify": True},
]
#: the same without the wish to clarify: the agreement goes straight to the options
MEASURABLE_WISHES = WISHES[:2]


def build_catalogue(app, now: datetime | None = None) -> dict:
    """Metrics, the Email service and the deployed diagrams; returns option keys by level."""
    now = now or utcnow() - timedelta(days=30)
    services = app.extensions["slm"]
    with services.sessions() as s:
        catalogue.create_metric(s, "availability", "Availability", "%", "higher",
                                data_source="monitoring")
        catalogue.create_metric(s, "incident_resolution", "Incident resolution time", "hours",
                                "lower", data_source="service desk")
        catalogue.create_metric(s, "satisfaction", "User satisfaction", "score 1-5", "higher")
        email = catalogue.create_service(s, "email", "Email", "Priya Nair", status="live")
        for rank, (level, cost, availability, hours) in enumerate(EMAIL_LEVELS, start=1):
            option = catalogue.create_option(s, email, level, cost, rank=rank,
                                             service_hours="24x7", timezone="UTC")
            catalogue.set_target(s, option, "availability", availability, "month")
            catalogue.set_target(s, option, "incident_resolution", hours, "month")
        for kind in catalogue.BASELINE_KINDS:
            catalogue.define_supporting_process(s, email, kind, f"{kind} manager",
                                                f"OLA-{kind}", now)
        deploy_diagrams(s, services.engine, now)
        s.commit()
        options = s.scalars(select(ServiceLevelOption).where(
            ServiceLevelOption.service_id == email.id)).all()
        return {o.name: f"opt-{o.id}" for o in options}


def customer(user: DemoUser) -> Actor:
    return Actor(user.username, frozenset({"Customer"}), user.organisation)


def submit(app, demo: Demo, user: DemoUser, title: str, wishes=None,
           now: datetime | None = None) -> tuple[int, int]:
    """Submit an SLR as ``user`` and start its agreement, as the portal does: (slr, instance)."""
    now = now or utcnow()
    services = app.extensions["slm"]
    with services.sessions() as s:
        slr = submit_slr(s, demo.orgs[user.organisation], user.username, title,
                         f"{title}: our people depend on it.",
                         MEASURABLE_WISHES if wishes is None else wishes, now)
        slr.instance_id = start_instance(
            services.engine, s, "sla_agreement", actor=user.username, now=now,
            data={"slr_id": slr.id, "organisation": user.organisation},
            organisation=user.organisation, title=f"SLA agreement: {title}")
        s.commit()
        return slr.id, slr.instance_id


def ready_task(app, instance_id: int, element_id: str) -> int:
    with app.extensions["slm"].sessions() as s:
        task_id = s.scalar(select(HumanTask.id).where(
            HumanTask.instance_id == instance_id, HumanTask.element_id == element_id,
            HumanTask.status == "ready"))
    assert task_id, f"instance {instance_id} is not waiting at {element_id}"
    return task_id


def complete(app, instance_id: int, element_id: str, actor: Actor, data: dict,
             now: datetime | None = None) -> None:
    services = app.extensions["slm"]
    task_id = ready_task(app, instance_id, element_id)
    with services.sessions() as s:
        complete_task(services.engine, s, task_id, data, actor, now or utcnow())
        s.commit()


def agreed_sla(app, demo: Demo, user: DemoUser, options: dict, title: str = "Email for sales"
               ) -> dict:
    """An active Email Gold SLA for ``user``'s organisation with a review and its report.

    Returns ``{slr_id, instance_id, sla_id, review_id, report_id}``.
    """
    start = utcnow() - timedelta(days=20)
    slr_id, iid = submit(app, demo, user, title, now=start)
    complete(app, iid, "choose_option", customer(user), {"option_key": options["Gold"]},
             start + timedelta(hours=1))
    complete(app, iid, "review_draft", customer(user), {"decision": "accept"},
             start + timedelta(hours=2))
    complete(app, iid, "approve_agreement", MANAGER, {"decision": "approve"},
             start + timedelta(hours=3))
    with app.extensions["slm"].sessions() as s:
        sla = s.scalar(select(ServiceLevelAgreement).where(ServiceLevelAgreement.slr_id == slr_id))
        assert sla is not None and sla.status == "active", "the agreement did not activate"
        review, _ = open_review(s, sla, start + timedelta(days=15))
        report = customer_report(s, review, start + timedelta(days=15))
        s.commit()
        return {"slr_id": slr_id, "instance_id": iid, "sla_id": sla.id,
                "review_id": review.id, "report_id": report.id}
