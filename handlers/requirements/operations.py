"""Service level requirements: submission, assessment and matching to the catalogue.

``assess_requirements`` turns the customer's wishes into measurable requirements and flags,
with the reason, every wish that cannot be measured yet (mission rule 6): flagged wishes are
kept, never dropped. ``match_catalogue`` ranks every option of every live standard service
against them (``handlers.requirements.matching`` has the ranking and the cost model) and
always answers with a list (mission rules 3 and 4). ``record_choice`` records the customer's pick.
"""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select

from engine.i18n import _
from handlers.bounds import check_bounds, check_limits
from handlers.catalogue.models import Service
from handlers.catalogue.operations import (
    COMPARATORS,
    PERIODS,
    default_comparator,
    is_number,
    load,
    metric_by_key,
    money,
)
from handlers.catalogue.units import value_problems
from handlers.errors import DomainError, ValidationError
from handlers.people.models import Organisation

from .matching import option_list
from .models import ServiceLevelRequirement

WISH_KEYS = ("text", "metric", "comparator", "value", "period")


def submit_slr(session, organisation_id: int, submitted_by: str, title: str, need: str,
               wishes: list[dict], now: datetime) -> ServiceLevelRequirement:
    """Record a customer's SLR as given (status 'submitted').

    ``wishes``: ``[{text, metric, comparator, value, period}]``, only ``text`` required; the
    rest is judged by the assessment, not here, so nothing the customer said is lost.
    Raises ValidationError for a blank title, need or wish text, a value beyond its bound
    (``ServiceLevelRequirement.LIMITS``: more than 5 wishes, too long a text), or an unknown
    organisation.
    """
    errors: dict[str, list[str]] = {}
    if session.get(Organisation, organisation_id) is None:
        errors["organisation_id"] = [_("organisation %(organisation_id)s does not exist",
                                       organisation_id=repr(organisation_id))]
    for name, value in (("title", title), ("need", need), ("submitted_by", submitted_by)):
        if not (value or "").strip():
            errors[name] = [_("%(name)s is required", name=name)]
    if not isinstance(wishes, list) or not all(isinstance(w, dict) for w in wishes):
        errors["wishes"] = [_("wishes must be a list of objects")]
    else:
        for i, wish in enumerate(wishes):
            if not str(wish.get("text") or "").strip():
                errors[f"wishes.{i}.text"] = [_("say in words what you wish")]
            check_limits(ServiceLevelRequirement.WISH_LIMITS,
                         {k: wish.get(k) for k in WISH_KEYS}, errors, f"wishes.{i}.")
            errors.update(_wish_sense(session, wish, i))
    check_bounds(ServiceLevelRequirement, {"title": title or "", "need": need or "",
                                           "submitted_by": submitted_by or "",
                                           "wishes": wishes if isinstance(wishes, list) else []},
                 errors)
    if errors:
        raise ValidationError(errors)
    slr = ServiceLevelRequirement(
        organisation_id=organisation_id, submitted_by=submitted_by, title=title.strip(),
        need=need.strip(), created_at=now, status="submitted",
        wishes=json.dumps([{k: w.get(k) for k in WISH_KEYS} for w in wishes]))
    session.add(slr)
    session.flush()
    return slr


def _wish_sense(session, wish: dict, i: int) -> dict[str, list[str]]:
    """A wish's level that makes no sense for its metric (the same check as every target:
    a percentage over 100, a negative duration, the comparator against the metric's
    direction), by field. What is merely incomplete is left to the assessment."""
    metric = metric_by_key(session, wish.get("metric")) if isinstance(
        wish.get("metric"), str) and wish.get("metric") else None
    value = None if wish.get("value") in (None, "") else _value(wish["value"])
    comparator = wish.get("comparator") or None
    if metric is None or value is None or comparator not in (None, *COMPARATORS):
        return {}
    fields = {"threshold": "value", "comparator": "comparator"}
    return {f"wishes.{i}.{fields[field]}": messages
            for field, messages in value_problems(metric, comparator, value).items()}


def _value(raw):
    """A wish's value as a number, or None; numeric strings ("99.5") count as numbers."""
    if is_number(raw):
        return raw
    try:
        value = float(str(raw).strip().replace(",", "."))
    except ValueError:
        return None
    return value if is_number(value) else None


def assess_wish(session, wish: dict) -> tuple[dict | None, str]:
    """(measurable requirement, "") or (None, reason) for one wish."""
    key, reasons = wish.get("metric"), []
    metric = metric_by_key(session, key) if key else None
    if not key:
        reasons.append(_("no metric: say what should be measured"))
    elif metric is None:
        reasons.append(_("unknown metric %(key)s", key=repr(key)))
    elif not metric.data_source:
        reasons.append(_("metric %(key)s has no data source: it cannot be measured yet",
                         key=repr(key)))
    comparator = wish.get("comparator") or (default_comparator(metric) if metric else None)
    if comparator is not None and comparator not in COMPARATORS:
        reasons.append(_("comparator %(comparator)s must be '>=' or '<='",
                         comparator=repr(comparator)))
    value = None if wish.get("value") in (None, "") else _value(wish["value"])
    if wish.get("value") in (None, ""):
        reasons.append(_("no value: give the level as a number"))
    elif value is None:
        reasons.append(_("value %(value)s is not a number", value=repr(wish['value'])))
    if not wish.get("period"):
        reasons.append(_("no period: say per month or per quarter"))
    elif wish["period"] not in PERIODS:
        reasons.append(_("period %(period)s must be 'month' or 'quarter'",
                         period=repr(wish['period'])))
    if reasons:
        return None, "; ".join(reasons)
    return {"metric": metric.key, "comparator": comparator, "threshold": value,
            "period": wish["period"], "text": wish.get("text") or ""}, ""


