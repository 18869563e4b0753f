"""The process owner's studio (issue 15): deploy with a change note, readable diffs, the
form editor's preview, trying expressions on sample data, diagrams without a drawing.

Server-side tests use the Flask test client; browser tests drive Debian's Chromium.
"""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from engine.models import AuditEvent, ProcessVersion

from .studio_support import CHECK_FORM, SHORTER, deploy_json, open_modeler
from .studio_support import owner as owner  # the fixture
from .support import seal_all


# -- deploy with a note -----------------------------------------------------------------------
def test_deploy_stores_the_note_with_the_version_and_in_the_audit_trail(app, owner):
    client, _ = owner
    answer = deploy_json(client, SHORTER, "  Reviews  take three days  ")
    assert answer.status_code == 200, answer.get_json()
    [v2] = answer.get_json()["versions"]
    assert v2["version"] == 2 and v2["modeler_url"].endswith(f"version={v2['url'].split('/')[-1]}")
    seal_all(app.extensions["slm"].sessions)  # what a runner does within a second
    with app.extensions["slm"].sessions() as s:
        row = s.execute(select(ProcessVersion).where(ProcessVersion.version == 2)).scalar_one()
        assert row.note == "Reviews take three days"
        event = s.execute(select(AuditEvent).where(AuditEvent.kind == "version_deployed",
                                                   AuditEvent.version == 2)).scalar_one()
        assert json.loads(event.data)["note"] == "Reviews take three days"
    assert "Reviews take three days" in client.get("/diagrams").get_data(as_text=True)
    assert "Reviews take three days" in client.get(v2["url"]).get_data(as_text=True)
    assert "Reviews take three days" in client.get(v2["diff_url"]).get_data(as_text=True)


def test_a_note_too_long_or_not_text_is_refused_and_stores_nothing(app, owner):
    client, _ = owner
    too_long = deploy_json(client, SHORTER, "x" * 501)
    assert too_long.status_code == 422
    assert "longer than 500 characters" in json.dumps(too_long.get_json())
    not_text = client.post("/diagrams/deploy", json={"xml": SHORTER.decode(), "note": 5})
    assert not_text.status_code == 400 and "must be text" in not_text.get_json()["error"]
    with app.extensions["slm"].sessions() as s:
        assert len(s.execute(select(ProcessVersion)).all()) == 1


# -- readable diffs ---------------------------------------------------------------------------
def change_lines(html: str) -> list[str]:
    import re
    items = re.findall(r'<li data-testid="(?:form-)?change">(.*?)</li>', html, re.S)
    return [" ".join(re.sub(r"<[^>]+>", "", i).split()) for i in items]


NEW_FORM = {"title": "Check", "type": "object", "required": ["ok"],
            "properties": {"ok": {"type": "boolean", "title": "Looks right"}}}


def test_diff_lists_each_changed_property_old_to_new_and_form_fields(app, owner):
    client, _ = owner
    forms = {"review_draft.schema.json": {"schema": {**NEW_FORM}, "ui": {}}}
    xml = SHORTER.replace(b'name="Review the SLA draft"', b'name="Review the draft"').replace(
        b'value="review_draft.schema.json"', b'value="review_draft.schema.json"')
    answer = deploy_json(client, xml, "Shorter review", forms)
    assert answer.status_code == 200, answer.get_json()
    html = client.get(answer.get_json()["versions"][0]["diff_url"]).get_data(as_text=True)
    lines = change_lines(html)
    assert "due in: P5D → P3D" in lines, lines
    assert "name: Review the SLA draft → Review the draft" in lines, lines
    assert "field ok: (none) → added: Looks right" in lines, lines
    assert any(line.startswith("title:") and line.endswith("→ Check") for line in lines), lines
    assert "Elements changed (1)" in html and "Elements added (0)" in html
    assert "SpiffWorkflow" not in html and "userTask" not in html


def test_diff_marks_added_and_changed_elements_for_the_diagram(app, owner):
    client, _ = owner
    added = SHORTER.replace(
        b'<bpmn:sequenceFlow id="flow_note_draft_to_review_draft" sourceRef="note_draft" '
        b'targetRef="review_draft"/>',
        b'<bpmn:manualTask id="phone_customer" name="Phone the customer"/>'
        b'<bpmn:sequenceFlow id="flow_note_draft_to_review_draft" sourceRef="note_draft" '
        b'targetRef="phone_customer"/><bpmn:sequenceFlow id="flow_call" '
        b'sourceRef="phone_customer" targetRef="review_draft"/>')
    # a manual task outside every lane is refused: put it in the first lane
    added = added.replace(b'<bpmn:flowNodeRef>review_draft</bpmn:flowNodeRef>',
                          b'<bpmn:flowNodeRef>review_draft</bpmn:flowNodeRef>'
                          b'<bpmn:flowNodeRef>phone_customer</bpmn:flowNodeRef>', 1)
    answer = deploy_json(client, added, "A call")
    body = answer.get_json()
    if answer.status_code != 200:
        pytest.fail(f"not deployed: {body}")
    html = client.get(body["versions"][0]["diff_url"]).get_data(as_text=True)
    marks = json.loads(__import__("html").unescape(
        html.split('data-marks="', 1)[1].split('"', 1)[0]))
    assert "phone_customer" in marks["added"] and "review_draft" in marks["changed"]
    assert marks["removed"] == []


