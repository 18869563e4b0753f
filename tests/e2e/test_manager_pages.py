"""The service level manager's pages, on the real app (SQLite and PostgreSQL).

- the measurement import page (a browser upload) reports the imported count, the duplicates
  and every rejected row with its line number and reason; importing again adds nothing;
- the catalogue's target form refuses an unmeasurable target (mission rule 6), naming what
  is missing at each field, keeping the values typed and saving nothing;
- the management report page is generated, renders its figures and charts, and its PDF
  downloads;
- an auditor reads the catalogue and finds no form on it (and may not open the edit pages);
- and, through the Flask client: service/level validation, supporting processes and
  readiness (mission rule 5), attainment with the customer's observations beside the
  numbers, reviews with their customer report, exports, empty states and pagination.
"""
from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from engine.clock import utcnow
from handlers.agreements.models import ServiceLevelAgreement
from handlers.catalogue import operations as catalogue
from handlers.catalogue.models import ConfigurationItem, Service, ServiceLevelOption, Target
from handlers.delivery.measurements import import_rows, record_observation
from handlers.delivery.models import Measurement

from . import manager_world, sla_world
from .support import client_login

POST_FORM = re.compile(r"<form\b[^>]*method=\"post\"[^>]*>", re.IGNORECASE)


@pytest.fixture
def options(app, demo) -> dict:
    return sla_world.build_catalogue(app)


@pytest.fixture
def email_sla(app, demo, options) -> dict:
    """Acme's active Email Gold SLA (with a review and its customer report), its reference."""
    made = sla_world.agreed_sla(app, demo, demo.users["Customer"], options)
    with app.extensions["slm"].sessions() as s:
        made["reference"] = s.get(ServiceLevelAgreement, made["sla_id"]).reference
    return made


def _count(app, model, *where) -> int:
    with app.extensions["slm"].sessions() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def _option_id(app, level: str) -> int:
    with app.extensions["slm"].sessions() as s:
        return s.scalar(select(ServiceLevelOption.id).join(Service).where(
            Service.key == "email", ServiceLevelOption.name == level))


def _stamp(at) -> str:
    return at.replace(microsecond=0).isoformat()


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
    response = send(b"/etc/passwd")
    assert response.status_code == 200
    assert b"root:" not in response.data and _count(app, Measurement) == 0


# -- catalogue: targets (browser) --------------------------------------------------------------
def test_target_form_refuses_an_unmeasurable_target_naming_what_is_missing(
        app, page, demo, options, login, screenshot):
    bronze = _option_id(app, "Bronze")
    login(page, demo.users["Service Level Manager"])
    page.goto("/catalogue/")
    page.get_by_role("link", name="Email").click()
    page.get_by_role("link", name="Targets of Bronze").click()
    form = page.get_by_test_id("target-form")
    form.get_by_label("Metric", exact=True).select_option("satisfaction")
    form.get_by_label("Threshold").fill("very high")
    form.get_by_label("Period", exact=True).select_option("")
    form.get_by_role("button", name="Set target").click()
    page.get_by_test_id("form-errors").wait_for()
    screenshot(page, "manager-target-refused")
    assert "'satisfaction' has no data source" in page.locator("#metric-error").inner_text()
    assert "'very high' is not a number" in page.locator("#threshold-error").inner_text()
    assert "period is missing" in page.locator("#period-error").inner_text()
    # the values typed are kept, nothing is saved
    assert form.get_by_label("Metric", exact=True).input_value() == "satisfaction"
    assert form.get_by_label("Threshold").input_value() == "very high"
    assert _count(app, Target, Target.option_id == bronze) == 2

    form.get_by_label("Metric", exact=True).select_option("availability")
    form.get_by_label("Threshold").fill("99.7")
    form.get_by_label("Period", exact=True).select_option("month")
    form.get_by_role("button", name="Set target").click()
    page.get_by_test_id("flashes").wait_for()
    assert "Target set: Availability >= 99.7 % per month" in \
        page.get_by_test_id("flashes").inner_text()
    assert "99.7 %" in page.get_by_test_id("targets").inner_text()
    with app.extensions["slm"].sessions() as s:
        thresholds = s.scalars(select(Target.threshold).where(Target.option_id == bronze))
        assert 99.7 in set(thresholds)


