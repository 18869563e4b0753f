"""What the customer portal shows, always for one organisation (reads only)."""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import select

from engine.i18n import N_, _
from engine.models import HumanTask
from handlers.agreements.models import ServiceLevelAgreement
from handlers.catalogue.models import Metric, Service
from handlers.catalogue.operations import readiness
from handlers.people.models import User
from handlers.reports.models import CustomerReport
from handlers.requirements.models import ServiceLevelRequirement

from ..agreements.queries import WITHOUT_CONTENT, instance_status, open_tasks

#: user task (BPMN element id) -> what the customer reads about where the SLR stands
STAGES = {
    "clarify_wish": (N_("We are clarifying your wishes"), "us",
                     N_("You asked us how to measure some of your wishes: the service level "
                        "manager answers each one below, then we match your requirements to "
                        "the catalogue.")),
    "choose_option": (N_("Choose a service level option"), "you",
                      N_("Your options are ready: compare them and choose the one you need.")),
    "define_supporting": (N_("Waiting for supporting processes"), "us",
                          N_("We are defining the supporting processes the service needs "
                             "before any target can be agreed.")),
    "review_draft": (N_("Review the SLA draft"), "you",
                     N_("A draft SLA is ready: accept it or make a counter-proposal.")),
    "revise_sla": (N_("We are revising the SLA"), "us",
                   N_("The service level manager is working out a new version for you.")),
    "approve_agreement": (N_("Awaiting approval"), "us",
                          N_("You accepted the draft; the service level manager approves it.")),
}


@dataclass
class Stage:
    label: str
    who: str  # "you" (the customer acts next), "us" (the provider does) or "" (done)
    text: str
    tasks: list = field(default_factory=list)
    key: str = ""  # the user task's element id when the SLR waits at one


def requirements(session, organisation_id: int, limit: int | None = None
                 ) -> list[ServiceLevelRequirement]:
    """The organisation's requirements, newest first."""
    return list(session.scalars(select(ServiceLevelRequirement).where(
        ServiceLevelRequirement.organisation_id == organisation_id)
        .order_by(ServiceLevelRequirement.id.desc()).limit(limit)))


def slas(session, organisation_id: int, limit: int | None = None
         ) -> list[ServiceLevelAgreement]:
    """The organisation's SLAs, newest first."""
    return list(session.scalars(select(ServiceLevelAgreement).where(
        ServiceLevelAgreement.organisation_id == organisation_id)
        .order_by(ServiceLevelAgreement.id.desc()).limit(limit)))


def reports(session, organisation_id: int, limit: int | None = None) -> list[CustomerReport]:
    """The reports on the organisation's SLAs, newest first (without their content)."""
    return list(session.scalars(
        select(CustomerReport).options(*WITHOUT_CONTENT).join(
            ServiceLevelAgreement, ServiceLevelAgreement.id == CustomerReport.sla_id)
        .where(ServiceLevelAgreement.organisation_id == organisation_id)
        .order_by(CustomerReport.created_at.desc()).limit(limit)))


def organisation_tasks(session, organisation_key: str) -> list[HumanTask]:
    """Ready tasks of the organisation's process instances that its customers work."""
    return list(session.scalars(select(HumanTask).where(
        HumanTask.organisation == organisation_key, HumanTask.status == "ready",
        HumanTask.lane == "Customer").order_by(HumanTask.due_at, HumanTask.id)))


def sla_of(session, slr: ServiceLevelRequirement) -> ServiceLevelAgreement | None:
    return session.scalars(select(ServiceLevelAgreement).where(
        ServiceLevelAgreement.slr_id == slr.id).order_by(ServiceLevelAgreement.id.desc())
    ).first()


