"""Task list benchmark: server time of the task list page at 1,000 and 100,000 instances.

For each size a fresh SQLite file gets the schema, the product's diagrams and people, then
``size`` process instances with their human tasks, bulk-inserted with Core ``executemany``
(the list reads only the human_task table, so the instances' state stays "{}"):

* 80 % of the instances are running with one open task: 45 % in the Customer lane, 40 %
  Service Level Manager, 15 % Process Owner; one in ten open tasks is claimed by someone;
  due dates spread from 10 days ago to 20 days ahead. Three in four instances belong to a
  customer organisation; there are ``size / 500`` of them (at least 10), as a provider with
  more agreements has more customers: 10 at 1,000 instances (about 36 open tasks in each
  customer's queue, a full first page) and 200 at 100,000 (about 180 each).
* 20 % are completed; every instance also has two completed tasks behind it.
  So 100,000 instances give 300,000 task rows, 80,000 of them open.

Timed: ``GET /tasks?view=unclaimed`` through the Flask test client with a signed-in session
(the real app: login, role checks, queries, Jinja), for the service level manager (about
29,000 tasks in the queue at 100,000 instances) and for a customer of the first
organisation. Each figure is over ``--requests`` requests after ``--warmup``; the sizes and
pages take turns request by request, so load from elsewhere on the machine falls on every
figure alike. The manager's "all open tasks" view and a search are reported as well, and
the CPU time of each request (``time.thread_time``) beside its wall-clock time.

The last line is JSON: {"p50_ms": {size: {who: ms}}, "p95_ms": {...}, "growth": p95 at the
largest size over p95 at the smallest, the worse of manager and customer, "growth_by_actor",
"cpu_p95_ms", "requests", "targets", "ok"}. Targets: p95 < 50 ms, growth < 1.5.

Run: ``.venv/bin/python bench/tasklist.py [--sizes 1000,100000] [--requests 300]``.
"""
from __future__ import annotations

import sys
from pathlib import Path

# bench/engine.py would shadow the engine package: keep this folder off sys.path.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
if str(_HERE.parent) not in sys.path:
    sys.path.insert(0, str(_HERE.parent))

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import timedelta  # noqa: E402

from argon2 import PasswordHasher  # noqa: E402

from engine.clock import utcnow  # noqa: E402
from engine.models import HumanTask, ProcessInstance  # noqa: E402
from engine.schema import upgrade  # noqa: E402
from engine.serialization import SERIALIZER_VERSION  # noqa: E402
from handlers.demo.seed import deploy_diagrams  # noqa: E402
from handlers.people import operations as people  # noqa: E402
from web import create_app  # noqa: E402

PASSWORD = "bench password 1"  # bench data, not a secret
CHUNK = 20_000
#: the timed pages: (who, username, URL); the first two count for the targets
PAGES = (("manager", "manager", "/tasks?view=unclaimed"),
         ("customer", "cust0", "/tasks?view=unclaimed"),
         ("manager, all open", "manager", "/tasks?view=all"),
         ("manager, search", "manager", "/tasks?view=unclaimed&q=revise"))
TASKS = (("sla_agreement", "Customer", "Choose a service level option", "choose_option"),
         ("sla_agreement", "Customer", "Review the SLA draft", "review_draft"),
         ("sla_agreement", "Service Level Manager", "Revise the SLA", "revise_sla"),
         ("slm_process_management", "Service Level Manager", "Set service level priorities",
          "set_priorities_task"),
         ("sla_agreement", "Process Owner", "Define the missing supporting processes",
          "define_supporting"))


def lane_of(i: int) -> int:
    """Index into TASKS for instance ``i``: 45 % customer, 40 % manager, 15 % owner."""
    r = (i * 7919) % 100
    return 0 if r < 25 else 1 if r < 45 else 2 if r < 60 else 3 if r < 85 else 4


