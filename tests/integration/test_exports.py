"""Exports of the process outputs (handlers.outputs.exports) on the demo data, and the CI import
(handlers.catalogue.ci_import): columns, rows, CSV and JSON, a customer's view, a round trip."""
from __future__ import annotations

import csv
import io
import json

import pytest
from demo_db import NOW, demo_fixture
from sqlalchemy import select

from handlers.catalogue.ci_import import import_ci_rows, import_cis_csv
from handlers.catalogue.models import ConfigurationItem, Service
from handlers.catalogue.operations import create_ci, create_service, link_ci
from handlers.errors import DomainError
from handlers.outputs.exports import (
    CHANGE_COLUMNS,
    CI_COLUMNS,
    COST_COLUMNS,
    KINDS,
    REPORT_COLUMNS,
    SPEC_COLUMNS,
    csv_cell,
    export,
)

COLUMNS = {"cost-data": COST_COLUMNS, "cis": CI_COLUMNS, "design-specs": SPEC_COLUMNS,
           "customer-reports": REPORT_COLUMNS, "change-requests": CHANGE_COLUMNS}
#: rows of each export on the demo data
ROWS = {"cost-data": 18 + 1 + 2, "cis": 16, "design-specs": 1, "customer-reports": 2,
        "change-requests": 3}


@pytest.fixture(scope="module", params=["sqlite", "pg"])
def demo(request):
    yield from demo_fixture(request)


def parse_csv(text: str) -> tuple[list[str], list[dict]]:
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames), list(reader)


@pytest.mark.parametrize("kind", KINDS)
def test_each_export_in_csv_and_json(demo, kind):
    with demo.sessions() as s:
        result = export(s, kind, NOW)
    header, rows = parse_csv(result.render("csv"))
    assert header == list(COLUMNS[kind])
    assert len(rows) == ROWS[kind]
    doc = json.loads(result.render("json"))
    assert (doc["kind"], doc["count"], doc["columns"]) == (kind, ROWS[kind],
                                                          list(COLUMNS[kind]))
    assert doc["generated_at"] == NOW.isoformat()
    assert all(list(r) == list(COLUMNS[kind]) for r in doc["rows"])
    assert [r[COLUMNS[kind][0]] for r in rows] == [csv_cell(r[COLUMNS[kind][0]])
                                                   for r in doc["rows"]]


def test_cost_data_lists_levels_and_the_agreed_cost_of_each_active_sla(demo):
    with demo.sessions() as s:
        doc = json.loads(export(s, "cost-data", NOW).to_json())
    rows = doc["rows"]
    options = [r for r in rows if r["record"] == "option"]
    gold = next(r for r in options if (r["service_key"], r["level"]) == ("erp-hosting", "Gold"))
    assert (gold["monthly_cost"], gold["ready_for_targets"], gold["missing_processes"]) == (
        "7200.00", False, ["continuity"])
    assert {t["metric"] for t in gold["targets"]} == {"availability", "batch_on_time",
                                                      "incident_resolution"}
    agreements = {r["service_key"]: r for r in rows if r["record"] == "agreement"}
    assert set(agreements) == {"email", "service-desk"}
    desk = agreements["service-desk"]
    assert (desk["organisation"], desk["level"], desk["monthly_cost"],
            desk["list_monthly_cost"], desk["sla_version"]) == (
        "Contoso Health", "Silver", "2100.00", "2100.00", 2)
    assert "incident_resolution <= 10 hours per month" in [t["text"] for t in desk["targets"]]

    with demo.sessions() as s:
        _, csv_rows = parse_csv(export(s, "cost-data", NOW).to_csv())
    row = next(r for r in csv_rows if r["record"] == "agreement"
               and r["service_key"] == "service-desk")
    assert "incident_resolution <= 10 hours per month" in row["targets"].split("; ")
    assert (row["ready_for_targets"], row["valid_until"]) == ("", desk["valid_until"])


def test_a_customer_sees_only_its_own_records(demo):
    with demo.sessions() as s:
        cost = export(s, "cost-data", NOW, organisation="contoso").rows
        changes = export(s, "change-requests", NOW, organisation="contoso").rows
        reports = export(s, "customer-reports", NOW, organisation="northwind").rows
        specs = export(s, "design-specs", NOW, organisation="northwind").rows
        with pytest.raises(DomainError, match="organisation 'nobody'"):
            export(s, "cis", NOW, organisation="nobody")
    assert {r["organisation"] for r in cost if r["record"] == "agreement"} == {"Contoso Health"}
    assert {r["organisation"] for r in cost} == {None, "Contoso Health"}
    assert [r["origin"] for r in changes] == ["design specification"]
    assert [r["organisation"] for r in reports] == ["Northwind Logistics"]
    assert specs == []


