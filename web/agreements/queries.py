"""What the SLA pages show, read from the database (staff and customer pages share it).

Only reads: the list with its filters and pages, and everything on an SLA's page (terms,
versions, the diff of any two, observations, reports, the tasks still open for it).
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import defer

from engine.clock import utcnow
from engine.i18n import N_, _
from engine.models import HumanTask, ProcessInstance
from handlers.agreements.models import ServiceLevelAgreement
from handlers.agreements.operations import current_terms, sla_versions, version_diff
from handlers.catalogue.models import Service
from handlers.delivery.models import Observation
from handlers.paging import Page, paginate
from handlers.people.models import Organisation
from handlers.reports.models import CustomerReport
from handlers.requirements.models import ServiceLevelRequirement
from handlers.reviews.models import Review

from ..conversations.threads import thread_context

#: lists of reports need neither the HTML nor the PDF
WITHOUT_CONTENT = (defer(CustomerReport.html), defer(CustomerReport.pdf))

SLA_STATUSES = ("draft", "negotiating", "agreed", "active", "expired", "terminated")
#: Bootstrap colour of each status badge
STATUS_COLOURS = {"draft": "secondary", "negotiating": "warning", "agreed": "info",
                  "active": "success", "expired": "secondary", "terminated": "dark",
                  "submitted": "secondary", "assessed": "info", "withdrawn": "dark"}


def sla_page(session, *, status: str | None = None, organisation_id: int | None = None,
             service_id: int | None = None, page: int = 1, per_page: int = 20) -> Page:
    """One page of SLAs, newest first, filtered by whatever is given."""
    query = select(ServiceLevelAgreement)
    if status:
        query = query.where(ServiceLevelAgreement.status == status)
    if organisation_id:
        query = query.where(ServiceLevelAgreement.organisation_id == organisation_id)
    if service_id:
        query = query.where(ServiceLevelAgreement.service_id == service_id)
    return paginate(session, query.order_by(ServiceLevelAgreement.id.desc()), page, per_page)


def filter_choices(session) -> dict:
    """(value, label) pairs for the list's filters."""
    orgs = session.scalars(select(Organisation).where(Organisation.kind == "customer")
                           .order_by(Organisation.name))
    services = session.scalars(select(Service).order_by(Service.name))
    return {"statuses": [(s, s) for s in SLA_STATUSES],
            "organisations": [(o.id, o.name) for o in orgs],
            "services": [(s.id, s.name) for s in services]}


def open_tasks(session, instance_ids) -> list[HumanTask]:
    """The ready human tasks of the given process instances, oldest first."""
    ids = [i for i in instance_ids if i]
    if not ids:
        return []
    return list(session.scalars(select(HumanTask).where(
        HumanTask.instance_id.in_(ids), HumanTask.status == "ready").order_by(HumanTask.id)))


def instance_status(session, instance_id: int | None) -> str | None:
    if not instance_id:
        return None
    return session.scalar(select(ProcessInstance.status).where(
        ProcessInstance.id == instance_id))


def _version_numbers(raw_a, raw_b, numbers: list[int]) -> tuple[int | None, int | None]:
    """The two versions to compare: those asked for when they exist, else the last two."""
    def pick(raw, default):
        try:
            value = int(raw)
        except (TypeError, ValueError):
            return default
        return value if value in numbers else default

    if len(numbers) < 2:
        return None, None
    return pick(raw_a, numbers[-2]), pick(raw_b, numbers[-1])


#: the open user task of an SLA's agreement process -> its status in words
PROCESS_STATUSES = {
    "review_draft": N_("in negotiation: waiting for the customer's review"),
    "revise_sla": N_("in negotiation: the service level manager is revising it"),
    "approve_agreement": N_("waiting for approval"),
}
STATUS_WORDS = {"draft": N_("draft"), "negotiating": N_("in negotiation"), "agreed": N_("agreed"),
                "active": N_("active"), "expired": N_("expired"), "terminated": N_("terminated")}


def process_status(sla: ServiceLevelAgreement, tasks) -> str:
    """The SLA's status as the process has it, in words ("waiting for approval")."""
    if sla.status in ("draft", "negotiating", "agreed"):
        for task in tasks:
            if task.element_id in PROCESS_STATUSES:
                return _(PROCESS_STATUSES[task.element_id])
    return _(STATUS_WORDS[sla.status]) if sla.status in STATUS_WORDS else sla.status


def sla_context(session, sla: ServiceLevelAgreement, raw_a=None, raw_b=None) -> dict:
    """Everything the SLA page shows; ``raw_a``/``raw_b`` choose the versions to compare."""
    versions = sla_versions(session, sla.id)
    a, b = _version_numbers(raw_a, raw_b, [v["number"] for v in versions])
    diff = version_diff(session, sla.id, a, b) if a is not None and a != b else []
    slr = session.get(ServiceLevelRequirement, sla.slr_id) if sla.slr_id else None
    reviews = list(session.scalars(select(Review).where(Review.sla_id == sla.id)
                                   .order_by(Review.period_start.desc())))
    instance_ids = [slr.instance_id if slr else None, *(r.instance_id for r in reviews)]
    tasks = open_tasks(session, instance_ids)
    return {
        "process_status": process_status(sla, tasks),
        "current_period": utcnow().strftime("%Y-%m"),
        "thread": thread_context(session, "sla", sla.id),
        "sla": sla, "terms": current_terms(sla), "versions": list(reversed(versions)),
        "a": a, "b": b, "diff": diff, "slr": slr, "reviews": reviews,
        "tasks": tasks,
        "observations": list(session.scalars(select(Observation).where(
            Observation.sla_id == sla.id).order_by(Observation.observed_at.desc()))),
        "reports": list(session.scalars(select(CustomerReport).options(*WITHOUT_CONTENT).where(
            CustomerReport.sla_id == sla.id).order_by(CustomerReport.created_at.desc()))),
    }
