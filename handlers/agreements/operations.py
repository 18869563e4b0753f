"""Service level agreements: drafting from the chosen option, negotiation, activation, end.

Every draft and every counter-proposal is a new ``SLAVersion`` whose terms are JSON:
``{service, level, targets: [{metric, name, unit, comparator, threshold, period}],
service_hours, timezone, monthly_cost, review_cycle, parties: {customer, provider},
validity: {months}}``. Versions are never changed; ``diff_terms`` compares any two.
Drafting and activation refuse a service whose supporting processes are not all defined
(mission rule 5) and a target that cannot be measured (mission rule 6).
"""
from __future__ import annotations

import json
import uuid

from sqlalchemy import select

from engine.i18n import _
from handlers.catalogue.models import ServiceLevelOption
from handlers.catalogue.operations import load, metric_by_key, money, target_problems
from handlers.catalogue.supporting import readiness
from handlers.delivery.periods import review_period
from handlers.errors import DomainError, NotReadyForTargetsError
from handlers.outputs.models import DesignSpecification
from handlers.people.models import Organisation
from handlers.requirements.models import ServiceLevelRequirement
from handlers.requirements.operations import chosen_option

from .models import ServiceLevelAgreement, SLAVersion
from .negotiation import apply_changes, describe_diff, diff_terms, months_later

__all__ = ["diff_terms", "draft_sla", "activate_sla", "review_due", "sla_versions",
           "terminate_sla", "version_diff", "current_terms"]

DEFAULT_REVIEW_CYCLE = "P1M"
DEFAULT_MONTHS = 12


def _provider_name(session) -> str:
    provider = session.execute(select(Organisation).where(Organisation.kind == "provider")
                               .order_by(Organisation.id)).scalars().first()
    return provider.name if provider else "IT service provider"


def terms_from_option(session, option: ServiceLevelOption, customer: Organisation) -> dict:
    """Version-1 terms of an SLA on ``option`` for ``customer``."""
    targets = sorted(({"metric": t.metric.key, "name": t.metric.name, "unit": t.metric.unit,
                       "comparator": t.comparator, "threshold": t.threshold,
                       "period": t.period} for t in option.targets),
                     key=lambda t: t["metric"])
    return {"service": option.service.name, "level": option.name, "targets": targets,
            "service_hours": option.service_hours, "timezone": option.timezone,
            "monthly_cost": money(option.monthly_cost), "review_cycle": DEFAULT_REVIEW_CYCLE,
            "parties": {"customer": customer.name, "provider": _provider_name(session)},
            "validity": {"months": DEFAULT_MONTHS}}


def check_targets(session, service, terms: dict) -> None:
    """Refuse (DomainError) unless ``service`` is ready (rule 5) and every target of
    ``terms`` can be measured (rule 6); the message names what is missing."""
    ready, missing = readiness(session, service)
    if not ready:
        raise NotReadyForTargetsError(service.name, missing)
    problems = []
    for t in terms["targets"]:
        metric = metric_by_key(session, t["metric"])
        for field, messages in target_problems(metric, t.get("comparator"), t.get("threshold"),
                                               t.get("period"), t["metric"]).items():
            problems += [f"target {t['metric']} {field}: {m}" for m in messages]
    if problems:
        raise DomainError(_("targets cannot be measured: ") + "; ".join(problems))


def _option_for(session, slr: ServiceLevelRequirement, option_key: str) -> ServiceLevelOption:
    chosen = chosen_option(slr, option_key)
    if not chosen["customer_specific"]:
        return load(session, ServiceLevelOption, chosen["option_id"], "service level option")
    spec = session.execute(select(DesignSpecification).where(
        DesignSpecification.slr_id == slr.id).order_by(DesignSpecification.id.desc())
    ).scalars().first()
    option = None if spec is None or spec.service_id is None else session.execute(
        select(ServiceLevelOption).where(ServiceLevelOption.service_id == spec.service_id,
                                         ServiceLevelOption.name == "Custom")).scalar_one_or_none()
    if option is None:
        raise DomainError(_("requirement %(id)s: the customer-specific service has no design "
                            "specification yet (run design_specification first)",
                            id=slr.id))
    return option


