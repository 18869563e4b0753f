"""Scale-out benchmark on PostgreSQL: W worker processes, then R runner processes.

Each audit mode gets a database of its own (created and dropped here). ``--rounds``
rounds; in each round, for W = 1, 2, 4 in turn, every mode runs one worker phase, then
the runner phases. By default the modes' worker phases are interleaved: W workers of
every mode start together and the modes take turns of ``--slice`` seconds (0.25) until
each has had ``--seconds`` (bench/scale_slices.py), so that whatever else the machine
does falls on every mode alike; with ``--slice 0`` each mode's phase runs whole, back to
back with the other's. The modes' order alternates from phase to phase and round to
round (on, off, off, on, ...). Figures are medians over the rounds, with their spread
(min-max), and the on/off ratio is taken per round between the two modes' phases, then
its median.

* workers: W processes start instances of bench/engine.bpmn and complete their user task
  (two transactions per instance: ``start_instance``, ``complete_task``) for
  ``--seconds``; instances/s is the total over the mode's time (interleaved: its measured
  turns, after ``--warmup`` seconds of turns that are not measured; back to back: the
  slowest worker's). Each worker also measures the CPU time per instance of itself and of
  its PostgreSQL backend (/proc/<pid>/stat), which other load moves much less.
* runners: R processes (1, 2, 4) fire the timers of one worker phase each (``run_due``
  with ``now`` two hours after that phase's start, claims with ``FOR UPDATE SKIP LOCKED``).

Audit modes (``--modes``):

* ``on``: the product: a step queues its events (one ``audit_queue`` row) in the statement
  that saves its instance (a data-modifying CTE: no statement of its own); a sealer
  process (engine.sealer, as a runner runs it) seals every ``SLM_SEALER_INTERVAL``
  seconds (the runner's default, 1 s, unless set; in interleaved phases, seconds of its
  mode's turns, from the warm-up on: the sealer is as far behind where the measured turns
  begin as where they end), one COPY into ``audit_event`` per batch.
* ``off``: a switch of this benchmark only: ``AuditTrail.flush`` (and ``append_with``,
  which still saves the instance) hands the events to the
  observers as always and then drops them instead of inserting them. Exactly the append
  is removed: the same sealer process runs beside the off database too (it finds nothing).
* ``locked``: the design before issue 16, for comparison: every step locks the
  ``audit_head`` row, appends sealed events and keeps the lock until its commit.

"Audit wait" is the time a step spends in ``AuditTrail.flush`` or ``append_with``
(appending its events, waiting for the head row's lock in ``locked`` mode); a step's own
events ride in the UPDATE that saves its instance (``append_with``), so its wait includes
that UPDATE, in every mode (``off`` runs it carrying nothing), per step, and as a share of the
step's time (on 2 cores every statement slows down as processes are added; a share that
grows means steps wait for each other in the audit). Checks (per mode): every instance
started was completed exactly once (status, completion time, and in the audit modes
exactly one ``instance_completed`` event), every timer fired exactly once (no due timer
left; one ``timer_fired`` event per instance), and the audit chain verifies with nothing
left unsealed. The load average is printed at the start of every round. The last line of
output is JSON.

Run: ``.venv/bin/python bench/scale.py [--rounds 3] [--seconds 3] [--slice 0.25]
[--modes on,off]``
(PostgreSQL at ``SLM_BENCH_PG``, default postgresql://postgres@127.0.0.1:5432/postgres).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time
from datetime import timedelta
from pathlib import Path

_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))
sys.path.append(str(_HERE))

from engine_contenders import (  # noqa: E402
    DIAGRAM,
    FORM_DATA,
    MANAGER,
    PROCESS,
    READY_TASK,
    START_DATA,
    T0,
    load_form,
    make_registry,
)
from pg_scratch import create_database, drop_database  # noqa: E402
from scale_checks import checks, queued_events  # noqa: E402
from scale_modes import (  # noqa: E402
    backend_cpu,
    proc_cpu,
    reset_wait,
    use_mode,
    wait_figures,
)
from scale_report import print_table, rotate, summary  # noqa: E402
from scale_slices import (  # noqa: E402
    NOBODY,
    Counting,
    SealerGate,
    final_passes,
    give,
    my_turn,
    new_gates,
    run_processes,
    take_turns,
)

from engine.db import make_engine, make_session_factory  # noqa: E402
from engine.deploy import deploy  # noqa: E402
from engine.instances import start_instance  # noqa: E402
from engine.runner import run_due  # noqa: E402
from engine.runtime import Engine  # noqa: E402
from engine.schema import upgrade  # noqa: E402
from engine.sealer import DEFAULT_INTERVAL, seal_pending  # noqa: E402
from engine.tasks import complete_task  # noqa: E402

COUNTS = (1, 2, 4)
#: as a runner seals: every SLM_SEALER_INTERVAL seconds, its default unless set
SEAL_EVERY = float(os.environ.get("SLM_SEALER_INTERVAL", DEFAULT_INTERVAL))


# -- child processes ---------------------------------------------------------------------------
def worker(url: str, mode: str, start_at, seconds: float, gate, go, out) -> None:
    """Instances for ``seconds`` (``gate`` None) or in the turns of mode ``gate[1]`` until
    the coordinator says stop (``gate`` = (turn, mode index, wake, epoch):
    bench/scale_slices.py); counted afresh when the measured turns begin."""
    use_mode(mode)
    counting = Counting(gate[3]) if gate is not None else None
    sa = make_engine(url, pool_size=1)
    factory = make_session_factory(sa)
    engine = Engine(make_registry())
    pid, _ = backend_cpu(sa)
    go.wait()
    t0, cpu0, db0 = time.perf_counter(), time.process_time(), proc_cpu(pid)
    deadline, done, latencies, warm = t0 + seconds, 0, [], 0
    while True:
        if gate is None and time.perf_counter() >= deadline:
            break
        if gate is not None and not (mine := my_turn(*gate[:3])):
            if mine is None:
                break
            time.sleep(0.0005)
            continue
        if counting is not None and counting.restart():  # the measured turns begin
            t0, cpu0, db0 = time.perf_counter(), time.process_time(), proc_cpu(pid)
            warm, done, latencies = warm + done, 0, []
            reset_wait()
        s0 = time.perf_counter()
        with factory() as s:
            iid = start_instance(engine, s, PROCESS, actor="bench", now=start_at,
                                 data=START_DATA, organisation="acme")
            s.commit()
        s1 = time.perf_counter()
        with factory() as s:
            htid = READY_TASK.scalar(s.connection(), {"iid": iid})
            status = complete_task(engine, s, htid, FORM_DATA, MANAGER,
                                   start_at + timedelta(minutes=10))
            s.commit()
        if status != "running":
            raise AssertionError(f"instance {iid} is {status} after its user task")
        latencies += [s1 - s0, time.perf_counter() - s1]
        done += 1
    out.put({"done": done, "started": warm + done, "elapsed": time.perf_counter() - t0,
             **wait_figures(), "step_s": sum(latencies),
             "cpu": time.process_time() - cpu0 + proc_cpu(pid) - db0})
    sa.dispose()


def runner(url: str, mode: str, now, name: str, go, out) -> None:
    use_mode(mode)
    sa = make_engine(url, pool_size=1)
    factory = make_session_factory(sa)
    engine = Engine(make_registry())
    go.wait()
    t0 = time.perf_counter()
    fired = run_due(engine, factory, now=now, runner=name, limit=20)
    out.put({"done": fired, "elapsed": time.perf_counter() - t0, **wait_figures(),
             "step_s": 0.0, "cpu": 0.0})
    sa.dispose()


def sealer(url: str, stop, out, gate: SealerGate) -> None:
    """The runner's sealer, alone: seals every SEAL_EVERY seconds (of its mode's turns, in
    interleaved phases); reports the CPU time (its own and its backend's) of the passes
    that sealed something, and of the idle passes (a look at the queue that finds nothing)
    apart."""
    sa = make_engine(url, pool_size=1)
    factory = make_session_factory(sa)
    pid, _ = backend_cpu(sa)
    cpu = {"sealing": 0.0, "idle": 0.0, "sealed": 0}

    def seal_pass(**kw):
        c0, d0 = time.process_time(), proc_cpu(pid)
        n = seal_pending(factory, "bench-sealer", **kw)
        cpu["sealing" if n else "idle"] += time.process_time() - c0 + proc_cpu(pid) - d0
        cpu["sealed"] += n

    while not stop.is_set():
        if gate.due():
            gate.passing(seal_pass)
        time.sleep(0.005)
    seal_pass(release_after=True)
    out.put(cpu)


def phase(ctx, target, args_for, n: int) -> dict:
    """One mode's phase alone: ``n`` processes of ``target``."""
    return phases_at_once(ctx, target, [args_for], n)[0]


def interleaved(ctx, args_fors: list, idxs: list[int], n: int, gates: dict, seconds: float,
                slice_s: float, warmup: float, urls: list[str]) -> list[dict]:
    """``n`` workers per mode (``args_fors``, mode indexes ``idxs`` and databases ``urls``
    in this phase's order), all started at once and then taking turns
    (bench/scale_slices.py): ``warmup`` seconds each, then ``seconds`` measured; each
    mode's figures over the time of its own measured turns (and, without a warm-up, its
    final sealing pass), with the queue's length where they begin and end."""
    give(gates, NOBODY)
    queued = {me: {} for me in idxs}

    def at_edge(edge):
        for me, url in zip(idxs, urls, strict=True):
            queued[me][edge] = queued_events(url)

    every = round(SEAL_EVERY / slice_s)
    results, active = run_processes(ctx, worker, args_fors, n, lambda: take_turns(
        gates, idxs, seconds, slice_s, warmup, every, at_edge))
    final_passes(gates, idxs, active, timed=not warmup)
    return [dict(_figures(worker, r, active[me]), queued=queued[me])
            for r, me in zip(results, idxs, strict=True)]


def phases_at_once(ctx, target, args_fors: list, n: int) -> list[dict]:
    """``n`` processes per entry of ``args_fors`` (one entry per mode), all started by one
    signal: with several entries, the modes run side by side, under the same load."""
    return [_figures(target, r) for r in run_processes(ctx, target, args_fors, n)[0]]


def _figures(target, results: list[dict], elapsed: float | None = None) -> dict:
    """A phase's figures; ``elapsed``: its time (default: the slowest process's)."""
    done = sum(r["done"] for r in results)
    elapsed = elapsed or max(r["elapsed"] for r in results)
    started = sum(r.get("started", r["done"]) for r in results)
    steps = sum(r["steps"] for r in results)
    out = {"count": done, "started": started, "per_s": round(done / elapsed, 1),
           "audit_wait_ms_per_step": round(1000 * sum(r["wait"] for r in results)
                                           / max(steps, 1), 3)}
    if target is worker:
        step_s = sum(r["step_s"] for r in results)
        out.update(step_ms=round(1000 * step_s / max(2 * done, 1), 3),
                   audit_share_of_step=round(sum(r["wait"] for r in results) / step_s, 3),
                   cpu_ms_per_instance=round(1000 * sum(r["cpu"] for r in results)
                                             / max(done, 1), 3))
    return out


# -- every mode, each on its own database, phases interleaved --------------------------------
def prepare(url: str) -> None:
    upgrade(url)
    sa = make_engine(url)
    factory = make_session_factory(sa)
    with factory() as s:
        deploy(s, DIAGRAM.read_bytes(), DIAGRAM.name, registry=make_registry(),
               known_lanes=Engine(make_registry()).known_lanes, form_loader=load_form,
               actor="bench", now=T0)
        s.commit()
    sa.dispose()


def run_modes(modes: list[str], seconds: float, rounds: int, together: bool = False,
              slice_s: float = 0.0, warmup: float = 0.0) -> dict:
    """Every round: for each W the phases of every mode interleaved in turns of
    ``slice_s`` seconds, after ``warmup`` seconds of turns each that are not measured (0:
    back to back; ``together``: at the same time), then the runners."""
    ctx = mp.get_context("fork")
    dbs = {mode: create_database("slm_scale") for mode in modes}
    stop, sealed, gates = ctx.Event(), ctx.Queue(), new_gates(ctx, modes)
    sealers = []
    try:
        for _name, url in dbs.values():
            prepare(url)
        for me, mode in enumerate(modes):  # the same sealer beside every mode: only the
            gate = SealerGate(gates["turn"], SEAL_EVERY, gates["flush"][me],  # the append
                              gates["flushed"][me], gates["busy"][me])          # differs
            sealers.append(ctx.Process(target=sealer, args=(dbs[mode][1], stop, sealed, gate)))
            sealers[-1].start()
        out = {mode: {"workers": {n: [] for n in COUNTS}, "runners": {n: [] for n in COUNTS},
                      "fired_per_phase": []} for mode in modes}
        loads, phase_no = [], 0
        for rnd in range(rounds):
            loads.append(round(os.getloadavg()[0], 2))
            print(f"round {rnd + 1}/{rounds}: load average {loads[-1]}", flush=True)
            for k, w in enumerate(COUNTS):
                start_at = T0 + timedelta(days=rnd * len(COUNTS) + k)
                order = rotate(modes, phase_no)
                sliced = slice_s > 0 and not together
                turns = {m: (gates["turn"], i, gates["wake"][i], gates["epoch"])
                         if sliced else None for i, m in enumerate(modes)}
                args = [lambda i, u=dbs[m][1], m=m, s=start_at, g=turns[m]: (u, m, s, seconds, g)
                        for m in order]
                if sliced:  # W workers of every mode, taking turns
                    for mode, res in zip(order, interleaved(
                            ctx, args, [turns[m][1] for m in order], w, gates, seconds,
                            slice_s, warmup, [dbs[m][1] for m in order]), strict=True):
                        out[mode]["workers"][w].append(res)
                elif together:  # W workers of every mode at once
                    for mode, res in zip(order, phases_at_once(ctx, worker, args, w),
                                         strict=True):
                        out[mode]["workers"][w].append(res)
                else:
                    for mode, args_for in zip(order, args, strict=True):
                        out[mode]["workers"][w].append(phase(ctx, worker, args_for, w))
                phase_no += 1
            for k, r in enumerate(COUNTS):  # phase k's timers: due an hour after its start
                now = T0 + timedelta(days=rnd * len(COUNTS) + k, hours=2)
                for mode in rotate(modes, phase_no):
                    url = dbs[mode][1]
                    res = phase(ctx, runner,
                                lambda i, u=url, m=mode, t=now: (u, m, t, f"runner-{i}"), r)
                    out[mode]["runners"][r].append(res)
                    out[mode]["fired_per_phase"].append(
                        res["count"] == out[mode]["workers"][COUNTS[k]][rnd]["started"])
                phase_no += 1
        loads.append(round(os.getloadavg()[0], 2))
        stop.set()
        sealer_runs = [sealed.get(timeout=120) for _ in sealers]
        for p in sealers:
            p.join(timeout=60)
        for mode, res in out.items():
            started = sum(v["started"] for runs in res["workers"].values() for v in runs)
            res["checks"] = checks(dbs[mode][1], mode, started, res.pop("fired_per_phase"))
        return {"modes": out, "load_average": loads,
                "sealer_cpu_s": round(sum(r["sealing"] for r in sealer_runs), 3),
                "sealer_idle_cpu_s": round(sum(r["idle"] for r in sealer_runs), 3),
                "sealed": sum(r["sealed"] for r in sealer_runs)}
    finally:
        stop.set()
        for p in sealers:
            if p.is_alive():
                p.terminate()
        for name, _url in dbs.values():
            drop_database(name)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--seconds", type=float, default=3.0, help="length of each worker phase")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of every phase (1-20)")
    ap.add_argument("--modes", default="on,off",
                    help="audit modes to run, comma-separated: on, off, locked")
    ap.add_argument("--slice", type=float, default=0.25,
                    help="the modes' worker phases take turns of this many seconds (0: "
                         "each mode's phase runs whole, back to back with the other's)")
    ap.add_argument("--warmup", type=float, default=2 * SEAL_EVERY,
                    help="interleaved phases: seconds of turns per mode before the measured "
                         "ones, not measured; a whole number of sealing intervals (default "
                         "two, so that the sealer is as far behind where they begin as "
                         "where they end; 0: none, and the sealer's final pass is measured "
                         "instead)")
    ap.add_argument("--together", action="store_true",
                    help="run the worker phases of the modes at the same time (W workers "
                         "each), so that both see the same load; compares the modes' cost "
                         "under equal competition, not their throughput alone")
    args = ap.parse_args()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    bad = [m for m in modes if m not in ("on", "off", "locked")]
    if bad or not modes or len(set(modes)) != len(modes):
        ap.error(f"--modes: unknown or repeated mode(s) {bad or modes}; "
                 "choose from on, off, locked")
    if not 1 <= args.rounds <= 20:
        ap.error(f"--rounds: {args.rounds} is not between 1 and 20")
    if not 0.5 <= args.seconds <= 600:
        ap.error(f"--seconds: {args.seconds} is not between 0.5 and 600")
    whole = args.warmup / SEAL_EVERY
    if args.warmup and not (args.warmup <= 600 and whole >= 1
                            and abs(whole - round(whole)) < 1e-6):
        ap.error(f"--warmup: {args.warmup} is not 0 or a whole number of sealing intervals "
                 f"({SEAL_EVERY} s, SLM_SEALER_INTERVAL) up to 600")
    if args.slice and not 0.05 <= args.slice <= args.seconds:
        ap.error(f"--slice: {args.slice} is not 0 or between 0.05 and --seconds")
    if args.slice and abs(SEAL_EVERY / args.slice - round(SEAL_EVERY / args.slice)) > 1e-6:
        ap.error(f"--slice: the sealing interval ({SEAL_EVERY} s, SLM_SEALER_INTERVAL) must "
                 f"be a whole number of slices of {args.slice} s")
    results = run_modes(modes, args.seconds, args.rounds, args.together, args.slice,
                        args.warmup)
    out = summary(results, COUNTS)
    out["together"] = args.together
    out["slice_s"] = 0.0 if args.together else args.slice
    print_table(out, COUNTS)
    print(json.dumps(out))
    if not out["checks_ok"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
