"""Reporting periods: calendar months, quarters and the periods before them.

A period is a pair of dates ``(start, end)`` with ``end`` inclusive (the last day of the
period), as stored on Review and ManagementReport.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from engine.i18n import _
from handlers.errors import DomainError

#: review cycle words -> ISO 8601 durations
_WORDS = {"monthly": "P1M", "quarterly": "P3M", "half-yearly": "P6M", "yearly": "P1Y",
          "annual": "P1Y", "weekly": "P1W"}
_DURATION = re.compile(r"^P(?!$)(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
                       r"(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$")
#: day blocks (weekly, fortnightly...) are counted from a Monday, so weeks run Mon-Sun
_DAY_ANCHOR = date(2001, 1, 1)


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` calendar months, clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(day.day, _month_length(year, month + 1)))


def _month_length(year: int, month: int) -> int:
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return (nxt - timedelta(days=1)).day


def review_period(review_cycle, now: datetime | date) -> tuple[date, date]:
    """The period of one review cycle that ended last before ``now``.

    ``review_cycle`` is an ISO 8601 duration (as the SLA terms hold it: P1M, P3M, P1Y, P2W,
    P14D...) or a word (monthly, quarterly...); empty means monthly. Cycles of whole months
    or years are calendar-aligned (:func:`period_before`); other cycles are blocks of whole
    days (at least one) counted from a Monday. Raises DomainError if it is not understood.
    """
    text = _WORDS.get(str(review_cycle or "P1M").strip().lower(),
                      str(review_cycle or "P1M").strip().upper())
    match = _DURATION.match(text)
    if not match:
        raise DomainError(_("review cycle %(review_cycle)s is not an ISO 8601 duration such "
                            "as P1M or P3M",
                            review_cycle=repr(review_cycle)))
    y, m, w, d, hh, mm, ss = (int(x or 0) for x in match.groups())
    if not (w or d or hh or mm or ss):
        if y * 12 + m == 0:
            raise DomainError(_("review cycle %(review_cycle)s is empty",
                                review_cycle=repr(review_cycle)))
        return period_before(now, y * 12 + m)
    days = max(1, y * 365 + m * 30 + w * 7 + d + (hh * 3600 + mm * 60 + ss) // 86400)
    today = now.date() if isinstance(now, datetime) else now
    end = today - timedelta(days=(today - _DAY_ANCHOR).days % days)
    return end - timedelta(days=days), end - timedelta(days=1)


def period_before(now: datetime | date, months: int = 1) -> tuple[date, date]:
    """The last complete calendar-aligned period of ``months`` months ended before ``now``.

    Periods align to January: quarters start in Jan/Apr/Jul/Oct, half-years in Jan/Jul.
    """
    today = now.date() if isinstance(now, datetime) else now
    index = today.year * 12 + today.month - 1
    current = index - index % months
    end = date(current // 12, current % 12 + 1, 1)
    return add_months(end, -months), end - timedelta(days=1)


def month_count(start: date, end: date) -> int | None:
    """Months in the period if it spans whole calendar months, else None."""
    if start.day != 1 or end < start:
        return None
    months = (end.year * 12 + end.month) - (start.year * 12 + start.month) + 1
    return months if add_months(start, months) - timedelta(days=1) == end else None


def previous_periods(start: date, end: date, count: int = 3) -> list[tuple[date, date]]:
    """The ``count`` periods of the same length before ``start``..``end``, oldest first."""
    months = month_count(start, end)
    out = []
    for i in range(count, 0, -1):
        if months:
            out.append((add_months(start, -months * i),
                        add_months(start, -months * (i - 1)) - timedelta(days=1)))
        else:
            length = timedelta(days=(end - start).days + 1)
            out.append((start - length * i, end - length * i))
    return out


def parse_date(value, field: str) -> date:
    """A date from a date, datetime or ISO string; DomainError naming ``field`` otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)[:10])
    except (TypeError, ValueError) as exc:
        raise DomainError(_("%(field)s %(value)s is not an ISO date (YYYY-MM-DD)",
                            field=field,
                            value=repr(value))) from exc
