"""The engine object: loading, advancing and saving instances.

One ``Engine`` per process (web worker or runner) holds the handler registry, the spec cache
(one parsed spec per version) and a small cache of live workflows keyed by instance and
revision, so a step on an instance this process just saved skips deserialization. Every public
operation is one engine step: it flushes, the caller commits; the live workflow is cached
again only after that commit succeeds.
"""
from __future__ import annotations

import copy
import json
import threading
import time
import traceback
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import event
from sqlalchemy.orm import Session

from . import calls, event_subprocesses, messages, sql
from .audit import AuditTrail
from .clock import as_utc
from .db import is_sqlite
from .errors import ConflictError, NotFoundError
from .i18n import _
from .models import Incident, ProcessVersion
from .registry import HandlerRegistry
from .sandbox_pool import SandboxLimitError
from .scripting import EngineScriptEngine
from .serialization import SERIALIZER_VERSION, dumps_state, loads_spec, loads_state
from .step_limits import StepGuard, check_state_size
from .task_index import scan, sync_human_tasks
from .timer_events import waiting_timers

DEFAULT_ROLES = ("Process Owner", "Service Level Manager", "Customer")


@dataclass
class VersionSpec:
    version_id: int
    process_id: str
    version: int
    spec: object
    subprocess_specs: dict
    forms: dict


@dataclass
class Loaded:
    """An instance opened for one step."""

    id: int
    version: VersionSpec
    revision: int
    status: str
    organisation: str | None
    timers: list
    workflow: object
    ready: set = field(default_factory=set)
    trail: AuditTrail = field(default_factory=AuditTrail)
    actor: str = "system"
    now: datetime | None = None
    #: when the step began (perf_counter), for the step-latency observer
    began: float = field(default_factory=time.perf_counter)
    #: length of the stored state when the step began
    state_bytes: int = 0
    #: (instance id, call activity task id) of the instance that called this one, if any
    parent: tuple | None = None
    call_depth: int = 0


