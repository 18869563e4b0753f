"""The service catalogue: metrics, services, their levels with costs and targets, CIs.

Mission rule 2 (a list of services with the cost of each level) lives here, and so does
mission rule 6: ``target_problems`` refuses a target whose metric has no data source, whose
threshold is not a number or which has no period, naming what is missing. Every function
only flushes; invalid input raises ``ValidationError({field: [message]})``. Supporting
processes and readiness (rule 5) live in ``handlers.catalogue.supporting`` and are re-exported here.
"""
from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation

from sqlalchemy import select

from engine.i18n import _
from handlers.bounds import check_bounds
from handlers.errors import DomainError, ValidationError

from .models import (
    ConfigurationItem,
    Metric,
    Service,
    ServiceLevelOption,
    Target,
)
from .supporting import (  # noqa: F401  (rule 5 is part of the catalogue's interface)
    BASELINE_KINDS,
    define_supporting_process,
    readiness,
    register_supporting_process,
    undefine_supporting_process,
)
from .supporting import register as register_supporting
from .units import value_problems

COMPARATORS = (">=", "<=")
PERIODS = ("month", "quarter")
SERVICE_STATUSES = ("draft", "live", "retired")
AGGREGATIONS = ("avg", "min", "max", "sum", "count")


def load(session, model, ident, label: str | None = None):
    """The ``model`` row with primary key ``ident``; DomainError when there is none."""
    try:
        row = session.get(model, int(ident))
    except (TypeError, ValueError):
        row = None
    if row is None:
        raise DomainError(_("%(__tablename__)s %(ident)s does not exist",
                            __tablename__=label or model.__tablename__,
                            ident=repr(ident)))
    return row


def money(value) -> str:
    """``value`` as a JSON-safe money string with two decimals ("1250.00")."""
    return str(Decimal(value).quantize(Decimal("0.01")))


def is_number(value) -> bool:
    """True for a finite int or float (not a bool, not a string)."""
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))


def default_comparator(metric: Metric) -> str:
    """The comparator a target on ``metric`` takes when none is given: from its direction."""
    return ">=" if metric.direction == "higher" else "<="


def metric_by_key(session, key: str) -> Metric | None:
    return session.execute(select(Metric).where(Metric.key == key)).scalar_one_or_none()


def _check(errors: dict, model=None, fields: dict | None = None) -> None:
    """Raise every problem at once, by field, with the bounds of ``model`` (handlers.bounds)
    checked on ``fields``."""
    if model is not None:
        check_bounds(model, fields or {}, errors)
    if errors:
        raise ValidationError(errors)


def _apply(session, row, fields: dict, allowed: set, errors: dict):
    """Set ``fields`` on ``row`` unless ``errors`` (or a field not ``allowed``) says no."""
    errors.update({k: [_("cannot be changed")] for k in fields if k not in allowed})
    _check(errors, type(row), fields)
    for name, value in fields.items():
        setattr(row, name, value)
    session.flush()
    return row


def _required_text(errors: dict, fields: dict) -> None:
    for name, value in fields.items():
        if not isinstance(value, str) or not value.strip():
            errors.setdefault(name, []).append(_("%(name)s is required", name=name))


# -- metrics -----------------------------------------------------------------------------
def _metric_errors(fields: dict) -> dict:
    errors: dict = {}
    _required_text(errors, {k: fields[k] for k in ("key", "name", "unit") if k in fields})
    if "direction" in fields and fields["direction"] not in ("higher", "lower"):
        errors["direction"] = [_("direction must be 'higher' or 'lower'")]
    if "aggregation" in fields and fields["aggregation"] not in AGGREGATIONS:
        errors["aggregation"] = [_("aggregation must be one of %(value)s",
                                   value=', '.join(AGGREGATIONS))]
    return errors


def create_metric(session, key: str, name: str, unit: str, direction: str,
                  aggregation: str = "avg", data_source: str | None = None,
                  description: str = "") -> Metric:
    """A new metric. ``data_source`` None or blank leaves it unmeasurable (no targets on it).

    Raises ValidationError for a missing key/name/unit, a bad direction or aggregation, or a
    key already in use.
    """
    errors = _metric_errors(dict(key=key, name=name, unit=unit, direction=direction,
                                 aggregation=aggregation))
    if not errors.get("key") and metric_by_key(session, key):
        errors["key"] = [_("metric %(key)s already exists", key=repr(key))]
    _check(errors, Metric, dict(key=key, name=name, unit=unit, data_source=data_source or "",
                                description=description or ""))
    metric = Metric(key=key.strip(), name=name.strip(), unit=unit.strip(), direction=direction,
                    aggregation=aggregation, data_source=(data_source or "").strip() or None,
                    description=description)
    session.add(metric)
    session.flush()
    return metric


