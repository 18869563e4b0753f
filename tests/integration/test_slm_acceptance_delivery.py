"""Acceptance scenarios 5-8: living with the agreement (customer observations,
importing delivery data, SLA versions, the review cycle over a year). The product, the
``slm`` fixture and the helpers are in slm_support.py.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from slm_support import (
    APPROVE,
    AVAILABLE,
    CHOOSE,
    CUSTOMER,
    DECIDE,
    DISCUSS,
    FIXED_SOON,
    MANAGER,
    RECORD,
    REVIEW_DRAFT,
    REVISE,
    T0,
    H,
    agree,
    csv_for,
    option_key,
    pdf_text,
    reviews,
    submit,
)
from slm_support import slm as slm  # the fixture
from sqlalchemy import func, select

from engine.models import ProcessInstance
from handlers.agreements.models import ServiceLevelAgreement, SLAVersion
from handlers.agreements.operations import sla_versions, version_diff
from handlers.delivery.measurements import import_csv, record_observation
from handlers.delivery.models import Measurement, Observation
from handlers.errors import DomainError
from handlers.reports.models import CustomerReport


# -- 5. customer observations are facts (mission rule 1) ----------------------------------
def test_a_customer_observation_appears_in_the_attainment_and_the_report(slm):
    slr_id = submit(slm, T0, AVAILABLE, FIXED_SOON)
    iid, sla_id = agree(slm, slr_id, "E-mail Silver", T0, T0 + 3 * H)
    said = "Mail bounced for the whole sales team"
    with slm.factory() as s:
        record_observation(s, sla_id, "complaint", said, datetime(2026, 1, 20, 9, 30), 45,
                           "carol", datetime(2026, 1, 20, 10))
        record_observation(s, sla_id, "outage", "No mail on Tuesday morning",
                           datetime(2026, 2, 3, 8), 90, "carol", datetime(2026, 2, 3, 9))
        s.commit()
    assert slm.run_due(T0 + 3 * H + timedelta(days=31)) == 1  # 5 February, 12:00
    [review] = reviews(slm, sla_id)
    rid, now = review.instance_id, datetime(2026, 2, 5, 12)
    att = slm.data(rid, DISCUSS, now)["attainment"]
    assert att["observation_count"] == 1  # February's outage belongs to the next review
    assert att["observations_by_kind"] == {"complaint": 1}
    [seen] = att["observations"]
    assert (seen["description"], seen["impact_minutes"], seen["recorded_by"]) == (
        said, 45, "carol")
    with slm.factory() as s:
        report = s.scalars(select(CustomerReport).where(
            CustomerReport.review_id == review.id)).one()
        text = pdf_text(report.pdf)
    assert said in text
    assert "1 customer observation: 1 complaint" in text
    slm.complete(rid, DISCUSS, CUSTOMER, {"agree": False, "notes": "The bounce hurt"}, now)
    slm.complete(rid, RECORD, MANAGER, {"record": "Bounce investigated"}, now + H)
    proposals = slm.data(rid, DECIDE, now + H)["proposals"]
    assert [p["reason"] for p in proposals] == ["observation"]
    assert "complaint" in proposals[0]["title"]
    with slm.factory() as s:
        assert s.scalar(select(func.count()).select_from(Observation)) == 2


# -- 6. importing delivery data -----------------------------------------------------------
def test_import_takes_the_good_rows_reports_the_bad_and_adds_nothing_twice(slm, tmp_path):
    slr_id = submit(slm, T0, AVAILABLE, FIXED_SOON)
    _iid, sla_id = agree(slm, slr_id, "E-mail Silver", T0, T0 + 3 * H)
    with slm.factory() as s:
        reference = s.get(ServiceLevelAgreement, sla_id).reference
    path = csv_for(tmp_path, "slm_import_mixed.csv", reference)
    now = datetime(2026, 2, 2, 8)
    with slm.factory() as s:
        first = import_csv(s, path, now=now)
        s.commit()
    assert (first["imported"], first["duplicates"], first["total"]) == (4, 0, 12)
    reasons = {r["row"]: r["reason"] for r in first["rejected"]}
    assert sorted(reasons) == list(range(5, 13))
    expected = {5: "101", 6: "satisfaction", 7: "SLA-2099-9999", 8: "yesterday", 9: "n/a",
                10: "negative", 11: "value", 12: "future"}
    for row, words in expected.items():
        assert words in reasons[row], (row, reasons[row])
    with slm.factory() as s:
        stored = s.execute(select(Measurement.measured_at, Measurement.value, Measurement.source)
                           .order_by(Measurement.measured_at)).all()
    assert [(m.measured_at, m.value) for m in stored] == [
        (datetime(2026, 1, 12, 10), 99.9), (datetime(2026, 1, 13, 10), 99.4),
        (datetime(2026, 1, 14, 9), 5.5), (datetime(2026, 1, 20, 10), 99.7)]
    assert {m.source for m in stored} == {f"csv:{path.name}"}

    with slm.factory() as s:
        again = import_csv(s, path, now=now + H)
        s.commit()
    assert (again["imported"], again["duplicates"]) == (0, 4)
    assert again["rejected"] == first["rejected"]
    with slm.factory() as s:
        assert s.scalar(select(func.count()).select_from(Measurement)) == 4


# -- 7. SLA versions ----------------------------------------------------------------------
def test_every_sla_version_is_kept_and_any_two_can_be_compared(slm):
    slr_id = submit(slm, T0, AVAILABLE, FIXED_SOON)
    iid = slm.start("sla_agreement", {"slr_id": slr_id, "organisation": "acme"}, "acme", T0)
    options = slm.data(iid, CHOOSE, T0)["options"]
    slm.complete(iid, CHOOSE, CUSTOMER, {"option_key": option_key(options, "E-mail Silver")},
                 T0 + H)
    sla_id = slm.data(iid, REVIEW_DRAFT, T0 + H)["draft"]["sla_id"]
    with slm.factory() as s:
        v1_terms = s.scalars(select(SLAVersion.terms).where(SLAVersion.sla_id == sla_id)).one()
    # v2: the customer's counter-proposal
    slm.complete(iid, REVIEW_DRAFT, CUSTOMER, {
        "decision": "counter-propose",
        "requested_changes": {"targets": [{"metric": "availability", "threshold": 99.7}]}},
        T0 + 2 * H)
    slm.complete(iid, REVISE, MANAGER, {"comment": "Availability as asked"}, T0 + 3 * H)
    slm.complete(iid, REVIEW_DRAFT, CUSTOMER, {"decision": "accept"}, T0 + 4 * H)
    # v3: the approver sends it back, the manager tightens resolution
    slm.complete(iid, APPROVE, MANAGER,
                 {"decision": "revise", "comment": "Sales needs fixes within 6 hours"},
                 T0 + 5 * H)
    slm.complete(iid, REVISE, MANAGER, {
        "changes": {"targets": [{"metric": "resolution_hours", "threshold": 6}]},
        "comment": "Resolution within 6 hours"}, T0 + 6 * H)
    third = slm.data(iid, REVIEW_DRAFT, T0 + 6 * H)["draft"]
    assert third["version"] == 3 and [d["field"] for d in third["diff"]] == [
        "targets.resolution_hours"]
    slm.complete(iid, REVIEW_DRAFT, CUSTOMER, {"decision": "accept"}, T0 + 7 * H)
    slm.complete(iid, APPROVE, MANAGER, {"decision": "approve"}, T0 + 8 * H)

    with slm.factory() as s:
        versions = sla_versions(s, sla_id)
        assert [v["number"] for v in versions] == [1, 2, 3]
        assert [v["comment"] for v in versions] == [
            "first draft", "Availability as asked", "Resolution within 6 hours"]
        thresholds = [{t["metric"]: t["threshold"] for t in v["terms"]["targets"]}
                      for v in versions]
        assert thresholds == [{"availability": 99.5, "resolution_hours": 8.0},
                              {"availability": 99.7, "resolution_hours": 8.0},
                              {"availability": 99.7, "resolution_hours": 6.0}]
        assert s.scalars(select(SLAVersion.terms).where(
            SLAVersion.sla_id == sla_id, SLAVersion.number == 1)).one() == v1_terms
        assert s.get(ServiceLevelAgreement, sla_id).current_version == 3

        def fields(a, b):
            return sorted(d["field"] for d in version_diff(s, sla_id, a, b))

        assert fields(1, 2) == ["targets.availability"]
        assert fields(2, 3) == ["targets.resolution_hours"]
        assert fields(1, 3) == ["targets.availability", "targets.resolution_hours"]
        assert fields(2, 2) == []
        one_to_three = by_field(version_diff(s, sla_id, 1, 3))
        three_to_one = by_field(version_diff(s, sla_id, 3, 1))
        for field, d in one_to_three.items():
            assert (three_to_one[field]["before"], three_to_one[field]["after"]) == (
                d["after"], d["before"])
        assert "8" in one_to_three["targets.resolution_hours"]["before"]
        assert "6" in one_to_three["targets.resolution_hours"]["after"]
        with pytest.raises(DomainError, match="no version 4"):
            version_diff(s, sla_id, 1, 4)


def by_field(diff: list[dict]) -> dict[str, dict]:
    return {d["field"]: d for d in diff}


# -- 8. the review cycle over a year ------------------------------------------------------
def test_a_monthly_cycle_reviews_each_month_once_and_stops_when_the_sla_ends(slm):
    start = datetime(2025, 12, 29, 9)
    slr_id = submit(slm, start, AVAILABLE, FIXED_SOON)
    iid, sla_id = agree(slm, slr_id, "E-mail Gold", start, datetime(2026, 1, 1, 9))
    with slm.factory() as s:
        sla = s.get(ServiceLevelAgreement, sla_id)
        assert (sla.valid_from, sla.valid_until) == (date(2026, 1, 1), date(2027, 1, 1))

    months = [datetime(2026 + (1 + m) // 12, (1 + m) % 12 + 1, 1, 12) for m in range(14)]
    assert (months[0], months[-1]) == (datetime(2026, 2, 1, 12), datetime(2027, 3, 1, 12))
    started = []
    for now in months:
        slm.run_due(now)
        assert slm.run_due(now) == 0  # firing again the same day starts nothing
        started.append(len(reviews(slm, sla_id)))

    found = reviews(slm, sla_id)
    starts = [r.period_start for r in found]
    assert len(set(starts)) == len(starts), "a period was reviewed twice"
    assert all(start < date(2027, 1, 1) for start in starts), "reviewed after valid_until"
    # one review instance each, waiting for the customer
    with slm.factory() as s:
        for r in found:
            instance = s.get(ProcessInstance, r.instance_id)
            assert (instance.process_id, instance.status) == ("service_performance_review",
                                                              "running")
    # the SLA ended: its agreement instance completed and no timer is left
    assert slm.instance(iid).status == "completed"
    assert slm.timers(iid) == []
    with slm.factory() as s:
        assert s.get(ServiceLevelAgreement, sla_id).status == "expired"
    assert started[-2:] == [started[-3]] * 2, "reviews went on after the SLA ended"
    # every month of the validity (January to December 2026) was reviewed exactly once
    missing = sorted(set(date(2026, m, 1) for m in range(1, 13)) - set(starts))
    assert not missing, (f"months within the validity never reviewed: {missing}; the cycle "
                         "ended on valid_until before reviewing the last period")
    assert starts == [date(2026, month, 1) for month in range(1, 13)]
