"""Measurement imports say row by row what they rejected and why, and import nothing twice;
customer observations are recorded as facts. Both backends."""
from __future__ import annotations

from datetime import datetime

import pytest
from sla_builders import make_sla, metric
from sqlalchemy import func, select

from engine.registry import HandlerContext
from handlers.delivery.measurements import import_csv, import_rows, record_observation
from handlers.delivery.models import Measurement, Observation
from handlers.errors import DomainError, ValidationError
from handlers.registry import build_registry

NOW = datetime(2026, 2, 3, 8, 0)


def _ctx(session, now=NOW):
    return HandlerContext(session=session, now=now, instance_id=None, task_id="t",
                          element_id="import", actor="mike", data={})


@pytest.fixture
def sla(factory):
    with factory() as s:
        sla = make_sla(s, [("availability", ">=", 99.5), ("resolution_time", "<=", 8)])
        metric(s, "response_time")  # known metric, but not in this SLA's terms
        s.commit()
        return sla


def _csv(ref: str) -> str:
    return "\n".join([
        "sla,metric,measured_at,value",
        f"{ref},availability,2026-01-05T10:00:00,99.9",          # 2 good
        f"{ref},availability,2026-01-05T11:00:00+01:00,99.1",    # 3 good (10:00 UTC: dup of 2?)
        f"{ref},resolution_time,2026-01-06 09:30,4.5",            # 4 good
        "SLA-2099-0001,availability,2026-01-05T10:00:00,99",      # 5 unknown SLA
        f"{ref},happiness,2026-01-05T10:00:00,5",                 # 6 unknown metric
        f"{ref},response_time,2026-01-05T10:00:00,200",           # 7 not in the terms
        f"{ref},availability,2026-01-05T12:00:00,ninety",         # 8 bad number
        f"{ref},availability,05/01/2026 12:00,99",                # 9 bad timestamp
        f"{ref},availability,2026-01-05T13:00:00,100.5",          # 10 percent > 100
        f"{ref},resolution_time,2026-01-06T10:00:00,-2",          # 11 negative duration
        f"{ref},availability,2026-01-05T14:00:00",                # 12 missing column
        f"{ref},availability,,99",                                # 13 missing value
        f"{ref},availability,2026-03-01T00:00:00,99",             # 14 in the future
        f"{ref},availability,2026-01-05T15:00:00Z,99.95",         # 15 good
    ]) + "\n"


def test_csv_imports_good_rows_and_reports_each_bad_row(factory, sla):
    with factory() as s:
        summary = import_csv(s, _csv(sla.reference), "csv:january.csv", NOW)
        s.commit()
    reasons = {r["row"]: r["reason"] for r in summary["rejected"]}
    assert summary["imported"] == 3
    assert summary["duplicates"] == 1  # row 3 is 10:00 UTC, the same instant as row 2
    assert summary["total"] == 14
    assert sorted(reasons) == list(range(5, 15))
    assert reasons[5] == "unknown SLA 'SLA-2099-0001'"
    assert reasons[6] == "unknown metric 'happiness'"
    assert "not a target of SLA" in reasons[7] and "response_time" in reasons[7]
    assert reasons[8] == "value 'ninety' is not a number"
    assert "is not an ISO 8601 timestamp" in reasons[9]
    assert "out of range 0..100" in reasons[10]
    assert "cannot be negative" in reasons[11]
    assert reasons[12] == "missing column 'value'"
    assert reasons[13] == "missing value in column 'measured_at'"
    assert "in the future" in reasons[14]
    with factory() as s:
        rows = s.execute(select(Measurement.measured_at, Measurement.value, Measurement.source)
                         .order_by(Measurement.measured_at)).all()
    assert [(r.measured_at, r.value) for r in rows] == [
        (datetime(2026, 1, 5, 10, 0), 99.9), (datetime(2026, 1, 5, 15, 0), 99.95),
        (datetime(2026, 1, 6, 9, 30), 4.5)]
    assert {r.source for r in rows} == {"csv:january.csv"}


def test_same_file_twice_imports_nothing_the_second_time(factory, sla):
    text = _csv(sla.reference)
    with factory() as s:
        first = import_csv(s, text, "csv:a.csv", NOW)
        s.commit()
    with factory() as s:
        second = import_csv(s, text, "csv:a.csv", NOW)
        s.commit()
        count = s.scalar(select(func.count()).select_from(Measurement))
    assert first["imported"] == 3
    assert second["imported"] == 0
    assert second["duplicates"] == 4  # the three stored rows and the in-file duplicate
    assert second["rejected"] == first["rejected"]
    assert count == 3


