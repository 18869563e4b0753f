"""The contenders of bench/engine.py: bare SpiffWorkflow in memory and our engine on SQLite.

Both run bench/engine.bpmn through the same work per instance (see bench/engine.py and
bench/README.md); this module holds the diagram's data, the two runners and the SQL
counter. It is loaded by bench/engine.py, which puts the repository root first on
``sys.path`` (so ``import engine`` is the package) and this folder after it.
"""
from __future__ import annotations

import gc
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import bindparam, event, select

from engine.db import make_engine, make_session_factory
from engine.deploy import deploy
from engine.instances import start_instance
from engine.models import HumanTask, ProcessInstance
from engine.prepared import Prepared
from engine.registry import HandlerContext, HandlerRegistry
from engine.runner import run_due
from engine.runtime import Engine
from engine.schema import upgrade
from engine.tasks import Actor, complete_task

_HERE = Path(__file__).resolve().parent
DIAGRAM = _HERE / "engine.bpmn"
FORM = "bench.schema.json"
PROCESS = "bench"
T0 = datetime(2026, 1, 5, 9, 0, 0)
T_COMPLETE = T0 + timedelta(minutes=10)
T_FIRE = T0 + timedelta(hours=2)
START_DATA = {"customer": "acme", "service": "e-mail"}
FORM_DATA = {"n": 21, "comment": "looks fine"}
MANAGER = Actor("mike", frozenset({"Service Level Manager"}))
RUNNER = "bench-runner"
STEPS = ("start", "complete", "timer")


def stamp() -> tuple[float, float]:
    """(wall clock, CPU time of this process) in seconds."""
    return time.perf_counter(), time.process_time()


def spans(stamps: list) -> list[tuple[float, float]]:
    """(wall, cpu) durations between consecutive stamps."""
    return [(b[0] - a[0], b[1] - a[1]) for a, b in zip(stamps, stamps[1:], strict=False)]


def make_registry() -> HandlerRegistry:
    reg = HandlerRegistry()

    @reg.register("compute", params={"n": "an integer"})
    def compute(params, ctx):
        """Doubles n. Returns {"value": int}."""
        return {"value": params["n"] * 2}

    return reg


def load_form(name: str) -> bytes | None:
    path = _HERE / name
    return path.read_bytes() if path.is_file() else None


# -- bare SpiffWorkflow ----------------------------------------------------------------------

class BareScriptEngine(PythonScriptEngine):
    """Spiff's default script engine plus service calls into the bench's handler registry."""

    def __init__(self, registry: HandlerRegistry):
        super().__init__()
        self.registry = registry

    def call_service(self, task, operation_name=None, operation_params=None, **_kw):
        handler = self.registry.get(operation_name)
        params = {k: v["value"] for k, v in (operation_params or {}).items()}
        ctx = HandlerContext(session=None, now=T_COMPLETE, instance_id=None,
                             task_id=str(task.id), element_id=task.task_spec.bpmn_id,
                             actor=MANAGER.name, data=dict(task.data))
        return json.dumps(handler.func(params, ctx))


class Bare:
    name = "bare"

    def __init__(self, registry: HandlerRegistry):
        parser = SpiffBpmnParser()
        parser.add_bpmn_file(str(DIAGRAM))
        self.spec = parser.get_spec(PROCESS)
        self.subs = parser.get_subprocess_specs(PROCESS)
        self.script_engine = BareScriptEngine(registry)
        self.last = None

    def run_one(self) -> list[float]:
        marks = [stamp()]
        wf = BpmnWorkflow(self.spec, self.subs, script_engine=self.script_engine)
        for task in wf.get_tasks(state=TaskState.READY):
            task.data.update(START_DATA)
        wf.do_engine_steps()
        marks.append(stamp())
        [user] = wf.get_tasks(state=TaskState.READY, manual=True)
        user.data.update(FORM_DATA)
        user.run()
        wf.do_engine_steps()
        marks.append(stamp())
        [timer] = [t for t in wf.event_manager.tasks.values()
                   if isinstance(t.task_spec.event_definition, TimerEventDefinition)
                   and t.has_state(TaskState.WAITING)]
        timer._set_internal_data(event_fired=True)
        wf.refresh_timers()
        wf.do_engine_steps()
        marks.append(stamp())
        if not wf.is_completed():
            raise AssertionError("bare workflow did not complete")
        self.last = wf
        return spans(marks)


# -- the engine ------------------------------------------------------------------------------

