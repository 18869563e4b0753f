"""Process health of one version over a period: what a process owner improves from.

- instances started in the period, and completed in it;
- cycle time (start to completion) of the instances completed in the period, p50 and p90;
- waiting time at each human-task element, from the audit events ``task_ready`` to
  ``task_completed`` (or ``task_cancelled``) of tasks that became ready in the period, p50
  and p90, and how many still wait;
- incidents raised in the period, by element.

Percentiles interpolate linearly between the sorted values (p50 of 1, 2, 3, 4 is 2.5; p90
is 3.7), the common "inclusive" definition. Times are in seconds.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.audit import queued_events
from engine.i18n import _
from engine.models import AuditEvent, Incident, ProcessInstance, ProcessVersion

_DONE = ("task_completed", "task_cancelled")


def percentile(values: list[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) of ``values``, linearly interpolated; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    at = (len(ordered) - 1) * q
    low = int(at)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (at - low)


@dataclass
class ElementHealth:
    element_id: str
    name: str = ""
    waits: list = field(default_factory=list)
    still_waiting: int = 0
    incidents: int = 0

    @property
    def p50(self):
        return percentile(self.waits, 0.5)

    @property
    def p90(self):
        return percentile(self.waits, 0.9)


@dataclass
class Health:
    started: int
    completed: int
    cycle_times: list
    elements: list

    @property
    def cycle_p50(self):
        return percentile(self.cycle_times, 0.5)

    @property
    def cycle_p90(self):
        return percentile(self.cycle_times, 0.9)

    def heat(self) -> dict[str, dict]:
        """{element id: {p50, p90, waiting, incidents, level}}: level 1..4 is the quarter of
        the longest median wait the element's median falls in (0: no wait measured)."""
        top = max((e.p50 for e in self.elements if e.p50), default=0)
        return {e.element_id: {"p50": e.p50, "p90": e.p90, "waiting": e.still_waiting,
                               "incidents": e.incidents,
                               "level": math.ceil(4 * e.p50 / top) if top and e.p50 else 0}
                for e in self.elements}


def _within(column, start: datetime | None, end: datetime | None):
    conds = []
    if start is not None:
        conds.append(column >= start)
    if end is not None:
        conds.append(column < end)
    return conds


def version_health(session: Session, version: ProcessVersion, start: datetime | None = None,
                   end: datetime | None = None) -> Health:
    """Health of ``version`` for instances and tasks in [start, end) (naive UTC)."""
    inst = ProcessInstance
    started = session.scalar(select(func.count()).select_from(inst).where(
        inst.version_id == version.id, *_within(inst.started_at, start, end)))
    done = session.execute(select(inst.started_at, inst.completed_at).where(
        inst.version_id == version.id, inst.status == "completed",
        inst.completed_at.is_not(None), *_within(inst.completed_at, start, end))).all()
    cycles = [(c - s).total_seconds() for s, c in done]
    events = session.execute(
        select(AuditEvent.kind, AuditEvent.at, AuditEvent.task_id, AuditEvent.element_id,
               AuditEvent.data)
        .where(AuditEvent.process_id == version.process_id,
               AuditEvent.version == version.version,
               AuditEvent.kind.in_(("task_ready", *_DONE)))
        .order_by(AuditEvent.seq)).all()
    events += [(ev.kind, ev.at, ev.task_id, ev.element_id, ev.data)  # not sealed yet
               for ev in queued_events(session) if ev.process_id == version.process_id
               and ev.version == version.version and ev.kind in ("task_ready", *_DONE)]
    ready: dict[str, tuple] = {}
    elements: dict[str, ElementHealth] = {}
    for kind, at, task_id, element_id, _data in events:
        if kind == "task_ready":
            if (start is None or at >= start) and (end is None or at < end):
                ready[task_id] = (element_id, at)
                elements.setdefault(element_id, ElementHealth(element_id))
        elif task_id in ready:
            element_id, since = ready.pop(task_id)
            elements[element_id].waits.append((at - since).total_seconds())
    for element_id, _since in ready.values():
        elements[element_id].still_waiting += 1
    incidents = session.execute(
        select(Incident.element_id, func.count()).join(inst, inst.id == Incident.instance_id)
        .where(inst.version_id == version.id, *_within(Incident.created_at, start, end))
        .group_by(Incident.element_id))
    for element_id, n in incidents:
        elements.setdefault(element_id, ElementHealth(element_id)).incidents = n
    return Health(started or 0, len(done), cycles,
                  sorted(elements.values(), key=lambda e: -(e.p50 or 0)))


def hours(seconds: float | None) -> str:
    """Seconds as hours with one decimal ("2.5"); "" for no value."""
    return "" if seconds is None else f"{seconds / 3600:.1f}"


def health_csv(health: Health, names: dict[str, str]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_("element"), _("name"), _("waits measured"), _("wait p50 (hours)"),
                     _("wait p90 (hours)"), _("still waiting"), _("incidents")])
    for e in health.elements:
        writer.writerow([e.element_id, names.get(e.element_id, ""), len(e.waits), hours(e.p50),
                         hours(e.p90), e.still_waiting, e.incidents])
    writer.writerow([])
    writer.writerow([_("instances started"), health.started])
    writer.writerow([_("instances completed"), health.completed])
    writer.writerow([_("cycle time p50 (hours)"), hours(health.cycle_p50)])
    writer.writerow([_("cycle time p90 (hours)"), hours(health.cycle_p90)])
    return out.getvalue()


def element_names(xml: str) -> dict[str, str]:
    from .diff import elements
    return {el_id: props.get("name", "") for el_id, (_, props) in elements(xml).items()}

