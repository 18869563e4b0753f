"""The auditor's view, one step further (issue 18): each step's data as a table, links
between a trace and what it is about, the event logs for process-mining tools, and the
chain head every export carries.

The world is test_audit_trace's: an agreed ``sla_agreement`` instance with one
negotiation round, walked with the engine.
"""
from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner
from conftest import rewrite_and_rehash
from lxml import etree
from sqlalchemy import select

from engine.audit import chain_head
from handlers.agreements.models import ServiceLevelAgreement
from handlers.requirements.models import ServiceLevelRequirement
from web.cli import main

from .api_support import api_as
from .support import client_login
from .test_audit_trace import negotiated_agreement

pytestmark = pytest.mark.filterwarnings(
    "ignore:Install the optional requirement `r4pm`:UserWarning")
XES = "{http://www.xes-standard.org/}"


def records(app, iid: int) -> tuple[ServiceLevelAgreement, ServiceLevelRequirement]:
    with app.extensions["slm"].sessions() as s:
        slr = s.scalar(select(ServiceLevelRequirement).where(
            ServiceLevelRequirement.instance_id == iid))
        sla = s.scalar(select(ServiceLevelAgreement).where(
            ServiceLevelAgreement.slr_id == slr.id))
        s.expunge_all()
        return sla, slr


def anchor_now(app) -> str:
    with app.extensions["slm"].sessions() as s:
        return "{}:{}".format(*chain_head(s))


def test_auditor_reads_a_step_follows_the_sla_and_back_and_downloads_the_xes(
        app, demo, page, login, screenshot, tmp_path):
    pm4py = pytest.importorskip("pm4py")
    iid = negotiated_agreement(app, demo)
    sla, _ = records(app, iid)
    login(page, demo.users["Auditor"])
    page.goto(f"/audit/instances/{iid}")
    page.wait_for_selector("#trace-diagram[data-state=ready]")
    assert page.get_by_test_id("organisation").inner_text() == "Acme Retail Ltd"
    # the customer's second review: a table, its decision marked as changed since the first
    timeline = page.get_by_test_id("timeline")
    reviews = timeline.locator(":scope > tbody > tr[data-kind=task_completed]"
                               "[data-element=review_draft]")
    assert reviews.count() == 2
    second = reviews.nth(1)
    decision = second.locator("[data-testid=event-data] tr[data-key=decision]")
    assert decision.locator("th").inner_text() == "Decision"
    assert decision.locator("td").inner_text().startswith("accept")
    assert decision.get_attribute("data-changed") == "true"
    assert "was counter-propose" in decision.inner_text()
    first = reviews.nth(0).locator("[data-testid=event-data]")
    assert first.locator("[data-changed]").count() == 0
    assert "We need 3 hours, not 4." in first.locator("tr[data-key=comment]").inner_text()
    # money and dates are formatted; the raw JSON is one click away, without escapes
    assert re.fullmatch(r"\d{1,3}(,\d{3})*\.\d\d",
                        timeline.locator(".slm-value-money:visible").first.inner_text())
    assert re.fullmatch(r"\d\d [A-Z][a-z]{2} \d{4}( \d\d:\d\d UTC)?",
                        timeline.locator(".slm-value-date:visible").first.inner_text())
    raw = second.get_by_test_id("event-json")
    assert not raw.is_visible()
    second.get_by_text("Raw JSON").click()
    assert raw.is_visible() and '"decision": "accept"' in raw.inner_text()
    revise = timeline.locator(":scope > tbody > tr[data-kind=handler_run]"
                              "[data-element=draft_revision] [data-testid=event-json]")
    assert "<=" in revise.text_content() and "\\u" not in revise.text_content()
    screenshot(page, "audit-trace-step-table")
    # to the SLA the instance is about, and back from the SLA's page
    page.get_by_test_id("subjects").get_by_role("link", name=sla.reference).click()
    page.wait_for_url(f"**/slas/{sla.id}")
    instances = page.get_by_test_id("record-instances")
    screenshot(page, "sla-instances")
    instances.get_by_role("link", name=f"Trace of instance {iid}").click()
    page.wait_for_url(f"**/audit/instances/{iid}")
    # the event log of the agreement process, from the audit page
    page.goto("/audit")
    form = page.get_by_test_id("eventlog-export")
    form.get_by_label("Process").select_option("sla_agreement")
    with page.expect_download() as download:
        form.get_by_role("button", name="Download XES").click()
    path = tmp_path / "agreement.xes"
    download.value.save_as(path)
    assert download.value.suggested_filename == "sla_agreement-eventlog.xes"
    log = pm4py.read_xes(str(path), return_legacy_log_object=True)
    traces = {t.attributes["concept:name"]: t for t in log}
    assert list(traces) == [str(iid)]
    names = [e["concept:name"] for e in traces[str(iid)]]
    assert names.count("Review the SLA draft") == 2 and "Revise the SLA" in names
    assert log.attributes["slm:chain_head"] == anchor_now(app)


