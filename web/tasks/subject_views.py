"""How each kind of task subject is shown (see ``subjects``): JSON-safe dicts the task page
renders (templates/tasks/subjects/<view>.html) and the API returns. Each builder takes the
session, the task data and whether the viewer is a customer (whose links go to the
customer's pages), and answers ``{title, link: {label, url} | None, ...}``; a record the
data no longer names is shown as missing, never as an error."""
from __future__ import annotations

import json

from sqlalchemy import select

from engine.i18n import N_, _
from handlers.agreements.models import ServiceLevelAgreement
from handlers.agreements.negotiation import diff_terms
from handlers.catalogue.models import Metric, Service
from handlers.catalogue.operations import readiness
from handlers.reports.models import CustomerReport
from handlers.requirements.models import ServiceLevelRequirement
from handlers.reviews.models import ImprovementProposal, Review

from ..agreements.queries import STATUS_WORDS
from ..formatting import cycle, money, number, target
from ..nav import url_if


def _int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _link(label: str, endpoint: str, **values) -> dict | None:
    url = url_if(endpoint, **values)
    return {"label": label, "url": url} if url else None


#: what a task's subject may be, in words
_MISSING = {"requirement": N_("The requirement is no longer there"),
            "service": N_("The service is no longer there"),
            "SLA draft": N_("The SLA draft is no longer there"),
            "review": N_("The review is no longer there")}


def _missing(what: str) -> dict:
    return {"title": _(_MISSING.get(what, N_("The subject is no longer there"))), "link": None,
            "missing": True}


def options(session, data: dict, customer: bool) -> dict:
    slr = session.get(ServiceLevelRequirement, _int(data.get("slr_id")) or 0)
    if slr is None:
        return _missing("requirement")
    units = {m.key: (m.name, m.unit) for m in session.scalars(select(Metric))}
    shown = []
    for o in data.get("options") or []:
        if not isinstance(o, dict) or "label" not in o:
            continue
        rows = [{**r, "name": units.get(r.get("metric"), (r.get("metric"), ""))[0],
                 "unit": units.get(r.get("metric"), ("", ""))[1]}
                for r in o.get("per_requirement") or [] if isinstance(r, dict)]
        service = session.get(Service, o["service_id"]) if isinstance(
            o.get("service_id"), int) else None
        missing = [] if service is None else list(readiness(session, service)[1])
        shown.append({"key": o.get("key"), "label": o["label"], "not_ready": missing,
                      "monthly_cost": money(o.get("monthly_cost")),
                      "customer_specific": bool(o.get("customer_specific")),
                      "fully_meets": bool(o.get("fully_meets")), "per_requirement": rows})
    endpoint = "portal.options" if customer else "requirements.show"
    return {"title": slr.title, "need": slr.need, "options": shown,
            "link": _link(_("The options page"), endpoint, slr_id=slr.id)}


def wish(session, data: dict, customer: bool) -> dict:
    """The wish being clarified (its text is the title), everything the customer typed for
    it, why it is not measurable yet, and the requirement it belongs to."""
    slr = session.get(ServiceLevelRequirement, _int(data.get("slr_id")) or 0)
    asked = data.get("clarification") if isinstance(data.get("clarification"), dict) else {}
    if slr is None or not asked.get("text"):
        return _missing("wish")
    units = {m.key: f"{m.name} ({m.unit})" for m in session.scalars(select(Metric))}
    typed = [(label, value) for label, value in (
        ("What to measure", units.get(asked.get("metric"), asked.get("metric"))),
        ("At least / at most", {">=": "at least", "<=": "at most"}.get(
            asked.get("comparator"), asked.get("comparator"))),
        ("Value", asked.get("value")), ("Per", asked.get("period"))) if value not in (None, "")]
    endpoint = "portal.requirement" if customer else "requirements.show"
    return {"title": f"“{asked['text']}”", "requirement": slr.title, "need": slr.need,
            "organisation": slr.organisation.name, "typed": typed,
            "reason": asked.get("reason"), "remaining": asked.get("remaining"),
            "link": _link(f"The requirement “{slr.title}”", endpoint, slr_id=slr.id)}


def supporting(session, data: dict, customer: bool) -> dict:
    service = session.get(Service, _int(data.get("service_id")) or 0)
    if service is None:
        return _missing("service")
    ready, missing = readiness(session, service)
    return {"title": service.name, "ready": ready, "missing": list(missing),
            "link": _link(_("Supporting processes of %(name)s", name=service.name),
                          "catalogue.supporting", service_id=service.id)}


def _terms(terms: dict) -> dict:
    return {"service": terms.get("service"), "level": terms.get("level"),
            "targets": [{"name": t.get("name") or t.get("metric"), "text": target(t)}
                        for t in terms.get("targets") or []],
            "service_hours": terms.get("service_hours"), "timezone": terms.get("timezone"),
            "review_cycle": cycle(terms.get("review_cycle")),
            "monthly_cost": money(terms.get("monthly_cost")),
            "validity_months": (terms.get("validity") or {}).get("months")}


