"""Operations: readiness (``/readyz``) and Prometheus metrics (``/metrics``).

Liveness is ``/healthz`` (web/home.py): the process answers, nothing else is asked. A
load balancer or orchestrator sends traffic only while ``/readyz`` answers 200: the
database is reachable, its schema is at the newest migration, and a runner has reported
a round recently (``runner_heartbeat``, written by ``slm runner`` and the embedded runner).

``/metrics`` is for Admins and Auditors signed in, and for a scraper that sends
``Authorization: Bearer $SLM_METRICS_TOKEN`` (no token configured: no token is accepted,
anonymous requests go to the login page). Two kinds of figures:

* this process's engine steps (``slm_engine_steps_total``, ``slm_engine_step_seconds``):
  per process, so under gunicorn set ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's
  multiprocess mode) and the workers and runners of one machine are summed;
* the cluster's state, read from the database at each scrape: ready human tasks, due
  and waiting timers, timer lag, open incidents, unsealed audit events, runner heartbeat,
  and the notification backlog: mails waiting in the outbox, how long the oldest due one
  has waited, and mails given up on.
"""
from __future__ import annotations

import os

from flask import Blueprint, Response, current_app, jsonify
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import func, select, text

from engine.audit import queued_count
from engine.clock import utcnow
from engine.heartbeat import last_beat
from engine.models import DueTimer, HumanTask, Incident
from engine.schema import revisions
from handlers.notifications.models import MailMessage

from . import db_session
from .auth.access import public, token_or_roles

bp = Blueprint("ops", __name__)

STEPS = Counter("slm_engine_steps", "Engine steps saved by this process (rate: steps/s).")
STEP_SECONDS = Histogram(
    "slm_engine_step_seconds", "Time of an engine step, from loading the instance to saving it.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0))


def observe_step(seconds: float) -> None:
    STEPS.inc()
    STEP_SECONDS.observe(seconds)


class DatabaseCollector:
    """The cluster's queues and backlogs, read from the database when scraped."""

    def __init__(self, session, now):
        self.session, self.now = session, now

    def collect(self):
        s, now = self.session, self.now

        def gauge(name, doc, value):
            family = GaugeMetricFamily(name, doc)
            family.add_metric([], float(value or 0))
            return family

        count = lambda stmt: s.scalar(stmt) or 0  # noqa: E731
        yield gauge("slm_human_tasks_ready", "Human tasks waiting for someone.",
                    count(select(func.count()).select_from(HumanTask)
                          .where(HumanTask.status == "ready")))
        yield gauge("slm_timers_waiting", "Timers not fired yet (due or not).",
                    count(select(func.count()).select_from(DueTimer)))
        yield gauge("slm_timers_due", "Timers due now and not fired yet.",
                    count(select(func.count()).select_from(DueTimer)
                          .where(DueTimer.due_at <= now)))
        oldest = s.scalar(select(func.min(DueTimer.due_at)).where(DueTimer.due_at <= now))
        yield gauge("slm_timer_lag_seconds",
                    "How long the oldest due timer has been waiting (0: none is due).",
                    (now - oldest).total_seconds() if oldest else 0)
        yield gauge("slm_incidents_open", "Open incidents (instances waiting in error).",
                    count(select(func.count()).select_from(Incident)
                          .where(Incident.status == "open")))
        yield gauge("slm_audit_unsealed_events", "Audit events waiting for the sealer.",
                    queued_count(s))
        pending = MailMessage.status == "pending"
        yield gauge("slm_notification_backlog",
                    "Mails in the outbox waiting to be sent (new or to be retried).",
                    count(select(func.count()).select_from(MailMessage).where(pending)))
        due = s.scalar(select(func.min(MailMessage.next_attempt_at)).where(
            pending, MailMessage.next_attempt_at <= now))
        yield gauge("slm_notification_backlog_age_seconds",
                    "How long the oldest mail due to be sent has waited (0: none is due).",
                    (now - due).total_seconds() if due else 0)
        yield gauge("slm_notifications_failed",
                    "Mails given up on after every attempt (the admin sees them in the outbox).",
                    count(select(func.count()).select_from(MailMessage)
                          .where(MailMessage.status == "failed")))
        beat = last_beat(s)
        if beat is not None:
            yield gauge("slm_runner_heartbeat_age_seconds",
                        "Seconds since a runner last finished a round.",
                        (now - beat).total_seconds())


@bp.get("/readyz")
@public
def ready():
    session, checks = db_session(), {}
    try:
        session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # any failure means "not reachable"; no details leak
        session.rollback()
        checks["database"] = f"unreachable ({type(exc).__name__})"
        return jsonify(status="not ready", checks=checks), 503
    current, head = revisions(session.connection())
    if current != head:  # the heartbeat table may not even exist yet
        checks["migrations"] = (f"the database is at {current or 'no revision'}, the code "
                                f"needs {head}: run `slm db upgrade`")
        return jsonify(status="not ready", checks=checks), 503
    checks["migrations"] = "ok"
    max_age = float(current_app.config.get(
        "SLM_READY_HEARTBEAT_AGE", current_app.extensions["slm"].settings.ready_heartbeat_age))
    beat = last_beat(session)
    if beat is None:
        checks["runner"] = "no runner has reported yet (start `slm runner`)"
    else:
        age = (utcnow() - beat).total_seconds()
        checks["runner"] = "ok" if age <= max_age else (
            f"the last runner round was {age:.0f} s ago (more than {max_age:.0f} s)")
    ok = all(v == "ok" for v in checks.values())
    return jsonify(status="ready" if ok else "not ready", checks=checks), 200 if ok else 503


@bp.get("/metrics")
@token_or_roles("SLM_METRICS_TOKEN", "Admin", "Auditor")
def metrics():
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    cluster = CollectorRegistry()
    cluster.register(DatabaseCollector(db_session(), utcnow()))
    return Response(body + generate_latest(cluster), mimetype=CONTENT_TYPE_LATEST)
