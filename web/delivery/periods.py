"""The period a page shows, from its ``period`` parameter: "2026-02" (a month) or "2026-Q1"
(a quarter). No Flask here."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from engine.i18n import _
from handlers.delivery.periods import add_months, period_before

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$", re.IGNORECASE)


def parse_period(text: str | None, now: datetime) -> tuple[date, date]:
    """(first day, last day) of the period ``text``; empty means the month before ``now``.

    Raises ValueError with a sentence for people when ``text`` is not a period.
    """
    text = (text or "").strip()
    if not text:
        return period_before(now, 1)
    if match := _MONTH.match(text):
        year, month = int(match[1]), int(match[2])
        if 1 <= month <= 12 and year >= 1900:
            start = date(year, month, 1)
            return start, add_months(start, 1) - timedelta(days=1)
    elif match := _QUARTER.match(text):
        year, quarter = int(match[1]), int(match[2])
        if year >= 1900:
            start = date(year, 3 * quarter - 2, 1)
            return start, add_months(start, 3) - timedelta(days=1)
    raise ValueError(_("%(text)s is not a period: give a month as YYYY-MM (e.g. 2026-02) or "
                       "a quarter as YYYY-Qn (e.g. 2026-Q1)",
                       text=repr(text)))


def label(start: date, end: date) -> str:
    """"2026-02" for a month, "2026-Q1" for a quarter."""
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    if months == 3 and start.month % 3 == 1:
        return f"{start.year}-Q{start.month // 3 + 1}"
    return f"{start.year}-{start.month:02d}"


def neighbours(start: date, end: date) -> tuple[str, str]:
    """Labels of the period before and the period after ``start``..``end``."""
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    before = add_months(start, -months)
    after = add_months(start, months)
    return (label(before, add_months(before, months) - timedelta(days=1)),
            label(after, add_months(after, months) - timedelta(days=1)))