def stage(session, slr: ServiceLevelRequirement, sla: ServiceLevelAgreement | None) -> Stage:
    """Where the SLR stands, in the customer's words, with the tasks open for it."""
    tasks = open_tasks(session, [slr.instance_id])
    status = instance_status(session, slr.instance_id)
    if status == "error":
        return Stage(_("We are looking into a problem"), "us",
                     _("A step of the agreement failed on our side. We have been notified and "
                       "will continue as soon as it is fixed; nothing you entered is lost."),
                     tasks)
    for task in tasks:
        if task.element_id in STAGES:
            label, who, text = STAGES[task.element_id]
            text = _(text)
            if task.element_id == "define_supporting" and (missing := _missing(session, slr)):
                text = text + " " + _("Still to be defined for %(service)s: %(missing)s.",
                                      service=missing[0], missing=", ".join(missing[1]))
            return Stage(_(label), who, text, tasks, key=task.element_id)
    if sla is not None and sla.status == "active":
        return Stage(_("Agreed and active"), "",
                     _("%(reference)s is in force.", reference=sla.reference), tasks)
    if sla is not None:
        status = _(sla.status)
        return Stage(_("SLA %(status)s", status=status), "",
                     _("%(reference)s is %(status)s.", reference=sla.reference, status=status),
                     tasks)
    if slr.status == "withdrawn":
        return Stage(_("Withdrawn"), "", _("This requirement was withdrawn."), tasks)
    return Stage(_("Being assessed"), "us",
                 _("We are assessing your requirements against the catalogue."), tasks)


def _missing(session, slr: ServiceLevelRequirement) -> tuple[str, list[str]] | None:
    """(service name, supporting processes not defined) of the chosen standard option."""
    chosen = next((o for o in options(slr) if o.get("chosen")), None)
    service = session.get(Service, chosen["service_id"]) if chosen and isinstance(
        chosen.get("service_id"), int) else None
    if service is None:
        return None
    ready, missing = readiness(session, service)
    return None if ready else (service.name, list(missing))


def requested_service(session, slr: ServiceLevelRequirement) -> dict | None:
    """``{name, how}`` of the service the requirement is about: the one it was started
    from ("requested"), else the chosen option's ("chosen"); None when neither (yet)."""
    chosen = next((o for o in options(slr) if o.get("chosen")), None)
    if slr.service_id is not None and (service := session.get(Service, slr.service_id)):
        return {"name": service.name, "how": "requested"}
    if chosen is not None:
        name = chosen.get("service") or chosen.get("label")
        return {"name": name, "how": "chosen"} if name else None
    return None


def not_ready(session, option_list: list[dict]) -> dict[int, list[str]]:
    """service id -> the supporting processes it still lacks, for the options' services
    that are not ready for targets (mission rule 5): the options page says so before the
    choice."""
    found = {}
    for service_id in {o.get("service_id") for o in option_list}:
        service = session.get(Service, service_id) if isinstance(service_id, int) else None
        if service is not None:
            ready, missing = readiness(session, service)
            if not ready:
                found[service_id] = list(missing)
    return found


def assessment(slr: ServiceLevelRequirement) -> dict:
    return json.loads(slr.assessment or "{}")


def options(slr: ServiceLevelRequirement) -> list[dict]:
    return json.loads(slr.options or "[]")


def wishes(slr: ServiceLevelRequirement) -> list[dict]:
    return json.loads(slr.wishes or "[]")


def metrics(session) -> list[Metric]:
    """The metric registry, by name (the SLR form's choices)."""
    return list(session.scalars(select(Metric).order_by(Metric.name)))


def metric_map(session) -> dict[str, Metric]:
    return {m.key: m for m in metrics(session)}


def answerers(session, slr: ServiceLevelRequirement) -> dict[str, str]:
    """Display names of the people who answered the requirement's clarifications."""
    names = {f.get("answered_by") for f in assessment(slr).get("flagged") or []}
    names.discard(None)
    if not names:
        return {}
    return {u.username: u.display_name for u in session.scalars(
        select(User).where(User.username.in_(names)))}
