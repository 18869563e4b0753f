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

The engine runs diagram code with isolation on, as in production: the script goes to a
sandbox worker process (engine.sandbox_pool, started before the warm-up), while the
condition ``size == "big"`` and the service parameter qualify for in-process evaluation
(engine.safe_expr). ``sandbox_us_per_evaluation`` is the median round trip of the bench's
script to a worker, measured on its own after the rounds.

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
import io  # noqa: E402
import json  # noqa: E402
import pstats  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer  # noqa: E402
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask  # noqa: E402
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG  # noqa: E402

from engine.sandbox_env import SandboxEnvironment  # noqa: E402
from engine.sandbox_pool import get_pool, start_pool  # noqa: E402

sys.path.append(str(_HERE))  # after the root: engine_contenders, never engine.py itself
from engine_contenders import (  # noqa: E402
    START_DATA,
    STEPS,
    Bare,
    EngineRun,
    make_registry,
    run_round,
)

# -- running and reporting -------------------------------------------------------------------

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


def sandbox_round_trip(script: str, n: int = 2000) -> float:
    """Median microseconds of one evaluation of ``script`` in a sandbox worker."""
    env = SandboxEnvironment(clock=lambda: None, time_limit=lambda: 2.0)
    times = []
    for _ in range(n):
        data = {**START_DATA, "computed": {"value": 42}}
        t = time.perf_counter()
        env.execute(script, data)
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e6


def bench_script(bare) -> str:
    [spec] = [t for t in bare.spec.task_specs.values() if isinstance(t, ScriptTask)]
    return spec.script


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
    start_pool()
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
        evaluations = get_pool().evaluations
        for c in contenders[1:]:  # statements and commits, off the clock
            c.count(args.count_n)
        per_instance = ((get_pool().evaluations - evaluations)
                        / (args.count_n * len(contenders[1:])))
        sandbox_us = sandbox_round_trip(bench_script(bare))

        summary = {name: summarize(t, 0) for name, t in times.items()}
        cpu = {name: summarize(t, 1) for name, t in times.items()}
        states = {c.name: c.state_sizes() for c in contenders[1:]}
        by_step = eng.state_by_step()
        spiff_full = len(BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))
                         .serialize_json(bare.last).encode())

        report = render(args, summary, cpu, contenders, states, by_step, spiff_full, r,
                        sandbox_us, per_instance)
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
            "sandbox_us_per_evaluation": round(sandbox_us, 1),
            "sandbox_evaluations_per_instance": round(per_instance, 2),
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


def render(args, summary, cpu, contenders, states, by_step, spiff_full, rounds,
           sandbox_us, per_instance) -> str:
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
        f"sandbox: {sandbox_us:.1f} us per evaluation in a worker, "
        f"{per_instance:.2f} evaluations per instance",
        f"targets: ratio <= 3.0 -> {summary['engine']['median'] / b:.2f}; "
        f"state <= 8192 B -> {states['engine']['avg']:.0f}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
