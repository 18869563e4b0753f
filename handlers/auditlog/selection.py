"""The events of one process as an event log, cut at the audit chain head.

The head (``engine.audit.chain_head``) is read first and only events up to it are taken,
so an export holds exactly the log that the anchor ``SEQ:HASH`` it carries certifies:
``slm audit verify --anchor SEQ:HASH`` later tells whether that log was rewritten.

A *case* is one process instance; its *steps* are the work done in it: a user task
completed, a service task's handler run, a timer fired (lifecycle ``complete``), a task
cancelled (``withdraw``) and an incident (``ate_abort``). Each step's activity is the name
the diagram gives its element.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.audit import chain_head
from engine.errors import DeployError
from engine.i18n import _
from engine.models import AuditEvent, ProcessInstance, ProcessVersion
from engine.xmlsafe import parse_xml
from handlers.errors import DomainError
from handlers.people.models import Organisation

#: audit event kind -> XES lifecycle transition of the step it records
LIFECYCLE = {"task_completed": "complete", "handler_run": "complete",
             "timer_fired": "complete", "task_cancelled": "withdraw",
             "incident_raised": "ate_abort"}


@dataclass(frozen=True)
class LogFilters:
    """Which part of the log: one process, optionally one diagram version, a period of
    event times [date_from, date_to) and one customer organisation (key)."""

    process: str
    version: int | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    organisation: str | None = None


@dataclass
class Step:
    seq: int
    at: datetime
    actor: str
    kind: str
    activity: str
    element_id: str
    task_id: str | None
    lifecycle: str
    #: the lane (role) of a user task, when the log recorded it
    role: str | None = None


@dataclass
class Case:
    instance: ProcessInstance
    version: int
    organisation: str | None
    steps: list[Step] = field(default_factory=list)


@dataclass
class EventLog:
    filters: LogFilters
    head: tuple[int, str]
    cases: list[Case]
    #: element id -> name, over the versions in the log
    activities: dict[str, str]

    @property
    def anchor(self) -> str:
        """The chain head the log was cut at, as ``slm audit head`` prints it."""
        return "{}:{}".format(*self.head)

    @property
    def steps(self) -> int:
        return sum(len(c.steps) for c in self.cases)


def element_names(bpmn_xml: str) -> dict[str, str]:
    """BPMN element id -> its name (elements without a name are left out)."""
    try:
        root = parse_xml(bpmn_xml.encode("utf-8"), "diagram")
    except DeployError:
        return {}
    return {el.get("id"): " ".join(el.get("name").split()) for el in root.iter()
            if isinstance(el.tag, str) and el.get("id") and el.get("name")}


def _check(session: Session, f: LogFilters) -> dict[int, ProcessVersion]:
    """The versions of the process the filters select; DomainError naming a bad filter."""
    if not f.process:
        raise DomainError(_("process: name the process whose log to export"))
    stmt = select(ProcessVersion).where(ProcessVersion.process_id == f.process)
    versions = {v.id: v for v in session.scalars(stmt.order_by(ProcessVersion.version))}
    if not versions:
        raise DomainError(_("process: no process %(process)s is deployed",
                            process=repr(f.process)))
    if f.version is not None:
        versions = {k: v for k, v in versions.items() if v.version == f.version}
        if not versions:
            raise DomainError(_("version: %(process)s has no version %(version)s",
                                process=repr(f.process),
                                version=f.version))
    if f.date_from and f.date_to and f.date_from >= f.date_to:
        raise DomainError(_("from/to: the period ends before it begins"))
    if f.organisation and session.scalar(select(Organisation.id).where(
            Organisation.key == f.organisation)) is None:
        raise DomainError(_("organisation: no organisation %(organisation)s",
                            organisation=repr(f.organisation)))
    return versions


def event_log(session: Session, f: LogFilters) -> EventLog:
    """The cases and steps ``f`` selects, cut at the current chain head.

    Raises DomainError for an unknown process, version or organisation or an empty period.
    """
    head = chain_head(session)
    versions = _check(session, f)
    instances = (select(ProcessInstance).where(ProcessInstance.version_id.in_(versions))
                 .order_by(ProcessInstance.id))
    if f.organisation:
        instances = instances.where(ProcessInstance.organisation == f.organisation)
    by_id = {i.id: i for i in session.scalars(instances)}
    events = (select(AuditEvent).where(AuditEvent.instance_id.in_(
        select(ProcessInstance.id).where(ProcessInstance.version_id.in_(versions))),
        AuditEvent.seq <= head[0],
        AuditEvent.kind.in_([*LIFECYCLE, "task_ready"])).order_by(AuditEvent.seq))
    if f.date_from:
        events = events.where(AuditEvent.at >= f.date_from)
    if f.date_to:
        events = events.where(AuditEvent.at < f.date_to)
    names: dict[str, str] = {}
    for v in versions.values():
        names.update(element_names(v.bpmn_xml))
    orgs = dict(session.execute(select(Organisation.key, Organisation.name)).all())
    cases: dict[int, Case] = {}
    lanes: dict[str, str] = {}
    for ev in session.scalars(events):
        instance = by_id.get(ev.instance_id)
        if instance is None:
            continue
        if ev.kind == "task_ready":
            lanes[ev.task_id or ""] = _data(ev).get("lane") or ""
            continue
        case = cases.get(instance.id)
        if case is None:
            case = cases[instance.id] = Case(instance, versions[instance.version_id].version,
                                             orgs.get(instance.organisation or ""))
        element = ev.element_id or ""
        case.steps.append(Step(ev.seq, ev.at, ev.actor, ev.kind, names.get(element, element),
                               element, ev.task_id, LIFECYCLE[ev.kind],
                               lanes.get(ev.task_id or "") or None))
    return EventLog(f, head, list(cases.values()), names)


def _data(ev: AuditEvent) -> dict:
    try:
        data = json.loads(ev.data or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}
