"""A person's own settings: the language they read in and their time zone, and an
organisation's language (its reports are written in it)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from engine.i18n import LANGUAGES, _

from .admin_events import record
from .models import User


def valid_time_zone(name: str) -> bool:
    """An IANA time zone name this system knows ("Europe/Moscow", "UTC")."""
    if not name or len(name) > 60 or "\x00" in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def language_errors(language: str | None, field: str = "language") -> dict[str, list[str]]:
    if language and language not in LANGUAGES:
        return {field: [_("choose one of the offered languages (%(languages)s)",
                          languages=", ".join(LANGUAGES))]}
    return {}


def set_preferences(session: Session, user: User, language: str, time_zone: str, *,
                    now: datetime) -> dict[str, list[str]]:
    """Set ``user``'s language ("" = the browser's) and time zone ("" = the installation's).
    Returns the errors (field -> messages); nothing is changed when there are any."""
    language, time_zone = (language or "").strip(), (time_zone or "").strip()
    errors = language_errors(language)
    if time_zone and not valid_time_zone(time_zone):
        errors["time_zone"] = [_("%(zone)s is not a time zone: give an IANA name such as "
                                 "Europe/Moscow or UTC", zone=time_zone[:60])]
    if errors:
        return errors
    changed = {k: v for k, v in (("language", language or None),
                                 ("time_zone", time_zone or None)) if getattr(user, k) != v}
    user.language, user.time_zone = language or None, time_zone or None
    session.flush()
    if changed:
        record(session, "preferences_changed", {"user_id": user.id, **changed},
               actor=user.username, now=now)
    return {}
