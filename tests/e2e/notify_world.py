"""Helpers for the notification tests: mail addresses for the demo people, a second
manager, and a runner pass against the loopback SMTP server."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import select, update

from engine.clock import utcnow
from handlers.notifications.delivery import deliver_due
from handlers.notifications.models import MailMessage, Notification
from handlers.people import operations as people
from handlers.people.models import User

from .support import SETUP


def address(username: str) -> str:
    return f"{username}@example.test"


def give_addresses(app, demo) -> None:
    """Every demo person gets ``<username>@example.test``; plus ``manager2`` (a second
    service level manager) and ``acme2`` (a second Acme customer)."""
    with app.extensions["slm"].sessions() as s:
        people.create_user(s, "manager2", "Max Manager", None, ["Service Level Manager"],
                           "it", email=address("manager2"),
                           password_hash=people.hash_password("x" * 12), **SETUP)
        people.create_user(s, "acme2", "Anna Acme", None, ["Customer"], "acme",
                           email=address("acme2"),
                           password_hash=people.hash_password("x" * 12), **SETUP)
        for user in s.scalars(select(User)):
            s.execute(update(User).where(User.id == user.id).values(
                email=address(user.username)))
        s.commit()


def deliver(app, smtp_url: str | None, now: datetime | None = None):
    services = app.extensions["slm"]
    settings = replace(services.mail_settings(), smtp_url=smtp_url)
    return deliver_due(services.sessions, settings, now or utcnow(), services.runner)


def notified(app, kind: str) -> list[str]:
    """Usernames told about ``kind`` (in the centre), sorted."""
    with app.extensions["slm"].sessions() as s:
        return sorted(s.scalars(select(User.username).join(
            Notification, Notification.user_id == User.id).where(Notification.kind == kind)))


def mails(app) -> list[MailMessage]:
    with app.extensions["slm"].sessions() as s:
        return list(s.scalars(select(MailMessage).order_by(MailMessage.id)))
