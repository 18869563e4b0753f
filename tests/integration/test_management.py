"""Process management handlers: verify delivered vs agreed levels, and set priorities.

A mail service with Bronze < Silver < Gold (24x7, UTC) and SLAs on it whose terms are the
option's own targets; measurements of December 2025, verified on 5 January 2026.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from engine.registry import HandlerContext
from handlers.agreements.models import ServiceLevelAgreement, SLAVersion
from handlers.catalogue import operations as catalogue
from handlers.delivery.models import Measurement
from handlers.errors import ValidationError
from handlers.management.operations import set_priorities, verify_service_levels
from handlers.people.models import Organisation
from handlers.registry import build_registry

NOW = datetime(2026, 1, 5, 9, 0)
DEC = [datetime(2025, 12, d, 12, 0) for d in (1, 10, 20, 31)]
LEVELS = (("Bronze", "500.00", 99.0, 24.0), ("Silver", "800.00", 99.5, 8.0),
          ("Gold", "1200.00", 99.9, 4.0))


def ctx(session) -> HandlerContext:
    return HandlerContext(session=session, now=NOW, instance_id=None, task_id="t",
                          element_id="e", actor="mike", data={})


@pytest.fixture
def world(factory):
    s = factory()
    acme = Organisation(key="acme", name="Acme Ltd", kind="customer")
    s.add(acme)
    metrics = {
        "availability": catalogue.create_metric(s, "availability", "Availability", "%",
                                                "higher", data_source="monitoring"),
        "resolution_hours": catalogue.create_metric(s, "resolution_hours", "Resolution time",
                                                    "hours", "lower", aggregation="max",
                                                    data_source="service desk"),
    }
    mail = catalogue.create_service(s, "mail", "Mail", "olivia", status="live")
    options = {}
    for rank, (name, cost, avail, hours) in enumerate(LEVELS, start=1):
        option = catalogue.create_option(s, mail, name, cost, rank=rank)
        catalogue.set_target(s, option, "availability", avail, "month")
        catalogue.set_target(s, option, "resolution_hours", hours, "month")
        options[name] = option
    s.flush()
    count = [0]

    def sla(level: str, status: str = "active", priority: int = 3, hours: str = "24x7"):
        option = options[level]
        count[0] += 1
        row = ServiceLevelAgreement(
            reference=f"SLA-2025-{count[0]:04d}", organisation_id=acme.id, service_id=mail.id,
            option_id=option.id, title=f"Mail {level}", status=status, current_version=1,
            priority=priority, created_at=datetime(2025, 11, 1))
        s.add(row)
        s.flush()
        terms = {"service": "Mail", "level": level, "service_hours": hours, "timezone": "UTC",
                 "monthly_cost": str(option.monthly_cost), "review_cycle": "P1M",
                 "targets": [{"metric": t.metric.key, "name": t.metric.name,
                              "unit": t.metric.unit, "comparator": t.comparator,
                              "threshold": t.threshold, "period": t.period}
                             for t in option.targets]}
        s.add(SLAVersion(sla_id=row.id, number=1, terms=json.dumps(terms), author="mike",
                         created_at=datetime(2025, 11, 1)))
        s.flush()
        return row

    def measure(row, availability: float, resolution: float):
        for at in DEC:
            s.add(Measurement(sla_id=row.id, metric_id=metrics["availability"].id,
                              measured_at=at, value=availability, source="test"))
            s.add(Measurement(sla_id=row.id, metric_id=metrics["resolution_hours"].id,
                              measured_at=at + timedelta(minutes=1), value=resolution,
                              source="test"))
        s.flush()

    yield s, sla, measure
    s.rollback()
    s.close()


def by_ref(result: dict) -> dict:
    return {r["reference"]: r for r in result["slas"]}


def test_verification_compares_delivered_with_agreed_and_the_next_level(world):
    s, sla, measure = world
    silver = sla("Silver", priority=2)
    measure(silver, 99.95, 3.0)            # meets Silver, and Gold too
    bronze = sla("Bronze", priority=1)
    measure(bronze, 99.2, 10.0)            # meets Bronze, not Silver
    gold = sla("Gold")
    measure(gold, 99.0, 6.0)               # breaches Gold; no level above
    quiet = sla("Silver")                  # no measurements
    sla("Gold", status="negotiating")      # not active: not verified

    result = verify_service_levels({}, ctx(s))
    assert (result["period_start"], result["period_end"]) == ("2025-12-01", "2025-12-31")
    assert [r["reference"] for r in result["slas"]] == [
        bronze.reference, silver.reference, gold.reference, quiet.reference]  # by priority
    assert (result["sla_count"], result["met"], result["breached"], result["no_data"]) == \
        (4, 2, 1, 1)
    rows = by_ref(result)

    row = rows[silver.reference]
    assert row["delivered"] == "met" and row["breaches"] == 0 and row["level"] == "Silver"
    avail = next(t for t in row["targets"] if t["metric"] == "availability")
    assert (avail["agreed"], avail["delivered"], avail["met"]) == (99.5, 99.95, True)
    nl = row["next_level"]
    assert (nl["level"], nl["monthly_cost"], nl["extra_monthly_cost"]) == \
        ("Gold", "1200.00", "400.00")
    assert nl["would_be_met"] is True and nl["possible"] is True and nl["reasons"] == []
    assert row["can_raise"] is True
    assert result["can_raise"] == [{
        "sla_id": silver.id, "reference": silver.reference, "organisation": "Acme Ltd",
        "service": "Mail", "from_level": "Silver", "to_level": "Gold",
        "option_id": nl["option_id"], "extra_monthly_cost": "400.00"}]

    row = rows[bronze.reference]
    assert row["delivered"] == "met" and row["can_raise"] is False
    assert row["next_level"]["level"] == "Silver"
    assert row["next_level"]["would_be_met"] is False
    assert any("Availability 99.2 would miss >= 99.5" in r for r in row["next_level"]["reasons"])

    row = rows[gold.reference]
    assert row["delivered"] == "breached" and row["breaches"] == 2
    assert row["next_level"] is None and row["can_raise"] is False

    row = rows[quiet.reference]
    assert row["delivered"] == "no data" and row["can_raise"] is False
    assert row["next_level"]["would_be_met"] is None
    json.dumps(result)  # JSON-safe


def test_other_service_hours_are_no_ground_for_raising(world):
    s, sla, measure = world
    office = sla("Silver", hours="Mon-Sun 00:00-24:00")
    measure(office, 99.99, 1.0)
    [row] = verify_service_levels({}, ctx(s))["slas"]
    assert row["next_level"]["would_be_met"] is True
    assert row["can_raise"] is False
    assert "covers 24x7" in row["next_level"]["reasons"][0]


def test_no_active_sla_gives_an_empty_verification(world):
    s, _, _ = world
    result = verify_service_levels({}, ctx(s))
    assert result["slas"] == [] and result["can_raise"] == [] and result["sla_count"] == 0


def test_set_priorities_updates_each_sla(world):
    s, sla, _ = world
    a, b = sla("Silver"), sla("Gold", priority=4)
    result = set_priorities({"priorities": [{"sla_reference": a.reference, "priority": 1},
                                            {"sla_reference": b.reference, "priority": 5}]},
                            ctx(s))
    assert result == {"count": 2, "updated": [
        {"sla_reference": a.reference, "priority": 1, "previous": 3},
        {"sla_reference": b.reference, "priority": 5, "previous": 4}]}
    assert [r.priority for r in s.scalars(select(ServiceLevelAgreement)
                                          .order_by(ServiceLevelAgreement.id))] == [1, 5]
    assert set_priorities({"priorities": []}, ctx(s)) == {"updated": [], "count": 0}


@pytest.mark.parametrize("entries, field, fragment", [
    ([{"sla_reference": "SLA-9999", "priority": 2}], "priorities[1].sla_reference",
     "no SLA has the reference"),
    ([{"sla_reference": "SLA-2025-0001", "priority": 1}], "priorities[1].sla_reference",
     "more than once"),
    ([{"sla_reference": "SLA-2025-0002", "priority": 0}], "priorities[1].priority", "1 (highest)"),
    ([{"sla_reference": "SLA-2025-0002", "priority": 6}], "priorities[1].priority", "to 5"),
    ([{"sla_reference": "SLA-2025-0002", "priority": "2"}], "priorities[1].priority", "'2'"),
    ([{"sla_reference": "SLA-2025-0002", "priority": True}], "priorities[1].priority", "True"),
    ([{"priority": 2}], "priorities[1].sla_reference", "required"),
    (["SLA-2025-0002"], "priorities[1]", "must be an object"),
])
def test_set_priorities_refuses_bad_entries_and_changes_nothing(world, entries, field,
                                                                fragment):
    s, sla, _ = world
    sla("Silver"), sla("Gold")
    items = [{"sla_reference": "SLA-2025-0001", "priority": 1}, *entries]
    with pytest.raises(ValidationError) as info:
        set_priorities({"priorities": items}, ctx(s))
    assert field in info.value.errors, info.value.errors
    assert fragment in " ".join(info.value.errors[field])
    assert [r.priority for r in s.scalars(select(ServiceLevelAgreement))] == [3, 3]


def test_set_priorities_needs_a_list(world):
    s, _, _ = world
    with pytest.raises(ValidationError, match="must be a list"):
        set_priorities({"priorities": {"SLA-1": 1}}, ctx(s))


def test_management_handlers_are_registered_with_their_params():
    registry = build_registry()
    assert registry.get("verify_service_levels").params == {}
    assert list(registry.get("set_priorities").params) == ["priorities"]