def assess(session, slr: ServiceLevelRequirement) -> dict:
    """Assess ``slr``: stores and returns ``{measurable, flagged, measurable_count,
    flagged_count}``; sets status 'assessed'. Raises DomainError for a withdrawn SLR."""
    if slr.status == "withdrawn":
        raise DomainError(_("requirement %(id)s was withdrawn", id=slr.id))
    measurable, flagged = [], []
    for wish in json.loads(slr.wishes):
        requirement, reason = assess_wish(session, wish)
        if requirement:
            measurable.append(requirement)
        else:
            flagged.append({"text": wish.get("text") or "", "reason": reason})
    result = {"measurable": measurable, "flagged": flagged,
              "measurable_count": len(measurable), "flagged_count": len(flagged)}
    slr.assessment = json.dumps(result)
    if slr.status == "submitted":
        slr.status = "assessed"
    return result


def assess_requirements(params: dict, ctx) -> dict:
    """Params: ``slr_id``. Returns ``{measurable: [{metric, comparator, threshold, period,
    text}], flagged: [{text, reason}], measurable_count, flagged_count}``."""
    result = assess(ctx.session, load(ctx.session, ServiceLevelRequirement,
                                      params.get("slr_id"), "requirement"))
    ctx.session.flush()
    return result


def measurable_requirements(session, slr: ServiceLevelRequirement) -> list[dict]:
    """The SLR's measurable requirements, assessing it first when that was not done yet."""
    assessment = json.loads(slr.assessment or "{}")
    if "measurable" not in assessment:
        assessment = assess(session, slr)
    return assessment["measurable"]


def candidates(session) -> list[dict]:
    """Every option of every live standard service, as candidates for ``option_list``."""
    services = session.execute(
        select(Service).where(Service.status == "live", Service.organisation_id.is_(None))
        .order_by(Service.key)).scalars()
    return [{
        "key": f"opt-{option.id}", "label": f"{service.name} {option.name}",
        "service_id": service.id, "service_key": service.key, "service": service.name,
        "option_id": option.id, "level": option.name,
        "monthly_cost": money(option.monthly_cost),
        "offers": {t.metric.key: {"comparator": t.comparator, "threshold": t.threshold}
                   for t in option.targets},
    } for service in services for option in service.options]


def match(session, slr: ServiceLevelRequirement) -> dict:
    """Rank the catalogue for ``slr``; stores and returns ``{options, fully_met}``."""
    requirements = measurable_requirements(session, slr)
    label = f"Customer-specific service for {slr.organisation.name}"
    options = option_list(requirements, candidates(session), label)
    slr.options = json.dumps(options)
    return {"options": options, "fully_met": not options[0]["customer_specific"]
            and options[0]["fully_meets"]}


def match_catalogue(params: dict, ctx) -> dict:
    """Params: ``slr_id``. Returns ``{options: [{key, label, service_id, service_key, service,
    option_id, level, monthly_cost, fully_meets, customer_specific, per_requirement: [{metric,
    comparator, required, offered, met, gap}]}], fully_met}``, ranked best first, never
    empty; ``key`` is ``opt-<id>`` or ``custom`` (which also has ``cost_basis``)."""
    slr = load(ctx.session, ServiceLevelRequirement, params.get("slr_id"), "requirement")
    result = match(ctx.session, slr)
    ctx.session.flush()
    return result


def chosen_option(slr: ServiceLevelRequirement, option_key: str) -> dict:
    """The option ``option_key`` of the SLR's ranked list; DomainError naming the valid keys."""
    options = json.loads(slr.options or "[]")
    for option in options:
        if option["key"] == option_key:
            return option
    keys = ", ".join(o["key"] for o in options) or "none: match the catalogue first"
    raise DomainError(_("option %(option_key)s is not on requirement %(id)s's list (choose "
                        "one of %(keys)s)",
                        option_key=repr(option_key),
                        id=slr.id,
                        keys=keys))


def record_choice(params: dict, ctx) -> dict:
    """Params: ``slr_id, option_key``. Marks the option ``chosen`` in the stored list.

    Returns ``{option_key, customer_specific, service_id, option_id, monthly_cost}``;
    raises DomainError when the key is not on the SLR's list.
    """
    slr = load(ctx.session, ServiceLevelRequirement, params.get("slr_id"), "requirement")
    option = chosen_option(slr, params.get("option_key"))
    options = json.loads(slr.options)
    for item in options:
        item["chosen"] = item["key"] == option["key"]
    slr.options = json.dumps(options)
    ctx.session.flush()
    return {"option_key": option["key"], "customer_specific": option["customer_specific"],
            "service_id": option["service_id"], "option_id": option["option_id"],
            "monthly_cost": option["monthly_cost"]}


def register(registry) -> None:
    registry.add("assess_requirements", assess_requirements,
                 {"slr_id": "id of the service level requirement"})
    registry.add("match_catalogue", match_catalogue,
                 {"slr_id": "id of the assessed service level requirement"})
    registry.add("record_choice", record_choice,
                 {"slr_id": "id of the service level requirement",
                  "option_key": "key of the chosen option: opt-<id> or custom"})
