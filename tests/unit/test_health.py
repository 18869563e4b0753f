"""Error budget, burn rates and forecast against figures computed by hand."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from handlers.delivery.health import budget_health, period_bounds

START, END = datetime(2026, 3, 1), datetime(2026, 4, 1)  # 744 hours


def daily(values: list[float]) -> list[tuple[datetime, float]]:
    """One sample per day, taken at the end of the day it covers."""
    return [(START + timedelta(days=i + 1), v) for i, v in enumerate(values)]


def test_periods_are_calendar_months_and_quarters():
    assert period_bounds("month", datetime(2026, 12, 31, 23)) == (
        datetime(2026, 12, 1), datetime(2027, 1, 1))
    assert period_bounds("quarter", datetime(2026, 5, 2)) == (
        datetime(2026, 4, 1), datetime(2026, 7, 1))


def test_budget_burn_rates_and_forecast_match_the_hand_computed_figures():
    # availability >= 99 % in March: the budget is 1 % of 744 h = 7.44 h.
    # Days 1-10 at 99.5 % spend 10 x 0.12 h = 1.2 h; days 11-12 at 97 % spend 2 x 0.72 h.
    figures = budget_health(daily([99.5] * 10 + [97.0] * 2), ">=", 99.0, START, END,
                            now=datetime(2026, 3, 13), short=timedelta(days=2),
                            long=timedelta(days=7))
    assert figures["used"] == pytest.approx(2.64 / 7.44)            # 0.3548
    assert figures["burn_short"] == pytest.approx(3.0)              # 1.44 h / 48 h / 1 %
    assert figures["burn_long"] == pytest.approx(2.04 / 168 / 0.01)  # 1.2143
    assert figures["forecast_used"] == pytest.approx(2.64 / 288 / 0.01)  # 0.9167
    assert figures["forecast"] == pytest.approx(100 - 100 * 2.64 / 288)  # 99.0833
    # the forecast keeps within budget, but both windows burn faster than sustainable
    assert figures["status"] == "at_risk"


def test_a_steady_good_month_is_healthy_and_a_spent_budget_is_breached():
    good = budget_health(daily([99.8] * 12), ">=", 99.0, START, END,
                         now=datetime(2026, 3, 13))
    assert good["status"] == "healthy"
    assert good["used"] == pytest.approx(12 * 24 * 0.002 / 7.44)
    assert good["burn_short"] == pytest.approx(0.2) and good["burn_long"] == pytest.approx(0.2)
    bad = budget_health(daily([90.0]), ">=", 99.0, START, END, now=datetime(2026, 3, 2))
    assert bad["used"] == pytest.approx(2.4 / 7.44) and bad["status"] == "at_risk"
    spent = budget_health(daily([90.0] * 4), ">=", 99.0, START, END, now=datetime(2026, 3, 5))
    assert spent["used"] == pytest.approx(9.6 / 7.44) and spent["status"] == "breached"


def test_a_lower_is_better_percentage_spends_its_value():
    # error rate <= 2 %: budget 2 % of 744 h = 14.88 h; 3 days at 4 % spend 2.88 h
    figures = budget_health(daily([4.0] * 3), "<=", 2.0, START, END,
                            now=datetime(2026, 3, 4))
    assert figures["used"] == pytest.approx(2.88 / 14.88)
    assert figures["forecast"] == pytest.approx(4.0)
    assert figures["forecast_used"] == pytest.approx(2.0)
    assert figures["status"] == "at_risk"


def test_no_sample_in_the_period_is_no_data():
    assert budget_health([], ">=", 99.0, START, END, now=datetime(2026, 3, 4)) == {
        "status": "no_data"}