class Engine:
    """Process engine bound to a handler registry and a set of known roles (lanes)."""

    def __init__(self, registry: HandlerRegistry, known_lanes=DEFAULT_ROLES,
                 cache_size: int = 512):
        self.registry = registry
        self.known_lanes = tuple(known_lanes)
        self._specs: dict[int, VersionSpec] = {}
        self._live: OrderedDict[int, tuple] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        #: called after every step's save with the seconds since it began (metrics)
        self.on_step = None

    # -- specs -------------------------------------------------------------------------
    def version_spec(self, session: Session, version_id: int) -> VersionSpec:
        vs = self._specs.get(version_id)
        if vs is None:
            row = session.get(ProcessVersion, version_id)
            if row is None:
                raise NotFoundError(_("process version %(version_id)s does not exist",
                                      version_id=version_id))
            spec, subs = loads_spec(row.spec_json)
            vs = VersionSpec(row.id, row.process_id, row.version, spec, subs,
                             json.loads(row.forms_json))
            self._specs[version_id] = vs
        return vs

    def latest_version(self, session: Session, process_id: str) -> VersionSpec:
        vid = sql.LATEST_VERSION.scalar(session.connection(), {"pid": process_id})
        if vid is None:
            raise NotFoundError(_("no process %(process_id)s is deployed",
                                  process_id=repr(process_id)))
        return self.version_spec(session, vid)

    # -- live workflow cache --------------------------------------------------------------
    def _take(self, instance_id: int, revision: int):
        with self._lock:
            hit = self._live.pop(instance_id, None)
        if hit is not None and hit[0] == revision:
            return hit
        return None

    def _put(self, instance_id: int, revision: int, workflow, ready: set,
             state_bytes: int = 0) -> None:
        with self._lock:
            self._live[instance_id] = (revision, workflow, ready, state_bytes)
            self._live.move_to_end(instance_id)
            while len(self._live) > self._cache_size:
                self._live.popitem(last=False)

    def script_engine(self, loaded: Loaded, session: Session) -> EngineScriptEngine:
        se = loaded.workflow.script_engine
        if not isinstance(se, EngineScriptEngine):
            se = EngineScriptEngine(self.registry)
            loaded.workflow.script_engine = se
        se.session, se.now, se.actor, se.instance_id = session, loaded.now, loaded.actor, loaded.id

        def on_handler(task, name, params, result):
            loaded.trail.add("handler_run", at=loaded.now, actor=loaded.actor,
                             instance_id=loaded.id, process_id=loaded.version.process_id,
                             version=loaded.version.version, task_id=str(task.id),
                             element_id=task.task_spec.bpmn_id,
                             data={"handler": name, "inputs": params, "outputs": result})

        def start_process(process_id, data=None, organisation=None, title=""):
            se.open_session()  # the handler writes: inside its savepoint
            return self.start(session, process_id, actor=loaded.actor, now=loaded.now,
                              data=data, organisation=organisation, title=title)

        se.on_handler_run = on_handler
        se.start_process = start_process
        se.start_child = lambda task, pid: calls.start_child(self, session, loaded, task, pid)
        session.info.setdefault("slm_stepping", set()).add(loaded.id)
        return se

    # -- start ----------------------------------------------------------------------------
    def start(self, session: Session, process_id: str, *, actor: str, now: datetime,
              data: dict | None = None, organisation: str | None = None,
              title: str = "") -> int:
        """Start ``process_id`` on its latest version with ``data``; returns the instance id."""
        return self.start_loaded(session, process_id, actor=actor, now=now, data=data,
                                 organisation=organisation, title=title).id

    def start_loaded(self, session: Session, process_id: str, *, actor: str, now: datetime,
                     data: dict | None = None, organisation: str | None = None,
                     title: str = "", parent: tuple | None = None) -> Loaded:
        """``start``, returning the saved instance; ``parent`` = (instance id, call
        activity task id, call depth) when a call activity of another instance starts it."""
        now = as_utc(now)
        vs = self.latest_version(session, process_id)
        # The row first: handlers of the first step may need the instance id.
        instance_id = sql.INSERT_INSTANCE.scalar(session.connection(), dict(
            version_id=vs.version_id, process_id=process_id, status="running", state="{}",
            serializer_version=SERIALIZER_VERSION, revision=1, started_by=actor,
            organisation=organisation, title=title or process_id, started_at=now, updated_at=now,
            timers="[]", parent_instance_id=parent[0] if parent else None,
            parent_task_id=parent[1] if parent else None,
            call_depth=parent[2] if parent else 0))
        workflow = BpmnWorkflow(vs.spec, vs.subprocess_specs)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(data or {})
        loaded = Loaded(instance_id, vs, 1, "running", organisation, [], workflow, set(),
                        actor=actor, now=now, parent=parent[:2] if parent else None,
                        call_depth=parent[2] if parent else 0)
        self.script_engine(loaded, session)
        loaded.trail.add("instance_started", at=now, actor=actor, instance_id=instance_id,
                         process_id=process_id, version=vs.version,
                         data={"data": data or {}, "organisation": organisation,
                               **({"parent_instance_id": parent[0]} if parent else {})})
        self.advance(session, loaded)
        self.save(session, loaded)
        return loaded

    # -- load / save ----------------------------------------------------------------------
    def load(self, session: Session, instance_id: int, *, actor: str, now: datetime,
             lock: bool = True) -> Loaded:
        """Open an instance for a step; ``lock`` takes its row lock first (PostgreSQL), so
        that steps on one instance queue up instead of deadlocking on the rows they touch."""
        conn = session.connection()
        stmt = sql.LOAD_INSTANCE_LOCKED if lock and not is_sqlite(conn) else sql.LOAD_INSTANCE
        row = stmt.first(conn, {"iid": instance_id})
        if row is None:
            raise NotFoundError(_("process instance %(instance_id)s does not exist",
                                  instance_id=instance_id))
        vs = self.version_spec(session, row.version_id)
        revision, status, timers = row.revision, row.status, row.timers
        hit = self._take(instance_id, revision)
        if hit is not None:
            workflow, ready, state_bytes = hit[1], hit[2], hit[3]
        else:  # no live copy here: read the state with its columns (the row may have moved on)
            full = sql.INSTANCE_STATE.first(conn, {"iid": instance_id})
            if full is None:
                raise NotFoundError(_("process instance %(instance_id)s does not exist",
                                      instance_id=instance_id))
            revision, status, timers = full.revision, full.status, full.timers
            if full.version_id != vs.version_id:  # migrated in between
                vs = self.version_spec(session, full.version_id)
            workflow = loads_state(full.state, vs.spec, vs.subprocess_specs)
            ready = set(sql.READY_TASK_IDS.scalars(conn, {"iid": instance_id}))
            state_bytes = len(full.state)
        loaded = Loaded(instance_id, vs, revision, status, row.organisation,
                        json.loads(timers), workflow, ready, actor=actor, now=as_utc(now),
                        state_bytes=state_bytes,
                        parent=((row.parent_instance_id, row.parent_task_id)
                                if row.parent_instance_id is not None else None),
                        call_depth=row.call_depth or 0)
        self.script_engine(loaded, session)
        return loaded

    def save(self, session: Session, loaded: Loaded, *, completed_task_ids=()) -> None:
        """Write state, task index, timers and audit events; check the revision."""
        wf, now = loaded.workflow, loaded.now
        # Diagram code that makes the state too large is an incident at its task (StepGuard); a
        # state past the limit without code (form data, many tasks) refuses the whole step.
        state = dumps_state(wf)
        check_state_size(state, loaded.id)
        ready, errored = scan(wf)
        sync_human_tasks(session, loaded, ready, completed_task_ids)
        self._sync_timers(session, loaded)
        status = "error" if errored else ("completed" if wf.is_completed() else "running")
        messages.after_step(session, loaded, status)
        values = dict(v_state=state, v_revision=loaded.revision + 1, v_status=status,
                      v_updated_at=now, v_timers=json.dumps(loaded.timers),
                      v_serializer_version=SERIALIZER_VERSION, iid=loaded.id,
                      rev=loaded.revision)
        stmt = sql.SAVE_INSTANCE if status == loaded.status else sql.SAVE_INSTANCE_STATUS
        if status == "completed" and loaded.status != "completed":
            values["v_completed_at"] = now
            stmt = sql.SAVE_INSTANCE_DONE
        if status != loaded.status and status in ("completed", "error"):
            loaded.trail.add(f"instance_{status}", at=now, actor=loaded.actor,
                             instance_id=loaded.id, process_id=loaded.version.process_id,
                             version=loaded.version.version)
        conn = session.connection()
        if not is_sqlite(conn):  # the events ride in the save's own statement
            saved = loaded.trail.append_with(
                session, lambda queued: sql.save_instance_pg(conn, stmt, values, queued))
        elif (saved := stmt.execute(conn, values)) == 1:
            loaded.trail.flush(session)
        if saved != 1:
            raise ConflictError(_("process instance %(id)s was changed by someone else in "
                                  "the meantime; reload it and try again", id=loaded.id))
        loaded.revision += 1
        loaded.status = status
        loaded.state_bytes = len(state)
        session.info.setdefault("slm_live", []).append(
            (self, loaded.id, loaded.revision, wf, set(loaded.ready), loaded.state_bytes))
        session.info.get("slm_stepping", set()).discard(loaded.id)
        if self.on_step is not None:
            self.on_step(time.perf_counter() - loaded.began)
        if status == "completed" and loaded.parent is not None and stmt is sql.SAVE_INSTANCE_DONE:
            calls.resume_parent(self, session, loaded)

    def _sync_timers(self, session: Session, loaded: Loaded) -> None:
        current = [[tid, due.isoformat(), eid] for tid, eid, due in waiting_timers(loaded.workflow)]
        before = {t[0]: t[1] for t in loaded.timers}
        after = {t[0]: t for t in current}
        stale = [tid for tid, due in before.items() if tid not in after or after[tid][1] != due]
        fresh = [t for tid, t in after.items() if before.get(tid) != t[1]]
        if stale:
            sql.DELETE_TIMER.execute_many(session.connection(), [
                {"iid": loaded.id, "tid": tid} for tid in stale])
        if fresh:
            sql.INSERT_TIMERS.execute_many(session.connection(), [
                dict(instance_id=loaded.id, task_id=tid, element_id=eid,
                     due_at=datetime.fromisoformat(due)) for tid, due, eid in fresh])
        loaded.timers = [[t[0], t[1]] for t in current]

    # -- running ------------------------------------------------------------------------
    def advance(self, session: Session, loaded: Loaded, first=None, update=()) -> bool:
        """Run ``first`` (a task to run, e.g. a completed user task) and then engine steps.

        A failing script or handler becomes an incident: its task is left in ERROR with its
        data as before it ran, its database changes are rolled back, and the instance keeps
        everything that succeeded. Returns False when an incident was raised.
        """
        current: dict = {}
        guard = StepGuard(loaded.state_bytes, dumps_state)

        def open_savepoint():  # a handler's first use of the session: its own savepoint
            if current.get("service") and current.get("sp") is None:
                current["sp"] = session.begin_nested()
            return session
        loaded.workflow.script_engine.open_session = open_savepoint

        def will(task):
            spec = task.task_spec
            runs_code = isinstance(spec, ScriptTask | ServiceTask) or getattr(
                spec, "prescript", None) or getattr(spec, "postscript", None)
            # Only code changes data: snapshot its tasks' data, shallow for sandboxed code (its
            # answer replaces values), deep for a handler (it runs here, may change them in place)
            service = isinstance(spec, ServiceTask)
            snapshot = None if not runs_code else (
                copy.deepcopy(task.data) if service else dict(task.data))
            current.update(task=task, data=snapshot, service=service, sp=None)
            guard.before(task)

        def did(task):
            guard.ran()
            if (before := current.get("data")) is not None:
                guard.after(task, before, loaded.workflow)
            event_subprocesses.interrupt(task)
            if (sp := current.get("sp")) is not None:
                sp.commit()
            current.clear()

        try:
            for task in update:  # failed while becoming ready (preScript): again
                will(task)
                task.task_spec._update(task)
                did(task)
            if first is not None:
                will(first)
                first.run()
                did(first)
            loaded.workflow.do_engine_steps(will, did)
            return True
        except Exception as exc:  # any failure of diagram code becomes an incident
            self._incident(session, loaded, current, exc)
            return False

    def _incident(self, session: Session, loaded: Loaded, current: dict, exc: Exception):
        task, sp = current.get("task"), current.get("sp")
        if sp is not None and sp.is_active:
            sp.rollback()
        if task is None:
            raise exc
        # A preScript runs while its task becomes ready, i.e. inside the predecessor's
        # step: Spiff's exception names the task that really failed.
        failed = getattr(exc, "task", None)
        if failed is not None and failed is not task and (
                failed.workflow.top_workflow is loaded.workflow):
            task = failed
            task._set_internal_data(slm_failed_in_update=True)  # retry redoes its update
        elif current["data"] is not None:
            task.data = current["data"]
        if not task.has_state(TaskState.ERROR):
            task._set_state(TaskState.ERROR)
        cause = exc  # Spiff wraps the real error (raised while handling it) in its own
        while isinstance(cause, WorkflowTaskException) and (cause.__cause__ or cause.__context__):
            cause = cause.__cause__ or cause.__context__
        spec = task.task_spec
        kind = ("script" if isinstance(spec, ScriptTask) else
                "handler" if isinstance(spec, ServiceTask) else
                "condition" if getattr(spec, "cond_task_specs", None) else
                "script" if getattr(spec, "prescript", None) or getattr(spec, "postscript", None)
                else "expression")
        message = f"{kind} failed at {task.task_spec.bpmn_id}: {_reason(cause, kind)}"
        tb = "".join(traceback.format_exception(exc))
        session.add(Incident(instance_id=loaded.id, task_id=str(task.id),
                             element_id=task.task_spec.bpmn_id or task.task_spec.name,
                             message=message, traceback=tb, created_at=loaded.now))
        loaded.trail.add("incident_raised", at=loaded.now, actor=loaded.actor,
                         instance_id=loaded.id, process_id=loaded.version.process_id,
                         version=loaded.version.version, task_id=str(task.id),
                         element_id=task.task_spec.bpmn_id, data={"message": message})


def _reason(cause: Exception, kind: str) -> str:
    """What went wrong, in words for a process owner."""
    if isinstance(cause, SandboxLimitError):
        return cause.describe(kind)
    if getattr(cause, "plain", False):  # written for a process owner already
        return str(cause)
    return f"{getattr(cause, 'type_name', type(cause).__name__)}: {cause}"


def _after_commit(session):
    session.info.pop("slm_stepping", None)
    for engine, iid, rev, wf, ready, state_bytes in session.info.pop("slm_live", []):
        engine._put(iid, rev, wf, ready, state_bytes)


def _after_rollback(session):
    session.info.pop("slm_stepping", None)
    session.info.pop("slm_live", None)


event.listen(Session, "after_commit", _after_commit)
event.listen(Session, "after_soft_rollback", lambda s, _t: _after_rollback(s))
