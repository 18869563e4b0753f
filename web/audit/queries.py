"""Audit queries: instance search (process_instance + audit_event, no workflow
deserialized), an instance's trace, per-instance hash checks and CSV/JSON rows."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.audit import event_hash, queued_events
from engine.models import AuditEvent, Incident, ProcessInstance, ProcessVersion
from handlers.agreements.models import ServiceLevelAgreement
from handlers.outputs.csv_cells import write_csv
from handlers.paging import paginate
from handlers.people.models import Organisation
from handlers.requirements.models import ServiceLevelRequirement

# SpiffWorkflow TaskState values, as stored in the serialized state
WAITING, READY, STARTED, COMPLETED, ERROR = 8, 16, 32, 64, 128
STATUSES = ("running", "completed", "error", "cancelled")
EXPORT_FIELDS = ("seq", "at", "actor", "kind", "instance_id", "process_id", "version",
                 "task_id", "element_id", "data", "prev_hash", "hash")


@dataclass
class Filters:
    process: str = ""
    version: int | None = None
    status: str = ""
    customer: str = ""
    sla: str = ""
    actor: str = ""
    date_from: datetime | None = None
    date_to: datetime | None = None

    def args(self) -> dict:
        """The filters as query arguments (for pagination links)."""
        out = {"process": self.process, "version": self.version, "status": self.status,
               "customer": self.customer, "sla": self.sla, "actor": self.actor,
               "from": self.date_from.date().isoformat() if self.date_from else None,
               "to": self.date_to.date().isoformat() if self.date_to else None}
        return {k: v for k, v in out.items() if v not in (None, "")}


def search(session: Session, f: Filters, page: int, per_page: int):
    """One page of (instance, version number) rows matching ``f``, newest first."""
    stmt = (select(ProcessInstance, ProcessVersion.version)
            .join(ProcessVersion, ProcessVersion.id == ProcessInstance.version_id))
    if f.process:
        stmt = stmt.where(ProcessInstance.process_id == f.process)
    if f.version is not None:
        stmt = stmt.where(ProcessVersion.version == f.version)
    if f.status:
        stmt = stmt.where(ProcessInstance.status == f.status)
    if f.customer:
        stmt = stmt.where(ProcessInstance.organisation == f.customer)
    if f.date_from:
        stmt = stmt.where(ProcessInstance.started_at >= f.date_from)
    if f.date_to:
        stmt = stmt.where(ProcessInstance.started_at < f.date_to)
    if f.actor:  # the events sealed, and those still queued for the sealer
        queued = {ev.instance_id for ev in queued_events(session) if ev.actor == f.actor}
        stmt = stmt.where(or_(ProcessInstance.id.in_(
            select(AuditEvent.instance_id).where(AuditEvent.actor == f.actor)),
            ProcessInstance.id.in_(queued - {None})))
    if f.sla:
        sla = select(ServiceLevelAgreement).where(ServiceLevelAgreement.reference == f.sla)
        sla = sla.subquery()
        ids = select(sla.c.instance_id).where(sla.c.instance_id.is_not(None)).union(
            select(ServiceLevelRequirement.instance_id)
            .join(sla, sla.c.slr_id == ServiceLevelRequirement.id))
        stmt = stmt.where(ProcessInstance.id.in_(ids))
    stmt = stmt.order_by(ProcessInstance.started_at.desc(), ProcessInstance.id.desc())
    return paginate(session, stmt, page, per_page, scalars=False)


def choices(session: Session) -> dict:
    """Values for the search form's lists."""
    return {
        "processes": session.scalars(select(ProcessVersion.process_id).distinct()
                                     .order_by(ProcessVersion.process_id)).all(),
        "customers": session.execute(select(Organisation.key, Organisation.name)
                                     .where(Organisation.kind == "customer")
                                     .order_by(Organisation.name)).all(),
        "slas": session.scalars(select(ServiceLevelAgreement.reference)
                                .order_by(ServiceLevelAgreement.reference)).all(),
    }


