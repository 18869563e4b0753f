"""Service design specification: the output for a customer-specific service.

When the customer chooses the customer-specific option (or nothing standard fits), the
specification records the measurable requirements, what could not be measured yet, the
nearest standard options with their gaps, and the estimated cost with its basis. A draft
customer-specific service is created beside it, with a "Custom" option carrying targets
from the requirements and its supporting processes registered but still undefined, so no
SLA on it can be agreed before they are defined (mission rule 5).
"""
from __future__ import annotations

import json
from decimal import Decimal

from sqlalchemy import select

from handlers.catalogue.models import ServiceLevelOption
from handlers.catalogue.operations import create_option, create_service, load, money, set_target
from handlers.catalogue.supporting import BASELINE_KINDS
from handlers.requirements.matching import custom_option
from handlers.requirements.models import ServiceLevelRequirement
from handlers.requirements.operations import match, measurable_requirements

from .models import DesignSpecification

#: how many of the nearest standard options the specification lists
NEAREST = 3


def strictest(requirements: list[dict]) -> list[dict]:
    """One requirement per metric: the strictest when the customer gave several."""
    by_metric: dict[str, dict] = {}
    for req in requirements:
        kept = by_metric.get(req["metric"])
        if kept is None or kept["comparator"] != req["comparator"]:
            by_metric.setdefault(req["metric"], req)
            continue
        pick = max if req["comparator"] == ">=" else min
        if pick(kept["threshold"], req["threshold"]) != kept["threshold"]:
            by_metric[req["metric"]] = req
    return list(by_metric.values())


def _content(slr, requirements: list[dict], options: list[dict], custom: dict) -> dict:
    standard = [o for o in options if not o["customer_specific"]][:NEAREST]
    assessment = json.loads(slr.assessment or "{}")
    return {
        "slr": {"id": slr.id, "title": slr.title, "need": slr.need,
                "organisation": slr.organisation.name},
        "requirements": requirements,
        "flagged": assessment.get("flagged", []),
        "nearest": [{k: o[k] for k in ("key", "label", "monthly_cost", "fully_meets",
                                       "per_requirement")} for o in standard],
        "estimate": {"monthly_cost": custom["monthly_cost"], "basis": custom["cost_basis"]},
        "supporting_processes": list(BASELINE_KINDS),
    }


def create_design(session, slr: ServiceLevelRequirement, owner: str, now) -> DesignSpecification:
    """The design specification and draft service for ``slr`` (the existing one if made)."""
    existing = session.execute(select(DesignSpecification).where(
        DesignSpecification.slr_id == slr.id)).scalars().first()
    if existing is not None:
        return existing
    requirements = measurable_requirements(session, slr)
    options = json.loads(slr.options or "[]") or match(session, slr)["options"]
    custom = next((o for o in options if o["customer_specific"]), None)
    standard = [o for o in options if not o["customer_specific"]]
    if custom is None:
        custom = custom_option(requirements, standard[0] if standard else None,
                               f"Customer-specific service for {slr.organisation.name}")
    org = slr.organisation
    service = create_service(session, f"custom-{org.key}-{slr.id}",
                             f"{slr.title} ({org.name})", owner, description=slr.need,
                             organisation_id=org.id, supporting=BASELINE_KINDS)
    nearest = session.get(ServiceLevelOption, standard[0]["option_id"]) if standard else None
    option = create_option(session, service, "Custom", Decimal(custom["monthly_cost"]),
                           service_hours=nearest.service_hours if nearest else "24x7",
                           timezone=nearest.timezone if nearest else "UTC",
                           description=custom["cost_basis"])
    for req in strictest(requirements):
        set_target(session, option, req["metric"], req["threshold"], req["period"],
                   req["comparator"])
    spec = DesignSpecification(
        slr_id=slr.id, organisation_id=org.id, service_id=service.id,
        title=f"Design of a customer-specific service: {slr.title}",
        content=json.dumps(_content(slr, requirements, options, custom)),
        estimated_monthly_cost=Decimal(custom["monthly_cost"]), created_at=now)
    session.add(spec)
    session.flush()
    return spec


def design_specification(params: dict, ctx) -> dict:
    """Params: ``slr_id``. Creates the specification and the draft customer-specific service
    (status 'draft', supporting processes undefined). Returns ``{design_spec_id, service_id,
    estimated_monthly_cost}``; raises DomainError for an unknown SLR."""
    slr = load(ctx.session, ServiceLevelRequirement, params.get("slr_id"), "requirement")
    # The step runs as whoever completed the task before it (often the customer who chose
    # the option); the provider owns a service, so ownership goes to the manager role until
    # someone is named.
    owner = params.get("owner") or "Service Level Manager"
    spec = create_design(ctx.session, slr, owner, ctx.now)
    return {"design_spec_id": spec.id, "service_id": spec.service_id,
            "estimated_monthly_cost": money(spec.estimated_monthly_cost)}


def register(registry) -> None:
    registry.add("design_specification", design_specification,
                 {"slr_id": "id of the requirement the customer-specific service answers"})