def draft(session, data: dict, customer: bool) -> dict:
    sla = session.get(ServiceLevelAgreement, _int(data.get("sla_id")) or 0)
    if sla is None or not sla.versions:
        return _missing("SLA draft")
    latest = sla.versions[-1]
    terms = json.loads(latest.terms)
    previous = json.loads(sla.versions[-2].terms) if len(sla.versions) > 1 else None
    diff = [] if previous is None else [
        {"field": d["field"], "before": d["before"], "after": d["after"], "text": d["text"]}
        for d in diff_terms(previous, terms)]
    endpoint = "portal.sla" if customer else "agreements.show"
    return {"title": f"{sla.reference} · {sla.title}", "reference": sla.reference,
            "version": latest.number, "version_author": latest.author,
            "version_comment": latest.comment,
            "status": _(STATUS_WORDS[sla.status]) if sla.status in STATUS_WORDS else sla.status,
            "terms": _terms(terms), "diff": diff, "previous_version":
            None if previous is None else latest.number - 1,
            "link": _link(_("The SLA %(reference)s", reference=sla.reference), endpoint,
                          sla_id=sla.id)}


def _review_link(session, review: Review, customer: bool) -> dict | None:
    if not customer:
        return _link(_("The review"), "reviews.detail", review_id=review.id)
    report_id = session.scalar(select(CustomerReport.id).where(
        CustomerReport.review_id == review.id).order_by(CustomerReport.id.desc()))
    if report_id:
        return _link(_("The service report"), "portal.report", report_id=report_id)
    return _link(_("The SLA %(reference)s", reference=review.sla.reference), "portal.sla",
                 sla_id=review.sla_id)


def review(session, data: dict, customer: bool) -> dict:
    found = session.get(Review, _int(data.get("review_id")) or 0)
    if found is None:
        return _missing("review")
    att = json.loads(found.attainment or "{}")
    targets = [{"name": t.get("name") or t.get("metric"), "target": target(
                   {**t, "period": None}), "attained": None if t.get("attained") is None
                else f"{number(t['attained'])} {t.get('unit', '')}".strip(),
                "status": t.get("status") or ("met" if t.get("met") else "breached"
                                              if t.get("met") is False else "no data"),
                "margin": t.get("margin")} for t in att.get("targets") or []]
    return {"title": f"{found.sla.reference}, {found.period_start:%d %b %Y} to "
                     f"{found.period_end:%d %b %Y}", "status": found.status,
            "computed": bool(att), "targets": targets, "breaches": att.get("breaches", 0),
            "observations": [{"kind": o.get("kind"), "description": o.get("description"),
                              "observed_at": o.get("observed_at")}
                             for o in att.get("observations") or [] if isinstance(o, dict)],
            "discussion": found.discussion, "record": found.record,
            "link": _review_link(session, found, customer)}


def proposals(session, data: dict, customer: bool) -> dict:
    shown = review(session, data, customer)
    ids = [p.get("id") for p in data.get("proposals") or [] if isinstance(p, dict)]
    rows = session.scalars(select(ImprovementProposal).where(
        ImprovementProposal.id.in_([i for i in ids if _int(i)]))) if ids else []
    shown["proposals"] = [{"id": p.id, "title": p.title, "reason": p.reason,
                           "description": p.description, "status": p.status} for p in rows]
    return shown


def catalogue(session, data: dict, customer: bool) -> dict:
    services = []
    for s in session.scalars(select(Service).where(Service.status != "retired")
                             .order_by(Service.name)):
        ready, missing = readiness(session, s)
        services.append({"name": s.name, "status": s.status, "ready": ready,
                         "missing": list(missing),
                         "levels": [f"{o.name} {money(o.monthly_cost)}" for o in s.options]})
    return {"title": "The service catalogue", "services": services,
            "not_ready": sum(1 for s in services if not s["ready"]),
            "link": _link(_("The catalogue"), "catalogue.index")}


def process_ideas(session, data: dict, customer: bool) -> dict:
    rows = session.scalars(select(ImprovementProposal).where(
        ImprovementProposal.scope == "process").order_by(ImprovementProposal.id.desc())
        .limit(20))
    return {"title": "Improvement proposals for the SLM process",
            "proposals": [{"id": p.id, "title": p.title, "reason": p.reason,
                           "description": p.description, "status": p.status} for p in rows],
            "link": _link(_("All improvement proposals"), "reviews.proposals")}


def levels(session, data: dict, customer: bool) -> dict:
    verification = data.get("verification") if isinstance(data.get("verification"), dict) \
        else {}
    rows = [{"reference": s.get("reference"), "organisation": s.get("organisation"),
             "service": s.get("service"), "level": s.get("level"),
             "priority": s.get("priority"), "delivered": s.get("delivered"),
             "breaches": s.get("breaches")} for s in verification.get("slas") or []
            if isinstance(s, dict)]
    period = " to ".join(str(verification[k]) for k in ("period_start", "period_end")
                         if verification.get(k))
    return {"title": f"Delivered service levels{', ' + period if period else ''}",
            "slas": rows, "link": _link(_("The management report"), "reports.management")}


def management(session, data: dict, customer: bool) -> dict:
    report = data.get("management") if isinstance(data.get("management"), dict) else {}
    report_id = _int(report.get("report_id"))
    shown = levels(session, data, customer)
    shown["title"] = "The management report"
    shown["link"] = (_link(_("The management report"), "reports.management_report",
                           report_id=report_id) if report_id
                     else _link(_("The management report"), "reports.management"))
    return shown
