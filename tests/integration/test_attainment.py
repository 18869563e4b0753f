"""Attainment per target: service hours in the SLA's timezone, aggregation kinds, met or
breached, margin sign, trend, and the customer's observations beside the numbers."""
from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from statistics import fmean
from zoneinfo import ZoneInfo

import pytest
from sla_builders import add_measurements, make_sla
from sqlalchemy import select

from engine.registry import HandlerContext
from handlers.delivery.attainment import attainment, compute_attainment, portfolio_attainment
from handlers.delivery.measurements import record_observation
from handlers.reviews.models import Review

JAN = (date(2026, 1, 1), date(2026, 1, 31))
NOW = datetime(2026, 2, 3, 8, 0)


def _target(result: dict, key: str) -> dict:
    return next(t for t in result["targets"] if t["metric"] == key)


def _attained(factory, sla, period, key="availability"):
    with factory() as s:
        return _target(attainment(s, s.merge(sla), *period), key)


def test_office_hours_in_the_sla_timezone_follow_daylight_saving(factory):
    with factory() as s:
        sla = make_sla(s, [("availability", ">=", 99)], hours="Mon-Fri 08:00-18:00",
                       tz="Europe/Berlin")
        add_measurements(s, sla, "availability", [
            (datetime(2026, 1, 5, 7, 0), 91.0),     # Mon 08:00 Berlin (UTC+1): first minute in
            (datetime(2026, 1, 5, 6, 59), 1.0),     # Mon 07:59: before hours
            (datetime(2026, 1, 5, 16, 59), 93.0),   # Mon 17:59: in
            (datetime(2026, 1, 5, 17, 0), 2.0),     # Mon 18:00: end is exclusive
            (datetime(2026, 1, 10, 12, 0), 3.0),    # Saturday
            (datetime(2026, 7, 6, 6, 30), 95.0),    # July, UTC+2: Mon 08:30 in
            (datetime(2026, 7, 6, 16, 30), 4.0),    # July: Mon 18:30 out
        ])
        s.commit()
    jan = _attained(factory, sla, JAN)
    assert (jan["attained"], jan["samples"]) == (92.0, 2)
    july = _attained(factory, sla, (date(2026, 7, 1), date(2026, 7, 31)))
    assert (july["attained"], july["samples"]) == (95.0, 1)


def test_half_hour_timezone_and_window_edges_off_the_hour(factory):
    with factory() as s:
        sla = make_sla(s, [("availability", ">=", 99)], hours="Mon-Fri 09:00-17:30",
                       tz="Asia/Kolkata")
        add_measurements(s, sla, "availability", [
            (datetime(2026, 1, 5, 3, 29), 1.0),     # 08:59 IST
            (datetime(2026, 1, 5, 3, 30), 80.0),    # 09:00 IST
            (datetime(2026, 1, 5, 11, 59), 90.0),   # 17:29 IST
            (datetime(2026, 1, 5, 12, 0), 2.0),     # 17:30 IST
            (datetime(2026, 1, 30, 18, 29), 3.0),   # Fri 23:59 IST: outside hours anyway
        ])
        s.commit()
    t = _attained(factory, sla, JAN)
    assert (t["attained"], t["samples"]) == (85.0, 2)


def test_period_days_are_the_sla_timezone_days(factory):
    with factory() as s:
        sla = make_sla(s, [("availability", ">=", 99)], tz="America/New_York")
        add_measurements(s, sla, "availability", [
            (datetime(2026, 1, 1, 3, 0), 10.0),     # Dec 31, 22:00 in New York: December
            (datetime(2026, 1, 1, 6, 0), 99.0),     # Jan 1, 01:00
            (datetime(2026, 2, 1, 3, 0), 100.0),    # Jan 31, 22:00: still January
            (datetime(2026, 2, 1, 6, 0), 20.0),     # Feb 1, 01:00
        ])
        s.commit()
    t = _attained(factory, sla, JAN)
    assert (t["attained"], t["samples"], t["trend"]) == (99.5, 2, [None, None, 10.0])


def test_aggregation_kinds(factory):
    targets = [("availability", ">=", 99), ("resolution_time", "<=", 8),
               ("min_throughput", ">=", 100), ("downtime", "<=", 60),
               ("major_incidents", "<=", 1)]
    with factory() as s:
        sla = make_sla(s, targets)
        days = [datetime(2026, 1, d, 12) for d in (5, 6, 7)]
        for key, values in [("availability", [99.0, 98.0, 100.0]),
                            ("resolution_time", [3.0, 9.5, 6.0]),
                            ("min_throughput", [150.0, 120.0, 130.0]),
                            ("downtime", [20.0, 25.0, 30.0]),
                            ("major_incidents", [1.0, 1.0, 1.0])]:
            add_measurements(s, sla, key, list(zip(days, values, strict=True)))
        s.commit()
        result = attainment(s, sla, *JAN)
    got = {t["metric"]: (t["aggregation"], t["attained"], t["met"], t["samples"])
           for t in result["targets"]}
    assert got == {"availability": ("avg", 99.0, True, 3),
                   "resolution_time": ("max", 9.5, False, 3),
                   "min_throughput": ("min", 120.0, True, 3),
                   "downtime": ("sum", 75.0, False, 3),
                   "major_incidents": ("count", 3.0, False, 3)}
    assert result["breaches"] == 3
    assert result["breached"] == ["resolution_time", "downtime", "major_incidents"]


