"""People: customer organisations, users, their roles and their passwords.

Passwords are hashed with argon2id (argon2-cffi); only the hash is stored. Every function
takes a plain SQLAlchemy session and only flushes: the caller commits (one transaction per
request or command). Invalid input raises ``ValidationError({field: [messages]})`` and
leaves nothing behind. Every change is recorded in the audit log (``actor`` at ``now``, see
:mod:`handlers.people.admin_events`), never with a password or its hash.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.errors import NotFoundError
from engine.i18n import _
from handlers.errors import ValidationError
from handlers.paging import Page

from .admin_events import record
from .models import Organisation, User
from .passwords import MAX_PASSWORD, MIN_PASSWORD, password_problems  # noqa: F401 (re-exported)
from .roles import resolve as role_rows
from .sessions import end_sessions, revoke_tokens

USERNAME_PATTERN = re.compile(r"^[a-z][a-z0-9._-]{1,59}$")
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,59}$")
ORGANISATION_KINDS = ("customer", "provider")
#: roles that must stand alone: a customer sees one organisation, an auditor changes nothing
EXCLUSIVE_ROLES = ("Customer", "Auditor")

#: argon2id with the library's defaults (RFC 9106 second recommended option); tests swap in
#: cheaper parameters with ``use_hasher``. Stored hashes carry their own parameters.
_hasher = PasswordHasher()
_dummy_hash: str | None = None


def use_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Replace the password hasher (tests use cheap parameters); returns the previous one."""
    global _hasher, _dummy_hash
    previous, _hasher, _dummy_hash = _hasher, hasher, None
    return previous


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True if ``password`` matches ``password_hash``; False for a mismatch or a broken hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# -- organisations -------------------------------------------------------------------------
def list_organisations(session: Session, kind: str | None = None) -> list[Organisation]:
    query = select(Organisation).order_by(Organisation.name)
    if kind:
        query = query.where(Organisation.kind == kind)
    return list(session.scalars(query))


def organisation_user_counts(session: Session) -> dict[int, int]:
    """Organisation id -> number of its users."""
    rows = session.execute(select(User.organisation_id, func.count()).where(
        User.organisation_id.is_not(None)).group_by(User.organisation_id))
    return {org_id: count for org_id, count in rows}


def create_organisation(session: Session, key: str, name: str, kind: str = "customer", *,
                        actor: str, now: datetime) -> Organisation:
    """Add an organisation; ``key`` is its short stable identifier (lowercase, digits, -).

    Records ``organisation_created`` by ``actor``. Raises ValidationError."""
    key, name = (key or "").strip(), (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not KEY_PATTERN.fullmatch(key):
        errors["key"] = [_("2 to 60 characters: lowercase letters, digits and '-'")]
    elif session.scalar(select(Organisation.id).where(Organisation.key == key)):
        errors["key"] = [_("an organisation with the key %(key)s exists already", key=repr(key))]
    if not name:
        errors["name"] = [_("a name is required")]
    elif len(name) > 200:
        errors["name"] = [_("at most 200 characters")]
    elif session.scalar(select(Organisation.id).where(
            func.lower(Organisation.name) == name.lower())):
        errors["name"] = [_("an organisation named %(name)s exists already", name=repr(name))]
    if kind not in ORGANISATION_KINDS:
        errors["kind"] = [_("one of: %(value)s", value=', '.join(ORGANISATION_KINDS))]
    if errors:
        raise ValidationError(errors)
    org = Organisation(key=key, name=name, kind=kind)
    session.add(org)
    session.flush()
    record(session, "organisation_created",
           {"organisation_id": org.id, "key": key, "name": name, "kind": kind},
           actor=actor, now=now)
    return org


def _organisation(session: Session, ref: int | str | None) -> Organisation | None:
    """An organisation by id or key; None for an empty reference."""
    if ref in (None, ""):
        return None
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        return session.get(Organisation, int(ref))
    return session.scalar(select(Organisation).where(Organisation.key == ref))


# -- users ---------------------------------------------------------------------------------
def list_users(session: Session, page: int = 1, per_page: int = 25) -> Page:
    """One page of users ordered by username; a page past the end gives the last page."""
    total = session.scalar(select(func.count()).select_from(User)) or 0
    per_page = max(1, min(per_page, 200))
    page = min(max(1, page), max(1, math.ceil(total / per_page)))
    users = session.scalars(select(User).order_by(User.username)
                            .offset((page - 1) * per_page).limit(per_page))
    return Page(list(users), page, per_page, total)


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(_("user %(user_id)s does not exist", user_id=user_id))
    return user


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == (username or "").strip()))


def _check_password(password: str, errors: dict, username: str = "",
                    display_name: str = "") -> None:
    if problems := password_problems(password, username, display_name):
        errors["password"] = problems


def _check_profile(session: Session, display_name: str, email: str, roles: Iterable[str],
                   organisation: int | str | None, errors: dict, held=()):
    """Validate the editable fields; returns (role rows, organisation or None).
    ``held``: the names the person holds already (a retired one may be kept)."""
    if isinstance(roles, str):
        roles = roles.split(",")
    rows, role_problems = role_rows(session, roles or (), held)
    roles = tuple(r.name for r in rows)
    if not display_name:
        errors["display_name"] = [_("a name is required")]
    elif len(display_name) > 200:
        errors["display_name"] = [_("at most 200 characters")]
    if email and (len(email) > 200 or not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email)):
        errors["email"] = [_("not an e-mail address")]
    org = _organisation(session, organisation)
    if organisation not in (None, "") and org is None:
        errors["organisation"] = [_("no such organisation")]
    if role_problems:
        errors["roles"] = role_problems
    elif not roles:
        errors["roles"] = [_("choose at least one role")]
    elif len(roles) > 1 and (alone := [r for r in EXCLUSIVE_ROLES if r in roles]):
        errors["roles"] = [_("%(alone)s cannot be combined with other roles", alone=alone[0])]
    if "Customer" in roles:
        if org is None and "organisation" not in errors:
            errors["organisation"] = [_("a customer belongs to one customer organisation")]
        elif org is not None and org.kind != "customer":
            errors["organisation"] = [_("a customer belongs to a customer organisation")]
    elif org is not None and org.kind == "customer":
        errors["organisation"] = [_("only customers belong to a customer organisation")]
    return rows, org


