"""Notification throughput: events through the outbox to a real SMTP server on loopback.

A fresh SQLite file (migrated), ``--people`` users with mail addresses and ``--events``
events, each telling one person about one thing (``notify``: the notification in the
centre and its mail in the outbox, written in transactions of ``--batch`` events as steps
would), then ``deliver_due`` sends the outbox over SMTP to an aiosmtpd server in this
process of its own. Timed: from the first event written to the last mail accepted by the server.
``duplicates`` counts mails that arrived more than once (by their X-SLM-Mail-Id header);
``missing`` those that never arrived. ``cpu_seconds`` (this process, all threads) and
``smtp_server_cpu_seconds`` say how much of the wall-clock time was work, and
``load_average`` how busy the machine was. The last line of output is a JSON object.

Run: ``.venv/bin/python bench/notifications.py [--events 10000] [--people 1000]``.
"""
from __future__ import annotations

import sys
from pathlib import Path

_ROOT = Path(__file__).resolve().parent.parent
for extra in (_ROOT, _ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from datetime import datetime  # noqa: E402

from smtp_sink import free_port  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from engine.db import make_engine, make_session_factory  # noqa: E402
from engine.schema import upgrade  # noqa: E402
from handlers.notifications.delivery import MailSettings, deliver_due  # noqa: E402
from handlers.notifications.kinds import KINDS  # noqa: E402
from handlers.notifications.models import MailMessage  # noqa: E402
from handlers.notifications.operations import notify  # noqa: E402
from handlers.people.models import Role, User  # noqa: E402

T0 = datetime(2026, 3, 2, 9, 0)
SINK = _ROOT / "tests" / "smtp_sink.py"


def _wait_listening(port: int) -> None:
    import socket

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"the SMTP server on port {port} did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--people", type=int, default=1_000)
    parser.add_argument("--batch", type=int, default=100, help="events per transaction")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite3"
        upgrade(url)
        db = make_engine(url)
        factory = make_session_factory(db)
        with factory() as s:
            manager = s.scalar(select(Role).where(Role.name == "Service Level Manager"))
            s.add_all(User(username=f"p{i}", display_name=f"Person {i}",
                           email=f"p{i}@example.test", password_hash="-",
                           role_rows=[manager]) for i in range(args.people))
            s.commit()
            users = list(s.scalars(select(User).order_by(User.id)))
        kinds = list(KINDS)
        port, ids_file = free_port(), Path(tmp) / "arrived.txt"
        ids_file.touch()
        sink = subprocess.Popen([sys.executable, str(SINK), str(port), str(ids_file)])
        try:
            _wait_listening(port)
            start, cpu_start = time.perf_counter(), time.process_time()
            for first in range(0, args.events, args.batch):
                with factory() as s:
                    for e in range(first, min(first + args.batch, args.events)):
                        notify(s, [users[e % len(users)]], kinds[e % len(kinds)],
                               f"Event {e}", now=T0, link=f"/tasks/{e}")
                    s.commit()
            written_at = time.perf_counter()
            result = deliver_due(factory, MailSettings(smtp_url=f"smtp://127.0.0.1:{port}"),
                                 T0, "bench")
            deadline = time.monotonic() + 60
            while (len(ids_file.read_bytes().splitlines()) < result.sent
                   and time.monotonic() < deadline):
                time.sleep(0.01)
            seconds = time.perf_counter() - start
            cpu = time.process_time() - cpu_start
        finally:
            sink.terminate()
            sink.wait(30)
        sink_cpu = sum(getattr(resource.getrusage(resource.RUSAGE_CHILDREN), f)
                       for f in ("ru_utime", "ru_stime"))
        arrived = Counter(ids_file.read_text().split())
        with factory() as s:
            written = s.scalar(select(func.count()).select_from(MailMessage))
            sent = s.scalar(select(func.count()).select_from(MailMessage).where(
                MailMessage.status == "sent"))
        db.dispose()
    report = {"events": args.events, "people": args.people, "mails_written": written,
              "mails_sent": sent, "arrived": len(arrived),
              "missing": written - len(arrived),
              "duplicates": sum(n - 1 for n in arrived.values()),
              "retried": result.retried, "failed": result.failed,
              "seconds": round(seconds, 3),
              "write_seconds": round(written_at - start, 3),
              "cpu_seconds": round(cpu, 3), "smtp_server_cpu_seconds": round(sink_cpu, 3),
              "load_average": round(os.getloadavg()[0], 2),
              "events_per_second": round(args.events / seconds, 1)}
    print(f"{args.events} events for {args.people} people: {seconds:.2f} s, "
          f"{report['events_per_second']} events/s, {report['duplicates']} duplicates, "
          f"{report['missing']} missing")
    print(json.dumps(report))


if __name__ == "__main__":
    main()