def test_met_breached_and_margin_sign_for_higher_and_lower_metrics(factory):
    with factory() as s:
        good = make_sla(s, [("availability", ">=", 99.5), ("response_time", "<=", 500)])
        bad = make_sla(s, [("availability", ">=", 99.5), ("response_time", "<=", 500)],
                       org="globex")
        at = datetime(2026, 1, 12, 12)
        add_measurements(s, good, "availability", [(at, 99.7)])
        add_measurements(s, good, "response_time", [(at, 300.0)])
        add_measurements(s, bad, "availability", [(at, 99.2)])
        add_measurements(s, bad, "response_time", [(at, 650.0)])
        add_measurements(s, bad, "availability", [(at + timedelta(hours=1), 99.5)])
        s.commit()
        ok, ko = attainment(s, good, *JAN), attainment(s, bad, *JAN)
    assert [(t["met"], t["margin"], t["status"]) for t in ok["targets"]] == [
        (True, 0.2, "met"), (True, 200.0, "met")]
    assert [(t["met"], t["margin"], t["status"]) for t in ko["targets"]] == [
        (False, -0.15, "breached"), (False, -150.0, "breached")]
    assert ko["breaches"] == 2 and ok["breaches"] == 0


def test_trend_of_the_three_previous_periods(factory):
    with factory() as s:
        sla = make_sla(s, [("availability", ">=", 99), ("resolution_time", "<=", 8)])
        add_measurements(s, sla, "availability", [
            (datetime(2025, 10, 15), 99.9), (datetime(2025, 11, 15), 99.6),
            (datetime(2025, 12, 15), 99.4), (datetime(2026, 1, 15), 99.1)])
        add_measurements(s, sla, "resolution_time", [
            (datetime(2025, 11, 15), 7.0), (datetime(2026, 1, 15), 5.0)])
        s.commit()
        result = attainment(s, sla, *JAN)
    avail, resolution = _target(result, "availability"), _target(result, "resolution_time")
    assert result["trend_periods"] == ["2025-10-01", "2025-11-01", "2025-12-01"]
    assert (avail["trend"], avail["attained"], avail["worsening"]) == (
        [99.9, 99.6, 99.4], 99.1, True)
    assert (resolution["trend"], resolution["worsening"]) == ([None, 7.0, None], False)


def test_observations_listed_and_counted_beside_the_numbers(factory):
    with factory() as s:
        sla = make_sla(s, [("availability", ">=", 99)])
        for day, kind in [(3, "complaint"), (9, "outage"), (20, "complaint"), (31, "slow")]:
            record_observation(s, sla.id, kind, f"{kind} on the {day}th",
                               datetime(2026, 1, day, 9), 30, "carol", NOW)
        record_observation(s, sla.id, "complaint", "February", datetime(2026, 2, 1, 0, 0),
                           None, "carol", NOW)
        s.commit()
        result = attainment(s, sla, *JAN)
    assert result["observation_count"] == 4
    assert result["observations_by_kind"] == {"complaint": 2, "outage": 1, "slow": 1}
    assert [o["description"] for o in result["observations"]] == [
        "complaint on the 3th", "outage on the 9th", "complaint on the 20th", "slow on the 31th"]
    assert result["observations"][0]["observed_at"] == "2026-01-03T09:00:00"
    assert _target(result, "availability")["status"] == "no data"


def test_no_data_is_neither_met_nor_breached_except_for_counts(factory):
    with factory() as s:
        sla = make_sla(s, [("availability", ">=", 99), ("major_incidents", "<=", 2)])
        s.commit()
        result = attainment(s, sla, *JAN)
    avail, incidents = result["targets"]
    assert (avail["attained"], avail["met"], avail["margin"], avail["samples"]) == (
        None, None, None, 0)
    assert (incidents["attained"], incidents["met"], incidents["margin"]) == (0.0, True, 2.0)
    assert result["breaches"] == 0
    json.dumps(result)  # JSON-safe


CALENDARS = {  # hours, timezone, the same rule written out for the naive check
    "Mon-Fri 08:00-18:00": ("Europe/Berlin", {d: [(480, 1080)] for d in range(5)}),
    "Mon-Fri 09:00-17:30": ("Asia/Kolkata", {d: [(540, 1050)] for d in range(5)}),
    "24x7": ("America/New_York", {d: [(0, 1440)] for d in range(7)}),
    "Mon-Sat 07:00-19:00; Sun 10:00-14:00": (
        "Europe/London", {**{d: [(420, 1140)] for d in range(6)}, 6: [(600, 840)]}),
}


