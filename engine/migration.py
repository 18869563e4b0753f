"""Moving running instances to a newer version of their process.

SpiffWorkflow's diff (SpiffWorkflow.bpmn.util.diff) aligns the old spec with the new one
element by element. A move is allowed only when nothing the instance has already done or
is waiting at differs in the new version: an element it has passed or waits at must exist
there unchanged (a waiting element may only get new successors: its branch is predicted
again on the new version). Elements still ahead may change freely. Every move is an
``instance_migrated`` audit event; a refusal raises MigrationRefused with the reason and
changes nothing.
"""
from __future__ import annotations

from datetime import datetime

from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .errors import EngineError, NotFoundError
from .i18n import _
from .models import ProcessInstance, ProcessVersion
from .runtime import Engine
from .serialization import SERIALIZER

#: task states of elements still ahead (predicted); every other state is done or waiting
_AHEAD = TaskState.PREDICTED_MASK | TaskState.FUTURE
#: attributes that only describe the flow to successors, re-predicted for waiting tasks
_STRUCTURE = {"outputs"}


class MigrationRefused(EngineError):
    """The instance cannot move to that version; the message says why."""


def _element(task) -> str:
    spec = task.task_spec
    bpmn_id = getattr(spec, "bpmn_id", None) or spec.name
    name = getattr(spec, "bpmn_name", None)
    return f"{bpmn_id} ({name})" if name else str(bpmn_id)


def _blockers(diff) -> list[str]:
    reasons = []
    for task in diff.removed:
        if not task.has_state(_AHEAD):
            reasons.append(_("element %(element)s was removed but the instance %(waiting)s "
                             "it",
                             element=_element(task),
                             waiting='waits at' if _waiting(task) else 'has passed'))
    for task in diff.changed:
        if task.has_state(_AHEAD) or task in diff.removed:
            continue
        changes = set(diff_changes(diff, task))
        if _waiting(task):
            changes -= _STRUCTURE
            if changes:
                reasons.append(_("the instance waits at element %(element)s, which changed "
                                 "(%(in_words)s)",
                                 element=_element(task),
                                 in_words=_in_words(changes)))
        elif changes:
            reasons.append(_("the instance has passed element %(element)s, which changed "
                             "(%(in_words)s)",
                             element=_element(task),
                             in_words=_in_words(changes)))
    return reasons


#: the workflow library's names of what changed in an element -> words a process owner reads
_WORDS = {
    "bpmn_name": "name", "lane": "lane", "documentation": "documentation",
    "extensions": "engine properties (form, due time, instructions)", "script": "script",
    "prescript": "script before", "postscript": "script after", "operation_name": "handler",
    "operation_params": "handler parameters", "cond_task_specs": "conditions",
    "default_task_spec": "default flow", "event_definition": "event", "inputs": "incoming flows",
    "outputs": "outgoing flows", "data_input_associations": "data mapping",
    "data_output_associations": "data mapping", "io_specification": "data inputs and outputs",
    "manual": "manual", "cancel_activity": "interrupting",
}


def _in_words(changes) -> str:
    return ", ".join(sorted({_WORDS.get(c, "other details") for c in changes}))


def _waiting(task) -> bool:
    return task.has_state(TaskState.READY | TaskState.WAITING | TaskState.STARTED
                          | TaskState.ERROR)


def diff_changes(diff, task) -> list[str]:
    return diff.spec_diff.changed.get(task.task_spec, [])


def _diff(workflow, spec) -> WorkflowDiff:
    """Spiff's WorkflowDiff, keeping its SpecDiff (the changed attributes per element)."""
    spec_diff = SpecDiff(SERIALIZER.registry, workflow.spec, spec)
    diff = WorkflowDiff(workflow, spec_diff)
    diff.spec_diff = spec_diff
    return diff


