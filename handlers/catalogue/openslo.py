"""The catalogue's targets as OpenSLO v1 documents (https://github.com/OpenSLO/OpenSLO).

One ``kind: SLO`` document per target of a service level option:

- ``spec.service``: the service key; ``metadata.annotations``: ``slm.service`` and
  ``slm.level`` (the option's name);
- ``spec.indicator``: the metric (``metadata.name`` = metric key, a ``thresholdMetric``
  whose ``metricSource.type`` is the metric's data source);
- ``spec.timeWindow``: one calendar window, ``1M`` (month) or ``1Q`` (quarter);
- ``spec.objectives``: one objective, ``op`` ``gte`` or ``lte`` and ``value`` the threshold
  (``target: 1``: the period's aggregate must meet it; ``budgetingMethod: Occurrences``).

Import reads such documents (YAML, ``safe`` loading only) and creates or replaces those
targets; anything it cannot use is reported as ``line N: what is wrong`` and nothing is
stored (the caller rolls back).
"""
from __future__ import annotations

import re

import yaml
from sqlalchemy import select

from engine.i18n import _
from handlers.errors import ValidationError

from .models import Service, ServiceLevelOption
from .operations import metric_by_key, set_target

API_VERSION = "openslo/v1"
OPS = {">=": "gte", "<=": "lte"}
COMPARATORS = {v: k for k, v in OPS.items()}
WINDOWS = {"month": "1M", "quarter": "1Q"}
PERIODS = {v: k for k, v in WINDOWS.items()}
MAX_BYTES = 2 * 1024 * 1024


