"""Human tasks: claim, unclaim, assign and complete (one engine step each)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from . import sql
from .audit import AuditTrail
from .clock import as_utc
from .errors import ConflictError, NotFoundError, PermissionDeniedError, TaskStateError
from .forms import check_task_form
from .i18n import _
from .lanes import is_owner
from .models import HumanTask, ProcessInstance
from .runtime import Engine


class TaskAlreadyCompletedError(ConflictError):
    """Someone completed the task first."""


@dataclass(frozen=True)
class Actor:
    """Who acts. ``roles=None`` means a trusted system caller (CLI, runner): no role checks."""

    name: str
    roles: frozenset | None = None
    organisation: str | None = None
    managers: frozenset = field(default_factory=lambda: frozenset({"Service Level Manager"}))

    @property
    def is_manager(self) -> bool:
        return self.roles is None or bool(self.roles & self.managers)


def get_task(session: Session, human_task_id: int) -> HumanTask:
    task = session.get(HumanTask, human_task_id)
    if task is None:
        raise NotFoundError(_("task %(human_task_id)s does not exist",
                              human_task_id=human_task_id))
    return task


def check_may_work(task: HumanTask, actor: Actor) -> None:
    """Raise PermissionDeniedError unless ``actor`` has the task's role and organisation."""
    if actor.roles is None:
        return
    if task.lane not in actor.roles:
        raise PermissionDeniedError(_("task %(id)s is for the role %(lane)s",
                                      id=task.id,
                                      lane=repr(task.lane)))
    if not is_owner(task.lane_owners, actor.name):
        raise PermissionDeniedError(_("task %(id)s is for named people of the lane %(lane)s "
                                      "only (lane_owners)",
                                      id=task.id,
                                      lane=repr(task.lane)))
    if actor.organisation and task.organisation and actor.organisation != task.organisation:
        raise PermissionDeniedError(_("task %(id)s belongs to another organisation", id=task.id))


def _refuse_finished(task: HumanTask) -> None:
    if task.status == "completed":
        raise TaskAlreadyCompletedError(
            _("task '%(name)s' was already completed by %(completed_by)s at %(completed_at)s "
              "UTC",
              name=task.name,
              completed_by=task.completed_by,
              completed_at=format(task.completed_at, '%Y-%m-%d %H:%M')))
    if task.status != "ready":
        raise TaskStateError(_("task '%(name)s' is %(status)s",
                               name=task.name,
                               status=task.status))


def _audit(session, task: HumanTask, kind: str, actor: str, now, data=None) -> None:
    trail = AuditTrail()
    trail.add(kind, at=now, actor=actor, instance_id=task.instance_id,
              process_id=task.process_id, task_id=task.task_id, element_id=task.element_id,
              data=data)
    trail.flush(session)


def claim_task(session: Session, human_task_id: int, actor: Actor, now: datetime) -> HumanTask:
    """Make ``actor`` the assignee; ConflictError if someone else holds it already."""
    now = as_utc(now)
    task = get_task(session, human_task_id)
    check_may_work(task, actor)
    _refuse_finished(task)
    result = session.execute(update(HumanTask).where(
        HumanTask.id == task.id, HumanTask.status == "ready", HumanTask.assignee.is_(None),
    ).values(assignee=actor.name, claimed_at=now))
    if result.rowcount != 1:
        session.refresh(task)
        if task.assignee == actor.name:
            return task
        _refuse_finished(task)
        raise ConflictError(_("task '%(name)s' was already claimed by %(assignee)s",
                              name=task.name,
                              assignee=task.assignee))
    _audit(session, task, "task_claimed", actor.name, now)
    session.refresh(task)
    return task


def unclaim_task(session: Session, human_task_id: int, actor: Actor, now: datetime) -> HumanTask:
    """Give the task back to its role's queue (its assignee or a manager may do this)."""
    now = as_utc(now)
    task = get_task(session, human_task_id)
    _refuse_finished(task)
    if task.assignee is None:
        raise TaskStateError(_("task '%(name)s' is not claimed", name=task.name))
    if task.assignee != actor.name and not actor.is_manager:
        raise PermissionDeniedError(_("task '%(name)s' is claimed by %(assignee)s",
                                      name=task.name,
                                      assignee=task.assignee))
    previous = task.assignee
    session.execute(update(HumanTask).where(HumanTask.id == task.id)
                    .values(assignee=None, claimed_at=None))
    _audit(session, task, "task_unclaimed", actor.name, now, {"previous": previous})
    session.refresh(task)
    return task