def test_target_form_names_a_missing_metric_and_threshold(app, client, demo, options):
    token = client_login(client, demo.users["Process Owner"])
    gold = _option_id(app, "Gold")
    response = client.post(f"/catalogue/levels/{gold}/targets", data={
        "csrf_token": token, "metric": "", "threshold": "", "period": "quarter"})
    assert response.status_code == 400
    html = response.data.decode()
    assert "metric is missing" in html and "threshold is missing" in html
    assert '<option value="quarter" selected>' in html


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


# -- the auditor reads the catalogue ---------------------------------------------------------
def test_auditor_sees_the_catalogue_read_only(app, client, demo, options):
    ids = manager_world.records(app)
    client_login(client, demo.users["Auditor"])
    pages = ["/catalogue/", f"/catalogue/services/{ids['service_id']}",
             f"/catalogue/levels/{ids['option_id']}/targets", "/catalogue/metrics",
             "/catalogue/cis"]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.data.decode()
        forms = POST_FORM.findall(html)
        assert forms == [f for f in forms if 'action="/logout"' in f], (url, forms)
        for word in ("New service", "Edit service", "New level", "Set target",
                     "Define a supporting process", "Unlink", "New metric",
                     "New configuration item", ">Edit<"):
            assert word not in html, (url, word)
    assert "Email" in client.get("/catalogue/").data.decode()
    for url in ("/catalogue/services/new", f"/catalogue/services/{ids['service_id']}/edit",
                f"/catalogue/services/{ids['service_id']}/supporting", "/catalogue/metrics/new",
                "/measurements/import"):
        assert client.get(url).status_code == 403, url


def test_auditor_sees_no_catalogue_form_in_the_browser(app, page, demo, options, login):
    login(page, demo.users["Auditor"])
    page.get_by_test_id("nav").get_by_role("link", name="Catalogue").click()
    page.get_by_role("link", name="Email").click()
    page.get_by_role("link", name="Targets of Gold").click()
    assert page.locator("main form").count() == 0
    assert page.get_by_test_id("targets").is_visible()


# -- catalogue: services, levels, supporting processes, CIs (client) -------------------------
def test_service_form_errors_keep_the_values_and_save_nothing(app, client, demo, options):
    token = client_login(client, demo.users["Service Level Manager"])
    response = client.post("/catalogue/services/new", data={
        "csrf_token": token, "key": "email", "name": "Mail again", "owner": "",
        "status": "draft", "description": "typed text"})
    assert response.status_code == 400
    html = response.data.decode()
    assert "service &#39;email&#39; already exists" in html and "owner is required" in html
    assert 'value="Mail again"' in html and "typed text" in html
    assert _count(app, Service) == 1

    response = client.post("/catalogue/services/new", data={
        "csrf_token": token, "key": "backup", "name": "Backup", "owner": "Grace Kim",
        "status": "live", "description": ""})
    assert response.status_code == 302
    service_page = client.get(response.headers["Location"]).data.decode()
    assert "Not ready for targets." in service_page
    assert "change, continuity, incident" in service_page  # missing kinds, named


def test_defining_supporting_processes_makes_a_service_ready(app, client, demo, options):
    token = client_login(client, demo.users["Process Owner"])
    with app.extensions["slm"].sessions() as s:
        service = catalogue.create_service(s, "erp", "ERP Hosting", "Hannah", status="live")
        s.commit()
        service_id = service.id
    url = f"/catalogue/services/{service_id}/supporting"
    response = client.post(url, data={"csrf_token": token, "kind": "incident", "owner": "",
                                      "agreement": "", "required": "on"})
    assert response.status_code == 400
    assert b"owner is required" in response.data and b"agreement is required" in response.data
    for kind in catalogue.BASELINE_KINDS:
        assert b"Not ready for targets" in client.get(f"/catalogue/services/{service_id}").data
        response = client.post(url, data={"csrf_token": token, "kind": kind,
                                          "owner": f"{kind} team", "agreement": f"OLA-{kind}",
                                          "required": "on"})
        assert response.status_code == 302, kind
    page = client.get(f"/catalogue/services/{service_id}").data.decode()
    assert "Ready for targets" in page and "OLA-continuity" in page