def _add_version(session, sla, terms: dict, author: str, comment: str, now) -> SLAVersion:
    number = sla.current_version + 1
    version = SLAVersion(number=number, terms=json.dumps(terms), author=author,
                         comment=comment or "", created_at=now)
    sla.versions.append(version)
    sla.current_version = number
    session.flush()
    return version


def current_terms(sla: ServiceLevelAgreement) -> dict:
    return json.loads(sla.versions[-1].terms) if sla.versions else {}


def _first_draft(session, slr_id, option_key, author, comment, now,
                 instance_id=None) -> ServiceLevelAgreement:
    slr = load(session, ServiceLevelRequirement, slr_id, "requirement")
    if slr.status == "withdrawn":
        raise DomainError(_("requirement %(id)s was withdrawn", id=slr.id))
    option = _option_for(session, slr, option_key)
    terms = terms_from_option(session, option, slr.organisation)
    check_targets(session, option.service, terms)
    sla = ServiceLevelAgreement(
        reference=f"tmp-{uuid.uuid4().hex[:24]}", organisation_id=slr.organisation_id,
        slr_id=slr.id, service_id=option.service_id, option_id=option.id,
        title=f"{option.service.name} {option.name} for {slr.organisation.name}",
        status="negotiating", current_version=0, created_at=now,
        instance_id=instance_id or slr.instance_id)
    session.add(sla)
    session.flush()
    sla.reference = f"SLA-{now.year}-{sla.id:04d}"
    _add_version(session, sla, terms, author, comment or "first draft", now)
    return sla


def draft_sla(params: dict, ctx) -> dict:
    """Params: ``slr_id, option_key, sla_id=None, changes=None, comment="", author=""``.

    Without ``sla_id``: a new SLA (status 'negotiating') with version 1 from the chosen option
    (``custom`` uses the design specification's draft service). With ``sla_id`` and
    ``changes`` (``{targets: [{metric, threshold, comparator?, period?, remove?}],
    review_cycle, service_hours, timezone, monthly_cost, validity_months, comment}``): version
    n+1. Returns ``{sla_id, reference, version, diff, diff_text, metrics}``. Raises DomainError
    (rule 5, rule 6, unknown option, SLA no longer negotiable); ValidationError for bad changes.
    """
    s, author = ctx.session, params.get("author") or ctx.actor
    comment = params.get("comment") or ""
    if params.get("sla_id") in (None, ""):
        sla = _first_draft(s, params.get("slr_id"), params.get("option_key"), author, comment,
                           ctx.now, ctx.instance_id)
        diff, text = [], "first version"
    else:
        sla = load(s, ServiceLevelAgreement, params["sla_id"], "SLA")
        if sla.status not in ("draft", "negotiating", "agreed"):
            raise DomainError(_("%(reference)s is %(status)s: its terms can no longer be "
                                "negotiated",
                                reference=sla.reference,
                                status=sla.status))
        old = current_terms(sla)
        changes = dict(params.get("changes") or {})
        comment = changes.pop("comment", "") or comment
        new = apply_changes(s, old, changes)
        diff = diff_terms(old, new)
        if diff:
            check_targets(s, sla.service, new)
            _add_version(s, sla, new, author, comment, ctx.now)
            sla.status = "negotiating"
        text = describe_diff(diff)
    terms = current_terms(sla)
    return {"sla_id": sla.id, "reference": sla.reference, "version": sla.current_version,
            "diff": diff, "diff_text": text, "metrics": [t["metric"] for t in terms["targets"]]}


