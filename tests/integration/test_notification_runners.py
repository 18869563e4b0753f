"""Mail delivery by several runner processes: every mail is sent exactly once.

Real ``slm runner --once`` processes against PostgreSQL (``FOR UPDATE SKIP LOCKED``
claims) and a real SMTP server on loopback. One runner is killed (SIGKILL) while it holds
claims and is in the middle of sending; its claims expire and the others send its mails.
Time is given by ``--now``, never by sleeping.
"""
from __future__ import annotations

import os
import signal
import subprocess
from collections import Counter
from datetime import timedelta
from pathlib import Path

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


def test_three_runners_and_a_killed_one_send_every_mail_exactly_once(pg_url):
    db = make_engine(pg_url)
    factory = make_session_factory(db)
    try:
        total = _people_and_mail(factory)
        assert total == PEOPLE * len(KINDS)
        with SmtpSink() as sink:
            sink.hold = True  # the doomed runner's messages stall, then are refused
            doomed = _runner(pg_url, sink.url, T0)
            assert sink.holding.wait(120), "the doomed runner never sent"
            doomed.send_signal(signal.SIGKILL)
            doomed.communicate(timeout=30)
            sink.unhold()
            with factory() as s:  # it died holding claims
                held = s.scalar(select(func.count()).select_from(MailMessage).where(
                    MailMessage.claimed_by.is_not(None)))
            assert held > 0
            later = T0 + TTL + timedelta(seconds=1)
            procs = [_runner(pg_url, sink.url, later) for _ in range(3)]
            for p in procs:
                out, err = p.communicate(timeout=300)
                assert p.returncode == 0, f"runner failed:\n{out}\n{err}"
                assert "Traceback" not in err, err
            sink.wait_for(total)
            ids = Counter(m["X-SLM-Mail-Id"] for _, m in sink.messages)
        assert len(ids) == total
        assert {k: v for k, v in ids.items() if v != 1} == {}
        with factory() as s:
            assert Counter(s.scalars(select(MailMessage.status))) == {"sent": total}
            sent = s.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.kind == "notification_sent"))
            assert sent == total
            assert verify_chain(s).ok
    finally:
        db.dispose()