def update_metric(session, metric: Metric, **fields) -> Metric:
    """Change name, unit, direction, aggregation, data_source or description of ``metric``."""
    if "data_source" in fields:
        fields["data_source"] = (fields["data_source"] or "").strip() or None
    return _apply(session, metric, fields, {"name", "unit", "direction", "aggregation",
                                            "data_source", "description"},
                  _metric_errors(fields))


# -- services and their levels -----------------------------------------------------------
def create_service(session, key: str, name: str, owner: str, description: str = "",
                   status: str = "draft", organisation_id: int | None = None,
                   supporting: tuple[str, ...] | None = None) -> Service:
    """A new catalogue service; ``organisation_id`` makes it customer-specific.

    Its supporting processes are registered as required and still undefined: ``supporting``
    (default ``handlers.catalogue.supporting.BASELINE_KINDS``). Raises ValidationError.
    """
    errors: dict = {}
    _required_text(errors, {"key": key, "name": name, "owner": owner})
    if status not in SERVICE_STATUSES:
        errors["status"] = [_("status must be one of %(value)s",
                              value=', '.join(SERVICE_STATUSES))]
    if not errors.get("key") and session.execute(
            select(Service.id).where(Service.key == key)).first():
        errors["key"] = [_("service %(key)s already exists", key=repr(key))]
    _check(errors, Service, dict(key=key, name=name, owner=owner,
                                 description=description or ""))
    service = Service(key=key.strip(), name=name.strip(), owner=owner.strip(),
                      description=description, status=status, organisation_id=organisation_id)
    session.add(service)
    session.flush()
    for kind in BASELINE_KINDS if supporting is None else supporting:
        register_supporting_process(session, service, kind)
    return service


def update_service(session, service: Service, **fields) -> Service:
    """Change name, owner, description or status (draft/live/retired) of ``service``."""
    errors: dict = {}
    _required_text(errors, {k: fields[k] for k in ("name", "owner") if k in fields})
    if "status" in fields and fields["status"] not in SERVICE_STATUSES:
        errors["status"] = [_("status must be one of %(value)s",
                              value=', '.join(SERVICE_STATUSES))]
    return _apply(session, service, fields, {"name", "owner", "description", "status"}, errors)


def _option_errors(fields: dict) -> dict:
    errors: dict = {}
    _required_text(errors, {k: fields[k] for k in ("name", "service_hours", "timezone")
                            if k in fields})
    if "monthly_cost" in fields:
        try:
            cost = Decimal(str(fields["monthly_cost"]))
            if not cost.is_finite() or cost < 0:
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            errors["monthly_cost"] = [_("monthly cost must be a number of at least 0")]
    return errors


def create_option(session, service: Service, name: str, monthly_cost, rank: int = 1,
                  service_hours: str = "24x7", timezone: str = "UTC",
                  description: str = "") -> ServiceLevelOption:
    """A service level option (e.g. Gold) of ``service`` costing ``monthly_cost`` a month.

    Raises ValidationError for a blank name, a cost that is not a number >= 0, or a name the
    service already has.
    """
    errors = _option_errors(dict(name=name, monthly_cost=monthly_cost,
                                 service_hours=service_hours, timezone=timezone))
    if not errors.get("name") and any(o.name == name.strip() for o in service.options):
        errors["name"] = [_("service %(key)s already has an option %(name)s",
                            key=repr(service.key),
                            name=repr(name))]
    _check(errors, ServiceLevelOption, dict(name=name, service_hours=service_hours,
                                            timezone=timezone, description=description or ""))
    option = ServiceLevelOption(name=name.strip(), rank=rank,
                                monthly_cost=Decimal(str(monthly_cost)),
                                service_hours=service_hours, timezone=timezone,
                                description=description)
    service.options.append(option)
    session.flush()
    return option


def update_option(session, option: ServiceLevelOption, **fields) -> ServiceLevelOption:
    """Change name, rank, monthly_cost, service_hours, timezone or description."""
    errors = _option_errors(fields)
    if any(o is not option and o.name == fields.get("name") for o in option.service.options):
        errors["name"] = [_("service %(key)s already has an option %(name)s",
                            key=repr(option.service.key),
                            name=repr(fields['name']))]
    if "monthly_cost" in fields and not errors:
        fields["monthly_cost"] = Decimal(str(fields["monthly_cost"]))
    return _apply(session, option, fields, {"name", "rank", "monthly_cost", "service_hours",
                                            "timezone", "description"}, errors)


