"""Keeping the human-task table in step with the workflow after each engine step."""
from __future__ import annotations

from datetime import timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import Session

from . import sql
from .lanes import lane_owners
from .validation import DUE_PROPERTY, FORM_PROPERTY, properties


def due_at(task_spec, now):
    """``now`` plus the user task's ``dueIn`` property (ISO 8601 duration), or None."""
    due = properties(task_spec).get(DUE_PROPERTY)
    if not due:
        return None
    parsed = TimerEventDefinition.parse_iso_duration(due)
    return now + timedelta(seconds=TimerEventDefinition.get_timedelta_from_start(
        parsed, now).total_seconds())


def task_title(task_spec) -> str:
    return getattr(task_spec, "bpmn_name", None) or task_spec.bpmn_id or task_spec.name


def all_tasks(workflow, **filters):
    """Tasks of the workflow and of all its subprocesses."""
    tasks = workflow.get_tasks(**filters)
    for sp in workflow.subprocesses.values():
        tasks.extend(sp.get_tasks(**filters))
    return tasks


def scan(workflow) -> tuple[dict, bool]:
    """One pass over every task: ({id: ready user task}, whether any task is in ERROR)."""
    ready, errored = {}, False
    for wf in (workflow, *workflow.subprocesses.values()):
        for task in wf.tasks.values():
            state = task.state
            if state == TaskState.READY and task.task_spec.manual:
                ready[str(task.id)] = task
            elif state == TaskState.ERROR:
                errored = True
    return ready, errored


def sync_human_tasks(session: Session, loaded, ready_now: dict, completed_task_ids=()) -> None:
    """Insert rows for newly ready user tasks; cancel rows whose task went away."""
    now, vs = loaded.now, loaded.version
    new = [t for tid, t in ready_now.items() if tid not in loaded.ready]
    gone = [tid for tid in loaded.ready if tid not in ready_now and tid not in completed_task_ids]
    if new:
        rows = []
        for task in new:
            spec = task.task_spec
            ext = getattr(spec, "extensions", None) or {}
            rows.append(dict(
                instance_id=loaded.id, task_id=str(task.id), element_id=spec.bpmn_id,
                name=task_title(spec), lane=spec.lane, organisation=loaded.organisation,
                process_id=vs.process_id, form=properties(spec).get(FORM_PROPERTY),
                instructions=ext.get("instructionsForEndUser") or "",
                lane_owners=lane_owners(task.data, spec.lane),
                due_at=due_at(spec, now), status="ready", created_at=now))
            loaded.trail.add("task_ready", at=now, actor=loaded.actor, instance_id=loaded.id,
                             process_id=vs.process_id, version=vs.version, task_id=str(task.id),
                             element_id=spec.bpmn_id, data={"name": task_title(spec),
                                                            "lane": spec.lane})
        sql.INSERT_TASKS.execute_many(session.connection(), rows)
    if gone:
        sql.CANCEL_TASK.execute_many(session.connection(), [
            {"iid": loaded.id, "tid": tid, "now": now} for tid in gone])
        for tid in gone:
            loaded.trail.add("task_cancelled", at=now, actor=loaded.actor, instance_id=loaded.id,
                             process_id=vs.process_id, version=vs.version, task_id=tid)
    loaded.ready = set(ready_now)