def test_outputs_of_reviews_and_designs(demo, tmp_path):
    with demo.sessions() as s:
        reports = export(s, "customer-reports", NOW, pdf_dir=tmp_path / "pdf").rows
        changes = export(s, "change-requests", NOW).rows
        [spec] = export(s, "design-specs", NOW).rows
        cis = {r["key"]: r for r in export(s, "cis", NOW).rows}
    for report in reports:
        pdf = (tmp_path / "pdf" / report["pdf_file"].rsplit("/", 1)[-1]).read_bytes()
        assert pdf.startswith(b"%PDF") and len(pdf) == report["pdf_bytes"]
        assert report["period_start"] == "2026-02-01" and report["breaches"] == 1
    assert sorted(r["review_status"] for r in reports) == ["closed", "reported"]
    assert sorted(r["origin"] for r in changes) == [
        "design specification", "improvement proposal", "improvement proposal"]
    assert all(r["sla_reference"] for r in changes if r["origin"] == "improvement proposal")
    assert spec["organisation"] == "Contoso Health" and spec["change_requests"] == [
        changes[0]["reference"]]
    assert spec["estimated_monthly_cost"] and spec["cost_basis"].startswith("nearest option")
    assert [r["text"] for r in spec["requirements"]] == [
        "availability >= 99.95 % per month", "incident_resolution <= 2 hours per month",
        "first_response <= 5 minutes per month"]
    assert spec["nearest_options"] and spec["flagged"] == []
    assert cis["CI-NET-CORE-01"]["services"] == ["email", "erp-hosting", "network"]


def test_unknown_kind_and_format():
    with pytest.raises(DomainError, match="unknown export 'costs'"):
        export(None, "costs", NOW)


def test_csv_cells_are_safe_for_spreadsheets():
    assert csv_cell("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert csv_cell("-1+2") == "'-1+2" and csv_cell("@sum") == "'@sum"
    assert csv_cell(-1.5) == "-1.5" and csv_cell(None) == "" and csv_cell(True) == "true"
    assert csv_cell(["a", "b"]) == "a; b" and csv_cell({"text": "t", "x": 1}) == "t"


# -- CIs in: the import ---------------------------------------------------------------------
@pytest.fixture
def catalogue(factory):
    with factory() as s:
        for key in ("mail", "erp", "old"):
            create_service(s, key, key.title(), "olivia", status="live")
        s.commit()
    return factory


def _cis(s) -> dict[str, tuple]:
    out = {}
    for ci in s.scalars(select(ConfigurationItem).order_by(ConfigurationItem.key)):
        services = sorted(sv.key for sv in s.scalars(select(Service)) if ci in sv.cis)
        out[ci.key] = (ci.name, ci.ci_type, ci.status, ci.location, services)
    return out


GOOD_AND_BAD = """key,name,ci_type,status,location,services
CI-1,Mail server,Virtual server,,DC London,mail; erp
CI-2,ERP database,Database,maintenance,DC Leeds,erp
,No key,Server,,,
CI-3,Unknown service,Server,,,mail;nothing
CI-4,No type,,,,
CI-1,Twice,Server,,,
CI-5,'=Formula name,Server,,,
"""


def test_ci_import_creates_and_reports_each_bad_row(catalogue):
    with catalogue() as s:
        result = import_cis_csv(s, GOOD_AND_BAD)
        s.commit()
        assert result == {"created": 3, "updated": 0, "unchanged": 0, "total": 7, "rejected": [
            {"row": 4, "reason": "missing value in column 'key'"},
            {"row": 5, "reason": "unknown service(s) 'nothing'"},
            {"row": 6, "reason": "missing value in column 'ci_type'"},
            {"row": 7, "reason": "key 'CI-1' appeared already on line 2"}]}
        assert _cis(s) == {
            "CI-1": ("Mail server", "Virtual server", "operational", "DC London",
                     ["erp", "mail"]),
            "CI-2": ("ERP database", "Database", "maintenance", "DC Leeds", ["erp"]),
            "CI-5": ("=Formula name", "Server", "operational", "", [])}
        again = import_cis_csv(s, GOOD_AND_BAD)
        assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 3)


def test_ci_import_updates_and_leaves_absent_columns_alone(catalogue):
    with catalogue() as s:
        ci = create_ci(s, "CI-9", "Old name", "Server", location="DC London")
        link_ci(s, s.scalar(select(Service).where(Service.key == "old")), ci)
        result = import_ci_rows(s, [{"key": "CI-9", "name": "New name", "ci_type": "Server"}])
        assert (result["updated"], result["rejected"]) == (1, [])
        assert _cis(s)["CI-9"] == ("New name", "Server", "operational", "DC London", ["old"])
        result = import_ci_rows(s, [{"key": "CI-9", "name": "New name", "ci_type": "Server",
                                     "services": ["mail"], "location": ""}])
        assert result["updated"] == 1
        assert _cis(s)["CI-9"] == ("New name", "Server", "operational", "", ["mail"])
        long = import_ci_rows(s, [{"key": "K" * 81, "name": "n", "ci_type": "t"}])
        assert long["rejected"] == [{"row": 1, "reason": "key is longer than 80 characters"}]


def test_ci_import_refuses_a_file_without_the_required_columns(catalogue):
    with catalogue() as s, pytest.raises(DomainError, match="lacks the column"):
        import_cis_csv(s, "key,location\nCI-1,x\n")


def test_ci_export_imports_again_unchanged(catalogue):
    with catalogue() as s:
        import_cis_csv(s, GOOD_AND_BAD)
        text = export(s, "cis", NOW).to_csv()
        assert "'=Formula name" in text  # guarded in the file, restored by the import
        result = import_cis_csv(s, text)
        assert result == {"created": 0, "updated": 0, "unchanged": 3, "rejected": [],
                          "total": 3}
