"""Wiring shared by the web app and the command line: engine, sessions, runner, deploy."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler

from engine.clock import aware, utcnow
from engine.db import is_sqlite, make_engine, make_session_factory
from engine.decisions import decisions_in
from engine.deploy import deploy
from engine.deploy_set import deploy_set, read_dir, read_zip
from engine.heartbeat import beat
from engine.messages import run_messages
from engine.runner import run_due, runner_id
from engine.runtime import Engine
from engine.sealer import run_sealer
from handlers.notifications import events as notification_events
from handlers.notifications.delivery import Delivered, MailSettings, deliver_due
from handlers.notifications.reminders import remind_due_tasks, send_digests
from handlers.people.roles import active_role_names as lane_roles
from handlers.registry import build_registry

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / "workflows"


class Services:
    """One per process: the database engine, a session factory and the process engine."""

    def __init__(self, settings):
        self.settings = settings
        self.db = make_engine(settings.database_url)
        self.sessions = make_session_factory(self.db)
        self.engine = Engine(build_registry(settings.handler_modules))
        from .ops import observe_step  # web processes and runners count their steps

        self.engine.on_step = observe_step
        self.runner = runner_id()
        # steps of this process notify people (in their own transaction: the outbox)
        notification_events.register()

    def form_loader(self, *dirs: Path):
        search = [*dirs, WORKFLOWS, WORKFLOWS / "forms"]

        def load(name: str) -> bytes | None:
            if "/" in name or "\\" in name or name.startswith("."):
                return None  # form names are plain file names, never paths
            for d in search:
                path = d / name
                if path.is_file():
                    return path.read_bytes()
            return None

        return load

    def decisions(self, *dirs: Path):
        """The DMN files beside a diagram and in workflows/dmn, by decision id."""
        return decisions_in(*dirs, WORKFLOWS / "dmn", max_bytes=self.settings.max_diagram_bytes)

    def deploy_set(self, files: dict[str, bytes], actor: str, note: str = "",
                   now: datetime | None = None):
        """Check every file of a set, then store all its diagrams in one transaction."""
        with self.sessions() as session:
            results = self.deploy_set_in(session, files, actor, note, now)
            session.commit()
        return results

    def deploy_set_in(self, session, files: dict[str, bytes], actor: str, note: str = "",
                      now: datetime | None = None, stored=None):
        """deploy_set in ``session`` (flush only); ``stored``: more DMN files, e.g. those
        of deployed versions."""
        installed = self.decisions().fallback

        def fallback() -> dict[str, bytes]:
            return {**installed(), **(stored() if stored is not None else {})}

        return deploy_set(session, files, registry=self.engine.registry,
                          known_lanes=lane_roles(session), actor=actor,
                          now=now or utcnow(), form_loader=self.form_loader(),
                          decision_fallback=fallback,
                          max_bytes=self.settings.max_diagram_bytes, note=note)

    def read_set(self, path: Path) -> dict[str, bytes]:
        """The files of a set to deploy: a folder, or a .zip (engine.set_files' limits)."""
        limit = self.settings.max_diagram_bytes
        if path.is_dir():
            return read_dir(path, max_bytes=limit)
        return read_zip(path.read_bytes(), path.name, max_bytes=limit)

    def deploy_file(self, path: Path, actor: str, now: datetime | None = None):
        with self.sessions() as session:
            results = deploy(session, path.read_bytes(), path.name,
                             registry=self.engine.registry,
                             known_lanes=lane_roles(session),
                             form_loader=self.form_loader(path.parent), actor=actor,
                             now=now or utcnow(),
                             max_bytes=self.settings.max_diagram_bytes,
                             decisions=self.decisions(path.parent))
            session.commit()
        return results

    def run_timers(self, now: datetime | None = None) -> int:
        fired = run_due(self.engine, self.sessions, now or utcnow(), self.runner,
                        claim_ttl=timedelta(seconds=self.settings.claim_ttl))
        # messages thrown by instances, delivered after the thrower's step committed
        run_messages(self.engine, self.sessions, now or utcnow())
        with self.sessions() as session:  # alive: a round went through (see /readyz)
            beat(session, self.runner, utcnow())
            session.commit()
        return fired

    def seal_audit(self) -> int:
        """Seal the audit events committed since the last pass (if this process holds, or
        can take, the sealer's lease)."""
        return run_sealer(self.sessions, self.runner,
                          ttl=timedelta(seconds=self.settings.sealer_lease))

    def mail_settings(self) -> MailSettings:
        return MailSettings(smtp_url=self.settings.smtp_url or None,
                            sender=self.settings.mail_from, base_url=self.settings.base_url,
                            claim_ttl=timedelta(seconds=self.settings.claim_ttl))

    def run_notifications(self, now: datetime | None = None) -> Delivered:
        """Reminders and digests that are due (one transaction), then deliver the outbox."""
        now = now or utcnow()
        with self.sessions() as session:
            remind_due_tasks(session, now,
                             timedelta(hours=self.settings.due_soon_hours),
                             timedelta(hours=self.settings.escalate_after_hours))
            send_digests(session, now)
            session.commit()
        return deliver_due(self.sessions, self.mail_settings(), now, self.runner)

    def run_due_work(self, now: datetime | None = None) -> tuple[int, Delivered]:
        """One runner pass: due timers, then notifications."""
        return self.run_timers(now), self.run_notifications(now)

    def start_scheduler(self, blocking: bool = False):
        """Fire due timers every ``runner_interval`` seconds and seal the audit log every
        ``sealer_interval`` seconds (APScheduler)."""
        if blocking:
            from apscheduler.schedulers.blocking import BlockingScheduler
            scheduler = BlockingScheduler()
        else:
            scheduler = BackgroundScheduler(daemon=True)
        scheduler.add_job(self.run_timers, "interval", seconds=self.settings.runner_interval,
                          id="slm-timers", max_instances=1, coalesce=True,
                          next_run_time=utcnow_aware())
        if not is_sqlite(self.db):  # on SQLite every step seals its own audit events
            scheduler.add_job(self.seal_audit, "interval",
                              seconds=self.settings.sealer_interval, id="slm-sealer",
                              max_instances=1, coalesce=True, next_run_time=utcnow_aware())
        scheduler.add_job(self._notifications_job, "interval",
                          seconds=self.settings.runner_interval, id="slm-notifications",
                          max_instances=1, coalesce=True, next_run_time=utcnow_aware())
        scheduler.start()
        return scheduler

    def _notifications_job(self):
        try:
            self.run_notifications()
        except Exception:  # a bad SMTP URL or a database hiccup must not stop the timers
            log.exception("notification pass failed")


def utcnow_aware():
    return aware(utcnow())
