"""Process management: verify the service levels delivered, and set their priorities.

``verify_service_levels`` compares, for every active SLA, the targets of its current terms
with what was delivered in the last full calendar month (``handlers.delivery.attainment``), and says
whether the next higher level of the same service would also have been met: the
possibilities of raising service levels the process description asks management to look for.
``set_priorities`` records the priority (1 = highest .. 5 = lowest) management gives each SLA.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from engine.i18n import _
from handlers.agreements.models import ServiceLevelAgreement
from handlers.catalogue.models import ServiceLevelOption
from handlers.catalogue.operations import money
from handlers.delivery.periods import period_before
from handlers.errors import DomainError, ValidationError

PRIORITIES = range(1, 6)


def _meets(value: float | None, comparator: str, threshold: float) -> bool | None:
    if value is None:
        return None
    return value >= threshold if comparator == ">=" else value <= threshold


def _ordered(options: list[ServiceLevelOption]) -> list[ServiceLevelOption]:
    """A service's levels from lowest to highest: by rank, then by monthly cost."""
    return sorted(options, key=lambda o: (o.rank, o.monthly_cost, o.id))


def next_level(sla: ServiceLevelAgreement) -> ServiceLevelOption | None:
    """The level of the SLA's service just above the SLA's own (None at the top)."""
    current = _own_level(sla)
    if current is None:
        return None
    levels = _ordered(list(sla.service.options))
    index = levels.index(current)
    return levels[index + 1] if index + 1 < len(levels) else None


def _own_level(sla: ServiceLevelAgreement) -> ServiceLevelOption | None:
    return next((o for o in sla.service.options if o.id == sla.option_id), None)


def _raise_check(sla: ServiceLevelAgreement, delivered: dict, level: ServiceLevelOption,
                 result: dict) -> dict:
    """Would ``level``'s targets have been met by what was ``delivered``?"""
    targets, reasons = [], []
    for t in sorted(level.targets, key=lambda t: t.metric.key):
        value = delivered.get(t.metric.key)
        met = _meets(value, t.comparator, t.threshold)
        targets.append({"metric": t.metric.key, "name": t.metric.name, "unit": t.metric.unit,
                        "comparator": t.comparator, "threshold": t.threshold,
                        "delivered": value, "met": met})
        if met is None:
            reasons.append(_("%(name)s has no delivered value in the period",
                             name=t.metric.name))
        elif not met:
            reasons.append(_("%(name)s %(value)s would miss %(comparator)s %(threshold)s "
                             "%(unit)s", name=t.metric.name, value=format(value, "g"),
                             comparator=t.comparator, threshold=format(t.threshold, "g"),
                             unit=t.metric.unit).rstrip())
    hours = result.get("service_hours") or "24x7"
    if level.service_hours != hours:
        reasons.append(_("the higher level covers %(service_hours)s while delivery was "
                         "measured within %(hours)s",
                         service_hours=level.service_hours,
                         hours=hours))
    met = [t["met"] for t in targets]
    would_be_met = False if False in met else (None if None in met or not met else True)
    own = _own_level(sla)
    current = Decimal(str(result.get("monthly_cost") or (own.monthly_cost if own else 0)))
    return {"option_id": level.id, "level": level.name,
            "monthly_cost": money(level.monthly_cost),
            "extra_monthly_cost": money(level.monthly_cost - current),
            "service_hours": level.service_hours, "targets": targets,
            "would_be_met": would_be_met, "possible": would_be_met is True and not reasons,
            "reasons": reasons}


def _attainments(session, slas: list, start, end) -> dict[int, dict]:
    """Attainment per SLA id; an SLA whose attainment cannot be computed gets ``problem``."""
    from handlers.delivery.attainment import attainment, portfolio_attainment

    try:
        return {a["sla_id"]: a for a in portfolio_attainment(session, start, end)}
    except DomainError:
        pass  # one SLA is broken: compute them one by one so the others still count
    out = {}
    for sla in slas:
        try:
            out[sla.id] = attainment(session, sla, start, end)
        except DomainError as exc:
            out[sla.id] = {"problem": str(exc)}
    return out


