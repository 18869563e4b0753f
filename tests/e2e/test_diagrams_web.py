"""The diagram library and the modeler's endpoints (web/diagrams).

Process owners see every process with its versions, instance counts and diffs, download a
version, validate a diagram with the checks of ``slm deploy`` (problems per element) and
deploy it (a new version only when valid). Hostile or malformed uploads are refused with a
clear message and store nothing; every POST needs the CSRF token (header X-CSRFToken).
"""
from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from engine.models import ProcessVersion
from web.services import WORKFLOWS

from .support import client_login, seal_all

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

SLA = (WORKFLOWS / "bpmn" / "sla_agreement.bpmn").read_bytes()
RENAMED = SLA.replace(b'name="Review the SLA draft"', b'name="Review the draft of the SLA"')
#: a service task without a handler and a user task outside any lane, between two steps
INVALID = SLA.replace(
    b'<bpmn:sequenceFlow id="flow_note_draft_to_review_draft" sourceRef="note_draft" '
    b'targetRef="review_draft"/>',
    b"""<bpmn:serviceTask id="no_handler" name="Do something" />
    <bpmn:userTask id="no_lane" name="Nobody's task" />
    <bpmn:sequenceFlow id="x1" sourceRef="note_draft" targetRef="no_handler"/>
    <bpmn:sequenceFlow id="x2" sourceRef="no_handler" targetRef="no_lane"/>
    <bpmn:sequenceFlow id="x3" sourceRef="no_lane" targetRef="review_draft"/>""")