def organisations(size: int) -> int:
    return max(10, size // 500)


def build(url: str, size: int, now) -> None:
    upgrade(url)
    app = create_app({"SLM_DATABASE_URL": url, "SLM_EMBEDDED_RUNNER": False})
    services = app.extensions["slm"]
    with services.sessions() as session:
        deploy_diagrams(session, services.engine, now - timedelta(days=400), actor="bench")
        versions = {pid: services.engine.latest_version(session, pid).version_id
                    for pid in ("sla_agreement", "slm_process_management")}
        password = people.hash_password(PASSWORD)
        who = dict(actor="bench", now=now - timedelta(days=400))
        people.create_organisation(session, "provider", "Provider IT", "provider", **who)
        people.create_user(session, "manager", "Maya Manager", None, ["Service Level Manager"],
                           password_hash=password, **who)
        people.create_user(session, "owner", "Oscar Owner", None, ["Process Owner"],
                           password_hash=password, **who)
        for o in range(organisations(size)):
            people.create_organisation(session, f"org{o}", f"Customer {o:03d}", **who)
            people.create_user(session, f"cust{o}", f"Customer person {o}", None, ["Customer"],
                               f"org{o}", password_hash=password, **who)
        session.commit()
        conn = session.connection()
        for first in range(0, size, CHUNK):
            _fill(conn, range(first, min(size, first + CHUNK)), versions, now,
                  organisations(size))
        session.commit()
    services.db.dispose()


def _fill(conn, numbers, versions, now, orgs: int) -> None:
    instances, tasks = [], []
    for i in numbers:
        process, lane, name, element = TASKS[lane_of(i)]
        org = f"org{i % orgs}" if process == "sla_agreement" else None
        done = i % 5 == 4
        started = now - timedelta(minutes=(i * 53) % (90 * 24 * 60))
        instances.append(dict(
            id=i + 1, version_id=versions[process], process_id=process,
            status="completed" if done else "running", state="{}",
            serializer_version=SERIALIZER_VERSION, revision=4, started_by="bench",
            organisation=org, title=f"{process.replace('_', ' ')} {i}", started_at=started,
            updated_at=started, completed_at=started if done else None, timers="[]"))
        for step in range(2 if done else 3):
            is_open = step == 2
            assignee = None
            if is_open and i % 10 == 3:
                assignee = f"cust{i % orgs}" if lane == "Customer" else (
                    "manager" if lane == "Service Level Manager" else "owner")
            tasks.append(dict(
                instance_id=i + 1, task_id=f"{i:08d}-0000-0000-0000-{step:012d}",
                element_id=element if is_open else f"earlier_{step}",
                name=name if is_open else f"Earlier step {step}", lane=lane, organisation=org,
                process_id=process, form=None, instructions="", assignee=assignee,
                claimed_at=now if assignee else None, status="ready" if is_open else "completed",
                due_at=now + timedelta(minutes=(i * 37) % (30 * 24 * 60) - 10 * 24 * 60),
                created_at=started, completed_at=None if is_open else started,
                completed_by=None if is_open else "bench"))
    conn.execute(ProcessInstance.__table__.insert(), instances)
    conn.execute(HumanTask.__table__.insert(), tasks)


def login(client, username: str) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)[1]
    response = client.post("/login", data={"csrf_token": token, "username": username,
                                           "password": PASSWORD})
    assert response.status_code == 302, f"login of {username} failed"


def signed_in(url: str) -> tuple:
    """(app, {username: test client signed in}) for the database at ``url``."""
    app = create_app({"SLM_DATABASE_URL": url, "SLM_EMBEDDED_RUNNER": False})
    clients = {}
    for _, username, _ in PAGES:
        if username not in clients:
            clients[username] = app.test_client()
            login(clients[username], username)
    return app, clients


def measure(urls: dict, requests: int, warmup: int) -> tuple[dict, dict]:
    """Wall-clock and CPU milliseconds per request, {size: {who: [ms]}} each.

    The sizes take turns request by request (their order rotating each round), so a busy
    moment of the machine falls on all sizes alike rather than on one of them.
    """
    harness = {size: signed_in(url) for size, url in urls.items()}
    wall = {size: {who: [] for who, _, _ in PAGES} for size in urls}
    cpu = {size: {who: [] for who, _, _ in PAGES} for size in urls}
    order = list(urls)
    gc.collect()
    gc.freeze()  # the apps' long-lived objects stay out of the collector's way, as in a server
    for n in range(warmup + requests):
        order = order[1:] + order[:1]
        for size in order:
            clients = harness[size][1]
            for who, username, path in PAGES:
                started, started_cpu = time.perf_counter(), time.thread_time()
                response = clients[username].get(path)
                elapsed = (time.perf_counter() - started) * 1000
                elapsed_cpu = (time.thread_time() - started_cpu) * 1000
                assert response.status_code == 200 and b'data-testid="task-row"' in response.data
                if n >= warmup:
                    wall[size][who].append(elapsed)
                    cpu[size][who].append(elapsed_cpu)
    gc.unfreeze()
    for app, _ in harness.values():
        app.extensions["slm"].db.dispose()
    return wall, cpu


def percentile(values: list, q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,100000")
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=30)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    people.use_hasher(PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
    now = utcnow()
    with tempfile.TemporaryDirectory() as folder:
        urls = {size: f"sqlite:///{folder}/tasks-{size}.sqlite3" for size in sizes}
        for size, url in urls.items():
            started = time.perf_counter()
            build(url, size, now)
            print(f"{size:>7,} instances: built in {time.perf_counter() - started:.1f} s",
                  flush=True)
        wall, cpu = measure(urls, args.requests, args.warmup)
    p50, p95, cpu_p95 = {}, {}, {}
    for size in sizes:
        key = str(size)
        p50[key] = {w: round(statistics.median(t), 2) for w, t in wall[size].items()}
        p95[key] = {w: round(percentile(t, 95), 2) for w, t in wall[size].items()}
        cpu_p95[key] = {w: round(percentile(t, 95), 2) for w, t in cpu[size].items()}
        print(f"{size:>7,} instances")
        for who in p50[key]:
            print(f"    {who:<18} p50 {p50[key][who]:7.2f} ms   p95 {p95[key][who]:7.2f} ms"
                  f"   (CPU p95 {cpu_p95[key][who]:7.2f} ms)")
    small, large = str(sizes[0]), str(sizes[-1])
    by_actor = {w: round(p95[large][w] / p95[small][w], 2) for w in ("manager", "customer")}
    growth = max(by_actor.values())
    worst = max(p95[s][w] for s in p95 for w in ("manager", "customer"))
    print(f"growth of p95 from {int(small):,} to {int(large):,} instances: "
          + ", ".join(f"{w} {g}" for w, g in by_actor.items()))
    print(json.dumps({"p50_ms": p50, "p95_ms": p95, "growth": growth,
                      "growth_by_actor": by_actor, "cpu_p95_ms": cpu_p95,
                      "requests": args.requests,
                      "targets": {"p95_ms": 50, "growth": 1.5},
                      "ok": worst < 50 and growth < 1.5}))


if __name__ == "__main__":
    main()