def assign_task(session: Session, human_task_id: int, assignee: str, actor: Actor,
                now: datetime) -> HumanTask:
    """A manager gives the task to ``assignee`` (who must hold the task's role: caller checks)."""
    now = as_utc(now)
    if not actor.is_manager:
        raise PermissionDeniedError(_("only a service level manager may assign tasks"))
    task = get_task(session, human_task_id)
    _refuse_finished(task)
    if not is_owner(task.lane_owners, assignee):
        raise PermissionDeniedError(_("task '%(name)s' is for named people only "
                                      "(lane_owners); %(assignee)s is not one of them",
                                      name=task.name,
                                      assignee=assignee))
    previous = task.assignee
    session.execute(update(HumanTask).where(HumanTask.id == task.id)
                    .values(assignee=assignee, claimed_at=now))
    _audit(session, task, "task_assigned", actor.name, now,
           {"assignee": assignee, "previous": previous})
    session.refresh(task)
    return task


def task_form(engine: Engine, session: Session, task: HumanTask) -> dict | None:
    """The JSON Schema of the task's form from the instance's own version, unresolved."""
    if not task.form:
        return None
    version_id = session.execute(select(ProcessInstance.version_id).where(
        ProcessInstance.id == task.instance_id)).scalar_one()
    return engine.version_spec(session, version_id).forms.get(task.form)


def task_data(engine: Engine, session: Session, task: HumanTask, now: datetime) -> dict:
    """A copy of the task's current data (deserializes the instance: for task pages only)."""
    loaded = engine.load(session, task.instance_id, actor="reader", now=now, lock=False)
    spiff_task = loaded.workflow.get_task_from_id(UUID(task.task_id))
    data = dict(spiff_task.data) if spiff_task is not None else {}
    engine._put(loaded.id, loaded.revision, loaded.workflow, loaded.ready,
                loaded.state_bytes)
    return data


def complete_task(engine: Engine, session: Session, human_task_id: int, data: dict,
                  actor: Actor, now: datetime) -> str:
    """Validate ``data`` against the task's form, complete the task and run on.

    An unclaimed task is claimed by ``actor`` first: a ``task_claimed`` event marked
    ``implicit`` precedes ``task_completed``. A task claimed by someone else cannot be
    completed by another person (system callers excepted).
    Returns the instance status afterwards. Raises FormValidationError (nothing changed),
    TaskAlreadyCompletedError / ConflictError when someone else was first,
    PermissionDeniedError when the actor may not work the task.
    """
    now = as_utc(now)
    task = sql.TASK_ROW.first(session.connection(), {"htid": human_task_id})
    if task is None:
        raise NotFoundError(_("task %(human_task_id)s does not exist",
                              human_task_id=human_task_id))
    check_may_work(task, actor)
    _refuse_finished(task)
    if task.assignee and task.assignee != actor.name and actor.roles is not None:
        raise PermissionDeniedError(_("task '%(name)s' is claimed by %(assignee)s",
                                      name=task.name,
                                      assignee=task.assignee))
    loaded = engine.load(session, task.instance_id, actor=actor.name, now=now)
    spiff_task = loaded.workflow.get_task_from_id(UUID(task.task_id))
    if spiff_task is None or not spiff_task.has_state(TaskState.READY):
        raise ConflictError(_("task '%(name)s' is no longer waiting; reload the instance",
                              name=task.name))
    schema = loaded.version.forms.get(task.form) if task.form else None
    check_task_form(schema, spiff_task.data, data)
    changed = sql.COMPLETE_TASK.execute(session.connection(), {
        "htid": task.id, "now": now, "actor": actor.name,
        "assignee": task.assignee or actor.name})
    if changed != 1:
        raise ConflictError(_("task '%(name)s' was completed by someone else in the meantime",
                              name=task.name))
    spiff_task.data.update(data)
    if task.assignee is None:  # completing an unclaimed task claims it first, on the record
        loaded.trail.add("task_claimed", at=now, actor=actor.name,
                         instance_id=task.instance_id, process_id=task.process_id,
                         version=loaded.version.version, task_id=task.task_id,
                         element_id=task.element_id, data={"implicit": True,
                                                           "reason": "completed unclaimed"})
    loaded.trail.add("task_completed", at=now, actor=actor.name, instance_id=task.instance_id,
                     process_id=task.process_id, version=loaded.version.version,
                     task_id=task.task_id, element_id=task.element_id, data={"form": data})
    engine.advance(session, loaded, first=spiff_task)
    engine.save(session, loaded, completed_task_ids={task.task_id})
    return loaded.status
