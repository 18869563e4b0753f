"""Delivering the outbox: claim due mails, send them, mark them sent, once.

Any number of runners may call :func:`deliver_due` at once. A runner claims a batch of due
mails with an expiring claim (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; a conditional
UPDATE on SQLite, which has one writer) and commits the claim; it then sends them over a few
SMTP connections at once (threads; only the runner's own thread writes the database) and
marks each chunk sent (only while the claim is still its own) with an
audit event per mail. A runner that dies leaves claims that expire; another runner then
sends those mails. An SMTP failure never touches the step that wrote the mail: the mail
stays pending and is tried again with exponential backoff, then marked failed (the admin
sees it in the outbox page).

The one window no SMTP client can close: a runner that dies after the server accepted a
mail and before its chunk is marked sent. That chunk (at most ``CHUNK`` mails) is sent
again after the claim expires; each message carries ``X-SLM-Mail-Id`` so that receivers
can tell.
"""
from __future__ import annotations

import logging
import queue
import smtplib
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import SimpleNamespace

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from engine.audit import AuditTrail
from engine.clock import as_utc
from handlers.people.models import Organisation, User

from .mailer import SmtpConfig, build_message, signing_key
from .models import MailMessage

log = logging.getLogger(__name__)
MM = MailMessage.__table__
CHUNK = 25
#: what sending needs of a mail, copied out of the session (commits expire its objects)
_FIELDS = ("id", "user_id", "notification_id", "kind", "to_addr", "subject", "body", "link",
           "attempts", "may_unsubscribe")
MAX_ATTEMPTS = 6
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=2)


@dataclass(frozen=True)
class MailSettings:
    """How this process sends mail: ``smtp_url`` None means the in-browser outbox."""

    smtp_url: str | None = None
    sender: str = "SLM <slm@localhost>"
    base_url: str = "http://127.0.0.1:5000"
    max_attempts: int = MAX_ATTEMPTS
    claim_ttl: timedelta = timedelta(minutes=5)
    #: SMTP connections used at once (each in a thread: sending mostly waits on the server)
    connections: int = 4


