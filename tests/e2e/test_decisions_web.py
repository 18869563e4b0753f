"""Decision tables and deploy sets in the studio: a process owner uploads a .zip of a diagram,
its DMN decision and its form; the decision drives the gateway; a person completes the task
on the branch the decision chose. The table is shown and edited with dmn-js, and an edited
table goes back through every deploy check. In Chromium and with the Flask test client."""
from __future__ import annotations

import io
import json
import zipfile

from conftest import DATA
from playwright.sync_api import expect
from sqlalchemy import func, select

from engine.clock import utcnow
from engine.instances import start_instance
from engine.models import HumanTask, ProcessInstance, ProcessVersion

from .support import client_login
from .support import login as sign_in
from .test_accessibility import AXE, open_context, violations

SET = {p.name: p.read_bytes() for p in (DATA / "dmn").iterdir()}


def zip_of(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buf.getvalue()


def versions(app) -> list[tuple[str, int]]:
    with app.extensions["slm"].sessions() as s:
        return sorted(s.execute(select(ProcessVersion.process_id, ProcessVersion.version)).all())


def start(app, amount: int) -> int:
    services = app.extensions["slm"]
    with services.sessions() as s:
        iid = start_instance(services.engine, s, "risk_route", actor="monitoring", now=utcnow(),
                             data={"amount": amount}, title=f"Change costing {amount}")
        s.commit()
    return iid


def status(app, iid: int) -> tuple[str, list[str]]:
    with app.extensions["slm"].sessions() as s:
        tasks = s.scalars(select(HumanTask.element_id).where(HumanTask.instance_id == iid,
                                                             HumanTask.status == "ready")).all()
        return s.get(ProcessInstance, iid).status, list(tasks)


def upload(client, files: dict[str, bytes], name: str = "set.zip", **headers):
    return client.post("/diagrams/deploy-set", data={
        "archive": (io.BytesIO(zip_of(files)), name), "note": "risk routing"},
        content_type="multipart/form-data", headers=headers)


# -- with the test client ---------------------------------------------------------------------
def test_a_zip_set_is_deployed_and_its_decision_listed(app, demo, client):
    client.environ_base["HTTP_X_CSRFTOKEN"] = client_login(client, demo.users["Process Owner"])
    answer = upload(client, SET)
    assert answer.status_code == 302
    assert versions(app) == [("risk_route", 1)]
    library = client.get("/diagrams").get_data(as_text=True)
    assert "Deployed risk_route version 1." in library
    assert "Decision table risk_route.dmn" in library
    with app.extensions["slm"].sessions() as s:
        vid = s.scalar(select(ProcessVersion.id))
    page = client.get(f"/diagrams/{vid}").get_data(as_text=True)
    assert f'href="/diagrams/{vid}/decisions/risk_route.dmn"' in page
    download = client.get(f"/diagrams/{vid}/decisions/risk_route.dmn/download")
    assert download.status_code == 200 and download.data == SET["risk_route.dmn"]
    assert download.headers["Content-Type"] == "application/octet-stream"
    assert client.get(f"/diagrams/{vid}/decisions/other.dmn").status_code == 404
    assert client.get(f"/diagrams/{vid}/decisions/..%2Fx.dmn").status_code == 404
    again = upload(client, SET, Accept="application/json")
    assert again.get_json()["versions"] == [{"process_id": "risk_route", "version": 1,
                                             "created": False, "url": f"/diagrams/{vid}"}]


def test_a_refused_zip_lists_every_problem_and_stores_nothing(app, demo, client):
    client.environ_base["HTTP_X_CSRFTOKEN"] = client_login(client, demo.users["Process Owner"])
    answer = upload(client, {**SET, "../escape.bpmn": b"x", "tool.exe": b"MZ"})
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    assert "The set was refused; nothing was deployed" in html
    assert "the path leaves the archive" in html and "tool.exe" in html
    broken = {**SET, "risk_route.dmn": SET["risk_route.dmn"].replace(b'"review"', b'"review" +')}
    answer = upload(client, broken, Accept="application/json")
    assert answer.status_code == 422
    assert {"file": "risk_route.dmn", "element_id": "rule_costly",
            "message": "rule 1, output 'Route' has a syntax error on line 1: invalid syntax"} \
        in answer.get_json()["problems"]
    assert upload(client, SET, name="set.tar").status_code == 422
    assert versions(app) == []


def test_the_modeler_deploy_takes_posted_and_stored_decisions(app, demo, client):
    client.environ_base["HTTP_X_CSRFTOKEN"] = client_login(client, demo.users["Process Owner"])
    form = json.loads(SET["review_change.schema.json"])
    body = {"xml": SET["risk_route.bpmn"].decode(), "name": "risk_route.bpmn",
            "forms": {"review_change.schema.json": {"schema": form}}}
    missing = client.post("/diagrams/deploy", json=body)
    assert missing.status_code == 422
    assert missing.get_json()["problems"] == [{
        "element_id": "assess_risk", "file": "risk_route.bpmn",
        "message": "no DMN file deployed with the diagram has the decision 'risk_route'"}]
    posted = client.post("/diagrams/deploy", json={
        **body, "decisions": {"risk_route.dmn": SET["risk_route.dmn"].decode()}})
    assert posted.status_code == 200, posted.get_json()
    # the next version finds the decision stored with the first
    changed = body["xml"].replace("Review the risky change", "Review the costly change")
    stored = client.post("/diagrams/deploy", json={**body, "xml": changed})
    assert stored.status_code == 200 and stored.get_json()["versions"][0]["version"] == 2
    bad_name = client.post("/diagrams/deploy", json={**body, "decisions": {"../x.dmn": "x"}})
    assert bad_name.status_code == 400
    stricter = SET["risk_route.dmn"].decode().replace("&gt; 1000", "&gt; 100")
    third = client.post("/diagrams/deploy", json={
        **body, "xml": changed, "decisions": {"risk_route.dmn": stricter}}).get_json()
    diff = client.get(third["versions"][0]["diff_url"]).get_data(as_text=True)
    assert "changed risk_route.dmn:" in diff and "No decision table changed" not in diff
    assert 'data-testid="no-changes"' not in diff


# -- in the browser ---------------------------------------------------------------------------
def test_owner_deploys_a_dmn_driven_set_and_a_person_completes_the_chosen_branch(
        app, demo, page, login, screenshot, tmp_path):
    archive = tmp_path / "risk-routing.zip"
    archive.write_bytes(zip_of(SET))
    login(page, demo.users["Process Owner"])
    page.goto("/diagrams")
    page.get_by_text("Deploy a set (.zip of diagrams, decisions and forms)").click()
    page.get_by_label("Set (.zip)").set_input_files(str(archive))
    page.get_by_label("Change note").fill("Route costly changes to a review")
    page.get_by_role("button", name="Check and deploy the set").click()
    expect(page.get_by_text("Deployed risk_route version 1.")).to_be_visible()
    screenshot(page, "decisions-set-deployed")
    page.get_by_role("link", name="Decision table risk_route.dmn").click()
    editor = page.locator("#dmn-editor[data-ready=yes]")
    editor.wait_for()
    expect(editor.get_by_text("Cost of the change")).to_be_visible()
    expect(editor.get_by_text('"review"')).to_be_visible()
    screenshot(page, "decisions-table-owner")

    costly, cheap = start(app, 5000), start(app, 10)
    assert status(app, cheap) == ("completed", [])  # the table chose the automatic branch
    assert status(app, costly) == ("running", ["review_change"])
    page.context.clear_cookies()
    login(page, demo.users["Service Level Manager"])
    page.goto("/tasks")
    page.get_by_role("link", name="Review the risky change").first.click()
    expect(page.get_by_text("The decision table found this change risky")).to_be_visible()
    page.get_by_label("Approve the change").check()
    screenshot(page, "decisions-review-task")
    page.get_by_role("button", name="Complete task").click()
    expect(page.locator(".alert-success")).to_be_visible()
    screenshot(page, "decisions-review-done")
    assert status(app, costly) == ("completed", [])


def test_an_edited_table_is_deployed_through_the_checks(app, demo, page, login, screenshot,
                                                        client):
    client.environ_base["HTTP_X_CSRFTOKEN"] = client_login(client, demo.users["Process Owner"])
    assert upload(client, SET).status_code == 302
    with app.extensions["slm"].sessions() as s:
        vid = s.scalar(select(ProcessVersion.id))
    login(page, demo.users["Process Owner"])
    page.goto(f"/diagrams/{vid}/decisions/risk_route.dmn")
    page.locator("#dmn-editor[data-ready=yes]").wait_for()
    cell = page.locator("td", has_text="> 1000").first
    cell.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("> > 100")
    page.get_by_role("button", name="Check and deploy as a new version").click()
    expect(page.get_by_test_id("dmn-problems")).to_contain_text(
        "risk_route.dmn: rule_costly: rule 1, input 'Cost of the change' has a syntax error")
    screenshot(page, "decisions-edit-refused")
    with app.extensions["slm"].sessions() as s:
        assert s.scalar(select(func.count()).select_from(ProcessVersion)) == 1
    page.locator("td", has_text="> > 100").first.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("> 100")
    page.get_by_label("Change note").fill("Review from 100")
    page.get_by_role("button", name="Check and deploy as a new version").click()
    expect(page.get_by_test_id("dmn-status")).to_contain_text("Deployed as risk_route version 2")
    screenshot(page, "decisions-edit-deployed")
    assert status(app, start(app, 500)) == ("running", ["review_change"])


def test_the_decision_page_passes_axe_for_the_owner_and_the_auditor(app, demo, browser,
                                                                   live_server, client):
    client.environ_base["HTTP_X_CSRFTOKEN"] = client_login(client, demo.users["Process Owner"])
    assert upload(client, SET).status_code == 302
    with app.extensions["slm"].sessions() as s:
        vid = s.scalar(select(ProcessVersion.id))
    assert AXE.exists()
    for role, editable in (("Process Owner", "yes"), ("Auditor", "no")):
        context = open_context(browser, live_server, 1280)
        page = context.new_page()
        sign_in(page, demo.users[role])
        page.goto(f"/diagrams/{vid}/decisions/risk_route.dmn")
        page.locator(f"#dmn-editor[data-ready=yes][data-editable={editable}]").wait_for()
        assert (page.get_by_role("button", name="Check and deploy as a new version").count()
                == (1 if editable == "yes" else 0))
        found = violations(page)
        context.close()
        assert found == [], f"{role}: {found}"


def test_the_modeler_keeps_and_edits_a_business_rule_task_s_decision(app, demo, page, login,
                                                                    client):
    client.environ_base["HTTP_X_CSRFTOKEN"] = client_login(client, demo.users["Process Owner"])
    assert upload(client, SET).status_code == 302
    with app.extensions["slm"].sessions() as s:
        vid = s.scalar(select(ProcessVersion.id))
    login(page, demo.users["Process Owner"])
    page.goto(f"/diagrams/modeler?version={vid}")
    page.locator("#modeler[data-state=ready]").wait_for()
    page.evaluate("""id => window.slmModeler.get('selection').select(
        window.slmModeler.get('elementRegistry').get(id))""", "assess_risk")
    field = page.get_by_label("Decision (DMN decision id)")
    expect(field).to_have_value("risk_route")
    saved = page.evaluate("() => window.slmModeler.saveXML().then(r => r.xml)")
    assert "<spiffworkflow:calledDecisionId>risk_route</spiffworkflow:calledDecisionId>" in saved
    field.fill("other_decision")
    field.press("Tab")
    page.wait_for_function("""() => window.slmModeler.saveXML().then(r =>
        r.xml.includes('<spiffworkflow:calledDecisionId>other_decision<'))""")