def test_level_form_checks_cost_rank_and_service_hours(app, client, demo, options):
    token = client_login(client, demo.users["Service Level Manager"])
    with app.extensions["slm"].sessions() as s:
        service_id = s.scalar(select(Service.id).where(Service.key == "email"))
    url = f"/catalogue/services/{service_id}/levels/new"
    response = client.post(url, data={
        "csrf_token": token, "name": "Platinum", "monthly_cost": "lots", "rank": "0",
        "service_hours": "Mon-Fri 25:00-26:00", "timezone": "UTC"})
    assert response.status_code == 400
    html = response.data.decode()
    # every problem at once: the web layer's (rank, hours) and the handler's (cost)
    assert "monthly cost must be a number" in html
    assert "rank must be a whole number" in html and "not a valid time window" in html
    assert 'value="Platinum"' in html and 'value="lots"' in html
    assert _count(app, ServiceLevelOption) == 3
    response = client.post(url, data={
        "csrf_token": token, "name": "Platinum", "monthly_cost": "2500", "rank": "4",
        "service_hours": "24x7", "timezone": "Europe/London"})
    assert response.status_code == 302 and "/targets" in response.headers["Location"]
    assert "Platinum EUR 2,500.00" in re.sub(r"<[^>]+>", "", client.get("/catalogue/").data
                                         .decode())


def test_configuration_items_link_and_unlink(app, client, demo, options):
    token = client_login(client, demo.users["Service Level Manager"])
    response = client.post("/catalogue/cis/new", data={
        "csrf_token": token, "key": "CI-DB-01", "name": "Mail database", "ci_type": "Database",
        "status": "operational", "location": "DC London"})
    assert response.status_code == 302
    with app.extensions["slm"].sessions() as s:
        service_id = s.scalar(select(Service.id).where(Service.key == "email"))
        ci_id = s.scalar(select(ConfigurationItem.id))
    service_url = f"/catalogue/services/{service_id}"
    assert client.post(f"{service_url}/cis", data={"csrf_token": token}).status_code == 400
    assert client.post(f"{service_url}/cis", data={"csrf_token": token, "ci_id": ci_id}
                       ).status_code == 302
    assert "Mail database" in client.get(service_url).data.decode()
    assert "Email" in client.get("/catalogue/cis").data.decode()
    assert client.post(f"{service_url}/cis/unlink", data={"csrf_token": token, "ci_id": ci_id}
                       ).status_code == 302
    assert "No configuration items are linked yet" in client.get(service_url).data.decode()


def test_metric_registry_marks_unmeasurable_metrics_and_edits_add_a_source(
        app, client, demo, options):
    token = client_login(client, demo.users["Service Level Manager"])
    html = client.get("/catalogue/metrics").data.decode()
    assert "none: cannot be measured" in html
    with app.extensions["slm"].sessions() as s:
        metric_id = catalogue.metric_by_key(s, "satisfaction").id
    response = client.post(f"/catalogue/metrics/{metric_id}", data={
        "csrf_token": token, "name": "User satisfaction", "unit": "score 1-5",
        "direction": "sideways", "aggregation": "avg", "data_source": "survey"})
    assert response.status_code == 400 and b"direction must be" in response.data
    response = client.post(f"/catalogue/metrics/{metric_id}", data={
        "csrf_token": token, "name": "User satisfaction", "unit": "score 1-5",
        "direction": "higher", "aggregation": "avg", "data_source": "Quarterly survey"})
    assert response.status_code == 302
    assert "none: cannot be measured" not in client.get("/catalogue/metrics").data.decode()


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