def test_pages_link_traces_only_for_who_may_open_them(app, demo):
    iid = negotiated_agreement(app, demo)
    sla, slr = records(app, iid)
    trace_link = f'href="/audit/instances/{iid}"'
    pages = {"Service Level Manager": f"/slas/{sla.id}", "Process Owner": f"/slas/{sla.id}",
             "Auditor": f"/slas/{sla.id}", "Customer": f"/portal/requirements/{slr.id}"}
    for role, url in pages.items():
        client = app.test_client()
        client_login(client, demo.users[role])
        text = client.get(url).data.decode()
        assert f"Instance {iid}" in text or f"Trace of instance {iid}" in text, role
        assert (trace_link in text) == (role in ("Process Owner", "Auditor")), role
    # the trace links its SLA and requirement for who may open those pages
    for role, linked in (("Auditor", True), ("Process Owner", True), ("Admin", False)):
        client = app.test_client()
        client_login(client, demo.users[role])
        text = client.get(f"/audit/instances/{iid}").data.decode()
        assert (f'href="/slas/{sla.id}"' in text) == linked, role
        assert (f'href="/requirements/{slr.id}"' in text) == linked, role  # staff page
        assert f"Requirement {slr.id}: {slr.title}" in text
        assert "Acme Retail Ltd" in text
    auditor = app.test_client()
    client_login(auditor, demo.users["Auditor"])
    listing = auditor.get("/audit?process=sla_agreement").data.decode()
    assert "Acme Retail Ltd" in listing and ">acme<" not in listing


def test_every_export_carries_the_anchor_that_later_catches_a_rewrite(app, demo, db_url,
                                                                      monkeypatch):
    iid = negotiated_agreement(app, demo)
    client = app.test_client()
    client_login(client, demo.users["Auditor"])
    anchor = anchor_now(app)
    trace = client.get(f"/audit/instances/{iid}/trace.json")
    body = json.loads(trace.data)
    assert body["chain_head"] == anchor == trace.headers["X-SLM-Chain-Head"]
    assert body["instance"]["organisation"] == "Acme Retail Ltd"
    assert b"\\u" not in trace.data
    for url in (f"/audit/instances/{iid}/trace.csv", "/audit/log.csv"):
        first = client.get(url).data.decode().splitlines()[0]
        assert first.startswith(f"# chain head {anchor} ")
    xes = client.get("/audit/eventlog.xes", query_string={"process": "sla_agreement"})
    assert xes.status_code == 200 and xes.headers["X-SLM-Chain-Head"] == anchor
    root = etree.fromstring(xes.data)
    assert {a.get("key"): a.get("value") for a in root.findall(f"{XES}string")}[
        "slm:chain_head"] == anchor
    ocel = client.get("/audit/eventlog.ocel", query_string={"process": "sla_agreement",
                                                            "organisation": "acme"})
    assert json.loads(ocel.data)["slm:chainHead"] == anchor
    # the API serves the same documents; bad filters are named
    api = api_as(app, demo.users["Process Owner"])
    assert json.loads(api.get("/api/v1/eventlogs/ocel", process="sla_agreement").data)[
        "slm:chainHead"] == anchor_now(app)
    refused = api.get("/api/v1/eventlogs/xes", process="sla_agreement", version="two")
    assert refused.status_code == 422 and "version" in refused.get_json()["errors"]
    unknown = api.get("/api/v1/eventlogs/xes", process="no_such_process")
    assert unknown.status_code == 422 and "process" in unknown.get_json()["errors"]
    bad = client.get("/audit/eventlog.xes", query_string={"process": "sla_agreement",
                                                          "from": "yesterday"})
    assert bad.status_code == 400 and "from" in bad.data.decode()
    assert client.get("/audit/eventlog.ocel").status_code == 400
    # later: the anchor holds, until someone rewrites the log and re-hashes it
    monkeypatch.setenv("SLM_DATABASE_URL", db_url)
    runner = CliRunner()
    ok = runner.invoke(main, ["audit", "verify", "--anchor", anchor])
    assert ok.exit_code == 0, ok.output
    with app.extensions["slm"].sessions() as s:
        rewrite_and_rehash(s, 3, '{"forged":true}')
    broken = runner.invoke(main, ["audit", "verify", "--anchor", anchor])
    assert broken.exit_code == 1 and "rewritten" in broken.output


def test_cli_writes_xes_and_ocel_with_the_anchor(app, demo, db_url, monkeypatch, tmp_path):
    iid = negotiated_agreement(app, demo)
    monkeypatch.setenv("SLM_DATABASE_URL", db_url)
    runner = CliRunner()
    out = tmp_path / "agreement.xes"
    done = runner.invoke(main, ["export", "xes", "--process", "sla_agreement",
                                "--organisation", "acme", "--output", str(out)])
    assert done.exit_code == 0, done.output
    anchor = anchor_now(app)
    assert f"cut at chain head {anchor}" in done.output and "1 instances" in done.output
    traces = etree.parse(str(out)).getroot().findall(f"{XES}trace")
    assert [t.find(f"{XES}string").get("value") for t in traces] == [str(iid)]
    ocel = tmp_path / "agreement.jsonocel"
    done = runner.invoke(main, ["export", "ocel", "--process", "sla_agreement", "--version",
                                "1", "--from", "2000-01-01", "--to", "2100-01-01",
                                "-o", str(ocel)])
    assert done.exit_code == 0, done.output
    assert json.loads(ocel.read_text())["slm:chainHead"] == anchor
    for args, where in ((["export", "xes"], "--process"),
                        (["export", "cost-data", "--process", "x"], "--process"),
                        (["export", "ocel", "--process", "sla_agreement", "--format", "csv"],
                         "--format")):
        refused = runner.invoke(main, args)
        assert refused.exit_code == 2 and where in refused.output, refused.output
    unknown = runner.invoke(main, ["export", "xes", "--process", "sla_agreement",
                                   "--version", "9", "-o", str(tmp_path / "no.xes")])
    assert unknown.exit_code == 1 and "version" in unknown.output
    assert not (tmp_path / "no.xes").exists()
