"""Mail delivery by several runner processes: every mail is sent exactly once.

Real runner processes against PostgreSQL (``FOR UPDATE SKIP LOCKED`` claims) and a real
SMTP server on loopback. One runner (tests/data/mail_and_hang.py: the product's delivery
with one connection) is stopped at an exact point of sending a mail and killed (SIGKILL)
there, while three ``slm runner --once`` processes send the rest; after its claims expire
three more take over. Every message the server received is counted. Time is given by
``--now``, never by sleeping.

Killed at (the mail in flight; expected):

- ``claimed`` (claims committed, nothing sent): sent once by a later runner;
- ``content`` (content on the wire, no end-of-data line: the server drops the unfinished
  DATA): pending and claimed, sent once by a later runner;
- ``accepted`` (the server accepted it, not yet marked sent): left ``sending``, taken over
  as uncertain, never sent again: it arrived once;
- ``sending`` (marked sending, the end-of-data line not yet written): uncertain, never
  sent again: the one mail per connection that SMTP can lose (README, Notifications).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import T0
from smtp_sink import SmtpSink
from sqlalchemy import func, select

from engine.audit import verify_chain
from engine.db import make_engine, make_session_factory
from engine.models import AuditEvent
from handlers.notifications.models import MailMessage
from handlers.notifications.operations import notify
from handlers.people.models import Role, User

ROOT = Path(__file__).resolve().parents[2]
SLM = ROOT / ".venv" / "bin" / "slm"
HANG = ROOT / "tests" / "data" / "mail_and_hang.py"
TTL = timedelta(minutes=5)
PEOPLE, KINDS = 120, ("task_ready", "task_assigned", "review_due", "change_request")


def _people_and_mail(factory) -> int:
    with factory() as s:
        manager = s.scalar(select(Role).where(Role.name == "Service Level Manager"))
        users = [User(username=f"p{i}", display_name=f"Person {i}", email=f"p{i}@example.test",
                      password_hash="not-a-hash", role_rows=[manager])
                 for i in range(PEOPLE)]
        s.add_all(users)
        s.flush()
        for kind in KINDS:
            notify(s, users, kind, f"{kind} for everyone", now=T0, link="/tasks")
        s.commit()
        return s.scalar(select(func.count()).select_from(MailMessage))


def _runner(url: str, smtp: str, now) -> subprocess.Popen:
    env = dict(os.environ, SLM_DATABASE_URL=url, SLM_SMTP_URL=smtp,
               SLM_CLAIM_TTL=str(TTL.total_seconds()), PYTHONDONTWRITEBYTECODE="1")
    return subprocess.Popen([str(SLM), "runner", "--once", "--now", now.isoformat()],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _doomed(url: str, smtp: str, point: str, after: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, str(HANG), url, smtp, T0.isoformat(), str(TTL.total_seconds()),
         point, str(after)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env=dict(os.environ, PYTHONDONTWRITEBYTECODE="1"))


def _run_all(procs) -> None:
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, f"runner failed:\n{out}\n{err}"
        assert "Traceback" not in err, err


@pytest.mark.parametrize("point", ["claimed", "content", "accepted", "sending"])
def test_three_runners_and_a_killed_one_send_every_mail_exactly_once(pg_url, point):
    db = make_engine(pg_url)
    factory = make_session_factory(db)
    try:
        total = _people_and_mail(factory)
        assert total == PEOPLE * len(KINDS)
        with SmtpSink() as sink:
            doomed = _doomed(pg_url, sink.url, point, 1 if point == "claimed" else 3)
            line = doomed.stdout.readline()
            assert line.startswith(f"at {point}"), line + doomed.stderr.read()
            _run_all([_runner(pg_url, sink.url, T0) for _ in range(3)])  # meanwhile
            doomed.send_signal(signal.SIGKILL)
            doomed.communicate(timeout=30)
            with factory() as s:  # it died holding claims
                held = set(s.scalars(select(MailMessage.id).where(
                    MailMessage.claimed_by == "doomed")))
            assert held
            later = T0 + TTL + timedelta(seconds=1)
            _run_all([_runner(pg_url, sink.url, later) for _ in range(3)])
            sink.wait_for(total - (point == "sending"))
            with sink.lock:
                ids = Counter(m["X-SLM-Mail-Id"] for _, m in sink.messages)
                message_ids = Counter(m["Message-ID"] for _, m in sink.messages)
        assert {k: v for k, v in ids.items() if v != 1} == {}  # nothing twice
        assert len(message_ids) == len(ids)
        with factory() as s:
            states = Counter(s.scalars(select(MailMessage.status)))
            uncertain = list(s.scalars(select(MailMessage.id).where(
                MailMessage.status == "uncertain")))
            audited = [json.loads(e.data) for e in s.scalars(select(AuditEvent).where(
                AuditEvent.kind == "notification_sent"))]
            assert verify_chain(s).ok
        # every mail is in the audit log as sent, once
        assert sorted(a["mail_id"] for a in audited) == sorted(_all_ids(factory))
        if point in ("claimed", "content"):  # sent again by another runner, once
            assert states == {"sent": total}
            assert len(ids) == total
            assert all(a["confirmed"] for a in audited)
        elif point == "accepted":  # the server had it: not sent again
            assert states == {"sent": total - 1, "uncertain": 1}
            assert len(ids) == total
            assert ids[str(uncertain[0])] == 1
        else:  # the documented loss: handed over, the end-of-data line never went out
            assert states == {"sent": total - 1, "uncertain": 1}
            assert len(ids) == total - 1 and str(uncertain[0]) not in ids
        assert [a["mail_id"] for a in audited if not a["confirmed"]] == uncertain
    finally:
        db.dispose()


def _all_ids(factory) -> list[int]:
    with factory() as s:
        return list(s.scalars(select(MailMessage.id)))
