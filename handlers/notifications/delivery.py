"""Delivering the outbox: claim due mails, send them, mark them sent, once.

Any number of runners may call :func:`deliver_due` at once. A runner claims a batch of due
mails with an expiring claim (``FOR UPDATE SKIP LOCKED`` on PostgreSQL; a conditional
UPDATE on SQLite, which has one writer) and commits the claim; it then sends them over a few
SMTP connections at once (threads; only the runner's own thread writes the database, in
group commits). For each mail:

1. MAIL, RCPT, DATA and the whole content go to the server;
2. the mail is marked ``sending`` and committed (only while the claim is still the runner's);
3. the end-of-data line goes out and the server answers;
4. accepted: the mail is marked ``sent`` with a ``notification_sent`` audit event;
   refused: it is pending again with a backoff (after the last attempt: ``failed``).

A runner that dies before 2 leaves a pending mail whose claim expires: another runner sends
it (the server never accepted the first copy: it had no end-of-data line). A runner that
dies after 2 leaves a ``sending`` mail: the server most likely accepted it (only the few
bytes of the end-of-data line or the server's refusal were outstanding), so the runner that
finds it after its claim expired marks it ``uncertain`` (audited as sent, confirmed:
false) and does not send it again; the admin sees it in the outbox. SMTP cannot tell which
of the two happened, so no mail is ever sent twice, and at most one mail per connection of
a dying runner is uncertain. Every attempt carries the same ``Message-ID`` and
``X-SLM-Mail-Id``.
"""
from __future__ import annotations

import logging
import queue
import smtplib
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parseaddr
from types import SimpleNamespace

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session, sessionmaker

from engine.audit import AuditTrail
from engine.clock import as_utc
from engine.errors import ConflictError, NotFoundError
from engine.i18n import _
from handlers.people.models import Organisation, User

from .mailer import (
    Abandoned,
    Refused,
    SmtpConfig,
    build_message,
    signing_key,
    transmit,
    wire_bytes,
)
from .models import MailMessage

log = logging.getLogger(__name__)
MM = MailMessage.__table__
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
    connections: int = 16


