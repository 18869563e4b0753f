"""Starting, retrying and cancelling process instances (one engine step each)."""
from __future__ import annotations

from datetime import datetime

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .errors import TaskStateError
from .i18n import _
from .models import Incident
from .runtime import Engine
from .task_index import all_tasks


def start_instance(engine: Engine, session: Session, process_id: str, *, actor: str,
                   now: datetime, data: dict | None = None, organisation: str | None = None,
                   title: str = "") -> int:
    """Start ``process_id`` on its latest version with ``data``; returns the instance id."""
    return engine.start(session, process_id, actor=actor, now=now, data=data,
                        organisation=organisation, title=title)


def retry_instance(engine: Engine, session: Session, instance_id: int, *, actor: str,
                   now: datetime) -> str:
    """Run the failed tasks of an instance again (after the cause was fixed).

    Returns the new status; a task that fails again raises a new incident.
    """
    loaded = engine.load(session, instance_id, actor=actor, now=now)
    failed = all_tasks(loaded.workflow, state=TaskState.ERROR)
    if not failed:
        raise TaskStateError(_("process instance %(instance_id)s has no failed task to retry",
                               instance_id=instance_id))
    session.execute(update(Incident).where(
        Incident.instance_id == instance_id, Incident.status == "open",
    ).values(status="resolved", resolved_at=loaded.now, resolved_by=actor))
    loaded.trail.add("instance_retried", at=loaded.now, actor=actor, instance_id=instance_id,
                     process_id=loaded.version.process_id, version=loaded.version.version,
                     data={"tasks": [t.task_spec.bpmn_id for t in failed]})
    again = [t for t in failed if t.internal_data.pop("slm_failed_in_update", False)]
    for task in failed:
        task._set_state(TaskState.FUTURE if task in again else TaskState.READY)
    ok = engine.advance(session, loaded, update=again)
    engine.save(session, loaded)
    return "error" if not ok else loaded.status


def open_incidents(session: Session, instance_id: int) -> list[Incident]:
    return list(session.execute(select(Incident).where(
        Incident.instance_id == instance_id, Incident.status == "open")
        .order_by(Incident.id)).scalars())
