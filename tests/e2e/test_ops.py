"""Operations endpoints on the real app (SQLite and PostgreSQL).

- ``/healthz`` answers while the process lives, without asking the database;
- ``/readyz`` is 503 until a runner has reported, 200 with a fresh heartbeat, 503 again
  when the heartbeat is stale or the schema is behind the code;
- ``/metrics`` is refused to anonymous users (login page), to roles other than Admin and
  Auditor (403), to a wrong token (401), and open to the configured scraper token; its
  figures follow the database (ready tasks, due timers and their lag, open incidents,
  unsealed audit events, runner heartbeat, the notification backlog) and count the
  engine steps of the process.
"""
from __future__ import annotations

import uuid
from datetime import timedelta

from alembic.script import ScriptDirectory
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from engine.clock import utcnow
from engine.heartbeat import beat
from engine.models import DueTimer, HumanTask
from engine.schema import alembic_config, downgrade, upgrade
from handlers.notifications.models import MailMessage
from handlers.notifications.operations import queue_mail
from handlers.people.models import User

from . import sla_world
from .support import client_login, make_app


def figures(body: str) -> dict[str, float]:
    return {s.name: s.value for f in text_string_to_metric_families(body) for s in f.samples}


def heartbeat(app, at) -> None:
    with app.extensions["slm"].sessions() as s:
        beat(s, "runner-1", at)
        s.commit()


def test_healthz_answers_without_the_database(db_url):
    app = make_app("postgresql+psycopg://nobody@127.0.0.1:1/none")  # unreachable
    response = app.test_client().get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 503
    assert ready.get_json()["checks"]["database"].startswith("unreachable")
    assert "nobody" not in ready.get_data(as_text=True)  # no connection details leak


def test_readyz_follows_the_runner_heartbeat_and_the_schema(app, db_url):
    client = app.test_client()
    first = client.get("/readyz")
    assert first.status_code == 503
    assert first.get_json()["checks"] == {
        "database": "ok", "migrations": "ok",
        "runner": "no runner has reported yet (start `slm runner`)"}
    app.extensions["slm"].run_timers()  # a runner round writes the heartbeat
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.get_json()["status"] == "ready"
    heartbeat(app, utcnow() - timedelta(minutes=5))
    with app.extensions["slm"].sessions() as s:
        s.execute(text("DELETE FROM runner_heartbeat WHERE runner <> 'runner-1'"))
        s.commit()
    stale = client.get("/readyz")
    assert stale.status_code == 503 and "s ago (more than 60 s)" in stale.get_json()[
        "checks"]["runner"]
    heartbeat(app, utcnow())
    assert client.get("/readyz").status_code == 200
    app.extensions["slm"].db.dispose()
    downgrade(db_url, "0004")
    try:
        behind = client.get("/readyz")
        assert behind.status_code == 503
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert behind.get_json()["checks"]["migrations"] == (
            f"the database is at 0004, the code needs {head}: run `slm db upgrade`")
    finally:
        app.extensions["slm"].db.dispose()
        upgrade(db_url)


def test_metrics_are_for_admins_auditors_and_the_scraper_token(db_url, demo):
    app = make_app(db_url, SLM_METRICS_TOKEN="scrape-secret-123")
    anonymous = app.test_client().get("/metrics")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    wrong = app.test_client().get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    scraper = app.test_client().get("/metrics",
                                    headers={"Authorization": "Bearer scrape-secret-123"})
    assert scraper.status_code == 200 and "slm_timers_due" in scraper.get_data(as_text=True)
    for role, code in (("Admin", 200), ("Auditor", 200), ("Customer", 403),
                       ("Service Level Manager", 403), ("Process Owner", 403)):
        client = app.test_client()
        client_login(client, demo.users[role])
        assert client.get("/metrics").status_code == code, role
    untokened = make_app(db_url)  # no token configured: none is accepted
    assert untokened.test_client().get("/metrics", headers={
        "Authorization": "Bearer "}).status_code == 401
    app.extensions["slm"].db.dispose()
    untokened.extensions["slm"].db.dispose()


def test_metrics_follow_the_database_and_count_steps(app, demo, db_url):
    client = app.test_client()
    client_login(client, demo.users["Admin"])
    before = figures(client.get("/metrics").get_data(as_text=True))
    assert before["slm_human_tasks_ready"] == 0 and before["slm_timers_due"] == 0
    assert before["slm_timer_lag_seconds"] == 0 and before["slm_incidents_open"] == 0
    assert before["slm_notification_backlog"] == before["slm_notifications_failed"] == 0
    assert before["slm_notification_backlog_age_seconds"] == 0
    steps = before.get("slm_engine_steps_total", 0)
    sla_world.build_catalogue(app)
    _, iid = sla_world.submit(app, demo, demo.users["Customer"], "Mail for the metrics")
    with app.extensions["slm"].sessions() as s:
        ready = s.query(HumanTask).filter(HumanTask.status == "ready").count()
        s.add(DueTimer(instance_id=iid, task_id=str(uuid.uuid4()), element_id="reminder",
                       due_at=utcnow() - timedelta(minutes=10)))  # overdue by ten minutes
        s.commit()
    heartbeat(app, utcnow() - timedelta(seconds=30))
    after = figures(client.get("/metrics").get_data(as_text=True))
    assert ready >= 1 and after["slm_human_tasks_ready"] == ready
    assert after["slm_engine_steps_total"] > steps
    assert (after["slm_engine_step_seconds_count"] - before.get("slm_engine_step_seconds_count", 0)
            == after["slm_engine_steps_total"] - steps)
    assert 29 <= after["slm_runner_heartbeat_age_seconds"] < 120
    assert after["slm_timers_due"] == after["slm_timers_waiting"] == 1
    assert 590 <= after["slm_timer_lag_seconds"] < 700
    with app.extensions["slm"].sessions() as s:  # the outbox: due, to be retried, failed
        admin, now = s.get(User, demo.users["Admin"].id), utcnow()
        for minutes in (-5, 60, -1):  # due five minutes ago, retried in an hour, given up
            queue_mail(s, admin, "invitation", "Welcome", "Hello", now=now + timedelta(
                minutes=minutes))
        s.query(MailMessage).filter(MailMessage.next_attempt_at > now - timedelta(
            minutes=2), MailMessage.next_attempt_at < now).update({"status": "failed"})
        s.commit()
    mails = figures(client.get("/metrics").get_data(as_text=True))
    assert mails["slm_notification_backlog"] == after["slm_notification_backlog"] + 2
    assert mails["slm_notifications_failed"] == 1
    assert 290 <= mails["slm_notification_backlog_age_seconds"] < 400
    unsealed = 0 if db_url.startswith("sqlite") else after["slm_audit_unsealed_events"]
    assert after["slm_audit_unsealed_events"] == unsealed
    if db_url.startswith("postgresql"):
        assert unsealed > 0  # the test app runs no sealer
