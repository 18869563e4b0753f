"""The service level manager's delivery pages, on the real app (SQLite and PostgreSQL).

- the measurement import page (a browser upload) reports the imported count, the duplicates
  and every rejected row with its line number and reason; importing again adds nothing;
- the management report page is generated, renders its figures and charts, and its PDF
  downloads;
- and, through the Flask client: attainment with the customer's observations beside the
  numbers, reviews with their customer report, exports, empty states and pagination.
"""
from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from pathlib import Path

from pypdf import PdfReader

from engine.clock import utcnow
from handlers.catalogue import operations as catalogue
from handlers.delivery.measurements import import_rows, record_observation
from handlers.delivery.models import Measurement

from .manager_pages import _count, _stamp
from .manager_pages import email_sla as email_sla  # the fixture
from .manager_pages import options as options  # the fixture email_sla uses
from .support import client_login


# -- measurement import (browser) ------------------------------------------------------------
def test_import_page_reports_rejected_rows_with_their_reasons(app, page, demo, email_sla,
                                                              login, screenshot):
    ref, now = email_sla["reference"], utcnow()
    t1, t2 = _stamp(now - timedelta(days=2)), _stamp(now - timedelta(days=1))
    csv = ("sla,metric,measured_at,value\n"
           f"{ref},availability,{t1},99.95\n"               # 2: imported
           f"{ref},availability,{t1},99.95\n"               # 3: duplicate in the file
           f"SLA-NOPE,availability,{t1},99\n"               # 4: unknown SLA
           f"{ref},availability,{t2},abc\n"                 # 5: not a number
           f"{ref},availability,{t2}Z,150\n"                # 6: out of range
           f"{ref},satisfaction,{t1},4\n"                   # 7: not a target of the SLA
           f"{ref},availability,2999-01-01T00:00:00,99\n"   # 8: in the future
           f"{ref},incident_resolution,{t2},3.5\n"          # 9: imported
           f"{ref},availability,yesterday,99\n")            # 10: not a timestamp
    login(page, demo.users["Service Level Manager"])
    page.get_by_test_id("nav").get_by_role("link", name="Attainment").click()
    page.get_by_role("link", name="Import measurements").click()
    upload = {"name": "delivery.csv", "mimeType": "text/csv", "buffer": csv.encode()}
    page.get_by_label("Measurement file").set_input_files(upload)
    page.get_by_role("button", name="Import", exact=True).click()
    page.get_by_test_id("import-result").wait_for()
    screenshot(page, "manager-import-result")
    assert page.get_by_test_id("imported").inner_text() == "2"
    assert page.get_by_test_id("duplicates").inner_text() == "1"
    assert page.get_by_test_id("rejected-count").inner_text() == "6"
    rows = [r.split("\t") for r in page.get_by_test_id("rejected").locator("tbody tr")
            .all_inner_texts()]
    reasons = {int(line): reason for line, reason in rows}
    assert set(reasons) == {4, 5, 6, 7, 8, 10}
    assert "unknown SLA 'SLA-NOPE'" in reasons[4]
    assert "'abc' is not a number" in reasons[5]
    assert "out of range 0..100" in reasons[6]
    assert "'satisfaction' is not a target of SLA" in reasons[7]
    assert "in the future" in reasons[8]
    assert "not an ISO 8601 timestamp" in reasons[10]
    assert _count(app, Measurement) == 2

    # the same file again: nothing new, the accepted rows counted as duplicates
    page.get_by_label("Measurement file").set_input_files(upload)
    page.get_by_role("button", name="Import", exact=True).click()
    page.get_by_test_id("import-result").wait_for()
    assert page.get_by_test_id("imported").inner_text() == "0"
    assert page.get_by_test_id("duplicates").inner_text() == "3"
    assert _count(app, Measurement) == 2