# -- form preview and "try it" on the server --------------------------------------------------
def test_form_preview_renders_with_the_task_renderer_and_names_problems(owner):
    client, _ = owner
    ok = client.post("/diagrams/forms/preview", json={
        "schema": CHECK_FORM, "ui": {"note": {"ui:widget": "textarea"}, "ui:order": ["note"]}})
    body = ok.get_json()
    assert body["valid"] is True and body["problems"] == []
    assert '<textarea class="form-control" id="f-note" name="note"' in body["html"]
    assert body["html"].index('name="note"') < body["html"].index('name="complete"')
    for payload, message in [
        ({"schema": {"type": "array"}}, "a form schema must describe an object"),
        ({"schema": {"type": "object", "properties": {"x": {"type": 5}}}}, "invalid JSON Schema"),
        ({"schema": CHECK_FORM, "ui": {"nope": {}}}, "names the field 'nope'"),
        ({"schema": CHECK_FORM, "ui": {"note": {"ui:widget": "dial"}}}, "is not understood"),
        ({"schema": "text"}, "must be a JSON object"),
        ({"schema": {"type": "object", "properties": {"a": True}},
          "ui": {"a": {"ui:widget": "textarea"}}}, "has no schema of its own"),
    ]:
        answer = client.post("/diagrams/forms/preview", json=payload)
        assert answer.status_code == 200
        assert answer.get_json()["valid"] is False
        assert any(message in p for p in answer.get_json()["problems"]), answer.get_json()
    assert client.post("/diagrams/forms/preview", data="x", content_type="text/plain"
                       ).status_code == 400


def test_forms_sent_with_a_diagram_are_checked_and_bad_ones_store_nothing(app, owner):
    client, _ = owner
    for forms, message in [
        ({"../x.schema.json": {"schema": CHECK_FORM}}, "must end in .schema.json"),
        ({"x.schema.json": {"schema": "no"}}, "send its schema as a JSON object"),
        ({"x.schema.json": {"schema": CHECK_FORM, "ui": {"zz": {}}}}, "names the field 'zz'"),
        ([1], "must be an object"),
    ]:
        answer = deploy_json(client, SHORTER, "note", forms)
        assert answer.status_code == 400 and message in answer.get_json()["error"], forms
    # a form made in the browser that is not a usable schema: a problem at the task
    bad = SHORTER.replace(b'value="review_draft.schema.json"', b'value="mine.schema.json"')
    answer = deploy_json(client, bad, "note", {"mine.schema.json": {"schema": {"type": "array"}}})
    assert answer.status_code == 422
    assert "must describe an object" in json.dumps(answer.get_json())
    with app.extensions["slm"].sessions() as s:
        assert len(s.execute(select(ProcessVersion)).all()) == 1


def test_try_runs_in_the_sandbox_and_answers_in_words(owner):
    client, _ = owner

    def attempt(kind, expression, data="{}"):
        answer = client.post("/diagrams/try", json={"kind": kind, "expression": expression,
                                                      "data": data})
        assert answer.status_code == 200
        return answer.get_json()

    assert attempt("condition", 'decision == "accept"', '{"decision": "accept"}')["result"] \
        == "true: the flow is taken"
    script = attempt("script", "total = sum(costs)\ndel costs", '{"costs": [1, 2]}')
    assert script["ok"] and json.loads(script["changed"]) == {"total": 3}
    timer = attempt("timer", '"P1DT4H"')
    assert timer["ok"] and "after 1 day 4 hours" in timer["result"]
    for kind, expression, data, message in [
        ("script", "import os", "{}", "import statements are not allowed"),
        ("script", "open('/etc/passwd')", "{}", "'open' is not available to scripts"),
        ("condition", "x >", "{}", "not valid Python"),
        ("condition", "a", "[1]", "must be a JSON object"),
        ("condition", "a", "{oops", "not valid JSON"),
        ("timer", "12", "{}", "12 is not an ISO 8601 duration"),
        ("poke", "1", "{}", "choose a condition, a script or a timer"),
    ]:
        answer = attempt(kind, expression, data)
        assert answer["ok"] is False and message in answer["error"], answer
    assert client.post("/diagrams/try", json={"kind": 1}).status_code == 400


def test_a_bpmn_without_a_drawing_is_laid_out_on_upload(app, owner, page, login, demo,
                                                         screenshot):
    from .test_diagrams_web import tiny

    _, vid = owner
    open_modeler(page, login, demo, vid)
    undrawn = tiny()
    assert b"BPMNShape" not in undrawn
    page.locator("#upload").set_input_files(files=[
        {"name": "tiny.bpmn", "mimeType": "application/xml", "buffer": undrawn}])
    page.get_by_test_id("status").get_by_text(
        "Loaded tiny.bpmn (it had no drawing: laid out automatically).").wait_for()
    boxes = page.evaluate("""() => ['start', 'draft', 'end'].map(id => {
        const e = window.slmModeler.get('elementRegistry').get(id);
        return e && [e.x, e.y, e.width, e.height]; })""")
    assert all(boxes), boxes

    def apart(a, b):
        return a[0] + a[2] <= b[0] or b[0] + b[2] <= a[0] or a[1] + a[3] <= b[1] \
            or b[1] + b[3] <= a[1]
    assert apart(boxes[0], boxes[1]) and apart(boxes[1], boxes[2]) and apart(boxes[0], boxes[2])
    assert boxes[0][0] < boxes[1][0] < boxes[2][0], boxes  # left to right, along the flows
    assert page.evaluate("window.slmModeler.get('elementRegistry').get('f1').waypoints.length") >= 2
    xml = page.evaluate("window.slmModeler.saveXML().then(r => r.xml)")
    assert 'bpmnElement="draft"' in xml and 'name="Service Level Manager"' in xml
    page.get_by_role("button", name="Validate").click()
    page.get_by_test_id("status").get_by_text("No problems").wait_for()
    screenshot(page, "studio-laid-out")