assert INVALID != SLA
HOSTILE = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol2;</bpmn:definitions>"""


@pytest.fixture
def owner(app, demo, client):
    token = client_login(client, demo.users["Process Owner"])
    services = app.extensions["slm"]
    path = WORKFLOWS / "bpmn" / "sla_agreement.bpmn"
    [result] = services.deploy_file(path, "owner")
    client.environ_base["HTTP_X_CSRFTOKEN"] = token
    return client, result.version_id


def versions(app) -> int:
    with app.extensions["slm"].sessions() as s:
        return s.execute(select(func.count()).select_from(ProcessVersion)).scalar_one()


def post(client, endpoint: str, data: bytes, name: str = "sla_agreement.bpmn"):
    return client.post(f"/diagrams/{endpoint}?name={name}", data=data,
                       content_type="application/xml")


def test_library_version_page_and_download(owner):
    client, vid = owner
    page = client.get("/diagrams").get_data(as_text=True)
    assert "SLA agreement" in page and "Version 1" in page and f"/diagrams/{vid}" in page
    version = client.get(f"/diagrams/{vid}").get_data(as_text=True)
    assert "0 running, 0 completed, 0 in error" in version
    download = client.get(f"/diagrams/{vid}/download")
    assert download.data == SLA
    assert download.headers["Content-Disposition"] == "attachment; filename=sla_agreement.bpmn"
    assert download.mimetype == "application/octet-stream"  # a download, never a page


def test_validate_and_deploy_a_valid_change(app, owner):
    client, vid = owner
    answer = post(client, "validate", RENAMED).get_json()
    assert answer == {"valid": True, "problems": []}
    assert versions(app) == 1
    deployed = post(client, "deploy", RENAMED)
    assert deployed.status_code == 200
    [v2] = deployed.get_json()["versions"]
    assert (v2["process_id"], v2["version"], v2["created"]) == ("sla_agreement", 2, True)
    assert versions(app) == 2
    assert "Version 2" in client.get("/diagrams").get_data(as_text=True)
    diff = client.get(v2["url"] + "/diff").get_data(as_text=True)
    assert "Elements changed (1)" in diff and "review_draft" in diff
    assert "Elements added (0)" in diff and "No form changed" in diff


def test_invalid_diagram_shows_problems_per_element_and_deploys_nothing(app, owner):
    client, _ = owner
    answer = post(client, "validate", INVALID).get_json()
    assert answer["valid"] is False
    by_element: dict[str, str] = {}
    for p in answer["problems"]:
        by_element[p["element_id"]] = by_element.get(p["element_id"], "") + p["message"] + "\n"
    assert "the service task has no handler" in by_element["no_handler"], answer
    assert "not in a lane" in by_element["no_lane"], answer
    refused = post(client, "deploy", INVALID)
    assert refused.status_code == 422 and refused.get_json()["valid"] is False
    assert versions(app) == 1


@pytest.mark.parametrize("data, message", [
    (HOSTILE, "DOCTYPE and entity declarations are not allowed"),
    (b"<bpmn:definitions", "malformed XML"),
    (b"\xff\xfe<\x00x\x00", "not UTF-8"),
])
def test_hostile_or_malformed_upload_is_refused_and_stores_nothing(app, owner, data, message):
    client, _ = owner
    for endpoint in ("validate", "deploy"):
        answer = post(client, endpoint, data, "upload.bpmn").get_json()
        assert answer["valid"] is False
        assert any(message in p["message"] for p in answer["problems"]), answer
    assert versions(app) == 1


def test_posts_need_the_csrf_token_and_the_role(app, demo, owner):
    client, _ = owner
    del client.environ_base["HTTP_X_CSRFTOKEN"]
    assert post(client, "deploy", RENAMED).status_code == 400
    other = app.test_client()
    token = client_login(other, demo.users["Auditor"])
    other.environ_base["HTTP_X_CSRFTOKEN"] = token
    assert post(other, "deploy", RENAMED).status_code == 403
    assert other.get("/diagrams").status_code == 200
    assert versions(app) == 1


# -- the modeler in the browser -----------------------------------------------------------------
ADD_TASK = """([type, inLane, name]) => {
  const m = window.slmModeler, reg = m.get('elementRegistry'), modeling = m.get('modeling');
  const flow = reg.get('flow_draft_ready_to_note_draft');
  const target = flow.target;
  const shape = modeling.createShape({type: type}, {x: target.x + 50, y: 470},
                                     reg.get('participant_sla_agreement') || target.parent);
  modeling.updateProperties(shape, {name: name});
  modeling.reconnectEnd(flow, shape, {x: shape.x, y: shape.y + shape.height / 2});
  modeling.connect(shape, target);
  if (!inLane) {  // as if the file put it outside every lane
    for (const lane of [...(shape.businessObject.lanes || [])]) {
      lane.flowNodeRef.splice(lane.flowNodeRef.indexOf(shape.businessObject), 1);
    }
    shape.businessObject.lanes = [];
  }
  m.get('selection').select(shape);
  return shape.id;
}"""


def open_modeler(page, login, demo, vid):
    login(page, demo.users["Process Owner"])
    page.goto("/diagrams")
    page.get_by_role("link", name="Version 1").click()
    page.get_by_role("link", name="Open in the modeler").click()
    page.locator("#modeler[data-state=ready]").wait_for()


def test_owner_adds_a_user_task_validates_and_deploys_version_2(app, owner, page, login, demo):
    _, vid = owner
    open_modeler(page, login, demo, vid)
    task_id = page.evaluate(ADD_TASK, ["bpmn:UserTask", True, "Check the draft"])
    panel = page.get_by_test_id("panel")
    assert "Lane (role): Service Level Manager" in panel.get_by_test_id("lane").inner_text()
    panel.get_by_label("Form", exact=True).select_option("review_draft.schema.json")
    panel.get_by_label("Due in", exact=True).fill("P2D")
    panel.get_by_label("Due in", exact=True).press("Tab")
    panel.get_by_text("In words: 2 days (P2D)").wait_for()
    page.get_by_role("button", name="Validate").click()
    status = page.get_by_test_id("status")
    status.get_by_text("No problems").wait_for()
    assert page.get_by_test_id("problems").locator("li").count() == 0
    assert versions(app) == 1
    page.get_by_role("button", name="Deploy").click()  # without a note: asked for one
    status.get_by_text("Write a change note first").wait_for()
    assert versions(app) == 1
    page.get_by_label("Change note").fill("A check of the draft before review")
    page.get_by_role("button", name="Deploy").click()
    # the modeler opens the new version, with a link to what changed
    crumbs = page.get_by_role("navigation", name="breadcrumb")
    crumbs.get_by_role("link", name="SLA agreement version 2").wait_for()
    page.locator("#modeler[data-state=ready]").wait_for()
    assert "A check of the draft before review" in page.get_by_test_id("version-note").inner_text()
    page.get_by_role("link", name="What changed since version 1").click()
    assert "A check of the draft before review" in page.get_by_test_id("new-note").inner_text()
    page.goto("/diagrams")
    rows = page.get_by_test_id("process-sla_agreement").get_by_test_id("version-row")
    assert rows.count() == 2 and "current" in rows.first.inner_text()
    assert rows.first.get_by_test_id("note").inner_text() == "A check of the draft before review"
    with app.extensions["slm"].sessions() as s:
        v2 = s.execute(select(ProcessVersion).where(ProcessVersion.version == 2)).scalar_one()
        assert f'id="{task_id}"' in v2.bpmn_xml and "review_draft.schema.json" in v2.bpmn_xml
        assert v2.deployed_by == demo.users["Process Owner"].username
        assert v2.note == "A check of the draft before review"


def test_invalid_edit_shows_problems_at_the_elements_and_deploys_nothing(
        app, owner, page, login, demo):
    _, vid = owner
    open_modeler(page, login, demo, vid)
    page.on("dialog", lambda d: d.accept())
    service = page.evaluate(ADD_TASK, ["bpmn:ServiceTask", True, "Do something"])
    user = page.evaluate(ADD_TASK, ["bpmn:UserTask", False, "Nobody's task"])
    page.get_by_role("button", name="Validate").click()
    page.get_by_test_id("status").get_by_text("problems: see the diagram and the list").wait_for()
    for element in (service, user):
        page.locator(f"[data-problem-for='{element}']").wait_for()
        assert page.locator(f"[data-element-id='{element}'].slm-problem").count() == 1
    listed = page.get_by_test_id("problems").inner_text()
    assert f"{service}: the service task has no handler: choose one in its Engine" in listed
    assert f"{user}: user task is not in a lane" in listed
    page.get_by_label("Change note").fill("Two new steps")
    page.get_by_role("button", name="Deploy").click()
    page.get_by_test_id("status").get_by_text("Not deployed").wait_for()
    assert versions(app) == 1


def test_hostile_upload_is_refused_with_a_clear_message(app, owner, page, login, demo):
    _, vid = owner
    open_modeler(page, login, demo, vid)
    page.locator("#upload").set_input_files(files=[
        {"name": "evil.bpmn", "mimeType": "application/xml", "buffer": HOSTILE}])
    page.get_by_test_id("status").get_by_text(
        "The file was refused: DOCTYPE and entity declarations are not allowed").wait_for()
    assert "The diagram open before is unchanged" in page.get_by_test_id("status").inner_text()
    # the diagram in the modeler is still the one opened
    assert page.evaluate("!!window.slmModeler.get('elementRegistry').get('review_draft')")
    assert versions(app) == 1


def test_unsaved_changes_warn_before_leaving(owner, page, login, demo):
    _, vid = owner
    open_modeler(page, login, demo, vid)
    page.get_by_test_id("canvas").click(position={"x": 20, "y": 20})  # the user interacted
    page.evaluate(ADD_TASK, ["bpmn:UserTask", True, "Unsaved"])
    seen = []

    def dismiss(dialog):
        seen.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.get_by_role("navigation", name="breadcrumb").get_by_role("link", name="Diagrams").click()
    page.wait_for_timeout(500)
    assert seen == ["beforeunload"]
    assert "/diagrams/modeler" in page.url


TINY = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="x">
  <bpmn:process id="tiny" name="Tiny" isExecutable="true">
    <bpmn:laneSet id="ls"><bpmn:lane id="l" name="Service Level Manager">
      <bpmn:flowNodeRef>draft</bpmn:flowNodeRef>EXTRA_REF</bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start" />
    <bpmn:userTask id="draft" name="DRAFT">FORM</bpmn:userTask>
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="draft" />
    REST
  </bpmn:process>
</bpmn:definitions>"""


