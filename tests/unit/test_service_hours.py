"""Service hours calendars and review periods (pure functions)."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from handlers.delivery.periods import period_before, previous_periods, review_period
from handlers.delivery.service_hours import local_range_utc, parse_service_hours, utc_windows
from handlers.errors import DomainError


def test_forms_of_service_hours():
    assert parse_service_hours("24x7").always
    assert parse_service_hours("24x5").windows == tuple((d, 0, 1440) for d in range(5))
    assert parse_service_hours("Mon-Fri 08:00-18:00", "Europe/Berlin").windows == tuple(
        (d, 480, 1080) for d in range(5))
    assert parse_service_hours("Sat,Sun 10:00-14:00").windows == ((5, 600, 840),
                                                                   (6, 600, 840))
    assert parse_service_hours("Fri-Mon 22:00-06:00").windows == (
        (0, 1320, 1800), (4, 1320, 1800), (5, 1320, 1800), (6, 1320, 1800))
    assert parse_service_hours("Mon 08:00-12:00 13:00-17:00; Tue").windows == (
        (0, 480, 720), (0, 780, 1020), (1, 0, 1440))


@pytest.mark.parametrize("text, tz, message", [
    ("Mon-Fry 08:00-18:00", "UTC", "is not a day"),
    ("Mon-Fri 08:00-25:00", "UTC", "not a valid time window"),
    ("Mon-Fri 8-18", "UTC", "not a valid time window"),
    ("24x7", "Mars/Olympus", "unknown timezone"),
])
def test_bad_service_hours_say_what_is_wrong(text, tz, message):
    with pytest.raises(DomainError, match=message):
        parse_service_hours(text, tz)


def test_windows_in_utc_across_a_daylight_saving_change():
    hours = parse_service_hours("Mon-Fri 08:00-18:00", "Europe/Berlin")
    start, end = local_range_utc(date(2026, 3, 27), date(2026, 3, 30), "Europe/Berlin")
    assert (start, end) == (datetime(2026, 3, 26, 23), datetime(2026, 3, 30, 22))
    assert utc_windows(hours, start, end) == [
        (datetime(2026, 3, 27, 7), datetime(2026, 3, 27, 17)),   # Fri, UTC+1
        (datetime(2026, 3, 30, 6), datetime(2026, 3, 30, 16))]   # Mon, UTC+2


def test_overnight_window_runs_into_the_next_day():
    hours = parse_service_hours("Fri 22:00-06:00")
    assert utc_windows(hours, datetime(2026, 1, 9), datetime(2026, 1, 11)) == [
        (datetime(2026, 1, 9, 22), datetime(2026, 1, 10, 6))]


def test_periods():
    assert period_before(datetime(2026, 1, 15)) == (date(2025, 12, 1), date(2025, 12, 31))
    assert period_before(date(2026, 3, 31), 3) == (date(2025, 10, 1), date(2025, 12, 31))
    assert review_period("P3M", datetime(2026, 4, 1)) == (date(2026, 1, 1), date(2026, 3, 31))
    assert review_period("P1Y", datetime(2026, 4, 1)) == (date(2025, 1, 1), date(2025, 12, 31))
    assert review_period("", datetime(2026, 3, 1)) == (date(2026, 2, 1), date(2026, 2, 28))
    assert review_period("P2W", date(2026, 5, 10)) == (date(2026, 4, 20), date(2026, 5, 3))
    with pytest.raises(DomainError, match="ISO 8601 duration"):
        review_period("every so often", date(2026, 5, 10))
    assert previous_periods(date(2026, 3, 1), date(2026, 3, 31)) == [
        (date(2025, 12, 1), date(2025, 12, 31)), (date(2026, 1, 1), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 28))]
    assert previous_periods(date(2026, 1, 5), date(2026, 1, 11), 1) == [
        (date(2025, 12, 29), date(2026, 1, 4))]
