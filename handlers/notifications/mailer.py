"""Building mails and speaking SMTP.

``SLM_SMTP_URL`` names the server: ``smtp://user:password@host:587?starttls=1`` (plain SMTP,
upgraded with STARTTLS when ``starttls`` is set) or ``smtps://user:password@host:465`` (TLS
from the start). Without a URL mail goes to the outbox that the admin reads in the browser.
Each message has a plain text and an HTML part, a link to its subject and, for
notifications, a signed unsubscribe link for its kind (also as List-Unsubscribe).
"""
from __future__ import annotations

import html
import secrets
import smtplib
import ssl
from dataclasses import dataclass
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formatdate, make_msgid, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.i18n import _, use_language

from .kinds import KINDS
from .models import MailKey

UNSUBSCRIBE_SALT = "slm-unsubscribe"


class MailConfigError(ValueError):
    """SLM_SMTP_URL cannot be understood."""


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    ssl: bool
    starttls: bool
    username: str | None
    password: str | None
    timeout: float = 10.0

    @classmethod
    def from_url(cls, url: str) -> SmtpConfig:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise MailConfigError(_("SLM_SMTP_URL: scheme must be smtp or smtps, not "
                                    "%(scheme)s",
                                    scheme=repr(parts.scheme)))
        if not parts.hostname:
            raise MailConfigError(_("SLM_SMTP_URL: no host name"))
        query = parse_qs(parts.query)
        starttls = query.get("starttls", ["0"])[0].lower() in ("1", "true", "yes")
        try:
            port = parts.port or (465 if parts.scheme == "smtps" else 25)
        except ValueError as exc:
            raise MailConfigError(_("SLM_SMTP_URL: %(exc)s", exc=exc)) from None
        return cls(parts.hostname, port, parts.scheme == "smtps", starttls,
                   unquote(parts.username) if parts.username else None,
                   unquote(parts.password) if parts.password else None,
                   float(query.get("timeout", ["10"])[0]))

    def connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.ssl:
            conn = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.starttls:
                conn.starttls(context=context)
        if self.username:
            conn.login(self.username, self.password or "")
        return conn


# -- unsubscribe links ---------------------------------------------------------------------
def signing_key(session: Session) -> str:
    """The install's unsubscribe signing key (made on first use, kept in the database)."""
    key = session.scalar(select(MailKey.secret).where(MailKey.id == 1))
    if key is None:
        key = secrets.token_hex(32)
        with session.begin_nested():
            session.add(MailKey(id=1, secret=key))
    return key


def unsubscribe_token(key: str, user_id: int, kind: str) -> str:
    return URLSafeSerializer(key, salt=UNSUBSCRIBE_SALT).dumps([user_id, kind])


def read_unsubscribe_token(key: str, token: str) -> tuple[int, str] | None:
    """(user id, kind) of a valid token, or None for a forged or damaged one."""
    try:
        value = URLSafeSerializer(key, salt=UNSUBSCRIBE_SALT).loads(token)
    except BadSignature:
        return None
    if (not isinstance(value, list) or len(value) != 2 or not isinstance(value[0], int)
            or value[1] not in KINDS):
        return None
    return value[0], value[1]


# -- messages ------------------------------------------------------------------------------
def build_message(mail, *, sender: str, base_url: str, key: str) -> MIMEMultipart:
    """The mail as sent: plain text and HTML, subject link and (notifications) unsubscribe.

    Built with the email package's compat32 classes: the same MIME, a fraction of the cost
    of the modern header machinery (the benchmark sends ten thousand of them).
    """
    with use_language(getattr(mail, "language", None)):
        return _build(mail, sender, base_url, key)


def _build(mail, sender: str, base_url: str, key: str) -> MIMEMultipart:
    base = base_url.rstrip("/")
    text = [mail.body, ""]
    link = f"{base}{mail.link}" if mail.link else ""
    parts = [f"<p>{html.escape(mail.body).replace(chr(10), '<br>')}</p>"]
    headers = {}
    if link:
        text.append(_("Open it: %(link)s", link=link))
        parts.append(f'<p><a href="{html.escape(link)}">{html.escape(_("Open it in SLM"))}</a></p>')
    if mail.may_unsubscribe and mail.kind in KINDS:
        off = f"{base}/notifications/unsubscribe/{unsubscribe_token(key, mail.user_id, mail.kind)}"
        headers["List-Unsubscribe"] = f"<{off}>"
        what = _(KINDS[mail.kind])
        text += ["", _("Stop these mails (%(what)s): %(link)s", what=what, link=off)]
        parts.append(f'<p style="font-size:small"><a href="{html.escape(off)}">'
                     f'{html.escape(_("Stop these mails"))}</a> ({html.escape(what)})</p>')
    msg = MIMEMultipart("alternative")
    msg["From"] = sender
    msg["To"] = mail.to_addr
    msg["Subject"] = Header(mail.subject, "utf-8")
    msg["Date"] = formatdate(localtime=False)
    # a domain of our own: without one, make_msgid asks DNS for this host's name every time
    domain = parseaddr(sender)[1].rpartition("@")[2] or "slm.invalid"
    msg["Message-ID"] = make_msgid(idstring=f"slm-mail-{mail.id}", domain=domain)
    msg["X-SLM-Mail-Id"] = str(mail.id)
    msg["X-SLM-Kind"] = mail.kind
    for name, value in headers.items():
        msg[name] = value
    msg.attach(MIMEText("\n".join(text) + "\n", "plain", "utf-8"))
    msg.attach(MIMEText("<!doctype html><html><body>" + "".join(parts) + "</body></html>",
                        "html", "utf-8"))
    return msg