def test_csv_file_path_and_missing_header_column(factory, sla, tmp_path):
    path = tmp_path / "feb.csv"
    path.write_text(f"sla,metric,value\n{sla.reference},availability,99\n", encoding="utf-8")
    with factory() as s:
        summary = import_csv(s, path, None, NOW)
    assert summary == {"imported": 0, "duplicates": 0, "total": 1,
                       "rejected": [{"row": 2, "reason": "missing column 'measured_at'"}]}


def test_import_rows_and_the_handler(factory, sla):
    rows = [{"sla": sla.reference, "metric": "availability",
             "measured_at": "2026-01-07T08:00:00", "value": 99.7},
            {"sla": sla.reference, "metric": "availability", "measured_at": "2026-01-07T09:00",
             "value": "n/a"}]
    with factory() as s:
        summary = import_rows(s, rows, "api", NOW)
        s.commit()
    assert summary["imported"] == 1
    assert summary["rejected"] == [{"row": 2, "reason": "value 'n/a' is not a number"}]
    handler = build_registry().get("import_measurements")
    with factory() as s:
        again = handler.func({"rows": rows, "source": "api"}, _ctx(s))
        csv_result = handler.func({"csv": _csv(sla.reference)}, _ctx(s))
        s.commit()
    assert again["imported"] == 0 and again["duplicates"] == 1
    assert csv_result["imported"] == 3


def test_draft_sla_measurements_are_refused(factory):
    with factory() as s:
        draft = make_sla(s, [("availability", ">=", 99)], status="draft")
        s.commit()
        summary = import_rows(s, [{"sla": draft.reference, "metric": "availability",
                                   "measured_at": "2026-01-05T10:00", "value": 99}], "api", NOW)
    assert summary["rejected"][0]["reason"].endswith("is not agreed yet (status draft)")


def test_observation_recorded_as_fact(factory, sla):
    with factory() as s:
        obs = record_observation(s, sla.id, "outage", "  Mail down all\x00 morning ",
                                 "2026-01-07T09:00:00+01:00", "90", "carol", NOW)
        s.commit()
        handler = build_registry().get("record_observation")
        result = handler.func({"sla_id": sla.id, "kind": "complaint",
                               "description": "Slow login"}, _ctx(s))
        s.commit()
    with factory() as s:
        stored = s.scalars(select(Observation).order_by(Observation.id)).all()
    assert stored[0].id == obs.id
    assert (stored[0].observed_at, stored[0].impact_minutes, stored[0].description) == (
        datetime(2026, 1, 7, 8, 0), 90, "Mail down all morning")
    assert stored[1].id == result["observation_id"]
    assert (stored[1].observed_at, stored[1].recorded_by, stored[1].kind) == (
        NOW, "mike", "complaint")


def test_observation_input_errors(factory, sla):
    with factory() as s:
        with pytest.raises(ValidationError) as err:
            record_observation(s, sla.id, "rant", "", "yesterday", -5, "carol", NOW)
        assert set(err.value.errors) == {"kind", "description", "observed_at", "impact_minutes"}
        with pytest.raises(DomainError, match="does not exist"):
            record_observation(s, 99999, "complaint", "x", None, None, "carol", NOW)


def test_rows_that_are_not_records_or_numbers_are_rejected(factory, sla):
    with factory() as s:
        summary = import_rows(s, [["SLA", "availability"], {
            "sla": sla.reference, "metric": "availability", "measured_at": "2026-01-05T10:00",
            "value": True}], "api", NOW)
        nul = import_csv(s, "sla,metric,measured_at,value\nSLA-1\0,availability,x,1\n",
                         "x", NOW)
        # a field over csv's own limit (131,072) rejects its row, not the file (issue 12)
        long = import_csv(s, "sla,metric,measured_at,value\n" + "x" * 200_000 + "\n"
                          f"{sla.reference},availability,2026-01-05T10:00,99\n", "x", NOW)
    assert [r["reason"] for r in summary["rejected"]] == [
        "not a record with the columns sla, metric, measured_at, value",
        "value 'True' is not a number"]
    assert nul["rejected"] == [{"row": 2, "reason": "contains a NUL character"}]
    assert long["rejected"] == [{"row": 2, "reason": "column 'sla' has 200000 characters, "
                                                     "over the limit of 10000"}]
    assert (long["imported"], long["total"]) == (1, 2)
