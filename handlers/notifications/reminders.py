"""The runner's notification pass: due-soon and overdue reminders, escalation to the
process owner, and the daily digests.

Each reminder is given once: a marker row (``notification_once``) written in the same
transaction as the notification; two runners racing on it give one winner (the primary
key), the other's savepoint rolls back and tells nobody.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.i18n import LazyText, _, lazy_gettext, ngettext, use_language
from engine.models import HumanTask
from handlers.people.models import User

from .events import people_named, people_with_role
from .models import DigestSetting, MailMessage, Notification, OnceMarker
from .operations import notify

DEFAULT_DUE_SOON = timedelta(hours=24)
DEFAULT_ESCALATE_AFTER = timedelta(hours=24)


def once(session: Session, key: str, now: datetime) -> bool:
    """True the first time ``key`` is seen (and remembers it in the caller's transaction)."""
    if session.get(OnceMarker, key) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(OnceMarker(key=key[:200], created_at=now))
    except IntegrityError:
        return False
    return True


def _workers(session: Session, task: HumanTask) -> list[User]:
    if task.assignee:
        return people_named(session, [task.assignee])
    return people_with_role(session, task.lane or "", task.organisation)


def remind_due_tasks(session: Session, now: datetime, due_soon: timedelta = DEFAULT_DUE_SOON,
                     escalate_after: timedelta = DEFAULT_ESCALATE_AFTER) -> int:
    """Tell assignees (or the role's queue) of tasks due within ``due_soon`` and of overdue
    tasks; tell process owners of tasks overdue for longer than ``escalate_after``. Each
    once per task. Returns how many reminders were given; the caller commits."""
    given = 0
    tasks = session.scalars(select(HumanTask).where(
        HumanTask.status == "ready", HumanTask.due_at.is_not(None),
        HumanTask.due_at <= now + due_soon))
    for task in tasks:
        link = f"/tasks/{task.id}"
        due = f"{task.due_at:%Y-%m-%d %H:%M} UTC"  # ISO: every reader can read it
        if task.due_at > now:
            if once(session, f"task:{task.id}:due_soon", now):
                notify(session, _workers(session, task), "task_due_soon",
                       lazy_gettext("Due soon: %(name)s", name=task.name), now=now, link=link,
                       body=lazy_gettext("The task “%(name)s” is due at %(due)s.",
                                         name=task.name, due=due))
                given += 1
            continue
        if once(session, f"task:{task.id}:overdue", now):
            notify(session, _workers(session, task), "task_overdue",
                   lazy_gettext("Overdue: %(name)s", name=task.name), now=now, link=link,
                   body=lazy_gettext("The task “%(name)s” was due at %(due)s.",
                                     name=task.name, due=due))
            given += 1
        if task.due_at + escalate_after <= now and once(session, f"task:{task.id}:escalated",
                                                          now):
            notify(session, people_with_role(session, "Process Owner"), "task_escalated",
                   lazy_gettext("Escalated: %(name)s", name=task.name), now=now, link=link,
                   body=lazy_gettext("The task “%(name)s” (%(lane)s, %(assignee)s) is overdue "
                                     "since %(due)s.", name=task.name,
                                     lane=LazyText(task.lane or ""),
                                     assignee=task.assignee or LazyText("unclaimed"),
                                     due=due))
            given += 1
    return given


def _zone(name: str):
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def send_digests(session: Session, now: datetime) -> int:
    """One mail per person whose digest hour has come today (their time zone) and who has
    notifications waiting for it. Returns how many digests were queued; caller commits."""
    waiting = session.execute(select(Notification).where(
        Notification.channel == "digest", Notification.digested_at.is_(None))
        .order_by(Notification.user_id, Notification.id)).scalars().all()
    by_user: dict[int, list[Notification]] = {}
    for n in waiting:
        by_user.setdefault(n.user_id, []).append(n)
    queued = 0
    for user_id, items in by_user.items():
        setting = session.get(DigestSetting, user_id) or DigestSetting(
            user_id=user_id, timezone="UTC", hour=8)
        local = now.replace(tzinfo=ZoneInfo("UTC")).astimezone(_zone(setting.timezone))
        if local.hour < setting.hour or setting.last_sent_on == local.date():
            continue
        user = session.get(User, user_id)
        if user is None or not user.active or not user.email:
            continue
        lines = [f"- {n.created_at:%Y-%m-%d %H:%M} {n.title}"
                 + (f" ({n.link})" if n.link else "") for n in items]
        with use_language(user.reading_language):
            subject = ngettext("SLM: %(num)s notification of the day",
                               "SLM: %(num)s notifications of the day", len(items))
            body = _("Your daily digest:") + "\n" + "\n".join(lines)
        session.add(MailMessage(
            user_id=user_id, kind="digest", to_addr=user.email,
            subject=subject, body=body, link="/notifications",
            status="pending", attempts=0, next_attempt_at=now, created_at=now,
            may_unsubscribe=False))
        for n in items:
            n.digested_at = now
        setting.last_sent_on = local.date()
        session.merge(setting)
        queued += 1
    session.flush()
    return queued