def create_user(session: Session, username: str, display_name: str, password: str | None,
                roles: Iterable[str], organisation: int | str | None = None, email: str = "",
                active: bool = True, password_hash: str | None = None, *, actor: str,
                now: datetime) -> User:
    """Add a user. ``organisation`` is an id or key: a customer organisation for a customer
    (required), none or a provider organisation for staff.

    Give ``password`` (hashed here) or an existing argon2 ``password_hash`` (imports, seeds).
    Records ``user_created`` by ``actor``. Raises ValidationError naming each wrong field;
    nothing is stored then.
    """
    username = (username or "").strip()
    display_name, email = (display_name or "").strip(), (email or "").strip()
    errors: dict[str, list[str]] = {}
    if not USERNAME_PATTERN.fullmatch(username):
        errors["username"] = [_("2 to 60 characters: lowercase letters, digits, '.', '_' or "
                                "'-', starting with a letter")]
    elif find_user(session, username) is not None:
        errors["username"] = [_("the username %(username)s is taken", username=repr(username))]
    if password_hash is None:
        _check_password(password, errors, username, display_name)
    rows, org = _check_profile(session, display_name, email, roles, organisation, errors)
    if errors:
        raise ValidationError(errors)
    user = User(username=username, display_name=display_name, email=email,
                password_hash=password_hash or hash_password(password),
                role_rows=rows, organisation=org, active=bool(active))
    session.add(user)
    session.flush()
    record(session, "user_created", {"user_id": user.id, **_profile(user, username=True)},
           actor=actor, now=now)
    return user


def _profile(user: User, username: bool = False) -> dict:
    """The audited fields of ``user`` (no password hash)."""
    fields = {"username": user.username} if username else {}
    return {**fields, "display_name": user.display_name, "email": user.email,
            "roles": sorted(user.role_set),
            "organisation": user.organisation.key if user.organisation else None,
            "active": bool(user.active)}


def update_user(session: Session, user_id: int, display_name: str, roles: Iterable[str],
                organisation: int | str | None = None, email: str = "", active: bool = True,
                password: str | None = None, acting_user_id: int | None = None, *,
                actor: str, now: datetime) -> User:
    """Change a user's profile, roles, organisation, state and (if given) password.

    An admin (``acting_user_id``) cannot remove their own Admin role or deactivate
    themselves, so at least one administrator always remains. Records ``user_updated``
    with ``changes: {field: {old, new}}`` when a field changed, and ``password_set`` when
    a password was given, both by ``actor``. Raises ValidationError, NotFoundError.
    """
    user = get_user(session, user_id)
    display_name, email = (display_name or "").strip(), (email or "").strip()
    errors: dict[str, list[str]] = {}
    if password:
        _check_password(password, errors, user.username, display_name)
    rows, org = _check_profile(session, display_name, email, roles, organisation, errors,
                               held=user.role_set)
    if acting_user_id == user.id:
        if "Admin" in user.role_set and "Admin" not in {r.name for r in rows}:
            errors.setdefault("roles", []).append(_("you cannot remove your own Admin role"))
        if not active:
            errors["active"] = [_("you cannot deactivate yourself")]
    if errors:
        raise ValidationError(errors)
    before = _profile(user)
    user.display_name, user.email = display_name, email
    user.role_rows, user.organisation, user.active = rows, org, bool(active)
    session.flush()
    if not user.active:
        end_sessions(session, user.id, now)  # a deactivated person is signed out everywhere
    after = _profile(user)
    if changes := {k: {"old": before[k], "new": after[k]} for k in after
                   if before[k] != after[k]}:
        record(session, "user_updated",
               {"user_id": user.id, "username": user.username, "changes": changes},
               actor=actor, now=now)
    if password:
        set_password(session, user, password, actor=actor, now=now)
    return user


def set_password(session: Session, user: User | int, password: str, *, actor: str,
                 now: datetime) -> User:
    """Give ``user`` a new password (the policy of :mod:`handlers.people.passwords`); ends
    every session of theirs and revokes their API tokens; records ``password_set`` by
    ``actor`` (who and for whom, nothing of the password).
    Raises ValidationError, NotFoundError."""
    if isinstance(user, int):
        user = get_user(session, user)
    errors: dict[str, list[str]] = {}
    _check_password(password, errors, user.username, user.display_name)
    if errors:
        raise ValidationError(errors)
    user.password_hash = hash_password(password)
    end_sessions(session, user.id, now)
    revoke_tokens(session, user.id, now)
    session.flush()
    record(session, "password_set", {"user_id": user.id, "username": user.username},
           actor=actor, now=now)
    return user


def authenticate(session: Session, username: str, password: str) -> User | None:
    """The active user with these credentials, or None.

    An unknown username costs one hash verification too, so response times do not tell
    which usernames exist. A hash made with older parameters is upgraded on success.
    """
    global _dummy_hash
    user = find_user(session, username)
    if user is None or not user.active:
        if _dummy_hash is None:
            _dummy_hash = hash_password("not a password of anyone")
        verify_password(_dummy_hash, password or "")
        return None
    if not verify_password(user.password_hash, password or ""):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.flush()
    return user

