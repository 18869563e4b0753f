"""Accounts by e-mail: invitations, password resets and the forced change after an admin
set a password.

A link carries a random token; only its sha256 digest is stored (like API tokens: the
token is long and random, so a slow hash adds nothing). A link works once and until it
expires; a newer link of the same purpose replaces the older ones. Passwords are always
set through :func:`handlers.people.operations.set_password`, so its policy applies.
Asking for a reset gives the same answer whether or not the address belongs to anyone.
"""
from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from engine.i18n import _, lazy_gettext
from handlers.errors import ValidationError
from handlers.notifications.operations import queue_mail

from .admin_events import record
from .models import AccountLink, User
from .operations import create_user, hash_password, set_password, verify_password

DEFAULT_LIFETIME = timedelta(hours=48)
PATHS = {"invite": "/account/invitation/", "reset": "/account/reset/"}


class LinkError(Exception):
    """A link that cannot be used: unknown, used or expired (the message says which)."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _issue(session: Session, user: User, purpose: str, now: datetime,
           lifetime: timedelta) -> str:
    session.execute(update(AccountLink).where(
        AccountLink.user_id == user.id, AccountLink.purpose == purpose,
        AccountLink.used_at.is_(None)).values(used_at=now))
    token = secrets.token_urlsafe(32)
    session.add(AccountLink(user_id=user.id, purpose=purpose, token_hash=_digest(token),
                            created_at=now, expires_at=now + lifetime))
    session.flush()
    return token


def invite(session: Session, username: str, display_name: str, email: str,
           roles: Iterable[str], organisation=None, *, actor: str, now: datetime,
           lifetime: timedelta = DEFAULT_LIFETIME) -> User:
    """Create the account without a usable password and mail the invitee a link to set
    their own. Raises ValidationError (as create_user; an address is required)."""
    if not (email or "").strip():
        raise ValidationError({"email": [_("an invitation needs an e-mail address")]})
    user = create_user(session, username, display_name, None, roles, organisation,
                       email=email, password_hash=hash_password(secrets.token_urlsafe(32)),
                       actor=actor, now=now)
    token = _issue(session, user, "invite", now, lifetime)
    queue_mail(session, user, "invitation",
               lazy_gettext("You are invited to Service Level Management"),
               lazy_gettext("Hello %(name)s,\n\n%(actor)s invited you to Service Level "
                            "Management as %(username)s. Choose your password with this "
                            "link; it works once, until %(until)s UTC.",
                            name=user.display_name, actor=actor, username=user.username,
                            until=f"{now + lifetime:%Y-%m-%d %H:%M}"),
               now=now, link=PATHS["invite"] + token)
    record(session, "user_invited", {"user_id": user.id, "username": user.username},
           actor=actor, now=now)
    return user


def request_reset(session: Session, email: str, *, now: datetime,
                  lifetime: timedelta = timedelta(hours=2)) -> None:
    """Mail a reset link to the active user with this address, if there is one. Returns
    nothing either way: the caller answers the same whether the address exists or not."""
    email = (email or "").strip().lower()
    if not email or len(email) > 200:
        return
    user = session.scalar(select(User).where(func.lower(User.email) == email,
                                             User.active.is_(True)))
    if user is None:
        return
    token = _issue(session, user, "reset", now, lifetime)
    queue_mail(session, user, "password_reset", lazy_gettext("Reset your SLM password"),
               lazy_gettext("Hello %(name)s,\n\nsomeone (we hope you) asked to reset the "
                            "password of %(username)s. Choose a new one with this link; it "
                            "works once, until %(until)s UTC. If it was not you, ignore "
                            "this mail: your password stays as it is.",
                            name=user.display_name, username=user.username,
                            until=f"{now + lifetime:%Y-%m-%d %H:%M}"),
               now=now, link=PATHS["reset"] + token)
    record(session, "password_reset_requested", {"user_id": user.id}, actor="anonymous",
           now=now)


def check_link(session: Session, purpose: str, token: str, now: datetime) -> AccountLink:
    """The usable link of ``token``; LinkError saying why not."""
    link = session.scalar(select(AccountLink).where(
        AccountLink.token_hash == _digest(token or ""), AccountLink.purpose == purpose))
    if link is None:
        raise LinkError(_("This link is not valid. Ask for a new one."))
    if link.used_at is not None:
        raise LinkError(_("This link was already used (or replaced by a newer one). Ask for "
                          "a new one."))
    if link.expires_at <= now:
        raise LinkError(_("This link expired at %(expires_at)s UTC. Ask for a new one.",
                          expires_at=format(link.expires_at, '%Y-%m-%d %H:%M')))
    return link


def redeem(session: Session, purpose: str, token: str, password: str, confirm: str, *,
           now: datetime) -> User:
    """Set the password of the link's user and use the link up. Raises LinkError,
    ValidationError (the password policy, or the two entries differ)."""
    link = check_link(session, purpose, token, now)
    if password != confirm:
        raise ValidationError({"password_confirm": [_("the two passwords differ")]})
    user = session.get(User, link.user_id)
    if user is None or not user.active:
        raise LinkError(_("This account is disabled."))
    set_password(session, user, password, actor=user.username, now=now)
    done = session.execute(update(AccountLink).where(
        AccountLink.id == link.id, AccountLink.used_at.is_(None)).values(used_at=now))
    if done.rowcount != 1:  # used by someone else in the meantime
        raise LinkError(_("This link was already used. Ask for a new one."))
    user.must_change_password = False
    session.flush()
    return user


def change_own_password(session: Session, user: User, current: str, password: str,
                        confirm: str, *, now: datetime) -> User:
    """Self-service change: the current password first. Raises ValidationError."""
    errors = {}
    if not verify_password(user.password_hash, current or ""):
        errors["current"] = [_("this is not your current password")]
    if password != confirm:
        errors["password_confirm"] = [_("the two passwords differ")]
    elif password and password == current:
        errors["password"] = [_("choose a password different from the current one")]
    if errors:
        raise ValidationError(errors)
    set_password(session, user, password, actor=user.username, now=now)
    user.must_change_password = False
    session.flush()
    return user


def require_change(session: Session, user_id: int) -> None:
    """An admin set this person's password: they choose their own at the next sign-in."""
    session.execute(update(User).where(User.id == user_id).values(must_change_password=True))