def activate_sla(params: dict, ctx) -> dict:
    """Params: ``sla_id, months=None`` (None: the validity in the terms, default 12).

    Re-checks rules 5 and 6, then status 'active' from ``ctx.now``'s date for ``months``.
    Returns ``{status, valid_from, valid_until, review_interval}``; raises DomainError.
    """
    sla = load(ctx.session, ServiceLevelAgreement, params.get("sla_id"), "SLA")
    if sla.status not in ("draft", "negotiating", "agreed"):
        raise DomainError(_("%(reference)s is %(status)s and cannot be activated",
                            reference=sla.reference,
                            status=sla.status))
    terms = current_terms(sla)
    check_targets(ctx.session, sla.service, terms)
    months = int(params.get("months") or terms.get("validity", {}).get("months")
                 or DEFAULT_MONTHS)
    sla.status, sla.activated_at = "active", ctx.now
    sla.valid_from = ctx.now.date()
    sla.valid_until = months_later(sla.valid_from, months)
    if sla.slr_id:
        ctx.session.get(ServiceLevelRequirement, sla.slr_id).status = "agreed"
    ctx.session.flush()
    return {"status": sla.status, "valid_from": sla.valid_from.isoformat(),
            "valid_until": sla.valid_until.isoformat(),
            "review_interval": terms.get("review_cycle", DEFAULT_REVIEW_CYCLE)}


def review_due(params: dict, ctx) -> dict:
    """Params: ``sla_id``. Returns ``{continue}``: whether a review is due now.

    True while the SLA is active and valid; an active SLA whose validity ended
    (``ctx.now`` date >= valid_until) becomes 'expired'. An expired or terminated SLA
    still gets the review of a period that began while it was in force, so its last
    period is reviewed too; after that the cycle stops.
    """
    sla = load(ctx.session, ServiceLevelAgreement, params.get("sla_id"), "SLA")
    if sla.status == "active" and sla.valid_until and ctx.now.date() >= sla.valid_until:
        sla.status = "expired"
        ctx.session.flush()
    if sla.status == "active":
        return {"continue": True}
    if sla.status in ("expired", "terminated") and sla.valid_until:
        start, _end = review_period(current_terms(sla).get("review_cycle"), ctx.now)
        return {"continue": start < sla.valid_until}
    return {"continue": False}


def sla_versions(session, sla_id: int) -> list[dict]:
    """Every version of the SLA, oldest first: ``[{number, terms, author, comment,
    created_at}]``."""
    sla = load(session, ServiceLevelAgreement, sla_id, "SLA")
    return [{"number": v.number, "terms": json.loads(v.terms), "author": v.author,
             "comment": v.comment, "created_at": v.created_at.isoformat()}
            for v in sla.versions]


def version_diff(session, sla_id: int, before: int, after: int) -> list[dict]:
    """``diff_terms`` between versions ``before`` and ``after`` of the SLA."""
    versions = {v["number"]: v["terms"] for v in sla_versions(session, sla_id)}
    for number in (before, after):
        if number not in versions:
            raise DomainError(_("SLA %(sla_id)s has no version %(number)s",
                                sla_id=sla_id,
                                number=number))
    return diff_terms(versions[before], versions[after])


def terminate_sla(session, sla: ServiceLevelAgreement, now) -> ServiceLevelAgreement:
    """End ``sla`` now (status 'terminated'); its review cycle stops at the next
    ``review_due``. Raises DomainError when it already ended."""
    if sla.status in ("expired", "terminated"):
        raise DomainError(_("%(reference)s has already ended (%(status)s)",
                            reference=sla.reference,
                            status=sla.status))
    sla.status = "terminated"
    if sla.valid_from and now.date() < (sla.valid_until or now.date()):
        sla.valid_until = max(now.date(), sla.valid_from)
    session.flush()
    return sla


def register(registry) -> None:
    registry.add("draft_sla", draft_sla, {
        "slr_id": "id of the requirement", "option_key": "the chosen option (opt-<id>, custom)",
        "sla_id": "the SLA under negotiation (None for the first draft)",
        "changes": "counter-proposal: {targets, review_cycle, service_hours, monthly_cost...}",
        "comment": "why this version", "author": "who proposed it (default: the actor)"})
    registry.add("activate_sla", activate_sla, {
        "sla_id": "the agreed SLA", "months": "validity in months (default from the terms)"})
    registry.add("review_due", review_due, {"sla_id": "the SLA whose review cycle runs"})
