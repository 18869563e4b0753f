"""Engine overhead benchmark: the persistent engine against bare SpiffWorkflow in memory.

Both contenders run the same diagram (bench/engine.bpmn: start, user task with a form,
service task calling the ``compute`` handler, script task, one-hour timer, exclusive
gateway, end) through the same work per instance:

* bare: ``BpmnWorkflow(spec, subspecs)`` on a spec parsed once, ``do_engine_steps``,
  complete the user task (``task.data.update``; ``task.run()``), ``do_engine_steps``, fire
  the timer, ``do_engine_steps`` until completed. Spiff's own timers read the wall clock,
  so the bare run fires the timer the way our runner's clock would: it marks the waiting
  timer task ``event_fired=True``, calls ``refresh_timers()`` and runs engine steps. The
  diagram (and its "PT1H" duration) is the very same file the engine deploys.
* engine: a fresh SQLite file, ``engine.schema.upgrade``, ``engine.deploy.deploy``, then
  three steps per instance, each its own transaction: ``start_instance``, ``complete_task``
  (human task id read from ``human_task`` in the same transaction) and
  ``engine.runner.run_due(now=T0+2h)``, which claims and fires the timer.

An extra contender, ``engine-reload``, is the engine with its live-workflow cache switched
off (``cache_size=0``): every step deserializes the stored state, as happens when another
worker process served the previous step.

Rounds alternate the contenders to spread machine noise over all of them; the figure
reported is the median per-instance time over every measured instance, in wall-clock time
and in CPU time of this process (steadier on a busy machine). The last line of output is a
JSON object with the headline figures.

Run: ``.venv/bin/python bench/engine.py [--n 300] [--rounds 30] [--batch-timers] [--profile]``.
"""
from __future__ import annotations

import sys
from pathlib import Path

# This file is named engine.py: keep its folder off sys.path so ``import engine`` finds the
# package, not this script.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
if str(_HERE.parent) not in sys.path:
    sys.path.insert(0, str(_HERE.parent))

import argparse  # noqa: E402
import cProfile  # noqa: E402
import gc  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import pstats  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import datetime, timedelta  # noqa: E402

from SpiffWorkflow.bpmn import BpmnWorkflow  # noqa: E402
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine  # noqa: E402
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer  # noqa: E402
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition  # noqa: E402
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser  # noqa: E402
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG  # noqa: E402
from SpiffWorkflow.util.task import TaskState  # noqa: E402
from sqlalchemy import bindparam, event, select  # noqa: E402

from engine.db import make_engine, make_session_factory  # noqa: E402
from engine.deploy import deploy  # noqa: E402
from engine.instances import start_instance  # noqa: E402
from engine.models import HumanTask, ProcessInstance  # noqa: E402
from engine.prepared import Prepared  # noqa: E402
from engine.registry import HandlerContext, HandlerRegistry  # noqa: E402
from engine.runner import run_due  # noqa: E402
from engine.runtime import Engine  # noqa: E402
from engine.schema import upgrade  # noqa: E402
from engine.tasks import Actor, complete_task  # noqa: E402

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


# -- running and reporting -------------------------------------------------------------------

def run_round(contender, k: int, times: list) -> None:
    gc.collect()
    if isinstance(contender, EngineRun) and contender.batch_timers:
        times.extend(contender.run_batch(k))
    else:
        for _ in range(k):
            times.append(contender.run_one())


def ms(seconds: float) -> float:
    return round(seconds * 1000, 3)


def summarize(times: list, k: int) -> dict:
    """Per-instance figures from ``times`` (instances x steps x (wall, cpu)); k picks the clock."""
    totals = sorted(sum(step[k] for step in t) for t in times)
    return {
        "median": statistics.median(totals),
        "mean": statistics.fmean(totals),
        "p90": totals[int(0.9 * (len(totals) - 1))],
        "steps": {s: statistics.median(t[i][k] for t in times) for i, s in enumerate(STEPS)},
    }


