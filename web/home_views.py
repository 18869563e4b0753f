"""What each role's start page shows: the work waiting for them, read from the database.

- service level manager: my tasks, my role's queue, overdue ones, SLAs breached this month;
- process owner: per process, running instances, open incidents and open tasks;
- auditor: the latest audit events and the chain's head (verification is one click away);
- anyone else (admin): the counts and the navigation.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import case, func, or_, select

from engine.audit import queued_events
from engine.models import AuditEvent, HumanTask, Incident, ProcessInstance, ProcessVersion
from handlers.delivery.attainment import portfolio_attainment
from handlers.delivery.periods import add_months
from handlers.errors import DomainError

MANAGER = "Service Level Manager"


def manager_home(session, username: str, lanes, now) -> dict:
    ready = select(HumanTask).where(HumanTask.status == "ready")
    mine = list(session.scalars(ready.where(HumanTask.assignee == username)
                                .order_by(HumanTask.due_at.is_(None), HumanTask.due_at)
                                .limit(10)))
    queue = list(session.scalars(ready.where(HumanTask.assignee.is_(None),
                                             HumanTask.lane.in_(sorted(lanes)))
                                 .order_by(HumanTask.due_at.is_(None), HumanTask.due_at)
                                 .limit(10)))
    overdue = session.scalar(select(func.count()).select_from(HumanTask).where(
        HumanTask.status == "ready", HumanTask.due_at < now, HumanTask.lane.in_(sorted(lanes)),
        or_(HumanTask.assignee.is_(None), HumanTask.assignee == username)))
    start = now.date().replace(day=1)
    try:
        portfolio = portfolio_attainment(session, start,
                                         add_months(start, 1) - timedelta(days=1))
    except DomainError:
        portfolio = []
    breached = [a for a in portfolio if a.get("breaches")]
    return {"mine": mine, "queue": queue, "overdue": overdue, "breached": breached,
            "month": start}


def owner_home(session) -> list[dict]:
    """Per process: its name, running instances, instances in error, open tasks."""
    names = dict(session.execute(select(ProcessVersion.process_id, ProcessVersion.name)
                                 .order_by(ProcessVersion.version)).all())
    rows = session.execute(select(
        ProcessInstance.process_id,
        func.sum(case((ProcessInstance.status == "running", 1), else_=0)),
        func.sum(case((ProcessInstance.status == "error", 1), else_=0)))
        .group_by(ProcessInstance.process_id)).all()
    tasks = dict(session.execute(select(HumanTask.process_id, func.count()).where(
        HumanTask.status == "ready").group_by(HumanTask.process_id)).all())
    incidents = dict(session.execute(select(ProcessInstance.process_id, func.count()).join(
        Incident, Incident.instance_id == ProcessInstance.id).where(
        Incident.status == "open").group_by(ProcessInstance.process_id)).all())
    return [{"process_id": pid, "name": names.get(pid, pid), "running": int(running or 0),
             "error": int(error or 0), "incidents": incidents.get(pid, 0),
             "waiting": tasks.get(pid, 0)} for pid, running, error in sorted(rows)]


def auditor_home(session, shown: int = 15) -> dict:
    # newest first: on PostgreSQL the newest events still wait for the sealer (no seq yet);
    # the process's own activity only: mail deliveries (notification_sent) would bury it
    queued = [ev for ev in queued_events(session, newest=4 * shown)
              if not ev.kind.startswith("notification")][::-1]
    events = queued[:shown] + list(session.scalars(select(AuditEvent).where(
        AuditEvent.kind.not_like("notification%")).order_by(AuditEvent.id.desc())
        .limit(max(shown - len(queued), 0))))
    head = session.scalar(select(func.max(AuditEvent.seq)))
    return {"events": events, "head": head or 0}