def event_dict(ev: AuditEvent) -> dict:
    try:
        data = json.loads(ev.data or "{}")
    except ValueError:
        data = ev.data
    return {"seq": ev.seq, "at": ev.at.isoformat(), "actor": ev.actor, "kind": ev.kind,
            "instance_id": ev.instance_id, "process_id": ev.process_id, "version": ev.version,
            "task_id": ev.task_id, "element_id": ev.element_id, "data": data,
            "prev_hash": ev.prev_hash, "hash": ev.hash, "sealed": ev.seq is not None}


@dataclass
class InstanceCheck:
    ok: bool
    checked: int
    bad: list[int] = field(default_factory=list)
    #: events appended but not sealed into the chain yet (nothing to check until then)
    unsealed: int = 0


def check_instance(events: list[AuditEvent]) -> InstanceCheck:
    """Recompute each sealed event's hash from its content and stored prev_hash."""
    sealed = [ev for ev in events if ev.seq is not None]
    bad = [ev.seq for ev in sealed
           if event_hash(ev.prev_hash, ev.seq, ev.at, ev.actor, ev.kind, ev.instance_id,
                         ev.process_id, ev.version, ev.task_id, ev.element_id, ev.data)
           != ev.hash]
    return InstanceCheck(not bad, len(sealed), bad, len(events) - len(sealed))


def _state_tasks(state_text: str):
    """(task_spec name, state) of every task of the serialized workflow and subprocesses."""
    try:
        state = json.loads(state_text or "{}")
    except ValueError:
        return
    stack = [state]
    while stack:
        node = stack.pop()
        for task in (node.get("tasks") or {}).values():
            if isinstance(task, dict):
                yield task.get("task_spec"), task.get("state")
        stack.extend(v for v in (node.get("subprocesses") or {}).values() if isinstance(v, dict))


def markers(session: Session, instance: ProcessInstance, events: list[AuditEvent]) -> dict:
    """Diagram markers: element id lists for completed/current/error, and run counts."""
    counts: Counter = Counter()
    completed: set[str] = set()
    for ev in events:
        if ev.element_id and ev.kind in ("task_completed", "handler_run", "timer_fired"):
            counts[ev.element_id] += 1
    current: set[str] = set()
    error: set[str] = set()
    spec_counts: Counter = Counter()
    for name, state in _state_tasks(instance.state):
        if not isinstance(name, str) or not isinstance(state, int):
            continue
        if state == COMPLETED:
            completed.add(name)
            spec_counts[name] += 1
        elif state in (READY, WAITING, STARTED):
            current.add(name)
        elif state == ERROR:
            error.add(name)
    for name, n in spec_counts.items():  # elements without events (gateways, events)
        counts[name] = max(counts[name], n) if counts[name] else n
    completed |= {k for k, n in counts.items() if n}
    error |= set(session.scalars(select(Incident.element_id).where(
        Incident.instance_id == instance.id, Incident.status == "open")).all())
    return {"completed": sorted(completed - current - error), "current": sorted(current),
            "error": sorted(error), "counts": {k: n for k, n in counts.items() if n > 1}}


def trace_csv(events, head: tuple[int, str]) -> str:
    """The events as CSV (every cell through the formula guard); the first line is a comment
    with the chain head the export was cut at (``# chain head SEQ:HASH ...``: skip it, or
    read it with ``comment="#"``)."""
    comment = (f"# chain head {head[0]}:{head[1]} (check later: slm audit verify --anchor "
               f"{head[0]}:{head[1]})\n")
    return comment + write_csv(EXPORT_FIELDS, (
        [ev.seq, ev.at.isoformat(), ev.actor, ev.kind, ev.instance_id, ev.process_id,
         ev.version, ev.task_id, ev.element_id, ev.data, ev.prev_hash, ev.hash]
        for ev in events))


def log_events(session: Session, date_from: datetime | None, date_to: datetime | None,
               up_to: int):
    """The sealed events up to sequence number ``up_to`` (the chain head read before), in
    chain order: an export holds exactly the log its anchor certifies."""
    stmt = select(AuditEvent).where(AuditEvent.seq <= up_to).order_by(AuditEvent.seq)
    if date_from:
        stmt = stmt.where(AuditEvent.at >= date_from)
    if date_to:
        stmt = stmt.where(AuditEvent.at < date_to)
    return session.scalars(stmt.execution_options(yield_per=1000))
