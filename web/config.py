"""Configuration from the environment (documented in README.md)."""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field

from engine import sealer
from engine.db import database_url


@dataclass
class Settings:
    database_url: str = field(default_factory=lambda: database_url())
    secret_key: str = field(default_factory=lambda: os.environ.get("SLM_SECRET_KEY", ""))
    #: run the timer runner inside the web process (the embedded default)
    embedded_runner: bool = field(default_factory=lambda: os.environ.get(
        "SLM_EMBEDDED_RUNNER", "1") not in ("0", "false", "no"))
    runner_interval: float = field(default_factory=lambda: float(os.environ.get(
        "SLM_RUNNER_INTERVAL", "5")))
    claim_ttl: float = field(default_factory=lambda: float(os.environ.get(
        "SLM_CLAIM_TTL", "300")))
    #: seal committed audit events this often; a dead sealer's lease expires after
    #: ``sealer_lease`` seconds and another runner takes over
    sealer_interval: float = field(default_factory=lambda: float(os.environ.get(
        "SLM_SEALER_INTERVAL", str(sealer.DEFAULT_INTERVAL))))
    sealer_lease: float = field(default_factory=lambda: float(os.environ.get(
        "SLM_SEALER_LEASE", "30")))
    #: /readyz: a runner must have finished a round within this many seconds
    ready_heartbeat_age: float = field(default_factory=lambda: float(os.environ.get(
        "SLM_READY_HEARTBEAT_AGE", "60")))
    #: /metrics: a scraper sending this as a bearer token may read the metrics
    metrics_token: str = field(default_factory=lambda: os.environ.get("SLM_METRICS_TOKEN", ""))
    max_diagram_bytes: int = field(default_factory=lambda: int(os.environ.get(
        "SLM_MAX_DIAGRAM_BYTES", str(2 * 1024 * 1024))))

    #: mail: SMTP server URL (none: the outbox the admin reads in the browser), sender,
    #: the address links in mails point at
    smtp_url: str = field(default_factory=lambda: os.environ.get("SLM_SMTP_URL", "").strip())
    mail_from: str = field(default_factory=lambda: os.environ.get(
        "SLM_MAIL_FROM", "SLM <slm@localhost>"))
    base_url: str = field(default_factory=lambda: os.environ.get(
        "SLM_BASE_URL", "http://127.0.0.1:5000"))
    #: reminders: a task is "due soon" this many hours before its due time; an overdue task
    #: goes to the process owner this many hours after it
    due_soon_hours: float = field(default_factory=lambda: float(os.environ.get(
        "SLM_DUE_SOON_HOURS", "24")))
    escalate_after_hours: float = field(default_factory=lambda: float(os.environ.get(
        "SLM_ESCALATE_AFTER_HOURS", "24")))
    #: account links (invitation, password reset) expire after this many hours
    link_hours: float = field(default_factory=lambda: float(os.environ.get(
        "SLM_LINK_HOURS", "48")))

    #: extra modules with ``register(registry)`` adding handlers (comma-separated)
    handler_modules: tuple = field(default_factory=lambda: tuple(
        m.strip() for m in os.environ.get("SLM_HANDLER_MODULES", "").split(",") if m.strip()))

    def flask_config(self) -> dict:
        # Without SLM_SECRET_KEY a random key is used: sessions do not survive a restart,
        # but no secret is ever committed or shared between installs.
        return {
            "SECRET_KEY": self.secret_key or secrets.token_hex(32),
            "SQLALCHEMY_DATABASE_URI": self.database_url,
            "SLM_SETTINGS": self,
            "SLM_METRICS_TOKEN": self.metrics_token,
        }