FORM = ('<bpmn:extensionElements><spiffworkflow:properties><spiffworkflow:property '
        'name="formJsonSchemaFilename" value="approve_agreement.schema.json" />'
        '</spiffworkflow:properties></bpmn:extensionElements>')


def tiny(draft: str = "Draft", extra: bool = False) -> bytes:
    rest = ('<bpmn:userTask id="extra" name="Extra">FORM</bpmn:userTask>'
            '<bpmn:sequenceFlow id="f2" sourceRef="draft" targetRef="extra" />'
            '<bpmn:sequenceFlow id="f3" sourceRef="extra" targetRef="end" />') if extra else \
        '<bpmn:sequenceFlow id="f2" sourceRef="draft" targetRef="end" />'
    return (TINY.replace("DRAFT", draft).replace("REST", rest).replace("FORM", FORM)
            .replace("EXTRA_REF", "<bpmn:flowNodeRef>extra</bpmn:flowNodeRef>" if extra else "")
            .encode())


def test_moving_running_instances_to_a_newer_version(app, owner, demo):
    from engine.instances import start_instance
    from engine.models import AuditEvent, ProcessInstance

    client, _ = owner
    services = app.extensions["slm"]
    answer = post(client, "deploy", tiny(), "tiny.bpmn").get_json()
    assert answer["valid"], answer
    v1 = answer["versions"][0]
    with services.sessions() as s:
        iid = start_instance(services.engine, s, "tiny", actor="owner", now=T0)
        s.commit()
    answer = post(client, "deploy", tiny(extra=True), "tiny.bpmn").get_json()
    assert answer["valid"], answer
    v2 = answer["versions"][0]
    v1_id, v2_id = (int(v["url"].rsplit("/", 1)[1]) for v in (v1, v2))
    page = client.get(v1["url"]).get_data(as_text=True)
    assert f"Move #{iid} to version 2" in page
    token = client.environ_base["HTTP_X_CSRFTOKEN"]
    moved = client.post(f"/diagrams/{v1_id}/migrate", follow_redirects=True,
                        data={"csrf_token": token, "instance": iid, "target": v2_id})
    assert f"Instance #{iid} moved to version 2." in moved.get_data(as_text=True)
    # version 3 changes the element the instance waits at: refused with the reason
    v3 = post(client, "deploy", tiny("Draft it", extra=True), "tiny.bpmn").get_json()
    v3_id = int(v3["versions"][0]["url"].rsplit("/", 1)[1])
    refused = client.post(f"/diagrams/{v2_id}/migrate", follow_redirects=True,
                          data={"csrf_token": token, "target": v3_id}).get_data(as_text=True)
    assert "0 of 1 running instances moved." in refused
    assert "the instance waits at element draft (Draft), which changed (name)" in refused
    seal_all(services.sessions)  # what a runner does within a second
    with services.sessions() as s:
        assert s.get(ProcessInstance, iid).version_id == v2_id
        events = s.execute(select(AuditEvent.actor, AuditEvent.version).where(
            AuditEvent.kind == "instance_migrated")).all()
    assert events == [(demo.users["Process Owner"].username, 2)]
    stats = client.get(f"/diagrams/{v2_id}/stats").get_json()
    assert stats["start"]["passed"] == 1 and stats["draft"]["waiting"] == 1
    assert "extra" not in stats and client.get(f"/diagrams/{v1_id}/stats").get_json() == {}


