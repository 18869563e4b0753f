"""Call activities that call a process deployed on its own.

A call activity whose called process is in the same file runs it as SpiffWorkflow's
subworkflow, inside the caller's instance. One that names a process deployed separately
starts that process's latest version as a *child instance* (its own row, trace and tasks,
with ``parent_instance_id``/``parent_task_id``/``call_depth``); the call activity waits
until the child completes and then takes the child's data, as a subworkflow's would be
taken. ``SLM_MAX_CALL_DEPTH`` bounds the nesting across instances too.
"""
from __future__ import annotations

import copy
from uuid import UUID

from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import CallActivityParser
from SpiffWorkflow.spiff.specs.defaults import CallActivity
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from .errors import Problem
from .i18n import _
from .models import ProcessVersion
from .step_limits import StepLimitError, max_call_depth
from .xmlsafe import parse_xml

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
CHILD = "slm_child"


class CrossProcessCallActivity(CallActivity):
    """A call activity that starts a separately deployed process as a child instance when
    the called process is not among the version's own subprocess specs."""

    def _external(self, my_task) -> bool:
        return self.spec not in my_task.workflow.top_workflow.subprocess_specs

    def _update_hook(self, my_task):
        if not self._external(my_task):
            return super()._update_hook(my_task)
        child = my_task._get_internal_data(CHILD)
        if child is None:
            super(SubWorkflowTask, self)._update_hook(my_task)  # pre-script
            start_child = getattr(my_task.workflow.script_engine, "start_child", None)
            if start_child is None:
                raise StepLimitError(_("the called process %(spec)s is not deployed",
                                       spec=repr(self.spec)))
            done = start_child(my_task, self.spec)
            if done is not None:  # the child ran to its end at once
                my_task.data = done
                return True
            my_task._set_state(TaskState.STARTED)
            return None
        return None  # waiting for the child; engine.calls.resume_parent moves it on


class EngineParser(SpiffBpmnParser):
    """SpiffWorkflow's parser with call activities that may call other deployments."""

    OVERRIDE_PARSER_CLASSES = {
        **SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
        full_tag("callActivity"): (CallActivityParser, CrossProcessCallActivity),
    }


# -- deploy ----------------------------------------------------------------------------------
def latest_version_row(session, process_id: str):
    return session.execute(
        select(ProcessVersion).where(ProcessVersion.process_id == process_id)
        .order_by(ProcessVersion.version.desc()).limit(1)).scalar_one_or_none()


def _calls_of(xml_text: str, process_id: str) -> set[str]:
    """The processes the stored diagram's ``process_id`` calls."""
    root = parse_xml(xml_text.encode("utf-8"), process_id)
    out = set()
    for proc in root.iter(BPMN + "process"):
        if proc.get("id") == process_id:
            out.update(c.get("calledElement") for c in proc.iter(BPMN + "callActivity")
                       if c.get("calledElement"))
    return out


def calls_in(root) -> dict[str, set[str]]:
    """{process id: the process ids its call activities call} of one parsed BPMN file."""
    return {proc.get("id"): {c.get("calledElement") for c in proc.iter(BPMN + "callActivity")
                             if c.get("calledElement")}
            for proc in root.iter(BPMN + "process") if proc.get("id")}


def check_called(session, root, missing: dict[str, list[str]],
                 upload: dict[str, set[str]] | None = None) -> list[Problem]:
    """Problems of call activities whose called process is not in the file: it must be
    deployed or in another file of the same upload (``upload``: calls_in of those files),
    and must not call back into a process of this file (through any chain of deployed or
    uploaded processes). ``missing``: {called process id: [call activity ids]}."""
    here = {p.get("id") for p in root.iter(BPMN + "process")}
    problems, calls_cache = [], dict(upload or {})

    def calls(pid):
        if pid not in calls_cache:
            row = latest_version_row(session, pid) if session is not None else None
            calls_cache[pid] = _calls_of(row.bpmn_xml, pid) if row is not None else None
        return calls_cache[pid]

    for called, activities in missing.items():
        if calls(called) is None:
            problems.extend(Problem(a, _("called process %(called)s is neither deployed nor "
                                         "in this upload: deploy it first or add it",
                                         called=repr(called)))
                            for a in activities)
            continue
        back = _reaches_any(calls, called, here)
        if back:
            problems.extend(Problem(a, _("calls %(called)s, which calls back into %(back)s: "
                                         "a process may not call itself, directly or through "
                                         "others",
                                         called=repr(called),
                                         back=repr(back))) for a in activities)
    return problems


