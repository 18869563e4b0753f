"""API tokens: create (the token is shown once), list, revoke, and authenticate by token.

A token is ``secrets.token_urlsafe(32)``: 256 random bits. Only its sha256 digest is stored.
A slow password hash (argon2) protects guessable secrets chosen by people; a 256-bit random
token cannot be guessed or brute-forced from its digest, so a fast hash is enough and lets
every API request find its token with one indexed lookup. Functions only flush: the caller
commits. Creating and revoking are recorded in the audit log (never the token or its digest).
"""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import NotFoundError
from engine.i18n import _
from handlers.errors import ValidationError

from .admin_events import record
from .models import ApiToken, User

MAX_NAME = 100
#: ``last_used_at`` is written at most this often per token (not a write on every request)
USE_RESOLUTION = timedelta(minutes=1)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: User, name: str, now: datetime, *, actor: str,
                 expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """A new token of ``user`` called ``name``: (the row, the token itself, shown once).

    ``expires_at``: when it stops working (None: until revoked or a new password).
    Records ``api_token_created`` by ``actor``. Raises ValidationError for a blank or too
    long name, an expiry not in the future, or an inactive user.
    """
    name = " ".join((name or "").split())
    errors = {}
    if not name:
        errors["name"] = [_("give the token a name, e.g. what will use it")]
    elif len(name) > MAX_NAME:
        errors["name"] = [_("at most %(MAX_NAME)s characters", MAX_NAME=MAX_NAME)]
    if expires_at is not None and expires_at <= now:
        errors["expires"] = [_("the expiry must be in the future")]
    if not user.active:
        errors["user"] = [_("%(username)s is not active", username=user.username)]
    if errors:
        raise ValidationError(errors)
    token = secrets.token_urlsafe(32)
    row = ApiToken(user_id=user.id, name=name, token_hash=token_digest(token), created_at=now,
                   expires_at=expires_at)
    session.add(row)
    session.flush()
    _record(session, "api_token_created", row, user.username, actor, now)
    return row, token


def _record(session: Session, kind: str, token: ApiToken, owner: str, actor: str,
            now: datetime) -> None:
    record(session, kind, {"token_id": token.id, "name": token.name,
                           "user_id": token.user_id, "username": owner},
           actor=actor, now=now)


def list_tokens(session: Session, user_id: int | None = None) -> list[tuple[ApiToken, str]]:
    """(token, owner's username) of one user, or of everyone, newest first."""
    query = (select(ApiToken, User.username).join(User, User.id == ApiToken.user_id)
             .order_by(ApiToken.id.desc()))
    if user_id is not None:
        query = query.where(ApiToken.user_id == user_id)
    return [(token, username) for token, username in session.execute(query)]


def revoke_token(session: Session, token_id: int, now: datetime,
                 user_id: int | None = None, *, actor: str) -> ApiToken:
    """Revoke a token (``user_id``: only if it is theirs) and record ``api_token_revoked``
    by ``actor``. Revoking twice keeps the first time and records nothing more. Raises
    NotFoundError for no such token (or another user's)."""
    token = session.get(ApiToken, token_id)
    if token is None or (user_id is not None and token.user_id != user_id):
        raise NotFoundError(_("API token %(token_id)s does not exist", token_id=token_id))
    if token.revoked_at is None:
        token.revoked_at = now
        session.flush()
        owner = session.scalar(select(User.username).where(User.id == token.user_id))
        _record(session, "api_token_revoked", token, owner, actor, now)
    return token


def authenticate_token(session: Session, token: str, now: datetime) -> User | None:
    """The active user of an unrevoked, unexpired ``token``, or None; notes when it was last used
    (at most once per USE_RESOLUTION, left pending in the session for the caller to commit)."""
    if not token:
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= now:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if row.last_used_at is None or now - row.last_used_at >= USE_RESOLUTION:
        row.last_used_at = now  # not flushed: ``session.dirty`` tells the caller to commit
    return user
