"""Service hours calendars: when an SLA's targets apply, in the SLA's own timezone.

Accepted forms (case-insensitive; segments separated by ";"):

* ``24x7`` (or ``24/7``): always; ``24x5``: Monday to Friday, whole days;
* ``Mon-Fri 08:00-18:00``: days (ranges and comma lists, ``Fri-Mon`` wraps) and one or more
  ``HH:MM-HH:MM`` windows; ``24:00`` ends at midnight; an end at or before the start runs
  overnight into the next day;
* ``Mon-Fri 08:00-18:00; Sat 09:00-13:00``: several segments; a segment with days only
  covers those whole days, one with times only covers every day.

Windows are wall-clock times, so they follow daylight saving changes of the timezone.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.i18n import _
from handlers.errors import DomainError

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_DAY = re.compile(r"^([a-z]{3})[a-z]*(?:-([a-z]{3})[a-z]*)?$")
_DAY_MINUTES = 24 * 60


@dataclass(frozen=True)
class ServiceHours:
    """A parsed calendar: ``windows`` are (weekday, start minute, end minute) in local time."""

    text: str
    timezone: str
    windows: tuple[tuple[int, int, int], ...]
    always: bool = False

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def parse_service_hours(text: str | None, timezone: str | None = "UTC") -> ServiceHours:
    """Parse ``text`` (see the module docstring) in ``timezone``; raise DomainError if invalid."""
    tz_name = timezone or "UTC"
    try:
        ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise DomainError(_("unknown timezone %(tz_name)s", tz_name=repr(tz_name))) from exc
    raw = (text or "24x7").strip()
    norm = raw.lower().replace(" ", "")
    if norm in ("24x7", "24/7", "always"):
        return ServiceHours(raw, tz_name, (), always=True)
    if norm in ("24x5", "24/5"):
        raw = "Mon-Fri 00:00-24:00"
    windows: list[tuple[int, int, int]] = []
    for segment in filter(None, (s.strip() for s in raw.split(";"))):
        windows.extend(_segment(segment, raw))
    if not windows:
        raise DomainError(_("service hours %(raw)s define no window", raw=repr(raw)))
    return ServiceHours(raw, tz_name, tuple(sorted(set(windows))))


def _segment(segment: str, whole: str) -> list[tuple[int, int, int]]:
    days: list[int] = []
    spans: list[tuple[int, int]] = []
    for token in segment.lower().replace(", ", ",").split():
        if _TIME.match(token):
            spans.append(_span(token, whole))
        elif any(ch.isdigit() for ch in token):
            raise DomainError(_("service hours %(whole)s: %(token)s is not a valid time "
                                "window (use HH:MM-HH:MM)",
                                whole=repr(whole),
                                token=repr(token)))
        else:
            for part in filter(None, token.split(",")):
                days.extend(_days(part, whole))
    days = days or list(range(7))
    spans = spans or [(0, _DAY_MINUTES)]
    return [(d, start, end) for d in days for start, end in spans]


def _span(token: str, whole: str) -> tuple[int, int]:
    h1, m1, h2, m2 = (int(x) for x in _TIME.match(token).groups())
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if h1 > 23 or m1 > 59 or m2 > 59 or end > _DAY_MINUTES:
        raise DomainError(_("service hours %(whole)s: %(token)s is not a valid time window",
                            whole=repr(whole),
                            token=repr(token)))
    if end <= start:  # overnight: runs into the next day
        end += _DAY_MINUTES
    return start, end


def _days(part: str, whole: str) -> list[int]:
    match = _DAY.match(part)
    names = match.groups() if match else ()
    if not match or any(n and n not in DAY_NAMES for n in names):
        raise DomainError(_("service hours %(whole)s: %(part)s is not a day or a day range "
                            "(use Mon, Tue, ... Sun, e.g. Mon-Fri)",
                            whole=repr(whole),
                            part=repr(part)))
    first = DAY_NAMES.index(names[0])
    last = DAY_NAMES.index(names[1]) if names[1] else first
    return [(first + i) % 7 for i in range((last - first) % 7 + 1)]


def local_range_utc(start: date, end: date, timezone: str) -> tuple[datetime, datetime]:
    """The days ``start``..``end`` (inclusive) in ``timezone`` as naive UTC [from, to)."""
    zone = ZoneInfo(timezone or "UTC")
    return _to_utc(datetime.combine(start, time()), zone), \
        _to_utc(datetime.combine(end + timedelta(days=1), time()), zone)


def utc_windows(hours: ServiceHours, start: datetime, end: datetime) -> list[tuple[datetime,
                                                                                 datetime]]:
    """The service windows within naive UTC [start, end), as sorted, merged naive UTC pairs."""
    if start >= end:
        return []
    if hours.always:
        return [(start, end)]
    zone = hours.zone
    spans: list[tuple[datetime, datetime]] = []
    day = start.date() - timedelta(days=2)
    while day <= end.date() + timedelta(days=1):
        midnight = datetime.combine(day, time())
        for weekday, first, last in hours.windows:
            if weekday == day.weekday():
                lo = _to_utc(midnight + timedelta(minutes=first), zone)
                hi = _to_utc(midnight + timedelta(minutes=last), zone)
                lo, hi = max(lo, start), min(hi, end)
                if lo < hi:
                    spans.append((lo, hi))
        day += timedelta(days=1)
    return _merge(spans)


def _to_utc(local: datetime, zone: ZoneInfo) -> datetime:
    return local.replace(tzinfo=zone).astimezone(UTC).replace(tzinfo=None)


def _merge(spans: list[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[list[datetime]] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [(lo, hi) for lo, hi in merged]
