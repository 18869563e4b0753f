"""Writing notifications (and their mails) and reading the notification centre.

Everything here only flushes: the caller's transaction is the step that caused the
notification, so a rolled-back step leaves no notification and no mail behind.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from engine.errors import NotFoundError
from engine.i18n import LazyText, _, written
from handlers.errors import ValidationError
from handlers.paging import Page
from handlers.people.models import User

from .kinds import DEFAULT_CHANNEL, KINDS
from .models import CHANNELS, DigestSetting, MailMessage, Notification, NotificationPreference

MAX_TITLE = 300


NT, MT, PT = Notification.__table__, MailMessage.__table__, NotificationPreference.__table__
_CHOSEN = select(PT.c.user_id, PT.c.channel).where(
    PT.c.kind == bindparam("kind"), PT.c.user_id.in_(bindparam("ids", expanding=True)))
_INSERT_NOTES = NT.insert().returning(NT.c.id, NT.c.user_id, sort_by_parameter_order=True)


def channels_of(session: Session, user_ids: Iterable[int], kind: str) -> dict[int, str]:
    """user id -> channel for ``kind`` (the default where the person chose nothing)."""
    ids = list(user_ids)
    chosen = dict(session.execute(_CHOSEN, {"kind": kind, "ids": ids}).all())
    return {uid: chosen.get(uid, DEFAULT_CHANNEL) for uid in ids}


def notify(session: Session, users: Iterable[User], kind: str, title: str | LazyText, *,
           now: datetime, link: str = "", body: str | LazyText = "") -> list[int]:
    """Tell each of ``users`` (once each) about ``kind``: a notification in their centre and,
    by their preference, a mail in the outbox now or in their daily digest. Returns the
    new notifications' ids. (Core statements: a step may tell many people.) A
    :class:`~engine.i18n.LazyText` title or body is written in each person's language."""
    if kind not in KINDS:
        raise ValueError(_("unknown notification kind %(kind)s", kind=repr(kind)))
    people = {u.id: u for u in users if u.active}
    if not people:
        return []
    channels = channels_of(session, people, kind)
    words = {}
    for language in {u.reading_language for u in people.values()}:
        words[language] = (written(title, language)[:MAX_TITLE], written(body, language))
    text = {uid: words[u.reading_language] for uid, u in people.items()}
    rows = [dict(user_id=uid, kind=kind, title=text[uid][0], body=text[uid][1], link=link,
                 created_at=now, channel=channels[uid])
            for uid in sorted(people) if channels[uid] != "off"]
    if not rows:
        return []
    made = session.execute(_INSERT_NOTES, rows).all()
    mails = [dict(user_id=uid, notification_id=nid, kind=kind,
                  to_addr=people[uid].email, subject=text[uid][0],
                  body=text[uid][1] or text[uid][0], link=link,
                  status="pending", attempts=0, next_attempt_at=now, created_at=now,
                  last_error="", transport="", may_unsubscribe=True)
             for nid, uid in made if channels[uid] == "email" and people[uid].email]
    if mails:
        session.execute(MT.insert(), mails)
    return [nid for nid, _ in made]


def queue_mail(session: Session, user: User, kind: str, subject: str | LazyText,
               body: str | LazyText, *, now: datetime, link: str = "",
               may_unsubscribe: bool = False) -> MailMessage:
    """One mail to ``user`` in the outbox, outside the preferences (account mails), in
    their language."""
    subject, body = (written(subject, user.reading_language),
                     written(body, user.reading_language))
    mail = MailMessage(user_id=user.id, kind=kind, to_addr=user.email, subject=subject[:300],
                       body=body, link=link, status="pending", attempts=0,
                       next_attempt_at=now, created_at=now, may_unsubscribe=may_unsubscribe)
    session.add(mail)
    session.flush()
    return mail


# -- the notification centre ---------------------------------------------------------------
def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def list_notifications(session: Session, user_id: int, page: int = 1,
                       per_page: int = 25) -> Page:
    """The person's notifications, newest first."""
    where = Notification.user_id == user_id
    total = session.scalar(select(func.count()).select_from(Notification).where(where)) or 0
    items = list(session.scalars(select(Notification).where(where).order_by(
        Notification.created_at.desc(), Notification.id.desc())
        .offset((page - 1) * per_page).limit(per_page)))
    return Page(items=items, page=page, per_page=per_page, total=total)


def get_notification(session: Session, user_id: int, notification_id: int) -> Notification:
    """The person's own notification; NotFoundError for anyone else's."""
    n = session.get(Notification, notification_id)
    if n is None or n.user_id != user_id:
        raise NotFoundError(_("notification %(notification_id)s does not exist",
                              notification_id=notification_id))
    return n


def mark_read(session: Session, user_id: int, notification_id: int,
              now: datetime) -> Notification:
    n = get_notification(session, user_id, notification_id)
    if n.read_at is None:
        n.read_at = now
        session.flush()
    return n


def mark_all_read(session: Session, user_id: int, now: datetime) -> int:
    result = session.execute(update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None)).values(read_at=now))
    return result.rowcount


# -- preferences ---------------------------------------------------------------------------
def preferences(session: Session, user_id: int) -> dict[str, str]:
    """kind -> channel for every kind (defaults filled in)."""
    chosen = dict(session.execute(select(NotificationPreference.kind,
                                         NotificationPreference.channel).where(
        NotificationPreference.user_id == user_id)).all())
    return {kind: chosen.get(kind, DEFAULT_CHANNEL) for kind in KINDS}


def set_preference(session: Session, user_id: int, kind: str, channel: str) -> None:
    """Raises ValidationError for an unknown kind or channel."""
    errors = {}
    if kind not in KINDS:
        errors["kind"] = [_("unknown kind %(kind)s", kind=repr(kind))]
    if channel not in CHANNELS:
        errors[kind if kind in KINDS else "channel"] = [
            _("choose one of %(value)s (not %(channel)s)",
              value=', '.join(CHANNELS),
              channel=repr(channel))]
    if errors:
        raise ValidationError(errors)
    row = session.get(NotificationPreference, (user_id, kind))
    if row is None:
        session.add(NotificationPreference(user_id=user_id, kind=kind, channel=channel))
    else:
        row.channel = channel
    session.flush()


def digest_setting(session: Session, user_id: int) -> tuple[str, int]:
    """(time zone, hour) of the person's daily digest (UTC, 8 when never chosen)."""
    row = session.get(DigestSetting, user_id)
    return (row.timezone, row.hour) if row is not None else ("UTC", 8)


def set_digest(session: Session, user_id: int, timezone: str, hour) -> None:
    """When the daily digest goes out: ``hour`` (0-23) in ``timezone`` (IANA name).
    Raises ValidationError naming the wrong field."""
    errors = {}
    timezone = (timezone or "").strip()
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        errors["digest_timezone"] = [_("unknown time zone %(timezone)s (e.g. Europe/Zurich)",
                                       timezone=repr(timezone[:60]))]
    try:
        hour = int(hour)
        if not 0 <= hour <= 23:
            raise ValueError
    except (TypeError, ValueError):
        errors["digest_hour"] = [_("an hour from 0 to 23")]
    if errors:
        raise ValidationError(errors)
    row = session.get(DigestSetting, user_id)
    if row is None:
        session.add(DigestSetting(user_id=user_id, timezone=timezone, hour=hour))
    else:
        row.timezone, row.hour = timezone, hour
    session.flush()
