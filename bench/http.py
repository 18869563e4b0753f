"""HTTP load benchmark: the app under gunicorn on PostgreSQL, 50 API users on loopback.

Set-up (a database of its own, created and dropped here): the schema, bench/engine.bpmn
deployed, ``--users`` API users (role Service Level Manager, one bearer token each) and
``--tasks-per-user`` instances started per user, each titled with its user's tag, so
that every user works a queue of their own (no two users race for one task; the claim
is still checked by the server).

Then ``gunicorn web.wsgi:app`` (``--workers`` processes, gthread, ``--threads`` each,
embedded runner off, deploy/gunicorn.conf.py with prometheus_client's multiprocess
mode) and one ``slm runner`` beside it (timers, audit sealer, heartbeat)
serve on 127.0.0.1, and an asyncio client (httpx, pinned in setup.cfg) runs every user
concurrently for ``--seconds``: list my unclaimed tasks (``GET /api/v1/tasks?view=
unclaimed&q=<tag>``) -> claim the first (``POST .../claim``) -> complete it with the
form's data (``POST .../complete``), again and again.

The last line is JSON: requests/s, p50/p95/p99 latency (all requests and per kind),
errors (anything but the expected 200; must be 0), and checks: every task the client
completed is completed in the database exactly once, by its user, with exactly one
``task_completed`` audit event, and the audit chain verifies after sealing.

Run: ``.venv/bin/python bench/http.py [--seconds 20] [--users 50]``
(PostgreSQL at ``SLM_BENCH_PG``, default postgresql://postgres@127.0.0.1:5432/postgres).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

_HERE = Path(__file__).resolve().parent
ROOT = _HERE.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(ROOT))
sys.path.append(str(_HERE))
sys.path.append(str(_HERE / "plugins"))

import httpx  # noqa: E402
from engine_contenders import DIAGRAM, FORM_DATA, PROCESS, START_DATA, T0, load_form  # noqa: E402
from pg_scratch import create_database, drop_database  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from engine.audit import verify_chain  # noqa: E402
from engine.clock import utcnow  # noqa: E402
from engine.db import make_engine, make_session_factory  # noqa: E402
from engine.deploy import deploy  # noqa: E402
from engine.instances import start_instance  # noqa: E402
from engine.models import AuditEvent, HumanTask  # noqa: E402
from engine.runtime import Engine  # noqa: E402
from engine.schema import upgrade  # noqa: E402
from engine.sealer import seal_pending  # noqa: E402
from handlers.people import operations as people  # noqa: E402
from handlers.people import tokens as api_tokens  # noqa: E402
from handlers.registry import build_registry  # noqa: E402

BIN = Path(sys.executable).parent
#: bench_handlers.py (the diagram's ``compute``), kept apart: bench/ itself must not be on
#: the servers' path (this file's name would hide the standard library's ``http``)
PLUGINS = _HERE / "plugins"


def tag(i: int) -> str:
    return f"[bench-u{i:03d}]"


def prepare(url: str, users: int, per_user: int) -> dict[str, str]:
    """Schema, diagram, users with tokens, their instances; returns {username: token}."""
    upgrade(url)
    sa = make_engine(url)
    factory = make_session_factory(sa)
    registry = build_registry(("bench_handlers",))
    engine = Engine(registry)
    now = utcnow()
    with factory() as s:
        deploy(s, DIAGRAM.read_bytes(), DIAGRAM.name, registry=registry,
               known_lanes=engine.known_lanes, form_loader=load_form, actor="bench", now=T0)
        people.create_organisation(s, "acme", "Acme Retail Ltd", "customer", actor="bench",
                                   now=now)
        shared = people.hash_password(uuid.uuid4().hex)
        tokens = {}
        for i in range(users):
            user = people.create_user(s, f"u{i:03d}", f"Bench user {i}", None,
                                      ["Service Level Manager"], None, password_hash=shared,
                                      actor="bench", now=now)
            tokens[user.username] = api_tokens.create_token(s, user, "bench", now,
                                                            actor="bench")[1]
        s.commit()
    for i in range(users):
        with factory() as s:
            for _ in range(per_user):
                start_instance(engine, s, PROCESS, actor="bench", now=now, data=START_DATA,
                               organisation="acme", title=f"load {tag(i)}")
            s.commit()
    seal_pending(factory, "bench-prepare", release_after=True)
    sa.dispose()
    return tokens


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(url: str, port: int, workers: int, threads: int,
          metrics_dir: str) -> list[subprocess.Popen]:
    """gunicorn as the README's deployment guide runs it, and one runner beside it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLM_")}
    env.update(SLM_DATABASE_URL=url, SLM_EMBEDDED_RUNNER="0", SLM_SECRET_KEY=uuid.uuid4().hex,
               SLM_RUNNER_INTERVAL="1", SLM_SEALER_INTERVAL="1",
               SLM_HANDLER_MODULES="bench_handlers", PROMETHEUS_MULTIPROC_DIR=metrics_dir)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PLUGINS), env.get("PYTHONPATH")]))
    web = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", str(workers), "--worker-class", "gthread",
         "--threads", str(threads), "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
         # longer than a request may wait in the queue: gunicorn's default (2 s) closes a
         # kept-alive connection the client is already reusing when the server is busy
         "--keep-alive", "30",
         "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "web.wsgi:app"], cwd=ROOT, env=env)
    runner = subprocess.Popen([str(BIN / "slm"), "runner"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2).status_code == 200:
                return [web, runner]
        except httpx.TransportError:
            pass
        if web.poll() is not None or runner.poll() is not None:
            break
        time.sleep(0.25)
    stop([web, runner])
    raise SystemExit("gunicorn or the runner did not become ready within 60 s")


def stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=30)
        except subprocess.TimeoutExpired:
            p.kill()


