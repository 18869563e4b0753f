"""The service level manager's catalogue pages, on the real app (SQLite and PostgreSQL).

- the catalogue's target form refuses an unmeasurable target (mission rule 6), naming what
  is missing at each field, keeping the values typed and saving nothing;
- an auditor reads the catalogue and finds no form on it (and may not open the edit pages);
- and, through the Flask client: service/level validation, supporting processes and
  readiness (mission rule 5), configuration items and the metric registry.
"""
from __future__ import annotations

import re

from sqlalchemy import select

from handlers.catalogue import operations as catalogue
from handlers.catalogue.models import ConfigurationItem, Service, ServiceLevelOption, Target

from . import manager_world
from .manager_pages import POST_FORM, _count, _option_id
from .manager_pages import options as options  # the fixture
from .support import client_login


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
