"""Editing an organisation: its name, and its kind while nobody's role depends on it.

The key stays: it is in process data, task rows and links. Records
``organisation_updated`` with what changed.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.errors import NotFoundError
from engine.i18n import _, ngettext
from handlers.errors import ValidationError

from .admin_events import record
from .models import Organisation, User
from .operations import ORGANISATION_KINDS
from .preferences import language_errors


def get_organisation(session: Session, organisation_id: int) -> Organisation:
    org = session.get(Organisation, organisation_id)
    if org is None:
        raise NotFoundError(_("organisation %(organisation_id)s does not exist",
                              organisation_id=organisation_id))
    return org


def update_organisation(session: Session, organisation_id: int, name: str, kind: str, *,
                        actor: str, now: datetime, language: str | None = None) -> Organisation:
    """Rename ``organisation_id``, change its kind or its language (None: unchanged). Raises
    NotFoundError, ValidationError (empty or taken name, unknown kind, a kind its users'
    roles forbid, an unknown language)."""
    org = get_organisation(session, organisation_id)
    name = (name or "").strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("a name is required")]
    elif len(name) > 200:
        errors["name"] = [_("at most 200 characters")]
    elif session.scalar(select(Organisation.id).where(
            func.lower(Organisation.name) == name.lower(), Organisation.id != org.id)):
        errors["name"] = [_("an organisation named %(name)s exists already", name=repr(name))]
    if kind not in ORGANISATION_KINDS:
        errors["kind"] = [_("one of: %(value)s", value=', '.join(ORGANISATION_KINDS))]
    elif kind != org.kind:
        members = list(session.scalars(select(User).where(User.organisation_id == org.id)))
        customers = [u for u in members if "Customer" in u.role_set]
        if kind == "provider" and customers:
            errors["kind"] = [ngettext("%(num)s customer user belongs to it",
                                       "%(num)s customer users belong to it", len(customers))]
        elif kind == "customer" and len(customers) != len(members):
            errors["kind"] = [_("staff users belong to it; only customers belong to a "
                                "customer organisation")]
    language = language or org.language  # none given: unchanged
    errors.update(language_errors(language))
    if errors:
        raise ValidationError(errors)
    changed = {k: v for k, v in (("name", name), ("kind", kind), ("language", language))
               if getattr(org, k) != v}
    org.name, org.kind, org.language = name, kind, language
    session.flush()
    if changed:
        record(session, "organisation_updated", {"organisation_id": org.id, "key": org.key,
                                                 **changed}, actor=actor, now=now)
    return org
