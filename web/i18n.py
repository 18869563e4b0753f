"""Languages in the web layer: who reads in which language, in which time zone.

Flask-Babel chooses the language of a request: the signed-in person's own choice, else the
browser's ``Accept-Language`` (the JSON API answers in the language its ``Accept-Language``
asks for). Templates, flash messages and the domain's messages all translate through
:mod:`engine.i18n`, so a mail or report written for someone else (``use_language``) is in
their language even inside another person's request.

Dates and times are shown in the person's time zone (``SLM_TIME_ZONE``, default UTC, before
a person chooses their own), in the manner of their language (Babel).
"""
from __future__ import annotations

import os
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel.dates import format_date, format_datetime
from flask import has_request_context, request
from flask_babel import Babel, get_locale
from flask_login import current_user

from engine.i18n import (
    CATALOGUES,
    DEFAULT_LANGUAGE,
    LANGUAGES,
    N_,
    current_language,
    gettext,
    normalise,
    set_resolver,
    translations,
)
from web.browser_texts import browser_texts

babel = Babel()

#: the code words records carry (statuses, kinds, roles, lanes) that pages show: the ``term``
#: filter shows them in the reader's language; any other value is shown as it is
TERMS = frozenset({
    # roles and process lanes
    N_("Admin"), N_("Process Owner"), N_("Service Level Manager"), N_("Customer"),
    N_("Auditor"), N_("Provider"),
    # statuses
    N_("draft"), N_("negotiating"), N_("agreed"), N_("active"), N_("expired"),
    N_("terminated"), N_("superseded"), N_("submitted"), N_("assessed"), N_("options"),
    N_("chosen"), N_("withdrawn"), N_("open"), N_("closed"), N_("completed"), N_("proposed"),
    N_("accepted"), N_("rejected"), N_("implemented"), N_("undefined"), N_("defined"),
    N_("operational"), N_("maintenance"), N_("retired"), N_("live"), N_("pending"),
    N_("sent"), N_("failed"), N_("running"), N_("error"), N_("cancelled"), N_("ready"),
    N_("met"), N_("breached"), N_("at_risk"), N_("no_data"), N_("healthy"), N_("done"),
    # kinds
    N_("customer"), N_("provider"), N_("complaint"), N_("outage"), N_("slow"),
    N_("praise"), N_("other"), N_("incident"), N_("problem"), N_("change"),
    N_("capacity"), N_("availability"), N_("continuity"), N_("requirement"), N_("sla"),
    N_("review"), N_("change_request"), N_("invitation"), N_("password_reset"),
})


def term(value) -> str:
    """A record's code word (status, kind, role) in the reader's language."""
    if isinstance(value, str) and value in TERMS:
        return gettext(value)
    return "" if value is None else value


def select_language() -> str:
    """The request's language: the API's Accept-Language, else the person's choice, else
    the browser's preference, else English."""
    wanted = request.accept_languages.best_match(LANGUAGES)
    if request.path.startswith("/api/") and wanted:
        return wanted
    language = getattr(current_user, "language", None) if current_user else None
    if language in LANGUAGES:
        return language
    return wanted or DEFAULT_LANGUAGE


def default_time_zone() -> str:
    return os.environ.get("SLM_TIME_ZONE", "UTC") or "UTC"


def valid_time_zone(name: str | None) -> bool:
    if not name or len(name) > 60:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def select_time_zone() -> str:
    chosen = getattr(current_user, "time_zone", None) if current_user else None
    return chosen if valid_time_zone(chosen) else default_time_zone()


def time_zones() -> list[str]:
    """IANA zone names a person may choose, sorted."""
    return sorted(z for z in available_timezones() if "/" in z and not z.startswith(
        ("Etc/", "SystemV/", "US/", "posix/", "right/"))) + ["UTC"]


def _zone() -> ZoneInfo:
    name = select_time_zone() if has_request_context() else default_time_zone()
    return ZoneInfo(name if valid_time_zone(name) else "UTC")


def _aware(value: datetime) -> datetime:
    # the database keeps naive UTC datetimes
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def when(value: datetime | None, zone: bool = True) -> str:
    """A moment in the reader's time zone and language: "2026-01-05 10:00 UTC" (English),
    "05.01.2026, 13:00 MSK" (Russian)."""
    if value is None:
        return "—"
    if not isinstance(value, datetime):
        return day(value)
    local = _aware(value).astimezone(_zone())
    language = current_language()
    pattern = "yyyy-MM-dd HH:mm" if language == "en" else "short"
    text = format_datetime(local, pattern, tzinfo=local.tzinfo, locale=language)
    return f"{text} {local.tzname()}" if zone else text


def _local_day(value, english: str, russian: str) -> str:
    """``value`` as a day of the reader's time zone, in the pattern of their language."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = _aware(value).astimezone(_zone()).date()
    if not isinstance(value, date):
        return str(value)
    language = current_language()
    return format_date(value, english if language == "en" else russian, locale=language)


def day(value: date | datetime | None) -> str:
    """A day in the reader's language: "2026-01-05" (English), "05.01.2026" (Russian)."""
    return _local_day(value, "yyyy-MM-dd", "short")


def long_day(value: date | datetime | None) -> str:
    """A day in words: "05 Jan 2026" (English), "5 янв. 2026 г." (Russian)."""
    return _local_day(value, "dd MMM yyyy", "medium")


def init_i18n(app) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(CATALOGUES))
    babel.init_app(app, locale_selector=select_language, timezone_selector=select_time_zone)
    # the domain's messages follow the request's language (Flask-Babel's choice)
    set_resolver(lambda: str(get_locale()) if has_request_context() else None)
    # templates translate through engine.i18n too, so use_language() reaches them
    # (Jinja fills the placeholders itself: the callables return the bare translation)
    app.jinja_env.install_gettext_callables(
        lambda message: translations(current_language()).ugettext(message),
        lambda singular, plural, n: translations(current_language()).ungettext(
            singular, plural, n),
        newstyle=True)
    app.add_template_filter(term, "term")
    app.add_template_filter(when, "when")
    app.add_template_filter(day, "day")
    app.add_template_filter(long_day, "long_day")

    app.add_template_global(browser_texts, "browser_texts")

    @app.context_processor
    def _language():
        return {"language": current_language()}


__all__ = ["init_i18n", "normalise", "select_language", "when", "day", "long_day",
           "time_zones", "valid_time_zone"]