class OpenSLOError(ValidationError):
    """Input that cannot be imported; ``lines`` holds 'line N: message' texts."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        super().__init__({"openslo": lines})

    def __str__(self) -> str:
        return "\n".join(self.lines)


def _name(*parts: str) -> str:
    return re.sub(r"[^a-z0-9-]+", "-", "-".join(parts).lower()).strip("-")[:63]


def export_documents(session, service_key: str | None = None) -> list[dict]:
    """One OpenSLO SLO document per target, by service, level rank and metric."""
    query = select(Service).order_by(Service.key)
    if service_key:
        query = query.where(Service.key == service_key)
    docs = []
    for service in session.scalars(query):
        for option in service.options:
            for target in sorted(option.targets, key=lambda t: t.metric.key):
                metric = target.metric
                docs.append({
                    "apiVersion": API_VERSION, "kind": "SLO",
                    "metadata": {"name": _name(service.key, option.name, metric.key),
                                 "displayName": f"{service.name} {option.name}: {metric.name}",
                                 "annotations": {"slm.service": service.key,
                                                 "slm.level": option.name}},
                    "spec": {
                        "description": f"{metric.name} {target.comparator} "
                                       f"{target.threshold:g} {metric.unit} per "
                                       f"{target.period}",
                        "service": service.key,
                        "indicator": {"metadata": {"name": metric.key,
                                                   "displayName": metric.name},
                                      "spec": {"thresholdMetric": {"metricSource": {
                                          "type": metric.data_source or "unknown",
                                          "spec": {"metric": metric.key,
                                                   "unit": metric.unit}}}}},
                        "timeWindow": [{"duration": WINDOWS[target.period],
                                        "isRolling": False,
                                        "calendar": {"startTime": "2026-01-01 00:00:00",
                                                     "timeZone": option.timezone}}],
                        "budgetingMethod": "Occurrences",
                        "objectives": [{"displayName": f"{metric.key} {target.comparator} "
                                                       f"{target.threshold:g}",
                                        "op": OPS[target.comparator],
                                        "value": target.threshold, "target": 1}]}})
    return docs


def export_yaml(session, service_key: str | None = None) -> str:
    return yaml.safe_dump_all(export_documents(session, service_key), sort_keys=False,
                              allow_unicode=True)


# -- import ----------------------------------------------------------------------------------
def _documents(text: str):
    """(node, data) per YAML document; OpenSLOError with the line of a syntax error."""
    loader = yaml.SafeLoader(text)
    try:
        while loader.check_node():
            node = loader.get_node()
            yield node, loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else "?"
        raise OpenSLOError([_("line %(line)s: not valid YAML: %(problem)s",
                              line=line,
                              problem=exc.problem or exc)]) from None
    except yaml.YAMLError as exc:
        raise OpenSLOError([_("not valid YAML: %(exc)s", exc=exc)]) from None
    finally:
        loader.dispose()


def _line(node, *path) -> int:
    """1-based line of ``path`` (keys and list indexes) inside ``node``, or of the deepest
    part of it that exists."""
    for step in path:
        if isinstance(node, yaml.MappingNode):
            found = next((v for k, v in node.value if getattr(k, "value", None) == step), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) \
                and step < len(node.value):
            found = node.value[step]
        else:
            found = None
        if found is None:
            break
        node = found
    return node.start_mark.line + 1


def _get(data, *path):
    for step in path:
        if isinstance(data, dict):
            data = data.get(step)
        elif isinstance(data, list) and isinstance(step, int) and step < len(data):
            data = data[step]
        else:
            return None
    return data


def _check(session, node, doc, errors: list[str]):
    """The (option, metric key, comparator, threshold, period, line) of one document, or
    None; its problems go to ``errors`` in the order of their lines."""
    mine: list[tuple[int, str]] = []
    try:
        return _check_document(session, node, doc, mine)
    finally:
        errors.extend(f"line {line}: {message}" for line, message in sorted(mine))


def _check_document(session, node, doc, mine: list):
    def bad(message, *path):
        mine.append((_line(node, *path), message))

    if not isinstance(doc, dict):
        bad("a document must be a mapping (apiVersion, kind, metadata, spec)")
        return None
    if doc.get("apiVersion") != API_VERSION:
        bad(_("apiVersion must be %(API_VERSION)s, not %(value)s",
              API_VERSION=repr(API_VERSION),
              value=repr(doc.get('apiVersion'))), "apiVersion")
    if doc.get("kind") != "SLO":
        bad(_("kind must be 'SLO', not %(value)s", value=repr(doc.get('kind'))), "kind")
        return None
    service_key = _get(doc, "spec", "service")
    service = session.scalar(select(Service).where(Service.key == str(service_key)))
    if service is None:
        bad(_("unknown service %(service_key)s", service_key=repr(service_key)), "spec", "service")
    level = _get(doc, "metadata", "annotations", "slm.level")
    option = None
    if not level:
        bad("metadata.annotations needs 'slm.level': the service level option (e.g. Gold)",
            "metadata")
    elif service is not None:
        option = session.scalar(select(ServiceLevelOption).where(
            ServiceLevelOption.service_id == service.id, ServiceLevelOption.name == str(level)))
        if option is None:
            bad(f"service {service.key!r} has no level {level!r}",
                "metadata", "annotations", "slm.level")
    metric_key = (_get(doc, "spec", "indicator", "spec", "thresholdMetric", "metricSource",
                       "spec", "metric") or _get(doc, "spec", "indicator", "metadata", "name"))
    if not metric_key:
        bad("spec.indicator names no metric (metadata.name or thresholdMetric.metricSource."
            "spec.metric)", "spec", "indicator")
    elif metric_by_key(session, str(metric_key)) is None:
        bad(_("unknown metric %(metric_key)s", metric_key=repr(metric_key)), "spec", "indicator")
    objectives = _get(doc, "spec", "objectives")
    if not isinstance(objectives, list) or len(objectives) != 1:
        bad("spec.objectives must hold exactly one objective", "spec", "objectives")
        return None
    objective = objectives[0] if isinstance(objectives[0], dict) else {}
    op, value = objective.get("op"), objective.get("value")
    if op not in COMPARATORS:
        bad(_("op must be 'gte' or 'lte' (a target is met at its threshold), not %(op)s",
              op=repr(op)),
            "spec", "objectives", 0, "op")
    if isinstance(value, bool) or not isinstance(value, int | float):
        bad(_("value must be a number (the threshold), not %(value)s", value=repr(value)),
            "spec", "objectives", 0, "value")
    duration = _get(doc, "spec", "timeWindow", 0, "duration")
    if duration not in PERIODS:
        bad(_("timeWindow duration must be 1M (month) or 1Q (quarter), not %(duration)s",
              duration=repr(duration)),
            "spec", "timeWindow")
    rolling = _get(doc, "spec", "timeWindow", 0, "isRolling")
    if rolling:
        bad("rolling windows are not supported: targets hold per calendar period",
            "spec", "timeWindow", 0, "isRolling")
    if option is None or not metric_key or op not in COMPARATORS or duration not in PERIODS:
        return None
    return option, str(metric_key), COMPARATORS[op], value, PERIODS[duration], \
        _line(node, "spec", "objectives", 0)


def import_yaml(session, text: str) -> int:
    """Create or replace the targets the documents describe; how many. Raises OpenSLOError
    listing every problem by line (the caller rolls back: nothing half-imported)."""
    if len(text.encode()) > MAX_BYTES:
        raise OpenSLOError([_("the file is larger than %(MAX_BYTES)s KiB",
                              MAX_BYTES=MAX_BYTES // 1024)])
    errors: list[str] = []
    found = []
    for node, doc in _documents(text):
        checked = _check(session, node, doc, errors)
        if checked is not None:
            found.append(checked)
    if not errors and not found:
        errors.append(_("line 1: no SLO document found"))
    if errors:
        raise OpenSLOError(errors)
    for option, metric, comparator, threshold, period, line in found:
        try:
            set_target(session, option, metric, threshold, period, comparator)
        except ValidationError as exc:
            errors += [f"line {line}: {m}" for ms in exc.errors.values() for m in ms]
    if errors:
        raise OpenSLOError(errors)
    return len(found)
