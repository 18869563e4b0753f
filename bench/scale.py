"""Scale-out benchmark on PostgreSQL: W worker processes, then R runner processes.

For each audit mode, on a database of its own (created and dropped here; the phases of
the modes take turns, so that a busy moment on the machine falls on every mode alike):

* workers: W processes (1, 2, 4) start instances of bench/engine.bpmn and complete their
  user task (two transactions per instance: ``start_instance``, ``complete_task``) for
  ``--seconds`` each; instances/s is the total over the slowest worker's time.
* runners: R processes (1, 2, 4) then fire the timers of the instances of one worker
  phase each (``run_due`` with ``now`` two hours after that phase's start time, claims
  with ``FOR UPDATE SKIP LOCKED``); timers/s likewise.

Audit modes (``--modes``):

* ``on``: the product: steps append their audit events unsealed; one sealer process
  (engine.sealer, as a runner runs it) seals every 0.5 s during every phase.
* ``off``: a switch of this benchmark only: ``AuditTrail.flush`` drops the events.
* ``locked``: the design before issue 16, for comparison: every step locks the
  ``audit_head`` row, appends sealed events and keeps the lock until its commit.

"Audit wait" is the time a step spends in ``AuditTrail.flush`` (appending its events,
waiting for the head row's lock in ``locked`` mode), per step, and as a share of the
step's time (on 2 cores every statement slows down as processes are added; a share that
grows means steps wait for each other in the audit). Checks (per mode): every
instance started was completed exactly once (status, completion time, and in the audit
modes exactly one ``instance_completed`` event), every timer fired exactly once (no due
timer left; one ``timer_fired`` event per instance), and the audit chain verifies with
nothing left unsealed. The last line of output is JSON.

Run: ``.venv/bin/python bench/scale.py [--seconds 4] [--modes on,off,locked]``
(PostgreSQL at ``SLM_BENCH_PG``, default postgresql://postgres@127.0.0.1:5432/postgres).
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
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
from sqlalchemy import func, select  # noqa: E402

from engine import audit  # noqa: E402
from engine.audit import AuditTrail, seal_appending, verify_chain  # noqa: E402
from engine.db import make_engine, make_session_factory  # noqa: E402
from engine.deploy import deploy  # noqa: E402
from engine.instances import start_instance  # noqa: E402
from engine.models import AuditEvent, DueTimer, ProcessInstance  # noqa: E402
from engine.runner import run_due  # noqa: E402
from engine.runtime import Engine  # noqa: E402
from engine.schema import upgrade  # noqa: E402
from engine.sealer import seal_pending  # noqa: E402
from engine.tasks import complete_task  # noqa: E402

COUNTS = (1, 2, 4)
SEAL_EVERY = 0.5


# -- the audit modes (set in each child process) ----------------------------------------------
_flush = AuditTrail.flush
_wait = {"seconds": 0.0, "steps": 0}


def _locked_flush(self, session):
    """The pre-issue-16 append: the head row locked until commit, events sealed inline."""
    if not self.events:
        return 0
    conn = session.connection()
    conn.exec_driver_sql("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE")
    seal_appending(conn, self.events)
    count = len(self.events)
    self.events = []
    return count


def _dropping_flush(self, session):
    count = len(self.events)
    self.events = []
    return count


def use_mode(mode: str) -> None:
    inner = {"on": _flush, "off": _dropping_flush, "locked": _locked_flush}[mode]

    def timed(self, session):
        t = time.perf_counter()
        try:
            return inner(self, session)
        finally:
            _wait["seconds"] += time.perf_counter() - t
            _wait["steps"] += 1

    audit.AuditTrail.flush = timed


# -- child processes ---------------------------------------------------------------------------
def worker(url: str, mode: str, start_at, seconds: float, go, out) -> None:
    use_mode(mode)
    sa = make_engine(url, pool_size=1)
    factory = make_session_factory(sa)
    engine = Engine(make_registry())
    go.wait()
    t0 = time.perf_counter()
    deadline, done, latencies = t0 + seconds, 0, []
    while time.perf_counter() < deadline:
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
    out.put({"done": done, "elapsed": time.perf_counter() - t0, "steps": _wait["steps"],
             "wait": _wait["seconds"], "step_s": sum(latencies)})
    sa.dispose()


def runner(url: str, mode: str, now, name: str, go, out) -> None:
    use_mode(mode)
    sa = make_engine(url, pool_size=1)
    factory = make_session_factory(sa)
    engine = Engine(make_registry())
    go.wait()
    t0 = time.perf_counter()
    fired = run_due(engine, factory, now=now, runner=name, limit=20)
    out.put({"done": fired, "elapsed": time.perf_counter() - t0, "steps": _wait["steps"],
             "wait": _wait["seconds"], "step_s": 0.0})
    sa.dispose()


def sealer(url: str, stop) -> None:
    factory = make_session_factory(make_engine(url, pool_size=1))
    while not stop.is_set():
        seal_pending(factory, "bench-sealer")
        stop.wait(SEAL_EVERY)
    seal_pending(factory, "bench-sealer", release_after=True)


def phase(ctx, target, args_for, n: int) -> dict:
    go, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=target, args=(*args_for(i), go, out)) for i in range(n)]
    for p in procs:
        p.start()
    time.sleep(1.0)  # every process has imported and connected before the clock starts
    go.set()
    results = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        if p.exitcode != 0:
            raise SystemExit(f"a {target.__name__} process failed (exit {p.exitcode})")
    done = sum(r["done"] for r in results)
    elapsed = max(r["elapsed"] for r in results)
    steps = sum(r["steps"] for r in results)
    return {"count": done, "per_s": round(done / elapsed, 1),
            "audit_wait_ms_per_step": round(1000 * sum(r["wait"] for r in results)
                                            / max(steps, 1), 3),
            "step_ms": round(1000 * sum(r["step_s"] for r in results) / max(2 * done, 1), 3)
            if target is worker else None,
            "audit_share_of_step": round(sum(r["wait"] for r in results)
                                         / sum(r["step_s"] for r in results), 3)
            if target is worker else None}


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


def run_modes(modes: list[str], seconds: float) -> dict:
    """The phases of every mode in turn (W=1 of each mode, then W=2 of each, ...; the order
    of the modes rotates), so that a busy moment on the machine falls on every mode alike."""
    ctx = mp.get_context("fork")
    dbs = {mode: create_database("slm_scale") for mode in modes}
    stop = ctx.Event()
    seal_proc = None
    try:
        for _name, url in dbs.values():
            prepare(url)
        if "on" in dbs:
            seal_proc = ctx.Process(target=sealer, args=(dbs["on"][1], stop))
            seal_proc.start()
        out = {mode: {"workers": {}, "runners": {}} for mode in modes}
        for k, w in enumerate(COUNTS):
            start_at = T0 + timedelta(days=k)
            for mode in modes[k % len(modes):] + modes[:k % len(modes)]:
                url = dbs[mode][1]
                out[mode]["workers"][w] = phase(
                    ctx, worker, lambda i, u=url, m=mode, s=start_at: (u, m, s, seconds), w)
        for k, r in enumerate(COUNTS):  # phase k's timers: due an hour after its start
            now = T0 + timedelta(days=k, hours=2)
            for mode in modes[k % len(modes):] + modes[:k % len(modes)]:
                url = dbs[mode][1]
                out[mode]["runners"][r] = phase(
                    ctx, runner, lambda i, u=url, m=mode, t=now: (u, m, t, f"runner-{i}"), r)
                out[mode]["runners"][r]["instances_of_workers"] = COUNTS[k]
        stop.set()
        if seal_proc:
            seal_proc.join(timeout=120)
        for mode, res in out.items():
            w, r = res["workers"], res["runners"]
            res["checks"] = checks(dbs[mode][1], mode, sum(v["count"] for v in w.values()),
                                   [w[n]["count"] == r[n]["count"] for n in COUNTS])
        return out
    finally:
        stop.set()
        if seal_proc and seal_proc.is_alive():
            seal_proc.terminate()
        for name, _url in dbs.values():
            drop_database(name)


def checks(url: str, mode: str, started: int, fired_per_phase: list[bool]) -> dict:
    sa = make_engine(url)
    factory = make_session_factory(sa)
    try:
        if mode != "off":  # the deploy's event (set-up, before any mode) waits unsealed
            seal_pending(factory, "bench-check", wait=30, release_after=True)
        with factory() as s:
            instances = s.scalar(select(func.count()).select_from(ProcessInstance))
            completed = s.scalar(select(func.count()).select_from(ProcessInstance).where(
                ProcessInstance.status == "completed", ProcessInstance.completed_at.isnot(None)))
            due_left = s.scalar(select(func.count()).select_from(DueTimer))
            result = {"instances": instances, "completed": completed,
                      "every_instance_completed_once": instances == started == completed,
                      "every_timer_fired_once": due_left == 0 and all(fired_per_phase)}
            if mode != "off":
                def once(kind):
                    per = (select(AuditEvent.instance_id, func.count().label("n"))
                           .where(AuditEvent.kind == kind).group_by(AuditEvent.instance_id)
                           .subquery())
                    return s.execute(select(func.count(), func.min(per.c.n), func.max(per.c.n))
                                     ).one() == (started, 1, 1)
                result["every_instance_completed_once"] &= once("instance_completed")
                result["every_timer_fired_once"] &= once("timer_fired")
                verified = verify_chain(s)
                result["audit_verified"] = verified.ok and verified.unsealed == 0
                result["audit_events"] = verified.checked
        return result
    finally:
        sa.dispose()


def summary(modes: dict) -> dict:
    out = {"counts": list(COUNTS), "modes": modes}
    for res in modes.values():
        w, r = res["workers"], res["runners"]
        res["worker_scaling"] = {f"{n}/1": round(w[n]["per_s"] / w[1]["per_s"], 2)
                                 for n in COUNTS[1:]}
        res["runner_scaling"] = {f"{n}/1": round(r[n]["per_s"] / r[1]["per_s"], 2)
                                 for n in COUNTS[1:]}
    if "on" in modes and "off" in modes:
        on, off = modes["on"]["workers"], modes["off"]["workers"]
        out["audit_on_vs_off"] = {f"W={n}": round(on[n]["per_s"] / off[n]["per_s"], 3)
                                  for n in COUNTS}
        # On 2 cores, W=4 workers and the database share the CPU: every statement of a
        # step gets slower, the audit's insert with them. Its share of the step is what
        # shows whether steps wait for each other in the audit.
        shares = [on[n]["audit_share_of_step"] for n in COUNTS]
        out["targets"] = {
            "W=2 audit on within 5% of off": out["audit_on_vs_off"]["W=2"] >= 0.95,
            "audit share of a step does not grow with W": max(shares) <= 1.25 * min(shares),
        }
    if "locked" in modes and "off" in modes:
        locked, off = modes["locked"]["workers"], modes["off"]["workers"]
        out["locked_vs_off"] = {f"W={n}": round(locked[n]["per_s"] / off[n]["per_s"], 3)
                                for n in COUNTS}
    out["checks_ok"] = all(all(v for k, v in res["checks"].items()
                               if isinstance(v, bool)) for res in modes.values())
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--seconds", type=float, default=4.0, help="length of each worker phase")
    ap.add_argument("--modes", default="on,off,locked",
                    help="audit modes to run, comma-separated: on, off, locked")
    args = ap.parse_args()
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    bad = [m for m in modes if m not in ("on", "off", "locked")]
    if bad or not modes:
        ap.error(f"--modes: unknown mode(s) {bad}; choose from on, off, locked")
    results = run_modes(modes, args.seconds)
    for mode in modes:
        w, r = results[mode]["workers"], results[mode]["runners"]
        print(f"audit {mode:6}  workers " + "  ".join(
            f"W={n}: {w[n]['per_s']:7.1f}/s (wait {w[n]['audit_wait_ms_per_step']:.3f} ms)"
            for n in COUNTS))
        print(f"{'':13}runners " + "  ".join(
            f"R={n}: {r[n]['per_s']:7.1f}/s" for n in COUNTS)
              + f"  checks {results[mode]['checks']}", flush=True)
    out = summary(results)
    print(json.dumps(out))
    if not out["checks_ok"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