@dataclass
class Delivered:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list = field(default_factory=list)


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure: 1, 2, 4... minutes, at most two hours."""
    return min(FIRST_RETRY * (2 ** max(0, attempts - 1)), LONGEST_RETRY)


UNCERTAIN = ("the runner stopped after handing this mail to the server and before the "
               "server's answer was recorded: most likely delivered, not sent again")


def checkpoint(point: str, mail) -> None:
    """Called at each step of sending one mail (``content``: the content is on the wire,
    ``sending``: marked sending, ``accepted``: the server accepted it). Does nothing; the
    runner tests replace it to stop a runner at an exact point and kill it there."""


def _free(now):
    return or_(MM.c.claimed_by.is_(None), MM.c.claim_expires_at < now)


def take_over_sending(session: Session, now: datetime) -> int:
    """Mails left ``sending`` by a runner whose claim expired: ``uncertain``, audited as
    sent (confirmed: false), never sent again. The caller commits."""
    rows = session.execute(
        MM.update().where(MM.c.status == "sending", MM.c.claim_expires_at < now)
        .values(status="uncertain", claimed_by=None, claim_expires_at=None, sent_at=now,
                attempts=MM.c.attempts + 1, last_error=UNCERTAIN)
        .returning(MM.c.id, MM.c.notification_id, MM.c.kind, MM.c.user_id)).all()
    if rows:
        trail = AuditTrail()
        for mid, nid, kind, uid in sorted(rows):
            trail.add("notification_sent", at=now, actor="mailer", data={
                "mail_id": mid, "notification_id": nid, "kind": kind, "user_id": uid,
                "transport": "smtp", "confirmed": False})
        trail.flush(session)
        log.warning("%d mail(s) left sending by a stopped runner marked uncertain", len(rows))
    return len(rows)


def claim_mail(session: Session, now: datetime, runner: str, limit: int,
               claim_ttl: timedelta) -> list[int]:
    """Claim up to ``limit`` due mails for ``runner`` and commit the claim; their ids."""
    now = as_utc(now)
    take_over_sending(session, now)
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
        checkpoint("claimed", ids)
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
        for start in range(0, len(mails), 200):
            _mark_sent(session, mails[start:start + 200], now, runner, "outbox", done)
            session.commit()
        return True
    slices = [mails[k::settings.connections] for k in range(settings.connections)]
    slices = [part for part in slices if part]
    out: queue.Queue = queue.Queue()
    workers = [threading.Thread(target=_send_slice,
                                args=(config, settings, key, part, out, now.date()),
                                daemon=True) for part in slices]
    for worker in workers:
        worker.start()
    connected, running = True, len(workers)
    while running:  # group commit: whatever the connections reported meanwhile, at once
        items = [out.get()]
        while True:
            try:
                items.append(out.get_nowait())
            except queue.Empty:
                break
        sent, asking = [], []
        for what, payload, error in items:
            if what == "sent":
                sent.append(payload)
            elif what == "sending":
                asking.append(payload)
            elif what == "done":
                running -= 1
            else:  # refused (this mail) or down (the rest of that connection's mails)
                connected = connected and what != "down"
                _retry_later(session, payload, now, runner, settings, error, done)
        _mark_sent(session, sent, now, runner, "smtp", done)
        granted = _mark_sending(session, [mail for mail, _ in asking], runner)
        session.commit()
        for mail, answer in asking:
            answer.put(mail.id in granted)
    for worker in workers:
        worker.join()
    return connected


def _send_slice(config: SmtpConfig, settings: MailSettings, key: str, mails: list,
                out: queue.Queue, today) -> None:
    """One SMTP connection sending ``mails`` in turn; reports each outcome to ``out``
    (the database is written by the caller's thread only: it answers ``sending``)."""
    sender = parseaddr(settings.sender)[1] or "slm@localhost"
    wait = settings.claim_ttl.total_seconds()
    conn, i = None, 0
    try:
        while i < len(mails):
            mail = mails[i]
            if conn is None:
                try:
                    conn = config.connect()
                except (OSError, smtplib.SMTPException) as exc:
                    out.put(("down", mails[i:], f"cannot connect: {exc}"))
                    return
            data = wire_bytes(build_message(mail, sender=settings.sender,
                                            base_url=settings.base_url, key=key,
                                            today=today))
            try:
                transmit(conn, sender, mail.to_addr, data, lambda m=mail: _ask(out, m, wait))
            except Refused as exc:
                out.put(("refused", [mail], f"refused: {exc}"))
            except Abandoned:  # no longer this runner's: drop the half-sent DATA
                conn.close()
                conn = None
            except (OSError, smtplib.SMTPException) as exc:
                out.put(("down", mails[i:], str(exc) or type(exc).__name__))
                return
            else:
                checkpoint("accepted", mail)
                out.put(("sent", mail, None))
            i += 1
    finally:
        if conn is not None:
            try:
                conn.quit()
            except (OSError, smtplib.SMTPException):
                pass
        out.put(("done", None, None))


def _ask(out: queue.Queue, mail, timeout: float) -> bool:
    """Between the content and the end-of-data line: have the database thread mark the
    mail ``sending`` (committed) and say whether it is still this runner's."""
    checkpoint("content", mail)
    answer: queue.Queue = queue.Queue(maxsize=1)
    out.put(("sending", (mail, answer), None))
    try:  # no answer (the database thread failed): withdraw the mail, it stays pending
        granted = answer.get(timeout=timeout)
    except queue.Empty:
        granted = False
    if granted:
        checkpoint("sending", mail)
    return granted


_MARK_SENDING = (MM.update().where(MM.c.id.in_(bindparam("ids", expanding=True)),
                                   MM.c.claimed_by == bindparam("runner"),
                                   MM.c.status == "pending")
                 .values(status="sending").returning(MM.c.id))
#: sent: this runner's claim still stands (a mail a runner that took over already called
#: uncertain stays so: it was audited then)
_MARK_SENT = (MM.update().where(MM.c.id.in_(bindparam("ids", expanding=True)),
                                MM.c.claimed_by == bindparam("runner"),
                                MM.c.status == bindparam("from_state"))
              .values(status="sent", sent_at=bindparam("now"), transport=bindparam("via"),
                      attempts=MM.c.attempts + 1, claimed_by=None, claim_expires_at=None,
                      last_error="").returning(MM.c.id))


def _mark_sending(session: Session, mails: list, runner: str) -> set[int]:
    if not mails:
        return set()
    return set(session.scalars(_MARK_SENDING, {"ids": [m.id for m in mails],
                                               "runner": runner}))


def _mark_sent(session: Session, mails: list, now: datetime, runner: str,
               transport: str, done: Delivered) -> None:
    """Mark ``mails`` sent and audit each (the caller commits)."""
    if not mails:
        return
    marked = set(session.scalars(_MARK_SENT, {
        "ids": [m.id for m in mails], "runner": runner, "now": now, "via": transport,
        "from_state": "pending" if transport == "outbox" else "sending"}))
    if len(marked) != len(mails):
        log.warning("%d of %d mails were no longer this runner's", len(mails) - len(marked),
                    len(mails))
    mails = [m for m in mails if m.id in marked]
    trail = AuditTrail()
    for mail in mails:
        done.sent += 1
        trail.add("notification_sent", at=now, actor="mailer", data={
            "mail_id": mail.id, "notification_id": mail.notification_id, "kind": mail.kind,
            "user_id": mail.user_id, "transport": transport, "confirmed": True})
    trail.flush(session)


def _retry_later(session: Session, mails: list, now: datetime, runner: str,
                 settings: MailSettings, error: str, done: Delivered) -> None:
    """One more failed attempt each: pending again after a backoff, or failed for good
    (the caller commits)."""
    error = error[:480]
    for mail in mails:
        attempts = (mail.attempts or 0) + 1
        gave_up = attempts >= settings.max_attempts
        session.execute(MM.update().where(
            MM.c.id == mail.id, MM.c.claimed_by == runner,
            MM.c.status.in_(("pending", "sending"))).values(
            attempts=attempts, last_error=error, claimed_by=None, claim_expires_at=None,
            status="failed" if gave_up else "pending",
            next_attempt_at=now + backoff(attempts)))
        if gave_up:
            done.failed += 1
        else:
            done.retried += 1
    done.errors.append(error)
    log.warning("mail not sent (%d mails): %s", len(mails), error)


#: the states an admin may send a mail again from: given up on, or not known to have arrived
SEND_AGAIN_FROM = ("failed", "uncertain")


def send_again(session: Session, mail_id: int, actor: str, now: datetime) -> MailMessage:
    """An admin sends a failed or uncertain mail again: pending and due now, its attempts
    counted afresh, with the same Message-ID as before (a mail client that has the first
    copy can tell). Audited as ``mail_resent``; the caller commits.

    Raises NotFoundError, or ConflictError when the mail is in another state (or changed
    state in the meantime)."""
    now = as_utc(now)
    mail = session.get(MailMessage, mail_id)
    if mail is None:
        raise NotFoundError(_("mail %(id)s does not exist", id=mail_id))
    was, attempts = mail.status, mail.attempts
    if was not in SEND_AGAIN_FROM:
        raise ConflictError(_("only a failed or uncertain mail can be sent again"))
    changed = session.execute(MM.update().where(MM.c.id == mail_id, MM.c.status == was).values(
        status="pending", attempts=0, next_attempt_at=now, claimed_by=None,
        claim_expires_at=None, sent_at=None, last_error="")).rowcount
    if changed != 1:
        raise ConflictError(_("the mail changed state in the meantime; reload the outbox"))
    trail = AuditTrail()
    trail.add("mail_resent", at=now, actor=actor, data={
        "mail_id": mail_id, "notification_id": mail.notification_id, "kind": mail.kind,
        "user_id": mail.user_id, "was": was, "attempts": attempts})
    trail.flush(session)
    session.expire(mail)
    return mail