def verify(session, now) -> dict:
    """The verification of every active SLA for the last full month before ``now``."""
    start, end = period_before(now, 1)
    slas = list(session.scalars(
        select(ServiceLevelAgreement).where(ServiceLevelAgreement.status == "active")
        .order_by(ServiceLevelAgreement.priority, ServiceLevelAgreement.reference)))
    results = _attainments(session, slas, start, end)
    rows, can_raise = [], []
    for sla in slas:
        result = results.get(sla.id) or {"problem": "no attainment computed"}
        row = {"sla_id": sla.id, "reference": sla.reference, "title": sla.title,
               "organisation": sla.organisation.name, "service": sla.service.name,
               "level": result.get("level") or getattr(_own_level(sla), "name", None),
               "priority": sla.priority, "monthly_cost": result.get("monthly_cost"),
               "problem": result.get("problem")}
        targets = [{"metric": t["metric"], "name": t["name"], "unit": t["unit"],
                    "comparator": t["comparator"], "agreed": t["threshold"],
                    "delivered": t["attained"], "met": t["met"], "margin": t["margin"],
                    "samples": t["samples"]} for t in result.get("targets", [])]
        statuses = [t["met"] for t in targets]
        row["targets"] = targets
        row["breaches"] = statuses.count(False)
        row["delivered"] = ("no data" if row["problem"] or not targets or None in statuses
                            else "breached" if False in statuses else "met")
        level = next_level(sla) if sla.option_id else None
        row["next_level"] = None
        if level is not None and not row["problem"]:
            delivered = {t["metric"]: t["delivered"] for t in targets}
            row["next_level"] = _raise_check(sla, delivered, level, result)
        row["can_raise"] = bool(row["next_level"] and row["next_level"]["possible"])
        if row["can_raise"]:
            nl = row["next_level"]
            can_raise.append({"sla_id": sla.id, "reference": sla.reference,
                              "organisation": row["organisation"], "service": row["service"],
                              "from_level": row["level"], "to_level": nl["level"],
                              "option_id": nl["option_id"],
                              "extra_monthly_cost": nl["extra_monthly_cost"]})
        rows.append(row)
    return {"period_start": start.isoformat(), "period_end": end.isoformat(), "slas": rows,
            "can_raise": can_raise, "sla_count": len(rows),
            "met": sum(1 for r in rows if r["delivered"] == "met"),
            "breached": sum(1 for r in rows if r["delivered"] == "breached"),
            "no_data": sum(1 for r in rows if r["delivered"] == "no data")}


def verify_service_levels(params: dict, ctx) -> dict:
    """Delivered vs agreed service levels of every active SLA, and where they could be raised.

    No params. The period is the last full calendar month before ``ctx.now``. Returns
    ``{period_start, period_end, slas: [{sla_id, reference, title, organisation, service,
    level, priority, monthly_cost, targets: [{metric, name, unit, comparator, agreed,
    delivered, met, margin, samples}], breaches, delivered: met|breached|no data, problem,
    next_level: {option_id, level, monthly_cost, extra_monthly_cost, service_hours, targets,
    would_be_met, possible, reasons} | None, can_raise}], can_raise: [{sla_id, reference,
    organisation, service, from_level, to_level, option_id, extra_monthly_cost}],
    sla_count, met, breached, no_data}``. A level can be raised when every target of the
    next higher level of the same service was met by what was delivered, within the same
    service hours.
    """
    return verify(ctx.session, ctx.now)


def set_priorities(params: dict, ctx) -> dict:
    """Set the priority of SLAs. Params: ``priorities``: ``[{sla_reference, priority}]``.

    ``priority`` is an integer 1 (highest) .. 5 (lowest); every reference must name an SLA,
    and each at most once. Nothing is changed unless every entry is valid: otherwise a
    ValidationError names each bad entry (``priorities[i].field``). Returns
    ``{updated: [{sla_reference, priority, previous}], count}``.
    """
    items = params.get("priorities")
    if items is None:
        items = []
    if not isinstance(items, list):
        raise ValidationError({"priorities": [_("must be a list of {sla_reference, priority}")]})
    errors: dict[str, list[str]] = {}
    wanted: dict[str, int] = {}
    for i, item in enumerate(items):
        where = f"priorities[{i}]"
        if not isinstance(item, dict):
            errors[where] = [_("must be an object with sla_reference and priority")]
            continue
        ref, prio = item.get("sla_reference"), item.get("priority")
        if not isinstance(ref, str) or not ref.strip():
            errors[f"{where}.sla_reference"] = [_("is required")]
        elif ref.strip() in wanted:
            errors[f"{where}.sla_reference"] = [_("%(value)s is listed more than once",
                                                  value=ref.strip())]
        if isinstance(prio, bool) or not isinstance(prio, int) or prio not in PRIORITIES:
            errors[f"{where}.priority"] = [_("must be a whole number from 1 (highest) to 5, "
                                             "not %(prio)s",
                                             prio=repr(prio))]
        if isinstance(ref, str) and ref.strip() and f"{where}.sla_reference" not in errors:
            wanted[ref.strip()] = prio
    slas = {}
    if wanted:
        slas = {s.reference: s for s in ctx.session.scalars(select(ServiceLevelAgreement).where(
            ServiceLevelAgreement.reference.in_(list(wanted))))}
    for i, item in enumerate(items):
        ref = item.get("sla_reference") if isinstance(item, dict) else None
        key = f"priorities[{i}].sla_reference"
        if isinstance(ref, str) and ref.strip() in wanted and ref.strip() not in slas \
                and key not in errors:
            errors[key] = [_("no SLA has the reference %(value)s", value=repr(ref.strip()))]
    if errors:
        raise ValidationError(errors)
    updated = []
    for ref, prio in wanted.items():
        sla = slas[ref]
        updated.append({"sla_reference": ref, "priority": prio, "previous": sla.priority})
        sla.priority = prio
    ctx.session.flush()
    return {"updated": updated, "count": len(updated)}


def register(registry) -> None:
    registry.add("verify_service_levels", verify_service_levels, {})
    registry.add("set_priorities", set_priorities, {
        "priorities": "list of {sla_reference, priority}: 1 (highest) .. 5 (lowest)"})