def _naive(points, tz, rule, start, end):
    """Row by row, with zoneinfo only: the values inside the period and the hours."""
    out = []
    for at, value in points:
        local = at.replace(tzinfo=UTC).astimezone(ZoneInfo(tz))
        minute = local.hour * 60 + local.minute
        if start <= local.date() <= end and any(
                a <= minute < b for a, b in rule.get(local.weekday(), [])):
            out.append(value)
    return out


def test_random_measurements_match_a_row_by_row_computation(factory):
    """March 2026 crosses both the US and the EU daylight saving change."""
    rnd = random.Random(20260301)
    start, end = date(2026, 3, 1), date(2026, 3, 31)
    with factory() as s:
        cases = []
        for i, (hours, (tz, rule)) in enumerate(CALENDARS.items()):
            sla = make_sla(s, [("availability", ">=", 99), ("resolution_time", "<=", 8)],
                           hours=hours, tz=tz, org=f"org{i}")
            base = datetime(2026, 2, 27)
            points = sorted({base + timedelta(minutes=rnd.randrange(0, 60 * 24 * 36))
                             for _ in range(600)})
            avail = [(at, round(rnd.uniform(90, 100), 2)) for at in points]
            res = [(at, round(rnd.uniform(0, 12), 2)) for at in points[::3]]
            add_measurements(s, sla, "availability", avail)
            add_measurements(s, sla, "resolution_time", res)
            cases.append((sla, tz, rule, avail, res))
        s.commit()
        portfolio = {r["sla_id"]: r for r in portfolio_attainment(s, start, end)}
        for sla, tz, rule, avail, res in cases:
            single = attainment(s, sla, start, end)
            expected_avail = _naive(avail, tz, rule, start, end)
            expected_res = _naive(res, tz, rule, start, end)
            for result in (single, portfolio[sla.id]):
                a, r = _target(result, "availability"), _target(result, "resolution_time")
                assert a["samples"] == len(expected_avail) > 0
                assert a["attained"] == pytest.approx(fmean(expected_avail), abs=1e-6)
                assert r["samples"] == len(expected_res)
                assert r["attained"] == max(expected_res)


def test_portfolio_covers_active_slas_only(factory):
    with factory() as s:
        active = make_sla(s, [("availability", ">=", 99)], priority=1)
        make_sla(s, [("availability", ">=", 99)], status="draft", org="globex")
        add_measurements(s, active, "availability", [(datetime(2026, 1, 9, 9), 98.0)])
        record_observation(s, active.id, "complaint", "slow", datetime(2026, 1, 9, 9), None,
                           "carol", NOW)
        s.commit()
        portfolio = portfolio_attainment(s, *JAN)
    assert [p["reference"] for p in portfolio] == [active.reference]
    entry = portfolio[0]
    assert (entry["organisation"], entry["service"], entry["level"], entry["monthly_cost"],
            entry["priority"], entry["breaches"]) == ("Acme Ltd", "Mail service", "Gold",
                                                      "1250.00", 1, 1)
    assert (entry["observation_count"], entry["observations_by_kind"]) == (1, {"complaint": 1})
    assert "observations" not in entry


def test_compute_attainment_handler_stores_the_result_on_the_review(factory):
    with factory() as s:
        sla = make_sla(s, [("availability", ">=", 99)])
        add_measurements(s, sla, "availability", [(datetime(2026, 1, 9, 9), 99.5)])
        review = Review(sla_id=sla.id, period_start=JAN[0], period_end=JAN[1], status="open",
                        created_at=NOW)
        s.add(review)
        s.commit()
        ctx = HandlerContext(session=s, now=NOW, instance_id=1, task_id="t",
                             element_id="attain", actor="system", data={})
        result = compute_attainment({"review_id": review.id}, ctx)
        s.commit()
    with factory() as s:
        stored = json.loads(s.scalar(select(Review.attainment)))
    assert stored == json.loads(json.dumps(result))
    assert stored["targets"][0]["attained"] == 99.5 and stored["breaches"] == 0


def test_a_broken_sla_is_reported_in_the_portfolio_and_refused_alone(factory):
    from handlers.errors import DomainError

    with factory() as s:
        good = make_sla(s, [("availability", ">=", 99)])
        broken = make_sla(s, [("availability", ">=", 99)], hours="Mon-Fri 8am-6pm",
                          org="globex")
        add_measurements(s, good, "availability", [(datetime(2026, 1, 9, 9), 99.5)])
        s.commit()
        portfolio = {p["reference"]: p for p in portfolio_attainment(s, *JAN)}
        with pytest.raises(DomainError, match="is not a valid time window"):
            attainment(s, broken, *JAN)
    assert portfolio[good.reference]["problem"] is None
    assert portfolio[good.reference]["targets"][0]["attained"] == 99.5
    assert "is not a valid time window" in portfolio[broken.reference]["problem"]
    assert portfolio[broken.reference]["targets"] == []
