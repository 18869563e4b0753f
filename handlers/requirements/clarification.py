"""Clarifying the wishes a customer could not make measurable (issue 10, "wishes are never
lost").

Every flagged wish of an assessed requirement (``operations.assess``) is clarified, one after
another, by a service level manager: ``next_clarification`` names the next wish without an
answer, ``record_clarification`` stores the answer with the wish (who, when) and, when the
manager could say how to measure it, the measurable requirement it becomes, which the
catalogue matching then takes into account. What the customer typed stays as typed.
"""
from __future__ import annotations

import json

from sqlalchemy import select

from engine.i18n import _
from handlers.catalogue.models import Metric
from handlers.catalogue.operations import (
    COMPARATORS,
    PERIODS,
    default_comparator,
    load,
    metric_by_key,
)
from handlers.catalogue.units import value_problems
from handlers.errors import DomainError, ValidationError

from .models import ServiceLevelRequirement
from .operations import as_number, measurable_requirements

#: the form fields of a clarification that, all given, make the wish measurable
TERMS = ("metric", "comparator", "value", "period")
MAX_ANSWER = 4000


def _assessment(session, slr: ServiceLevelRequirement) -> dict:
    measurable_requirements(session, slr)  # assesses first when that was not done yet
    return json.loads(slr.assessment)


def pending(assessment: dict) -> list[dict]:
    """The flagged wishes without an answer yet, in the customer's order."""
    return [f for f in assessment.get("flagged") or [] if not f.get("answer")]


def metric_choices(session) -> list[dict]:
    """Metrics a wish can be made measurable with (those with a data source)."""
    return [{"key": m.key, "label": f"{m.name} ({m.unit})"}
            for m in session.scalars(select(Metric).order_by(Metric.name)) if m.data_source]


def next_clarification(params: dict, ctx) -> dict:
    """Params: ``slr_id``. Returns ``{pending: bool, remaining, index, text, metric,
    comparator, value, period, reason, requirement, metrics: [{key, label}]}``: the next
    flagged wish without an answer (``pending`` false when every one is answered)."""
    slr = load(ctx.session, ServiceLevelRequirement, params.get("slr_id"), "requirement")
    waiting = pending(_assessment(ctx.session, slr))
    if not waiting:
        return {"pending": False, "remaining": 0, "metrics": []}
    wish = waiting[0]
    return {"pending": True, "remaining": len(waiting), "requirement": slr.title,
            **{k: wish.get(k) for k in ("index", "text", "reason", *TERMS)},
            "metrics": metric_choices(ctx.session)}


def answer_problems(session, answer: dict) -> dict[str, list[str]]:
    """Why a clarification's answer cannot be stored, by form field: no answer in words,
    some but not all of metric, value and period, or a level that makes no sense for its
    metric (the check every target goes through)."""
    errors: dict[str, list[str]] = {}
    text = answer.get("answer")
    if not isinstance(text, str) or not text.strip():
        errors["answer"] = [_("write your answer to the customer")]
    elif len(text) > MAX_ANSWER:
        errors["answer"] = [_("at most %(MAX_ANSWER)s characters (got %(value)s)",
                              MAX_ANSWER=MAX_ANSWER,
                              value=len(text))]
    given = {k: answer.get(k) for k in TERMS if answer.get(k) not in (None, "")}
    if not given or set(given) == {"comparator"}:
        return errors
    metric = metric_by_key(session, given["metric"]) if isinstance(
        given.get("metric"), str) else None
    if "metric" not in given:
        errors["metric"] = [_("choose the metric, or leave the level empty")]
    elif metric is None or not metric.data_source:
        errors["metric"] = [_("%(metric)s cannot be measured: choose a metric of the list",
                              metric=repr(given['metric']))]
    value = as_number(given["value"]) if "value" in given else None
    if "value" not in given:
        errors["value"] = [_("give the level as a number, or leave the metric empty")]
    elif value is None:
        errors["value"] = [_("give the level as a number")]
    if given.get("period") not in PERIODS:
        errors["period"] = [_("choose per month or per quarter")]
    comparator = given.get("comparator")
    if comparator is not None and comparator not in COMPARATORS:
        errors["comparator"] = [_("at least (>=) or at most (<=)")]
    if metric is not None and value is not None and "comparator" not in errors:
        fields = {"threshold": "value", "comparator": "comparator"}
        for field, messages in value_problems(metric, comparator, value).items():
            errors.setdefault(fields[field], []).extend(messages)
    return errors


def record_clarification(params: dict, ctx) -> dict:
    """Params: ``slr_id, index, answer, metric=None, comparator=None, value=None,
    period=None``. Stores the answer with the flagged wish ``index`` (``answer,
    answered_by, answered_at``); with metric, value and period it becomes a measurable
    requirement (``clarified``, also added to ``measurable``). Returns ``{index, text,
    measurable: bool, remaining}``. Raises ValidationError by field (``answer_problems``)
    and DomainError for a wish that is not waiting for a clarification."""
    session = ctx.session
    slr = load(session, ServiceLevelRequirement, params.get("slr_id"), "requirement")
    assessment = _assessment(session, slr)
    index = params.get("index")
    wish = next((f for f in assessment.get("flagged") or []
                 if f.get("index") == index and not isinstance(index, bool)), None)
    if wish is None or wish.get("answer"):
        raise DomainError(_("wish %(index)s of requirement %(id)s is not waiting for a "
                            "clarification",
                            index=repr(index),
                            id=slr.id))
    problems = answer_problems(session, params)
    if problems:
        raise ValidationError(problems)
    wish.update(answer=params["answer"].strip(), answered_by=ctx.actor,
                answered_at=ctx.now.isoformat(timespec="seconds"))
    measurable = params.get("metric") not in (None, "")
    if measurable:
        metric = metric_by_key(session, params["metric"])
        requirement = {"metric": metric.key,
                       "comparator": params.get("comparator") or default_comparator(metric),
                       "threshold": as_number(params["value"]), "period": params["period"],
                       "text": wish.get("text") or "", "clarified": True}
        wish["clarified"] = {k: requirement[k] for k in
                             ("metric", "comparator", "threshold", "period")}
        assessment["measurable"].append(requirement)
        assessment["measurable_count"] = len(assessment["measurable"])
    slr.assessment = json.dumps(assessment)
    session.flush()
    return {"index": index, "text": wish.get("text") or "", "measurable": measurable,
            "remaining": len(pending(assessment))}


def register(registry) -> None:
    registry.add("next_clarification", next_clarification,
                 {"slr_id": "id of the assessed service level requirement"})
    registry.add("record_clarification", record_clarification,
                 {"slr_id": "id of the service level requirement",
                  "index": "which wish (its place among the customer's wishes)",
                  "answer": "the manager's answer to the customer, in words",
                  "metric": "metric key when the wish becomes measurable, else empty",
                  "comparator": "'>=' or '<=' (default: the metric's direction)",
                  "value": "the level, a number", "period": "'month' or 'quarter'"})