def profile_engine(contender: EngineRun, n: int, sort_keys=("cumulative", "tottime"),
                   limit: int = 35, out: str | None = None) -> str:
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        contender.run_one()
    prof.disable()
    if out:
        prof.dump_stats(out)
    buf = io.StringIO()
    stats = pstats.Stats(prof, stream=buf)
    stats.strip_dirs()
    for key in sort_keys:
        buf.write(f"\n=== engine path, {n} instances, sorted by {key} ===\n")
        stats.sort_stats(key).print_stats(limit)
    return buf.getvalue()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--n", type=int, default=300, help="measured instances per contender")
    ap.add_argument("--warmup", type=int, default=30, help="warm-up instances per contender")
    ap.add_argument("--rounds", type=int, default=30, help="alternating rounds")
    ap.add_argument("--count-n", type=int, default=60,
                    help="untimed instances run afterwards to count statements and commits")
    ap.add_argument("--batch-timers", action="store_true",
                    help="fire each round's timers with one run_due call (cost shared)")
    ap.add_argument("--no-reload", action="store_true",
                    help="skip the engine-reload contender (live cache off)")
    ap.add_argument("--profile", action="store_true",
                    help="afterwards, cProfile the engine path and print the stats to stderr")
    ap.add_argument("--profile-n", type=int, default=300)
    ap.add_argument("--profile-out", help="also dump raw cProfile stats to this file")
    args = ap.parse_args(argv)

    registry = make_registry()
    with tempfile.TemporaryDirectory(prefix="slm-bench-") as tmp:
        bare = Bare(registry)
        eng = EngineRun("engine", registry, tmp, batch_timers=args.batch_timers)
        contenders = [bare, eng]
        if not args.no_reload:
            contenders.append(EngineRun("engine-reload", registry, tmp, cache_size=0,
                                        batch_timers=args.batch_timers))

        for c in contenders:  # warm-up: imports, spec cache, compiled scripts, SQLite pages
            run_round(c, args.warmup, [])

        times = {c.name: [] for c in contenders}
        per_round = max(1, -(-args.n // args.rounds))
        done = 0
        r = 0
        while done < args.n:
            k = min(per_round, args.n - done)
            order = contenders[r % len(contenders):] + contenders[:r % len(contenders)]
            for c in order:
                run_round(c, k, times[c.name])
            done += k
            r += 1
        for c in contenders[1:]:  # statements and commits, off the clock
            c.count(args.count_n)

        summary = {name: summarize(t, 0) for name, t in times.items()}
        cpu = {name: summarize(t, 1) for name, t in times.items()}
        states = {c.name: c.state_sizes() for c in contenders[1:]}
        by_step = eng.state_by_step()
        spiff_full = len(BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
                         .serialize_json(bare.last).encode())

        report = render(args, summary, cpu, contenders, states, by_step, spiff_full, r)
        print(report)

        e, b = summary["engine"]["median"], summary["bare"]["median"]
        ctr = eng.counter
        result = {
            "n": args.n,
            "rounds": r,
            "timers": "batch" if args.batch_timers else "per-instance",
            "engine_ms_per_instance": ms(e),
            "bare_ms_per_instance": ms(b),
            "ratio": round(e / b, 2),
            "engine_steps_ms": {s: ms(v) for s, v in summary["engine"]["steps"].items()},
            "engine_cpu_ms_per_instance": ms(cpu["engine"]["median"]),
            "bare_cpu_ms_per_instance": ms(cpu["bare"]["median"]),
            "ratio_cpu": round(cpu["engine"]["median"] / cpu["bare"]["median"], 2),
            "state_bytes_per_instance": round(states["engine"]["avg"]),
            "state_bytes_by_step": by_step,
            "spiff_full_serialization_bytes": spiff_full,
            "statements_per_instance": round(sum(ctr.statements.values()) / eng.instances, 2),
            "statements_per_step": {s: round(ctr.statements[s] / eng.instances, 2)
                                    for s in STEPS},
            "commits_per_instance": round(sum(ctr.commits.values()) / eng.instances, 2),
            "commits_per_step": {s: round(ctr.commits[s] / eng.instances, 2) for s in STEPS},
        }
        if "engine-reload" in summary:
            result["engine_reload_ms_per_instance"] = ms(summary["engine-reload"]["median"])
            result["reload_ratio"] = round(summary["engine-reload"]["median"] / b, 2)
        if args.profile:  # after the figures above: profiled instances are not counted
            text = profile_engine(eng, args.profile_n, out=args.profile_out)
            print(text, file=sys.stderr)
        eng.sa.dispose()
        for extra in contenders[2:]:
            extra.sa.dispose()
        print(json.dumps(result, separators=(", ", ": ")))
    return 0


def render(args, summary, cpu, contenders, states, by_step, spiff_full, rounds) -> str:
    lines = [
        f"Engine benchmark: {args.n} instances per contender in {rounds} alternating rounds "
        f"(warm-up {args.warmup}); timers fired "
        f"{'in one run_due per round' if args.batch_timers else 'per instance'}",
    ]
    for title, figures in (("wall clock", summary), ("CPU time of this process", cpu)):
        lines += [
            "",
            f"per instance, {title}:",
            f"{'contender':<15}{'median ms':>11}{'mean ms':>10}{'p90 ms':>10}"
            f"{'start':>9}{'complete':>10}{'timer':>9}{'x bare':>8}",
        ]
        b = figures["bare"]["median"]
        for c in contenders:
            s = figures[c.name]
            st = s["steps"]
            lines.append(
                f"{c.name:<15}{ms(s['median']):>11.3f}{ms(s['mean']):>10.3f}"
                f"{ms(s['p90']):>10.3f}{ms(st['start']):>9.3f}{ms(st['complete']):>10.3f}"
                f"{ms(st['timer']):>9.3f}{s['median'] / b:>8.2f}")
    b = summary["bare"]["median"]
    lines += ["", "(step columns are medians of each step; the engine's steps include the "
              "commit; CPU time leaves out waiting for I/O and for other processes)", ""]
    lines.append(f"{'database':<15}{'state B avg':>12}{'state B max':>12}{'stmts/inst':>11}"
                 f"{'commits/inst':>13}{'rollbacks':>10}")
    for c in contenders[1:]:
        st, ctr = states[c.name], c.counter
        lines.append(
            f"{c.name:<15}{st['avg']:>12.0f}{st['max']:>12}"
            f"{sum(ctr.statements.values()) / c.instances:>11.2f}"
            f"{sum(ctr.commits.values()) / c.instances:>13.2f}{ctr.rollbacks:>10}")
    eng = contenders[1]
    ctr = eng.counter
    lines += [
        "",
        "engine statements per instance by step: " + ", ".join(
            f"{s} {ctr.statements[s] / eng.instances:.2f}" for s in STEPS),
        "engine commits per instance by step:    " + ", ".join(
            f"{s} {ctr.commits[s] / eng.instances:.2f}" for s in STEPS),
        "engine statements by verb per instance: " + ", ".join(
            f"{v} {n / eng.instances:.2f}" for v, n in ctr.verbs.most_common()),
        "stored state after each step (bytes):   " + ", ".join(
            f"{k} {v}" for k, v in by_step.items()),
        f"Spiff's own serializer (spec included), completed bare workflow: {spiff_full} bytes",
        "",
        f"targets: ratio <= 3.0 -> {summary['engine']['median'] / b:.2f}; "
        f"state <= 8192 B -> {states['engine']['avg']:.0f}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