def test_import_refuses_files_it_cannot_read_and_never_reads_a_server_path(
        app, client, demo, email_sla):
    token = client_login(client, demo.users["Service Level Manager"])

    def send(data: bytes, name: str = "m.csv"):
        return client.post("/measurements/import", data={
            "csrf_token": token, "file": (io.BytesIO(data), name)},
            content_type="multipart/form-data")

    response = client.post("/measurements/import", data={"csrf_token": token})
    assert response.status_code == 400 and b"choose a CSV file" in response.data
    assert b"not UTF-8" in send("sla,metric\n\xe9t\xe9".encode("latin-1")).data
    assert b"the file is empty" in send(b"").data
    app.config["SLM_MAX_IMPORT_BYTES"] = 64
    assert b"larger than 64 bytes" in send(b"sla,metric,measured_at,value\n" + b"x" * 100).data
    app.config.pop("SLM_MAX_IMPORT_BYTES")
    # a one-line upload naming a file on the server is CSV text, not a path to read
    # (its one line is a header naming a column the import does not know)
    response = send(b"/etc/passwd")
    assert response.status_code == 400
    assert b"unknown column(s) &#39;/etc/passwd&#39;" in response.data
    assert b"root:" not in response.data and _count(app, Measurement) == 0


# -- management report (browser) ---------------------------------------------------------------
def test_management_report_page_renders_with_charts_and_the_pdf_downloads(
        app, page, demo, email_sla, login, screenshot):
    day = utcnow() - timedelta(days=2)
    with app.extensions["slm"].sessions() as s:
        rows = [{"sla": email_sla["reference"], "metric": "availability",
                 "measured_at": day + timedelta(hours=h), "value": v}
                for h, v in ((0, 99.95), (1, 97.0))]  # average 98.475 < 99.9: breached
        rows.append({"sla": email_sla["reference"], "metric": "incident_resolution",
                     "measured_at": day, "value": 2.5})
        assert import_rows(s, rows, "test", utcnow())["imported"] == 3
        s.commit()
    login(page, demo.users["Service Level Manager"])
    page.goto("/management")
    assert "No management report yet" in page.get_by_test_id("empty-state").inner_text()
    page.get_by_label("Period").fill(day.strftime("%Y-%m"))
    page.get_by_role("button", name="Generate report").click()
    page.wait_for_url(re.compile(r"/management/\d+$"))
    assert "generated" in page.get_by_test_id("flashes").inner_text()
    assert day.strftime("%Y-%m") in page.get_by_test_id("report-title").inner_text()
    figures = page.get_by_test_id("figures").inner_text()
    assert "1\nactive SLAs" in figures and "1\ntargets breached" in figures
    for chart in ("attainment", "breaches", "cost", "priority", "trend"):
        assert page.locator(f"[data-chart={chart}] svg").count() == 1, chart
    assert "1/2 met" in page.locator("[data-chart=attainment]").inner_text()
    assert email_sla["reference"] in page.get_by_test_id("portfolio").inner_text()
    screenshot(page, "manager-management-report")

    with page.expect_download() as download:
        page.get_by_test_id("pdf-link").click()
    assert download.value.suggested_filename.endswith(".pdf")
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "Service level management report" in text and email_sla["reference"] in text


def test_generate_refuses_a_bad_period_and_keeps_it(app, client, demo):
    token = client_login(client, demo.users["Process Owner"])
    for period, message in (("", b"give the period"), ("2026-13", b"is not a period"),
                            ("2999-01", b"has not begun yet")):
        response = client.post("/management", data={"csrf_token": token, "period": period})
        assert response.status_code == 400 and message in response.data, period
    assert b'value="2999-01"' in response.data