# -- targets (mission rule 6) ------------------------------------------------------------
def target_problems(metric: Metric | None, comparator, threshold, period,
                    metric_label: str = "") -> dict[str, list[str]]:
    """Why a target cannot be measured or makes no sense, by field; empty when it is sound.

    Rule 6 (a registered metric with a data source, a numeric threshold, a period) and
    ``units.value_problems`` (the number suits the metric's unit, the comparator its
    direction). Every entry point for a target goes through here.
    """
    errors: dict[str, list[str]] = {}
    if metric is None:
        what = (_("unknown metric %(metric_label)s", metric_label=repr(metric_label))
                if metric_label else _("metric is missing"))
        errors["metric"] = [_("%(what)s: a target needs a registered metric", what=what)]
    elif not metric.data_source:
        errors["metric"] = [_("metric %(key)s has no data source: it cannot be measured",
                              key=repr(metric.key))]
    if comparator is not None and comparator not in COMPARATORS:
        errors["comparator"] = [_("comparator %(comparator)s must be '>=' or '<='",
                                  comparator=repr(comparator))]
    if threshold is None or threshold == "":
        errors["threshold"] = [_("threshold is missing: a target needs a numeric threshold")]
    elif not is_number(threshold):
        errors["threshold"] = [_("threshold %(threshold)s is not a number",
                                 threshold=repr(threshold))]
    elif metric is not None:
        for field, messages in value_problems(metric, comparator, threshold).items():
            errors.setdefault(field, []).extend(messages)
    if period in (None, ""):
        errors["period"] = [_("period is missing: a target needs a period (month or quarter)")]
    elif period not in PERIODS:
        errors["period"] = [_("period %(period)s must be 'month' or 'quarter'",
                              period=repr(period))]
    return errors


def set_target(session, option: ServiceLevelOption, metric: Metric | str | None, threshold,
               period, comparator: str | None = None) -> Target:
    """Create or replace ``option``'s target on ``metric`` (a Metric or its key).

    ``comparator`` defaults from the metric's direction. Raises ValidationError when the
    target cannot be measured (mission rule 6): the message names what is missing.
    """
    label = metric if isinstance(metric, str) else ""
    if isinstance(metric, str):
        metric = metric_by_key(session, metric)
    _check(target_problems(metric, comparator, threshold, period, label))
    target = next((t for t in option.targets if t.metric_id == metric.id), None)
    if target is None:
        target = Target(metric=metric)
        option.targets.append(target)
    target.comparator = comparator or default_comparator(metric)
    target.threshold, target.period = float(threshold), period
    session.flush()
    return target


def remove_target(session, option: ServiceLevelOption, metric_key: str) -> None:
    """Remove ``option``'s target on the metric ``metric_key`` (if it has one)."""
    option.targets[:] = [t for t in option.targets if t.metric.key != metric_key]
    session.flush()


# -- configuration items -----------------------------------------------------------------
def create_ci(session, key: str, name: str, ci_type: str, status: str = "operational",
              location: str = "") -> ConfigurationItem:
    """A configuration item; raises ValidationError for blank fields or a key in use."""
    errors: dict = {}
    _required_text(errors, {"key": key, "name": name, "ci_type": ci_type, "status": status})
    if not errors.get("key") and session.execute(
            select(ConfigurationItem.id).where(ConfigurationItem.key == key)).first():
        errors["key"] = [_("configuration item %(key)s already exists", key=repr(key))]
    _check(errors, ConfigurationItem, dict(key=key, name=name, ci_type=ci_type, status=status,
                                           location=location or ""))
    ci = ConfigurationItem(key=key.strip(), name=name.strip(), ci_type=ci_type.strip(),
                           status=status.strip(), location=location)
    session.add(ci)
    session.flush()
    return ci


def update_ci(session, ci: ConfigurationItem, **fields) -> ConfigurationItem:
    """Change name, ci_type, status or location of ``ci``."""
    errors: dict = {}
    _required_text(errors, {k: v for k, v in fields.items() if k in ("name", "ci_type", "status")})
    return _apply(session, ci, fields, {"name", "ci_type", "status", "location"}, errors)


def link_ci(session, service: Service, ci: ConfigurationItem) -> None:
    """Record that ``service`` runs on ``ci`` (linking twice is harmless)."""
    if ci not in service.cis:
        service.cis.append(ci)
    session.flush()


def unlink_ci(session, service: Service, ci: ConfigurationItem) -> None:
    """Forget that ``service`` runs on ``ci``."""
    if ci in service.cis:
        service.cis.remove(ci)
    session.flush()


def register(registry) -> None:
    """The catalogue's handlers: ``check_supporting_processes``, ``catalogue_readiness``."""
    register_supporting(registry)
