"""What a timer may ask for: checked at deploy (literal values) and when a timer starts.

* durations and cycle intervals: at most MAX_SPAN_DAYS (50 years); a cycle's interval at
  least MIN_CYCLE_SECONDS (1 s), so a zero or sub-second cycle is refused;
* dates: within 50 years of the step's time;
* a cycle needs a repetition count (``R12/P1M``), at most MAX_CYCLES, unless it is on a
  boundary event (its activity ends it); ``R/P1D`` on a start or catch event never ends.

A late cycle timer fires once and then waits for its next occurrence after the current time
(see EngineCycle): missed occurrences are skipped, never fired as a backlog.

SpiffWorkflow adds durations year by year and month by month, so "P5000000Y" would keep a
worker busy for minutes: the size is checked on the parsed parts first.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from .i18n import _

MAX_SPAN_DAYS = 50 * 366
MIN_CYCLE_SECONDS = 1
MAX_CYCLES = 100_000
_DAYS_PER = {"years": 366, "months": 31, "weeks": 7, "days": 1, "hours": 1 / 24,
             "minutes": 1 / 1440, "seconds": 1 / 86400}


class TimerPolicyError(ValueError):
    """A timer value outside what the engine runs; the message is for a process owner."""

    plain = True


def text_of(value) -> str:
    """The ISO 8601 text a timer expression gave; TimerPolicyError if it is not one."""
    if not isinstance(value, str):
        raise TimerPolicyError(_("the timer expression gave a %(__name__)s, not an ISO 8601 "
                                 "text",
                                 __name__=type(value).__name__))
    if len(value) > 200:
        raise TimerPolicyError(_("the timer expression gave a text too long for a time"))
    return value


def _parts(text: str) -> dict:
    try:
        return TimerEventDefinition.parse_iso_duration(text)
    except Exception:
        raise TimerPolicyError(_("%(text)s is not an ISO 8601 duration", text=repr(text))) from None


def duration(text: str, now: datetime) -> timedelta:
    """The timedelta of ISO 8601 duration ``text`` from ``now``; TimerPolicyError if too long."""
    parts = _parts(text)
    days = sum(float(v) * _DAYS_PER.get(k, 1) for k, v in parts.items())
    if days > MAX_SPAN_DAYS:
        raise TimerPolicyError(_("duration %(text)s is longer than %(MAX_SPAN_DAYS)s years",
                                 text=text,
                                 MAX_SPAN_DAYS=MAX_SPAN_DAYS // 366))
    return TimerEventDefinition.get_timedelta_from_start(parts, now)


def check_date(value: datetime, now: datetime, text: str) -> None:
    if abs((value - now).days) > MAX_SPAN_DAYS:
        raise TimerPolicyError(_("date %(text)s is more than %(MAX_SPAN_DAYS)s years away",
                                 text=text,
                                 MAX_SPAN_DAYS=MAX_SPAN_DAYS // 366))


def date_or_duration(text: str, now: datetime) -> datetime:
    """When a time-date timer given ``text`` (a date, or a duration from now) is due."""
    if text.strip().upper().startswith("P"):
        return now + duration(text, now)
    try:
        value = TimerEventDefinition.get_datetime(text)
    except Exception:
        raise TimerPolicyError(_("%(text)s is not an ISO 8601 date-time",
                                 text=repr(text))) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=now.tzinfo)
    check_date(value, now, text)
    return value


def cycle(text: str, now: datetime, boundary: bool = False):
    """(cycles, first due, interval) of ISO 8601 repeating interval ``text`` after ``now``."""
    parts = text.upper().replace("--", "/").strip().split("/")
    if len(parts) < 2 or not parts[0].startswith("R"):
        raise TimerPolicyError(_("%(text)s is not an ISO 8601 repeating interval (R3/PT1H)",
                                 text=repr(text)))
    count = parts[0][1:]
    if count and not count.isdigit():
        raise TimerPolicyError(_("%(text)s: the repetition count must be a number",
                                 text=repr(text)))
    cycles = int(count) if count else -1
    if cycles == -1 and not boundary:
        raise TimerPolicyError(_("cycle %(text)s has no repetition count and would never "
                                 "end; give one (e.g. R12/P1M)",
                                 text=text))
    if cycles > MAX_CYCLES:
        raise TimerPolicyError(_("cycle %(text)s repeats more than %(MAX_CYCLES)s times",
                                 text=text,
                                 MAX_CYCLES=format(MAX_CYCLES, ',')))
    for part in parts[1:]:  # bounded before Spiff adds it up
        if part.startswith("P"):
            duration(part, now)
    if len(parts) == 2 and parts[1].startswith("P"):
        interval = duration(parts[1], now)
        start = now + interval
    else:
        try:
            _c, start, interval = TimerEventDefinition.parse_iso_recurring_interval(text)
        except Exception:
            raise TimerPolicyError(_("%(text)s is not an ISO 8601 repeating interval",
                                     text=repr(text))) from None
        check_date(start, now, text)
        if interval.days > MAX_SPAN_DAYS:
            raise TimerPolicyError(_("cycle %(text)s: interval longer than %(MAX_SPAN_DAYS)s "
                                     "years",
                                     text=text,
                                     MAX_SPAN_DAYS=MAX_SPAN_DAYS // 366))
    if interval.total_seconds() < MIN_CYCLE_SECONDS:
        raise TimerPolicyError(_("cycle %(text)s repeats more often than every "
                                 "%(MIN_CYCLE_SECONDS)s s",
                                 text=text,
                                 MIN_CYCLE_SECONDS=MIN_CYCLE_SECONDS))
    return cycles, start, interval