# -- attainment, reviews, reports (client) -----------------------------------------------------
def test_attainment_shows_targets_charts_and_the_customers_observations(
        app, client, demo, email_sla):
    day = utcnow() - timedelta(days=2)
    with app.extensions["slm"].sessions() as s:
        import_rows(s, [{"sla": email_sla["reference"], "metric": "availability",
                         "measured_at": day, "value": 99.95},
                        {"sla": email_sla["reference"], "metric": "incident_resolution",
                         "measured_at": day, "value": 6.5}], "test", utcnow())
        record_observation(s, email_sla["sla_id"], "complaint", "Mail bounced all morning",
                           observed_at=day, impact_minutes=90, recorded_by="acme",
                           now=utcnow())
        s.commit()
    client_login(client, demo.users["Auditor"])
    response = client.get(f"/attainment/{email_sla['sla_id']}?period={day:%Y-%m}")
    assert response.status_code == 200
    html = response.data.decode()
    table = html[html.index('data-testid="attainment"'):html.index('data-testid="charts"')]
    assert "99.95%" in table and ">met<" in table and ">breached<" in table
    assert "-2.5" in table  # incident resolution 6.5 h against <= 4 h
    assert html.count("<svg") >= 2
    assert "Mail bounced all morning" in html and "90 min impact" in html
    assert "1 complaint" in html
    assert client.get(f"/attainment/{email_sla['sla_id']}?period=March").status_code == 400
    assert email_sla["reference"] in client.get("/attainment").data.decode()


def test_reviews_link_their_customer_report_and_exports_download(app, client, demo, email_sla):
    client_login(client, demo.users["Service Level Manager"])
    listing = client.get("/reviews").data.decode()
    report_url = f"/reports/customer/{email_sla['report_id']}"
    assert email_sla["reference"] in listing and report_url in listing
    detail = client.get(f"/reviews/{email_sla['review_id']}").data.decode()
    assert report_url in detail and f"{report_url}.pdf" in detail
    document = client.get(report_url)
    assert document.status_code == 200 and "sandbox" in document.headers[
        "Content-Security-Policy"]
    assert client.get(f"{report_url}.pdf").data.startswith(b"%PDF")
    for kind in ("cost-data", "cis", "design-specs", "customer-reports", "change-requests"):
        csv = client.get(f"/reports/exports/{kind}.csv")
        assert csv.status_code == 200 and csv.mimetype == "text/csv", kind
        assert "attachment" in csv.headers["Content-Disposition"]
        data = json.loads(client.get(f"/reports/exports/{kind}.json").data)
        assert data["kind"] == kind
    assert "Email" in client.get("/reports/exports/cost-data.csv").data.decode()
    assert client.get("/reports/exports/secrets.csv").status_code == 404
    for language, name in (("en", "Cost data"), ("ru", "Данные о стоимости")):
        page = client.get("/reports", headers={"Accept-Language": language}).data.decode()
        row = page[page.index('data-kind="cost-data"'):][:300]
        assert f"<strong>{name}</strong>" in row, language  # a name, not the file's key
    assert client.get("/reports/exports/cis.xml").status_code == 404


def test_empty_pages_explain_what_to_do(app, client, demo):
    client_login(client, demo.users["Service Level Manager"])
    expected = {"/catalogue/": "The catalogue is empty", "/catalogue/metrics": "No metrics yet",
                "/catalogue/cis": "No configuration items yet",
                "/attainment": "No agreed SLAs yet", "/reviews": "No reviews yet",
                "/improvements": "No improvement proposals yet",
                "/change-requests": "No change requests yet",
                "/reports": "No customer reports yet",
                "/management": "No management report yet",
                "/management/reports": "No management reports yet"}
    for url, title in expected.items():
        html = client.get(url).data.decode()
        assert 'data-testid="empty-state"' in html and title in html, url


def test_lists_are_paginated(app, client, demo):
    with app.extensions["slm"].sessions() as s:
        for n in range(30):
            catalogue.create_ci(s, f"CI-{n:03d}", f"Server {n}", "Virtual server")
        s.commit()
    client_login(client, demo.users["Auditor"])
    first = client.get("/catalogue/cis").data.decode()
    assert "CI-000" in first and "CI-025" not in first and "page 1 of 2" in first
    second = client.get("/catalogue/cis?page=2").data.decode()
    assert "CI-025" in second and "CI-029" in second and "CI-000" not in second
    assert "page 2 of 2" in client.get("/catalogue/cis?page=99").data.decode()
