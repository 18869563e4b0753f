"""Pure matching logic: gaps, ranking, the custom-service cost model; term diffs."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from handlers.agreements.negotiation import DURATION, months_later
from handlers.requirements.matching import (
    DESIGN_FEE,
    NEW_SERVICE_BASE,
    custom_cost,
    evaluate,
    normalised_gap,
    option_list,
    rank,
    requirement_met,
    score,
)

AVAIL = {"metric": "availability", "comparator": ">=", "threshold": 99.5, "period": "month",
         "text": "up"}
RES = {"metric": "resolution_hours", "comparator": "<=", "threshold": 8.0, "period": "month",
       "text": "fast"}


def offer(avail=None, res=None):
    offers = {}
    if avail is not None:
        offers["availability"] = {"comparator": ">=", "threshold": avail}
    if res is not None:
        offers["resolution_hours"] = {"comparator": "<=", "threshold": res}
    return offers


def candidate(label, cost, **targets):
    return {"key": f"opt-{label}", "label": label, "monthly_cost": cost,
            "offers": offer(**targets)}


@pytest.mark.parametrize("comparator, required, offered, expected", [
    (">=", 99.5, 99.9, (True, 0.0)),
    (">=", 99.5, 99.5, (True, 0.0)),
    (">=", 99.5, 99.0, (False, 0.5)),
    ("<=", 8.0, 4.0, (True, 0.0)),
    ("<=", 8.0, 24.0, (False, 16.0)),
])
def test_requirement_met_and_gap_in_the_metric_unit(comparator, required, offered, expected):
    assert requirement_met(comparator, required,
                           {"comparator": comparator, "threshold": offered}) == expected


def test_an_option_promising_nothing_or_the_opposite_does_not_meet():
    assert requirement_met(">=", 99.5, None) == (False, None)
    assert requirement_met(">=", 99.5, {"comparator": "<=", "threshold": 100}) == (False, None)


def test_normalised_gap_is_relative_and_capped():
    assert normalised_gap(99.5, 0.5, False) == pytest.approx(0.5 / 99.5)
    assert normalised_gap(8.0, 16.0, False) == 1.0
    assert normalised_gap(0.0, 0.5, False) == 0.5  # divided by at least 1
    assert normalised_gap(8.0, None, False) == 1.0
    assert normalised_gap(8.0, 0.0, True) == 0.0


def test_evaluate_and_score():
    rows = evaluate([AVAIL, RES], offer(avail=99.0))
    assert rows == [
        {"metric": "availability", "comparator": ">=", "required": 99.5, "offered": 99.0,
         "met": False, "gap": 0.5},
        {"metric": "resolution_hours", "comparator": "<=", "required": 8.0, "offered": None,
         "met": False, "gap": None}]
    misses, gap = score(rows)
    assert misses == 2
    assert gap == pytest.approx(1 + 0.5 / 99.5)


def test_rank_fully_meeting_cheapest_first_then_nearest():
    options = [
        {"label": label, "monthly_cost": cost, "per_requirement": evaluate([AVAIL, RES], o)}
        for label, cost, o in (
            ("gold", "1200.00", offer(99.9, 4)),
            ("far", "100.00", offer(90.0, 48)),
            ("silver", "800.00", offer(99.5, 8)),
            ("near", "300.00", offer(99.4, 8)),
            ("nearer-but-dear", "900.00", offer(99.45, 8)),
            ("one-miss-big-gap", "50.00", offer(99.5, 16)),
        )]
    ranked = rank(options)
    assert [o["label"] for o in ranked] == [
        "silver", "gold", "nearer-but-dear", "near", "one-miss-big-gap", "far"]
    assert [o["fully_meets"] for o in ranked] == [True, True, False, False, False, False]


def test_cost_ties_fall_back_to_the_label():
    options = [{"label": lb, "monthly_cost": "10.00", "per_requirement": []} for lb in "ba"]
    assert [o["label"] for o in rank(options)] == ["a", "b"]


def test_custom_cost_model():
    nearest = {"label": "Gold", "monthly_cost": "1000.00",
               "per_requirement": evaluate([RES], offer(res=12))}
    # the documented example: 8 h required, 12 h offered: normalised 0.5
    assert custom_cost(nearest) == Decimal("1750.00")
    uncovered = {"label": "X", "monthly_cost": "400.00",
                 "per_requirement": evaluate([AVAIL, RES], offer())}
    assert custom_cost(uncovered) == Decimal("400.00") * 3 + DESIGN_FEE
    assert custom_cost(None) == NEW_SERVICE_BASE + DESIGN_FEE


def test_option_list_adds_the_custom_option_only_when_nothing_fits():
    fits = option_list([AVAIL], [candidate("silver", "800.00", avail=99.5)], "custom for acme")
    assert [o["key"] for o in fits] == ["opt-silver"]
    assert "offers" not in fits[0] and fits[0]["customer_specific"] is False

    misses = option_list([AVAIL, RES], [candidate("bronze", "500.00", avail=99.0, res=24),
                                        candidate("silver", "800.00", avail=99.4, res=8)],
                         "custom for acme")
    assert [o["key"] for o in misses] == ["opt-silver", "opt-bronze", "custom"]
    custom = misses[-1]
    assert (custom["label"], custom["customer_specific"], custom["fully_meets"]) == (
        "custom for acme", True, True)
    assert custom["monthly_cost"] == str(
        (Decimal("800.00") * (1 + Decimal(str(0.1 / 99.5))) + DESIGN_FEE).quantize(
            Decimal("0.01")))
    assert custom["cost_basis"].startswith("nearest option silver at 800.00 a month raised "
                                           "for availability +0.1%")


@pytest.mark.parametrize("requirements", [[], [AVAIL], [AVAIL, RES]])
def test_option_list_is_never_empty(requirements):
    options = option_list(requirements, [], "custom")
    assert [o["key"] for o in options] == ["custom"]
    assert options[0]["monthly_cost"] == "1250.00"


TERMS = {
    "service": "E-mail", "level": "Silver",
    "targets": [{"metric": "availability", "name": "Availability", "unit": "%",
                 "comparator": ">=", "threshold": 99.5, "period": "month"}],
    "service_hours": "24x7", "timezone": "UTC", "monthly_cost": "800.00",
    "review_cycle": "P1M", "parties": {"customer": "Acme Ltd", "provider": "IT"},
    "validity": {"months": 12},
}


@pytest.mark.parametrize("text, ok", [
    ("P1M", True), ("P3M", True), ("P1Y", True), ("P2W", True), ("PT12H", True),
    ("P", False), ("PT", False), ("monthly", False), ("1M", False)])
def test_review_cycle_is_an_iso_duration(text, ok):
    assert bool(DURATION.match(text)) is ok


@pytest.mark.parametrize("start, months, end", [
    (date(2026, 1, 5), 12, date(2027, 1, 5)),
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2027, 12, 31), 2, date(2028, 2, 29)),
    (date(2026, 11, 15), 3, date(2027, 2, 15)),
])
def test_months_later(start, months, end):
    assert months_later(start, months) == end