@dataclass
class Delivered:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list = field(default_factory=list)


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure: 1, 2, 4... minutes, at most two hours."""
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), LONGEST_RETRY)


def _free(now):
    return or_(MM.c.claimed_by.is_(None), MM.c.claim_expires_at < now)


def claim_mail(session: Session, now: datetime, runner: str, limit: int,
               claim_ttl: timedelta) -> list[int]:
    """Claim up to ``limit`` due mails for ``runner`` and commit the claim; their ids."""
    now = as_utc(now)
    due = (select(MM.c.id).where(MM.c.status == "pending", MM.c.next_attempt_at <= now,
                                 _free(now)).order_by(MM.c.id).limit(limit))
    if session.get_bind().dialect.name != "sqlite":
        due = due.with_for_update(skip_locked=True)
    ids = list(session.scalars(
        MM.update().where(MM.c.id.in_(due.scalar_subquery()), _free(now))
        .values(claimed_by=runner, claim_expires_at=now + claim_ttl).returning(MM.c.id)))
    session.commit()
    return sorted(ids)


def deliver_due(factory: sessionmaker, settings: MailSettings, now: datetime, runner: str,
                limit: int = 200) -> Delivered:
    """Claim and send due mails until none are left (or a batch fails to connect)."""
    done = Delivered()
    config = SmtpConfig.from_url(settings.smtp_url) if settings.smtp_url else None
    while True:
        with factory() as session:
            ids = claim_mail(session, now, runner, limit, settings.claim_ttl)
        if not ids:
            return done
        with factory() as session:
            connected = _deliver_batch(session, config, settings, ids, now, runner, done)
        if not connected or len(ids) < limit:
            return done


def _languages(session: Session, user_ids: set) -> dict:
    """user id -> the language to write to them in (their own, else their organisation's)."""
    if not user_ids:
        return {}
    rows = session.execute(select(User.id, User.language, Organisation.language)
                           .outerjoin(Organisation, User.organisation_id == Organisation.id)
                           .where(User.id.in_(user_ids)))
    return {uid: own or org or "en" for uid, own, org in rows}


def _deliver_batch(session: Session, config: SmtpConfig | None, settings: MailSettings,
                   ids: list[int], now: datetime, runner: str, done: Delivered) -> bool:
    mails = [SimpleNamespace(**{c: getattr(m, c) for c in _FIELDS}) for m in session.scalars(
        select(MailMessage).where(MailMessage.id.in_(ids), MailMessage.claimed_by == runner)
        .order_by(MailMessage.id))]
    languages = _languages(session, {m.user_id for m in mails})
    for mail in mails:  # the words the mail adds (links, unsubscribe) in its reader's language
        mail.language = languages.get(mail.user_id)
    key = signing_key(session)
    session.commit()
    if config is None:  # the embedded default: the admin reads the outbox in the browser
        for start in range(0, len(mails), CHUNK * 8):
            _mark_sent(session, mails[start:start + CHUNK * 8], now, runner, "outbox", done)
        return True
    slices = [mails[k::settings.connections] for k in range(settings.connections)]
    slices = [part for part in slices if part]
    out: queue.Queue = queue.Queue()
    workers = [threading.Thread(target=_send_slice, args=(config, settings, key, part, out),
                                daemon=True) for part in slices]
    for worker in workers:
        worker.start()
    connected, sent, running = True, [], len(workers)
    while running:
        what, items, error = out.get()
        if what == "sent":
            sent.append(items)
            if len(sent) >= CHUNK:
                _mark_sent(session, sent, now, runner, "smtp", done)
                sent = []
        elif what == "done":
            running -= 1
        else:  # refused (this mail) or down (the rest of that connection's mails)
            connected = connected and what != "down"
            _retry_later(session, items, now, runner, settings, error, done)
    _mark_sent(session, sent, now, runner, "smtp", done)
    for worker in workers:
        worker.join()
    return connected


def _send_slice(config: SmtpConfig, settings: MailSettings, key: str, mails: list,
                out: queue.Queue) -> None:
    """One SMTP connection sending ``mails`` in turn; reports each outcome to ``out``
    (the database is written by the caller's thread only)."""
    try:
        conn = config.connect()
    except (OSError, smtplib.SMTPException) as exc:
        out.put(("down", mails, f"cannot connect: {exc}"))
        out.put(("done", None, None))
        return
    try:
        for i, mail in enumerate(mails):
            msg = build_message(mail, sender=settings.sender, base_url=settings.base_url,
                                key=key)
            try:
                conn.send_message(msg)
            except smtplib.SMTPRecipientsRefused as exc:
                out.put(("refused", [mail], f"refused: {exc}"))
            except (OSError, smtplib.SMTPException) as exc:
                out.put(("down", mails[i:], str(exc) or type(exc).__name__))
                return
            else:
                out.put(("sent", mail, None))
    finally:
        try:
            conn.quit()
        except (OSError, smtplib.SMTPException):
            pass
        out.put(("done", None, None))


#: one row per mail (executemany): sent, while the claim is still this runner's
_MARK_SENT = (MM.update().where(MM.c.id == bindparam("mid"), MM.c.claimed_by == bindparam("runner"))
              .values(status="sent", sent_at=bindparam("now"), transport=bindparam("via"),
                      attempts=MM.c.attempts + 1, claimed_by=None, claim_expires_at=None,
                      last_error=""))
_STILL_MINE = select(MM.c.id).where(MM.c.id.in_(bindparam("ids", expanding=True)),
                                    MM.c.claimed_by == bindparam("runner"))


def _mark_sent(session: Session, mails: list, now: datetime, runner: str,
               transport: str, done: Delivered) -> None:
    """Mark ``mails`` sent (those still claimed by ``runner``), audit each, commit."""
    if not mails:
        return
    mine = set(session.scalars(_STILL_MINE, {"ids": [m.id for m in mails],
                                             "runner": runner}))
    mails = [m for m in mails if m.id in mine]
    if mails:
        session.execute(_MARK_SENT, [{"mid": m.id, "runner": runner, "now": now,
                                      "via": transport} for m in mails])
    trail = AuditTrail()
    for mail in mails:
        done.sent += 1
        trail.add("notification_sent", at=now, actor="mailer", data={
            "mail_id": mail.id, "notification_id": mail.notification_id, "kind": mail.kind,
            "user_id": mail.user_id, "transport": transport})
    trail.flush(session)
    session.commit()


def _retry_later(session: Session, mails: list, now: datetime, runner: str,
                 settings: MailSettings, error: str, done: Delivered) -> None:
    """One more failed attempt each: pending again after a backoff, or failed for good."""
    error = error[:480]
    for mail in mails:
        attempts = (mail.attempts or 0) + 1
        gave_up = attempts >= settings.max_attempts
        session.execute(update(MailMessage).where(and_(
            MailMessage.id == mail.id, MailMessage.claimed_by == runner)).values(
            attempts=attempts, last_error=error, claimed_by=None, claim_expires_at=None,
            status="failed" if gave_up else "pending",
            next_attempt_at=now + backoff(attempts)))
        if gave_up:
            done.failed += 1
        else:
            done.retried += 1
    done.errors.append(error)
    log.warning("mail not sent (%d mails): %s", len(mails), error)
    session.commit()