async def user_loop(client: httpx.AsyncClient, i: int, token: str, until: float,
                    log: dict) -> None:
    headers = {"Authorization": f"Bearer {token}"}

    async def call(kind: str, method: str, path: str, **kw):
        t = time.perf_counter()
        try:
            response = await client.request(method, path, headers=headers, **kw)
        except httpx.HTTPError as exc:
            log["errors"].append(f"{kind}: {type(exc).__name__}: {exc}")
            return None
        log["latency"].setdefault(kind, []).append(time.perf_counter() - t)
        if response.status_code != 200:
            log["errors"].append(f"{kind} {path}: {response.status_code} {response.text[:200]}")
            return None
        return response.json()

    while time.perf_counter() < until:
        listed = await call("list", "GET", "/api/v1/tasks",
                            params={"view": "unclaimed", "q": tag(i), "per_page": 10})
        if listed is None:
            continue
        if not listed["items"]:
            log["ran_out"].append(i)
            return
        task_id = listed["items"][0]["id"]
        if await call("claim", "POST", f"/api/v1/tasks/{task_id}/claim", json={}) is None:
            continue
        done = await call("complete", "POST", f"/api/v1/tasks/{task_id}/complete",
                          json=FORM_DATA)
        if done is not None:
            log["completed"].append((task_id, f"u{i:03d}"))


async def load(port: int, tokens: dict[str, str], seconds: float) -> tuple[dict, float]:
    log = {"latency": {}, "errors": [], "completed": [], "ran_out": []}
    limits = httpx.Limits(max_connections=len(tokens), max_keepalive_connections=len(tokens))
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits,
                                 timeout=60) as client:
        t0 = time.perf_counter()
        until = t0 + seconds
        await asyncio.gather(*(user_loop(client, int(name[1:]), token, until, log)
                               for name, token in tokens.items()))
        return log, time.perf_counter() - t0


def pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    return round(1000 * statistics.quantiles(values, n=100, method="inclusive")[p - 1], 2)