@dataclass
class SqlCounter:
    """Counts statements (by verb and step), commits and rollbacks on one SQLAlchemy engine.

    Statements are counted as SQLite runs them (its trace callback on every connection), so
    the engine's prepared statements, which bypass SQLAlchemy's events, are included; an
    ``executemany`` counts once per row. The connection PRAGMAs are left out.
    """

    on: bool = False
    step: str = "other"
    statements: Counter = field(default_factory=Counter)
    verbs: Counter = field(default_factory=Counter)
    commits: Counter = field(default_factory=Counter)
    rollbacks: int = 0

    def attach(self, sa_engine) -> None:
        event.listen(sa_engine, "connect", self._connect)
        event.listen(sa_engine, "commit", self._commit)
        event.listen(sa_engine, "rollback", self._rollback)

    def _connect(self, dbapi_conn, _record):
        dbapi_conn.set_trace_callback(self._trace)

    def _trace(self, statement: str) -> None:
        if self.on:
            verb = statement.lstrip().split(None, 1)[0].upper()
            if verb not in ("PRAGMA", "COMMIT", "ROLLBACK"):
                self.statements[self.step] += 1
                self.verbs[verb] += 1

    def _commit(self, conn):
        if self.on:
            self.commits[self.step] += 1

    def _rollback(self, conn):
        if self.on:
            self.rollbacks += 1


#: the instance's ready human task, read the way the engine reads its own rows
READY_TASK = Prepared(select(HumanTask.id).where(HumanTask.instance_id == bindparam("iid"),
                                                 HumanTask.status == "ready"))


class EngineRun:
    """Our engine on a fresh SQLite file; ``cache_size=0`` disables the live-workflow cache."""

    def __init__(self, name: str, registry: HandlerRegistry, tmpdir: str, cache_size: int = 512,
                 batch_timers: bool = False):
        self.name = name
        self.url = f"sqlite:///{tmpdir}/{name}.sqlite3"
        upgrade(self.url)
        self.sa = make_engine(self.url)
        self.counter = SqlCounter()  # attached only for the counting pass (count())
        self.factory = make_session_factory(self.sa)
        self.engine = Engine(registry, cache_size=cache_size)
        self.batch_timers = batch_timers
        self.instances = 0
        with self.factory() as session:
            deploy(session, DIAGRAM.read_bytes(), DIAGRAM.name, registry=registry,
                   known_lanes=self.engine.known_lanes, form_loader=load_form, actor="bench",
                   now=T0)
            session.commit()

    def start(self) -> int:
        self.counter.step = "start"
        with self.factory() as s:
            iid = start_instance(self.engine, s, PROCESS, actor="bench", now=T0,
                                 data=START_DATA, organisation="acme")
            s.commit()
        return iid

    def complete(self, iid: int) -> str:
        self.counter.step = "complete"
        with self.factory() as s:
            htid = READY_TASK.scalar(s.connection(), {"iid": iid})
            status = complete_task(self.engine, s, htid, FORM_DATA, MANAGER, T_COMPLETE)
            s.commit()
        if status != "running":
            raise AssertionError(f"instance {iid} is {status} after the user task")
        return status

    def fire(self, expected: int) -> None:
        self.counter.step = "timer"
        fired = run_due(self.engine, self.factory, now=T_FIRE, runner=RUNNER)
        if fired != expected:
            raise AssertionError(f"{fired} timers fired, expected {expected}")

    def run_one(self) -> list[tuple[float, float]]:
        marks = [stamp()]
        iid = self.start()
        marks.append(stamp())
        self.complete(iid)
        marks.append(stamp())
        self.fire(1)
        marks.append(stamp())
        self.instances += 1
        return spans(marks)

    def count(self, k: int) -> None:
        """Run ``k`` untimed instances with statements and commits counted.

        The counting listeners cost time themselves, so they stay off the timed rounds;
        the pool is emptied so that every connection gets SQLite's trace callback.
        """
        self.counter.attach(self.sa)
        self.sa.dispose()
        self.counter.on, self.instances = True, 0
        run_round(self, k, [])
        self.counter.on = False

    def run_batch(self, k: int) -> list[list[tuple[float, float]]]:
        """k instances through start and complete, then one run_due for all their timers."""
        out = []
        for _ in range(k):
            marks = [stamp()]
            iid = self.start()
            marks.append(stamp())
            self.complete(iid)
            marks.append(stamp())
            out.append(spans(marks))
        before = stamp()
        self.fire(k)
        [(wall, cpu)] = spans([before, stamp()])
        for row in out:
            row.append((wall / k, cpu / k))
        self.instances += k
        return out

    def state_sizes(self) -> dict:
        with self.factory() as s:
            rows = s.execute(select(ProcessInstance.status, ProcessInstance.state)).all()
        done = [len(r.state.encode()) for r in rows if r.status == "completed"]
        if len(done) != len(rows):
            raise AssertionError(f"{len(rows) - len(done)} instances did not complete")
        return {"avg": sum(done) / len(done), "max": max(done), "count": len(done)}

    def state_by_step(self) -> dict:
        """Stored state size after each step of one extra (untimed) instance."""
        sizes = {}
        iid = self.start()
        sizes["start"] = self._state_len(iid)
        self.complete(iid)
        sizes["complete"] = self._state_len(iid)
        self.fire(1)
        sizes["timer"] = self._state_len(iid)
        return sizes

    def _state_len(self, iid: int) -> int:
        with self.factory() as s:
            return len(s.get(ProcessInstance, iid).state.encode())


def run_round(contender, k: int, times: list) -> None:
    gc.collect()
    if isinstance(contender, EngineRun) and contender.batch_timers:
        times.extend(contender.run_batch(k))
    else:
        for _ in range(k):
            times.append(contender.run_one())
