"""Roles are data: admins add roles (a name a BPMN lane uses, and a description) and retire
them; people hold any number of them.

The built-in roles (``ROLES``) are rows like any other, but they carry the route access
rules, so they are never retired. A role that a deployed version's lanes name is not retired
either: its tasks would be left without anyone to work them. A retired role cannot be given
to anyone or named by a new lane. Every function only flushes; the caller commits.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.errors import NotFoundError
from engine.i18n import _
from engine.lanes import lanes_in_use
from handlers.errors import ValidationError

from .admin_events import record
from .models import ROLES, Role, User, user_role

MAX_NAME = 120
MAX_DESCRIPTION = 500


def list_roles(session: Session, *, include_retired: bool = True) -> list[Role]:
    """Built-in roles first (in their usual order), then the others by name."""
    query = select(Role)
    if not include_retired:
        query = query.where(Role.retired_at.is_(None))
    order = {name: i for i, name in enumerate(ROLES)}
    return sorted(session.scalars(query), key=lambda r: (order.get(r.name, len(order)),
                                                          r.name.lower()))


def active_role_names(session: Session) -> tuple[str, ...]:
    """Names of the roles that may be given to people and named by new lanes."""
    return tuple(r.name for r in list_roles(session, include_retired=False))


def holder_counts(session: Session) -> dict[int, int]:
    """Role id -> number of active people holding it."""
    rows = session.execute(select(user_role.c.role_id, func.count()).join(
        User, User.id == user_role.c.user_id).where(User.active.is_(True))
        .group_by(user_role.c.role_id))
    return {role_id: count for role_id, count in rows}


def get_role(session: Session, role_id: int) -> Role:
    role = session.get(Role, role_id)
    if role is None:
        raise NotFoundError(_("role %(role_id)s does not exist", role_id=role_id))
    return role


def create_role(session: Session, name: str, description: str = "", *, actor: str,
                now: datetime) -> Role:
    """Add a role. Its name is what a lane says (letters, digits, spaces and - _ . & /).

    Records ``role_created``. Raises ValidationError naming each wrong field."""
    name = " ".join((name or "").split())
    description = " ".join((description or "").split())
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("a name is required")]
    elif len(name) > MAX_NAME:
        errors["name"] = [_("at most %(MAX_NAME)s characters", MAX_NAME=MAX_NAME)]
    elif not all(c.isalnum() or c in " -_.&/" for c in name):
        errors["name"] = [_("letters, digits, spaces and - _ . & / only")]
    elif session.scalar(select(Role.id).where(func.lower(Role.name) == name.lower())):
        errors["name"] = [_("a role named %(name)s exists already (perhaps retired)",
                            name=repr(name))]
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = [_("at most %(MAX_DESCRIPTION)s characters",
                                   MAX_DESCRIPTION=MAX_DESCRIPTION)]
    if errors:
        raise ValidationError(errors)
    role = Role(name=name, description=description, builtin=False, created_at=now)
    session.add(role)
    session.flush()
    record(session, "role_created", {"role_id": role.id, "name": name,
                                     "description": description}, actor=actor, now=now)
    return role


def retire_problem(session: Session, role: Role) -> str | None:
    """Why ``role`` cannot be retired, or None when it can."""
    if role.builtin:
        return (f"{role.name} is a built-in role: the product's access rules are written in "
                "it, so it stays")
    versions = lanes_in_use(session).get(role.name)
    if versions:
        shown = ", ".join(versions[:5]) + (" …" if len(versions) > 5 else "")
        return (f"{role.name} is the lane of deployed diagram versions ({shown}): their "
                "tasks need it")
    return None


def retire_role(session: Session, role_id: int, *, actor: str, now: datetime) -> Role:
    """Retire a role: no new lane may name it and no one is given it any more; people who
    hold it keep it until an admin changes them. Raises ValidationError with the reason
    when it cannot be retired (built-in, or a deployed version's lane)."""
    role = get_role(session, role_id)
    if role.retired_at is not None:
        return role
    if problem := retire_problem(session, role):
        raise ValidationError({"role": [problem]})
    role.retired_at = now
    session.flush()
    record(session, "role_retired", {"role_id": role.id, "name": role.name},
           actor=actor, now=now)
    return role


def resolve(session: Session, names, held=()) -> tuple[list[Role], list[str]]:
    """Role rows for ``names``: ([roles], [problems]). A retired role is accepted only when
    already ``held`` (keeping it is not giving it)."""
    wanted = sorted({n.strip() for n in names if n and n.strip()})
    rows = {r.name: r for r in session.scalars(select(Role).where(Role.name.in_(wanted)))}
    problems = [f"unknown role: {n}" for n in wanted if n not in rows]
    problems += [f"the role {n} is retired" for n in wanted
                 if n in rows and rows[n].retired_at is not None and n not in held]
    return [rows[n] for n in wanted if n in rows], problems