def check(url: str, completed: list[tuple[int, str]]) -> dict:
    sa = make_engine(url)
    factory = make_session_factory(sa)
    try:
        seal_pending(factory, "bench-check", wait=30, release_after=True)
        with factory() as s:
            rows = {r.id: r for r in s.execute(select(
                HumanTask.id, HumanTask.task_id, HumanTask.status, HumanTask.completed_by)
                .where(HumanTask.status == "completed"))}
            events = dict(s.execute(select(AuditEvent.task_id, func.count())
                                    .where(AuditEvent.kind == "task_completed")
                                    .group_by(AuditEvent.task_id)).all())
            verified = verify_chain(s)
        ids = [task_id for task_id, _ in completed]
        return {
            "completed_by_clients": len(ids),
            "completed_in_database": len(rows),
            "every_task_completed_once": len(ids) == len(set(ids)) == len(rows)
            and all(rows[t].completed_by == who for t, who in completed if t in rows)
            and set(ids) == set(rows)
            and all(events.get(rows[t].task_id) == 1 for t in ids if t in rows),
            "audit_verified": verified.ok and verified.unsealed == 0,
            "audit_events": verified.checked,
        }
    finally:
        sa.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--tasks-per-user", type=int, default=60)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--threads", type=int, default=4)
    args = ap.parse_args()
    if not (1 <= args.users <= 500 and args.seconds > 0 and args.tasks_per_user >= 1):
        ap.error("--users 1..500, --seconds > 0 and --tasks-per-user >= 1")
    name, url = create_database("slm_http")
    procs = []
    try:
        t = time.perf_counter()
        tokens = prepare(url, args.users, args.tasks_per_user)
        print(f"prepared {args.users} users x {args.tasks_per_user} tasks in "
              f"{time.perf_counter() - t:.1f} s", flush=True)
        port = free_port()
        metrics_dir = tempfile.mkdtemp(prefix="slm-bench-metrics-")
        procs = serve(url, port, args.workers, args.threads, metrics_dir)
        load_before = round(os.getloadavg()[0], 2)
        log, elapsed = asyncio.run(load(port, tokens, args.seconds))
        load_after = round(os.getloadavg()[0], 2)
        stop(procs)
        all_latency = [v for vs in log["latency"].values() for v in vs]
        result = {
            "users": args.users, "seconds": round(elapsed, 2), "gunicorn_workers": args.workers,
            "load_average_before_and_after": [load_before, load_after],
            "threads_per_worker": args.threads, "requests": len(all_latency),
            "requests_per_s": round(len(all_latency) / elapsed, 1),
            "tasks_completed_per_s": round(len(log["completed"]) / elapsed, 1),
            "p50_ms": pct(all_latency, 50), "p95_ms": pct(all_latency, 95),
            "p99_ms": pct(all_latency, 99),
            "by_kind": {k: {"n": len(v), "p50_ms": pct(v, 50), "p95_ms": pct(v, 95),
                            "p99_ms": pct(v, 99)} for k, v in log["latency"].items()},
            "errors": len(log["errors"]), "error_samples": log["errors"][:5],
            "users_out_of_tasks": len(set(log["ran_out"])),
            "checks": check(url, log["completed"]),
        }
        result["checks_ok"] = (result["errors"] == 0 and result["users_out_of_tasks"] == 0
                               and result["checks"]["every_task_completed_once"]
                               and result["checks"]["audit_verified"])
        print(f"{result['requests_per_s']} requests/s, p50 {result['p50_ms']} ms, "
              f"p95 {result['p95_ms']} ms, p99 {result['p99_ms']} ms, "
              f"errors {result['errors']} (load average {load_before} -> {load_after})")
        print(json.dumps(result))
        if not result["checks_ok"]:
            raise SystemExit(1)
    finally:
        stop(procs)
        drop_database(name)


if __name__ == "__main__":
    main()
