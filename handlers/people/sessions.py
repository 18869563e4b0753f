"""Signed-in sessions kept on the server (``UserSession``): start, find, list and end them.

The browser's signed cookie carries a random key; only its sha256 digest is stored (the key
is 256 random bits, so a fast digest is enough, as for API tokens). A session ends when its
person signs out, ends it from the account page, gets a new password or is deactivated, or
after ``idle`` without a request. Functions only flush: the caller commits.
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.errors import NotFoundError
from engine.i18n import _

from .models import ApiToken, User, UserSession

#: ``last_seen_at`` is written at most this often per session
SEEN_RESOLUTION = timedelta(minutes=1)
MAX_CLIENT = 200
MAX_ADDRESS = 45


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def start_session(session: Session, user: User, now: datetime, client: str = "",
                  address: str = "") -> tuple[UserSession, str]:
    """A new session of ``user``: (the row, the key for the cookie)."""
    key = secrets.token_urlsafe(32)
    row = UserSession(user_id=user.id, key_hash=key_digest(key), created_at=now,
                      last_seen_at=now, client=(client or "")[:MAX_CLIENT],
                      address=(address or "")[:MAX_ADDRESS])
    session.add(row)
    session.flush()
    return row, key


def find_session(session: Session, user_id: int, key: str, now: datetime,
                 idle: timedelta) -> tuple[UserSession, User] | None:
    """(session, user) for a live session of ``user_id`` with ``key``, else None.

    A session idle for longer than ``idle`` is ended here (left pending for the caller to
    commit, as is the ``last_seen_at`` update, at most once per SEEN_RESOLUTION).
    """
    if not key:
        return None
    row = session.scalar(select(UserSession).where(UserSession.key_hash == key_digest(key)))
    if row is None or row.user_id != user_id or row.ended_at is not None:
        return None
    if now - row.last_seen_at > idle:
        row.ended_at = now
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if now - row.last_seen_at >= SEEN_RESOLUTION:
        row.last_seen_at = now
    return row, user


def live_sessions(session: Session, user_id: int, now: datetime,
                  idle: timedelta) -> list[UserSession]:
    """The user's sessions that still work, most recently used first."""
    return list(session.scalars(select(UserSession).where(
        UserSession.user_id == user_id, UserSession.ended_at.is_(None),
        UserSession.last_seen_at >= now - idle).order_by(UserSession.last_seen_at.desc(),
                                                          UserSession.id.desc())))


def end_session(session: Session, session_id: int, user_id: int, now: datetime) -> UserSession:
    """End one session of ``user_id``. Raises NotFoundError for no such session of theirs."""
    row = session.get(UserSession, session_id)
    if row is None or row.user_id != user_id:
        raise NotFoundError(_("session %(session_id)s does not exist", session_id=session_id))
    if row.ended_at is None:
        row.ended_at = now
        session.flush()
    return row


def end_sessions(session: Session, user_id: int, now: datetime,
                 keep: int | None = None) -> int:
    """End every live session of ``user_id`` (but ``keep``, an id); returns how many."""
    stmt = update(UserSession).where(UserSession.user_id == user_id,
                                     UserSession.ended_at.is_(None))
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep)
    return session.execute(stmt.values(ended_at=now)).rowcount


def revoke_tokens(session: Session, user_id: int, now: datetime) -> int:
    """Revoke every unrevoked API token of ``user_id``; returns how many."""
    return session.execute(update(ApiToken).where(
        ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None)).values(
        revoked_at=now)).rowcount
