"""Building mails and speaking SMTP.

``SLM_SMTP_URL`` names the server: ``smtp://user:password@host:587?starttls=1`` (plain SMTP,
upgraded with STARTTLS when ``starttls`` is set) or ``smtps://user:password@host:465`` (TLS
from the start). Without a URL mail goes to the outbox that the admin reads in the browser.
Each message has a plain text and an HTML part, a link to its subject and, for
notifications, a signed unsubscribe link for its kind (also as List-Unsubscribe).
"""
from __future__ import annotations

import functools
import hashlib
import html
import re
import secrets
import smtplib
import socket
import ssl
from dataclasses import dataclass
from datetime import UTC, date, datetime
from email.header import Header
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formatdate, parseaddr
from urllib.parse import parse_qs, unquote, urlsplit

from itsdangerous import BadSignature, Signer
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
        if self.ssl:
            conn = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                    context=_tls_context())
        else:
            conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.starttls:
                conn.starttls(context=_tls_context())
        if self.username:
            conn.login(self.username, self.password or "")
        # the end-of-data line is a small write right after the content: without this,
        # Nagle's algorithm holds it until the server acknowledges the content (delayed ACK)
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process (loading the system's CA store is slow)."""
    return ssl.create_default_context()


# -- unsubscribe links ---------------------------------------------------------------------
def signing_key(session: Session) -> str:
    """The install's unsubscribe signing key (made on first use, kept in the database)."""
    key = session.scalar(select(MailKey.secret).where(MailKey.id == 1))
    if key is None:
        key = secrets.token_hex(32)
        with session.begin_nested():
            session.add(MailKey(id=1, secret=key))
    return key


#: how long an unsubscribe link works after its mail was sent
UNSUBSCRIBE_DAYS = 180
_EPOCH = date(2000, 1, 1)


def unsubscribe_token(key: str, user_id: int, kind: str, today: date) -> str:
    """Signed "person.kind.day issued": the one-click unsubscribe link's token (an HMAC
    signature, itsdangerous; no compression or JSON: it is made for every mail)."""
    return Signer(key, salt=UNSUBSCRIBE_SALT).sign(
        f"{user_id}.{kind}.{(today - _EPOCH).days}").decode()


def read_unsubscribe_token(key: str, token: str, today: date) -> tuple[int, str]:
    """(user id, kind) of a valid token; raises :class:`BadToken` saying why not."""
    if len(token) > 200:
        raise BadToken(_("This unsubscribe link is too long to be one of ours."))
    try:
        value = Signer(key, salt=UNSUBSCRIBE_SALT).unsign(token).decode()
    except (BadSignature, UnicodeError):
        raise BadToken(_("This unsubscribe link is not valid (damaged or not made by this "
                         "installation).")) from None
    user, _dot, rest = value.partition(".")
    kind, _dot, day = rest.rpartition(".")
    if not (user.isdigit() and day.isdigit() and kind in KINDS):
        raise BadToken(_("This unsubscribe link is not valid."))
    if (today - _EPOCH).days - int(day) > UNSUBSCRIBE_DAYS:
        raise BadToken(_("This unsubscribe link has expired (links work for "
                         "%(UNSUBSCRIBE_DAYS)s days).",
                         UNSUBSCRIBE_DAYS=UNSUBSCRIBE_DAYS), expired=True)
    return int(user), kind


class BadToken(ValueError):
    def __init__(self, message: str, expired: bool = False):
        super().__init__(message)
        self.expired = expired


def _today() -> date:
    return datetime.now(UTC).date()


# -- messages ------------------------------------------------------------------------------
def build_message(mail, *, sender: str, base_url: str, key: str,
                  today: date | None = None) -> MIMEMultipart:
    """The mail as sent: plain text and HTML, subject link and (notifications) unsubscribe.

    Built with the email package's compat32 classes: the same MIME, a fraction of the cost
    of the modern header machinery (the benchmark sends ten thousand of them).
    """
    with use_language(getattr(mail, "language", None)):
        return _build(mail, sender, base_url, key, today)


def _build(mail, sender: str, base_url: str, key: str, today: date | None) -> MIMEMultipart:
    base = base_url.rstrip("/")
    text = [mail.body, ""]
    link = f"{base}{mail.link}" if mail.link else ""
    parts = [f"<p>{html.escape(mail.body).replace(chr(10), '<br>')}</p>"]
    headers = {}
    if link:
        text.append(_("Open it: %(link)s", link=link))
        parts.append(f'<p><a href="{html.escape(link)}">{html.escape(_("Open it in SLM"))}</a></p>')
    if mail.may_unsubscribe and mail.kind in KINDS:
        token = unsubscribe_token(key, mail.user_id, mail.kind, today or _today())
        off = f"{base}/notifications/unsubscribe/{token}"
        headers["List-Unsubscribe"] = f"<{off}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"  # RFC 8058
        what = _(KINDS[mail.kind])
        text += ["", _("Stop these mails (%(what)s): %(link)s", what=what, link=off)]
        parts.append(f'<p style="font-size:small"><a href="{html.escape(off)}">'
                     f'{html.escape(_("Stop these mails"))}</a> ({html.escape(what)})</p>')
    msg = MIMEMultipart("alternative")
    msg["From"] = sender
    msg["To"] = mail.to_addr
    msg["Subject"] = Header(mail.subject, "utf-8")
    msg["Date"] = formatdate(localtime=False)
    msg["Message-ID"] = message_id(mail.id, key, sender)
    msg["X-SLM-Mail-Id"] = str(mail.id)
    msg["X-SLM-Kind"] = mail.kind
    for name, value in headers.items():
        msg[name] = value
    msg.attach(MIMEText("\n".join(text) + "\n", "plain", "utf-8"))
    msg.attach(MIMEText("<!doctype html><html><body>" + "".join(parts) + "</body></html>",
                        "html", "utf-8"))
    return msg


def message_id(mail_id: int, key: str, sender: str) -> str:
    """The same Message-ID on every attempt to send one mail (a resend is recognisable),
    unique to this install (a digest of its signing key) and to the mail."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "slm.invalid"
    install = hashlib.sha256(key.encode()).hexdigest()[:12]
    return f"<slm-mail-{mail_id}.{install}@{domain}>"


# -- one mail over an open SMTP connection -------------------------------------------------
class Refused(Exception):
    """The server refused this mail (it answered: the connection can go on)."""


class Abandoned(Exception):
    """The caller withdrew the mail half-way through DATA (the connection must be closed)."""


_EOL = re.compile(rb"\r\n|\n|\r(?!\n)")
_LEADING_DOT = re.compile(rb"(?m)^\.")


def wire_bytes(msg: MIMEMultipart) -> bytes:
    """The message as DATA carries it: CRLF line ends, leading dots doubled (RFC 5321
    4.5.2), ending with CRLF but without the end-of-data line."""
    data = _LEADING_DOT.sub(b"..", _EOL.sub(b"\r\n", msg.as_bytes()))
    return data if data.endswith(b"\r\n") else data + b"\r\n"


def transmit(conn: smtplib.SMTP, sender: str, recipient: str, data: bytes,
             before_end) -> None:
    """Send one mail and return once the server accepted it.

    The content goes on the wire first; then ``before_end()`` is called (the caller records
    that the mail is being handed over; it returns False to withdraw it) and only then the
    end-of-data line, after which the server decides. Raises :class:`Refused` when the
    server refused this mail, :class:`Abandoned` when ``before_end`` withdrew it, and
    OSError / SMTPException when the connection broke."""
    conn.ehlo_or_helo_if_needed()
    for command, good in ((f"MAIL FROM:<{sender}>", (250,)),
                          (f"RCPT TO:<{recipient}>", (250, 251)), ("DATA", (354,))):
        code, reply = conn.docmd(command)
        if code == 421 or code == -1:
            raise smtplib.SMTPServerDisconnected(f"{code} {reply!r}")
        if code not in good:
            conn.rset()
            raise Refused(f"{command.split(':')[0]}: {code} "
                          f"{reply.decode(errors='replace')}")
    conn.send(data)
    if not before_end():
        raise Abandoned()
    conn.send(b".\r\n")
    code, reply = conn.getreply()
    if code != 250:
        if code == 421 or code == -1:
            raise smtplib.SMTPServerDisconnected(f"{code} {reply!r}")
        raise Refused(_("DATA: %(code)s %(decode)s",
                        code=code,
                        decode=reply.decode(errors='replace')))
