"""Records of the notifications area: what each person was told (the notification
centre), the mail outbox, each person's preferences, and once-only markers.

A notification is written in the transaction of the step that caused it; so is its mail
(an outbox row), which runners deliver later through expiring claims.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base

CHANNELS = ("in_app", "email", "digest", "off")
MAIL_STATUSES = ("pending", "sending", "sent", "uncertain", "failed")


class Notification(Base):
    """One thing one person was told, in the notification centre."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    #: an event kind of handlers.notifications.kinds.KINDS
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    #: the path of its subject inside the app ("/tasks/12"), or "" when it has none
    link: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: the digest mail that carried it (channel 'digest'), once sent
    digested_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: the person's channel for this kind when it was written
    channel: Mapped[str] = mapped_column(String(10), default="in_app")


class MailMessage(Base):
    """The outbox: one mail to one person, delivered by a runner (claim, send, mark)."""

    __tablename__ = "mail_message"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'sending', 'sent', 'uncertain', 'failed')",
                        name="status"),
        Index("ix_mail_message_due", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    #: the notification it carries; None for a digest or an account mail
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notification.id"))
    kind: Mapped[str] = mapped_column(String(40))
    to_addr: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    #: plain text of the message; the HTML part is made from it at delivery
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(300), default="")
    #: pending (waiting or being retried), sending (handed to the server, its answer not yet
    #: recorded), sent, uncertain (its runner stopped while sending: most likely delivered,
    #: never sent again; the admin sees it), failed (gave up: the admin sees it)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claim_expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: 'smtp' or 'outbox' (no mail server configured: read in the browser by the admin)
    transport: Mapped[str] = mapped_column(String(10), default="")
    #: False for account mails (invitation, reset): those carry no unsubscribe link
    may_unsubscribe: Mapped[bool] = mapped_column(default=True)


class NotificationPreference(Base):
    """How one person wants to hear of one kind of event (default: e-mail at once)."""

    __tablename__ = "notification_preference"
    __table_args__ = (
        CheckConstraint("channel IN ('in_app', 'email', 'digest', 'off')", name="channel"),)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))


class DigestSetting(Base):
    """When one person's daily digest goes out: an hour of their own time zone."""

    __tablename__ = "digest_setting"
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), primary_key=True)
    #: an IANA time zone name ("Europe/Zurich")
    timezone: Mapped[str] = mapped_column(String(60), default="UTC")
    #: 0..23, local time
    hour: Mapped[int] = mapped_column(Integer, default=8)
    #: the local date of the last digest sent
    last_sent_on: Mapped[date | None] = mapped_column(Date)


class OnceMarker(Base):
    """A key written once: "this reminder / this at-risk warning was already given"."""

    __tablename__ = "notification_once"
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class MailKey(Base):
    """The key that signs unsubscribe links, made on first use and shared by every process."""

    __tablename__ = "mail_key"
    id: Mapped[int] = mapped_column(primary_key=True)
    secret: Mapped[str] = mapped_column(String(128))