def test_version_diagram_shows_instance_badges_and_incidents(app, owner, page, login, demo):
    from engine.instances import start_instance

    _, vid = owner
    services = app.extensions["slm"]
    with services.sessions() as s:  # no such requirement: the first handler fails
        start_instance(services.engine, s, "sla_agreement", actor="owner", now=T0,
                       data={"slr_id": 999999})
        s.commit()
    login(page, demo.users["Process Owner"])
    page.goto(f"/diagrams/{vid}")
    page.locator("#stats-diagram[data-state=ready]").wait_for()
    badges = page.locator("[data-stats-for=assess_slr]")
    assert badges.locator(".slm-stat-incident").inner_text() == "1"
    assert badges.locator(".slm-stat-waiting").inner_text() == "1"
    start = page.locator("[data-stats-for=requirements_submitted]")
    assert start.locator(".slm-stat-passed").inner_text() == "1"
    assert "0 running, 0 completed, 1 in error" in page.get_by_test_id("counts").inner_text()


def test_side_panel_writes_handler_parameters_conditions_and_timers(app, owner, page, login, demo):
    _, vid = owner
    open_modeler(page, login, demo, vid)
    panel = page.get_by_test_id("panel")
    page.evaluate(ADD_TASK, ["bpmn:ServiceTask", True, "Activate it"])
    panel.get_by_label("Handler", exact=True).select_option("activate_sla")
    panel.get_by_label("Parameter sla_id").fill('draft["sla_id"]')
    panel.get_by_label("Parameter sla_id").press("Tab")
    page.evaluate("""id => window.slmModeler.get('selection').select(
        window.slmModeler.get('elementRegistry').get(id))""",
                  "flow_is_customer_specific_to_write_design")
    panel.get_by_label("Condition", exact=True).fill('choice["customer_specific"] is True')
    panel.get_by_label("Condition", exact=True).press("Tab")
    page.evaluate("""id => window.slmModeler.get('selection').select(
        window.slmModeler.get('elementRegistry').get(id))""", "next_review_due")
    panel.get_by_label("Timer (after a duration)").fill('"PT12H"')
    panel.get_by_label("Timer (after a duration)").press("Tab")
    panel.get_by_text('In words: after 12 hours (PT12H)').wait_for()
    page.get_by_role("button", name="Validate").click()
    page.get_by_test_id("status").get_by_text("No problems").wait_for()
    xml = page.evaluate("window.slmModeler.saveXML().then(r => r.xml)")
    assert '<spiffworkflow:serviceTaskOperator id="activate_sla"' in xml
    assert re.search(r'<spiffworkflow:parameter id="sla_id" type="any" value="draft\[(&#34;|&quot;)'
                     r'sla_id(&#34;|&quot;)\]"', xml), xml
    assert 'choice["customer_specific"] is True</bpmn:conditionExpression>' in xml
    assert '>"PT12H"</bpmn:timeDuration>' in xml