def migrate_instance(engine: Engine, session: Session, instance_id: int,
                     target_version_id: int, actor: str, now: datetime) -> int:
    """Move one instance to ``target_version_id`` (flushes; the caller commits).

    Returns the new version number; raises MigrationRefused with the reason otherwise.
    """
    row = session.get(ProcessInstance, instance_id)
    if row is None:
        raise NotFoundError(_("process instance %(instance_id)s does not exist",
                              instance_id=instance_id))
    target = session.get(ProcessVersion, target_version_id)
    if target is None:
        raise NotFoundError(_("process version %(target_version_id)s does not exist",
                              target_version_id=target_version_id))
    if target.process_id != row.process_id:
        raise MigrationRefused(_("version %(version)s belongs to process %(process_id)s, not "
                                 "%(process_id2)s",
                                 version=target.version,
                                 process_id=target.process_id,
                                 process_id2=row.process_id))
    loaded = engine.load(session, instance_id, actor=actor, now=now)
    old = loaded.version
    if loaded.status != "running":
        raise MigrationRefused(_("instance %(instance_id)s is %(status)s: only running "
                                 "instances can be moved",
                                 instance_id=instance_id,
                                 status=loaded.status))
    if target.version <= old.version:
        raise MigrationRefused(_("instance %(instance_id)s is on version %(version)s; it can "
                                 "only move to a newer version, not %(version2)s",
                                 instance_id=instance_id,
                                 version=old.version,
                                 version2=target.version))
    new = engine.version_spec(session, target_version_id)
    wf = loaded.workflow
    top, subs = _diff_checked(wf, new)
    reasons = _blockers(top)
    for sp_id, sp_diff in subs.items():
        if sp_diff is None:
            reasons.append(_("called process %(name)s is missing in the new version",
                             name=wf.subprocesses[sp_id].spec.name))
        else:
            reasons.extend(_blockers(sp_diff))
    if reasons:
        raise MigrationRefused(_("instance %(instance_id)s cannot move to version "
                                 "%(version)s: ",
                                 instance_id=instance_id,
                                 version=target.version) + "; ".join(reasons))
    # Spiff's diff objects hold the live workflow: migrate in place, then save.
    for sp_id, sp_diff in subs.items():
        sp = wf.subprocesses[sp_id]
        migrate_workflow(sp_diff, sp, new.subprocess_specs[sp.spec.name])
    migrate_workflow(top, wf, new.spec)
    wf.subprocess_specs = new.subprocess_specs
    session.execute(update(ProcessInstance).where(ProcessInstance.id == instance_id)
                    .values(version_id=new.version_id))
    loaded.version = new
    loaded.trail.add("instance_migrated", at=loaded.now, actor=actor, instance_id=instance_id,
                     process_id=new.process_id, version=new.version,
                     data={"from_version": old.version, "to_version": new.version})
    engine.advance(session, loaded)
    engine.save(session, loaded)
    return new.version


def _diff_checked(workflow, new):
    top = _diff(workflow, new.spec)
    subs = {sp_id: (_diff(sp, new.subprocess_specs[sp.spec.name])
                    if sp.spec.name in new.subprocess_specs else None)
            for sp_id, sp in workflow.subprocesses.items()}
    return top, subs


def migrate_version(engine: Engine, session: Session, version_id: int, target_version_id: int,
                    actor: str, now: datetime) -> dict:
    """Move every running instance of ``version_id``; returns {instance id: version or reason}.

    Each instance is moved or refused on its own (a savepoint each); the caller commits.
    """
    ids = session.execute(select(ProcessInstance.id).where(
        ProcessInstance.version_id == version_id, ProcessInstance.status == "running")
        .order_by(ProcessInstance.id)).scalars().all()
    out: dict = {}
    for iid in ids:
        sp = session.begin_nested()
        try:
            out[iid] = migrate_instance(engine, session, iid, target_version_id, actor, now)
            sp.commit()
        except MigrationRefused as exc:
            sp.rollback()
            out[iid] = str(exc)
    return out