def _reaches_any(calls, start: str, targets: set[str]) -> str | None:
    seen, stack = set(), [start]
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        for nxt in calls(pid) or ():
            if nxt in targets:
                return nxt
            stack.append(nxt)
    return None


def call_activities_by_called(root, process_ids) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for proc in root.iter(BPMN + "process"):
        for c in proc.iter(BPMN + "callActivity"):
            if c.get("calledElement") in process_ids:
                out.setdefault(c.get("calledElement"), []).append(c.get("id"))
    return out


# -- run time ----------------------------------------------------------------------------------
def start_child(engine, session, loaded, task, process_id: str):
    """Start ``process_id`` for the call activity ``task`` of ``loaded``; returns the
    child's final data if it completed at once, else None (the task waits)."""
    depth = loaded.call_depth + task.workflow.depth + 1
    limit = max_call_depth()
    if depth > limit:
        exc = StepLimitError(_("call activities are nested more than %(limit)s deep (does a "
                               "process call itself?)",
                               limit=limit))
        exc.task = task
        raise exc
    child = engine.start_loaded(session, process_id, actor=loaded.actor, now=loaded.now,
                                data=copy.deepcopy(task.data), organisation=loaded.organisation,
                                title=f"{process_id} (called by #{loaded.id})",
                                parent=(loaded.id, str(task.id), depth))
    task._set_internal_data(**{CHILD: child.id})
    loaded.trail.add("call_started", at=loaded.now, actor=loaded.actor, instance_id=loaded.id,
                     process_id=loaded.version.process_id, version=loaded.version.version,
                     task_id=str(task.id), element_id=task.task_spec.bpmn_id,
                     data={"child_instance_id": child.id, "called_process": process_id,
                           "called_version": child.version.version})
    if child.status == "completed":
        _completed(loaded, task, child)
        return copy.deepcopy(_final_data(child.workflow))
    return None


def _final_data(workflow) -> dict:
    last = workflow.last_task
    return dict(last.data) if last is not None else {}


def _completed(parent, task, child) -> None:
    parent.trail.add("call_completed", at=parent.now, actor=parent.actor,
                     instance_id=parent.id, process_id=parent.version.process_id,
                     version=parent.version.version, task_id=str(task.id),
                     element_id=task.task_spec.bpmn_id,
                     data={"child_instance_id": child.id,
                           "called_process": child.version.process_id,
                           "called_version": child.version.version})


def resume_parent(engine, session, child) -> None:
    """``child`` (just saved as completed) was called by another instance: hand its data to
    the waiting call activity and run the parent on, in this transaction."""
    parent_id, task_id = child.parent
    stepping = session.info.setdefault("slm_stepping", set())
    if parent_id in stepping:
        return  # started in the parent's own step: start_child takes the result
    parent = engine.load(session, parent_id, actor=child.actor, now=child.now)
    task = parent.workflow.get_task_from_id(UUID(task_id))
    if task is None or not task.has_state(TaskState.STARTED) \
            or task._get_internal_data(CHILD) != child.id:
        return  # the parent moved on (cancelled, migrated): nothing waits for this child
    task.data = copy.deepcopy(_final_data(child.workflow))
    task._set_state(TaskState.READY)
    _completed(parent, task, child)
    engine.advance(session, parent)
    engine.save(session, parent)
