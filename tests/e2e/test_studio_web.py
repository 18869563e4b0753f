"""The process owner's studio (issue 15): the full modeler, deploy with a change note, the
form editor's preview, trying expressions on sample data, readable diffs, diagrams without
a drawing, process health.

Server-side tests use the Flask test client; browser tests drive Debian's Chromium.
"""
from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select

from engine.models import AuditEvent, ProcessVersion
from web.services import WORKFLOWS

from .support import client_login

SLA = (WORKFLOWS / "bpmn" / "sla_agreement.bpmn").read_bytes()


def _shorter(xml: bytes) -> bytes:
    """The review of the draft due in 3 days instead of 5."""
    at = xml.index(b"P5D", xml.index(b'id="review_draft"'))
    return xml[:at] + b"P3D" + xml[at + 3:]


SHORTER = _shorter(SLA)
assert SHORTER != SLA


@pytest.fixture
def owner(app, demo, client):
    token = client_login(client, demo.users["Process Owner"])
    [result] = app.extensions["slm"].deploy_file(WORKFLOWS / "bpmn" / "sla_agreement.bpmn",
                                                 "owner")
    client.environ_base["HTTP_X_CSRFTOKEN"] = token
    return client, result.version_id


def deploy_json(client, xml: bytes, note: str = "", forms=None):
    return client.post("/diagrams/deploy", json={
        "xml": xml.decode(), "name": "sla_agreement.bpmn", "note": note, "forms": forms or {}})


def open_modeler(page, login, demo, vid):
    login(page, demo.users["Process Owner"])
    page.goto(f"/diagrams/modeler?version={vid}")
    page.locator("#modeler[data-state=ready]").wait_for()


# -- deploy with a note -----------------------------------------------------------------------
def test_deploy_stores_the_note_with_the_version_and_in_the_audit_trail(app, owner):
    client, _ = owner
    answer = deploy_json(client, SHORTER, "  Reviews  take three days  ")
    assert answer.status_code == 200, answer.get_json()
    [v2] = answer.get_json()["versions"]
    assert v2["version"] == 2 and v2["modeler_url"].endswith(f"version={v2['url'].split('/')[-1]}")
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


# -- the studio in the browser ----------------------------------------------------------------
CHECK_FORM = {"title": "Check the draft", "type": "object", "required": ["complete"],
              "properties": {"complete": {"type": "boolean", "title": "Draft complete"},
                             "note": {"type": "string", "title": "What is missing"}}}


def pick(page, element_id: str) -> None:
    page.evaluate("""id => window.slmModeler.get('selection').select(
        window.slmModeler.get('elementRegistry').get(id))""", element_id)


def zoom(page) -> float:
    return float(page.get_by_test_id("modeler").get_attribute("data-zoom"))


def test_owner_zooms_makes_a_form_tries_a_condition_deploys_and_reads_the_diff(
        app, owner, page, login, demo, screenshot):
    from .test_diagrams_web import ADD_TASK

    _, vid = owner
    open_modeler(page, login, demo, vid)
    # zoom, fit, minimap and the whole window
    fitted = zoom(page)
    page.get_by_role("button", name="Zoom in").click()
    assert zoom(page) == pytest.approx(fitted * 1.25, rel=0.05)
    page.get_by_role("button", name="Fit").click()
    assert zoom(page) == pytest.approx(fitted, rel=0.05)
    assert page.locator(".djs-minimap.open").count() == 1
    small = page.get_by_test_id("canvas").bounding_box()
    page.get_by_role("button", name="Whole window").click()
    big = page.get_by_test_id("canvas").bounding_box()
    assert big["width"] > small["width"] and big["height"] > small["height"]
    page.keyboard.press("Escape")
    assert page.get_by_role("button", name="Whole window").get_attribute("aria-pressed") == "false"
    # the keyboard: on the canvas, Ctrl + zooms in and Ctrl Z undoes
    page.get_by_test_id("canvas").click(position={"x": 400, "y": 60})
    page.keyboard.press("Control+Equal")
    assert zoom(page) > fitted * 1.05
    name = "window.slmModeler.get('elementRegistry').get('review_draft').businessObject.name"
    page.evaluate("""() => { const m = window.slmModeler; m.get('modeling').updateProperties(
        m.get('elementRegistry').get('review_draft'), {name: 'Renamed'}); }""")
    assert page.evaluate(name) == "Renamed"
    page.get_by_test_id("canvas").click(position={"x": 400, "y": 60})
    page.keyboard.press("Control+z")
    assert page.evaluate(name) == "Review the SLA draft"
    page.get_by_role("button", name="Fit").click()
    # a new user task with a new form made in the form editor
    task_id = page.evaluate(ADD_TASK, ["bpmn:UserTask", True, "Check the draft"])
    panel = page.get_by_test_id("panel")
    panel.get_by_role("button", name="New form").click()
    dialog = page.get_by_test_id("form-editor")
    dialog.get_by_label("File name").fill("check_draft.schema.json")
    schema = dialog.get_by_label("Form (JSON Schema)")
    problems = dialog.get_by_test_id("form-problems")
    schema.fill("{ broken")
    problems.get_by_text("The form schema is not valid JSON").wait_for()
    schema.fill(json.dumps({"type": "object", "properties": {"x": {"type": "nonsense"}}}))
    problems.get_by_text("invalid JSON Schema at properties/x/type").wait_for()
    schema.fill(json.dumps(CHECK_FORM))
    dialog.get_by_label("Layout").fill(json.dumps(
        {"note": {"ui:widget": "textarea", "ui:help": "Which parts are missing?"}}))
    preview = dialog.get_by_test_id("form-preview")
    preview.get_by_text("Which parts are missing?").wait_for()
    assert preview.get_by_label("Draft complete").get_attribute("type") == "checkbox"
    assert preview.locator("textarea[name=note]").count() == 1
    assert problems.locator("li").count() == 0
    screenshot(page, "studio-form-editor")
    dialog.get_by_role("button", name="Use this form").click()
    assert panel.get_by_label("Form", exact=True).input_value() == "check_draft.schema.json"
    # the review is due sooner
    pick(page, "review_draft")
    panel.get_by_label("Due in", exact=True).fill("P3D")
    panel.get_by_label("Due in", exact=True).press("Tab")
    panel.get_by_text("In words: 3 days (P3D)").wait_for()
    # try a condition on sample data
    pick(page, "flow_draft_accepted_to_approve_agreement")
    sample = panel.get_by_label("Sample task data (JSON)")
    result = panel.get_by_test_id("try-result")
    sample.fill('{"decision": "accept"}')
    panel.get_by_role("button", name="Try the condition").click()
    result.get_by_text("true: the flow is taken").wait_for()
    sample.fill('{"decision": "counter-proposal"}')
    panel.get_by_role("button", name="Try the condition").click()
    result.get_by_text("false: the flow is not taken").wait_for()
    sample.fill("{}")
    panel.get_by_role("button", name="Try the condition").click()
    result.get_by_text("Error: decision is not in the task data").wait_for()
    screenshot(page, "studio-modeler")
    # deploy with a note: the modeler opens version 2, which links to its diff
    page.get_by_label("Change note").fill("A check before the review; the review is due in 3 days")
    page.get_by_role("button", name="Deploy").click()
    page.get_by_role("navigation", name="breadcrumb").get_by_role(
        "link", name="SLA agreement version 2").wait_for()
    page.get_by_role("link", name="What changed since version 1").click()
    changes = [" ".join(t.split()) for t in page.get_by_test_id("change").all_inner_texts()]
    assert "due in: P5D → P3D" in changes, changes
    assert "form: check_draft.schema.json" in changes, changes
    page.locator("[data-testid=new-diagram][data-state=ready]").wait_for()
    page.locator("[data-testid=old-diagram][data-state=ready]").wait_for()
    new = page.get_by_test_id("new-diagram")
    assert new.locator(f"g.djs-element.slm-diff-added[data-element-id='{task_id}']").count() == 1
    assert new.locator("g.slm-diff-changed[data-element-id='review_draft']").count() == 1
    screenshot(page, "studio-diff")
    with app.extensions["slm"].sessions() as s:
        v2 = s.execute(select(ProcessVersion).where(ProcessVersion.version == 2)).scalar_one()
        assert json.loads(v2.forms_json)["check_draft.schema.json"]["properties"]["note"] == {
            "type": "string", "title": "What is missing", "x-widget": "textarea",
            "description": "Which parts are missing?"}


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


# -- process health ---------------------------------------------------------------------------
#: (start offset in days, hours waited at "draft", hours waited at "extra" or None: waits still)
KNOWN = [(0, 1, 2), (1, 2, 4), (2, 3, 6), (3, 4, None)]


def drawn(xml: bytes) -> bytes:
    """tiny with a drawing: its four nodes in a row, in one lane."""
    shapes = "".join(
        f'<bpmndi:BPMNShape id="{n}_di" bpmnElement="{n}"><dc:Bounds x="{x}" y="{y}" '
        f'width="{w}" height="{h}"/></bpmndi:BPMNShape>'
        for n, x, y, w, h in (("l", 50, 50, 700, 200), ("start", 100, 132, 36, 36),
                              ("draft", 200, 110, 100, 80), ("extra", 380, 110, 100, 80),
                              ("end", 560, 132, 36, 36)))
    di = ('<bpmndi:BPMNDiagram id="dia"><bpmndi:BPMNPlane id="pl" bpmnElement="tiny">'
          + shapes + "</bpmndi:BPMNPlane></bpmndi:BPMNDiagram>")
    return xml.replace(b"</bpmn:definitions>", di.encode() + b"</bpmn:definitions>").replace(
        b'id="d" targetNamespace="x"',
        b'id="d" targetNamespace="x" xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" '
        b'xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"')


@pytest.fixture
def timed(app, owner):
    """Four instances of tiny (draft -> extra) with known timings (see KNOWN)."""
    from datetime import UTC, datetime, timedelta

    from engine.instances import start_instance
    from engine.models import HumanTask
    from engine.tasks import Actor, complete_task

    from .test_diagrams_web import tiny

    client, _ = owner
    answer = client.post("/diagrams/deploy?name=tiny.bpmn", data=drawn(tiny(extra=True)),
                         content_type="application/xml").get_json()
    services, t0 = app.extensions["slm"], datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    system = Actor("system")
    for day, draft, extra in KNOWN:
        start = t0 + timedelta(days=day)
        with services.sessions() as s:
            iid = start_instance(services.engine, s, "tiny", actor="owner", now=start)
            s.commit()
        when = start
        for hours in (draft, extra):
            if hours is None:
                break
            when += timedelta(hours=hours)
            with services.sessions() as s:
                task = s.execute(select(HumanTask.id).where(
                    HumanTask.instance_id == iid, HumanTask.status == "ready")).scalar_one()
                complete_task(services.engine, s, task, {"decision": "approve"}, system, when)
                s.commit()
    return client, int(answer["versions"][0]["url"].rsplit("/", 1)[1])


def test_process_health_figures_match_known_timings(timed):
    from web.diagrams.health import percentile

    assert percentile([4, 1, 3, 2], 0.5) == 2.5 and percentile([1, 2, 3, 4], 0.9) == 3.7
    client, vid = timed
    rows = list(csv.reader(io.StringIO(client.get(f"/diagrams/{vid}/health.csv")
                                       .get_data(as_text=True))))
    assert rows[0][:5] == ["element", "name", "waits measured", "wait p50 (hours)",
                           "wait p90 (hours)"]
    by_element = {r[0]: r for r in rows[1:] if r and r[0] in ("draft", "extra")}
    # draft waited 1, 2, 3, 4 hours; extra 2, 4, 6 hours and one instance still waits there
    assert by_element["draft"][2:] == ["4", "2.5", "3.7", "0", "0"]
    assert by_element["extra"][2:] == ["3", "4.0", "5.6", "1", "0"]
    totals = {r[0]: r[1] for r in rows if len(r) == 2}
    # completed instances took 3, 6 and 9 hours
    assert totals == {"instances started": "4", "instances completed": "3",
                      "cycle time p50 (hours)": "6.0", "cycle time p90 (hours)": "8.4"}
    # the period: instances and tasks from 3 to 4 March (included)
    period = client.get(f"/diagrams/{vid}/health?from=2026-03-03&to=2026-03-04")
    html = period.get_data(as_text=True)
    assert '<dd class="col-sm-8" data-testid="started">2</dd>' in html
    assert "half within 7.5, nine in ten within 8.7" in html  # 6 and 9 hours
    for bad in ("from=2026-13-01", "to=yesterday", "from=2026-03-04&to=2026-03-01"):
        answer = client.get(f"/diagrams/{vid}/health?{bad}")
        assert answer.status_code == 400


def test_the_heat_map_colours_where_instances_wait_longest(timed, page, login, demo,
                                                            screenshot):
    _, vid = timed
    login(page, demo.users["Auditor"])
    page.goto(f"/diagrams/{vid}/health")
    page.locator("#heat-diagram[data-state=ready]").wait_for()
    assert page.locator("g.slm-heat-4[data-element-id=extra]").count() == 1
    assert page.locator("g.slm-heat-3[data-element-id=draft]").count() == 1
    assert page.locator("[data-heat-for=extra]").inner_text() == \
        "p50 4.0 h · p90 5.6 h · 1 waiting"
    screenshot(page, "studio-health-auditor")


def test_process_health_counts_incidents_by_element(app, owner):
    from datetime import UTC, datetime

    from engine.instances import start_instance

    client, vid = owner
    services = app.extensions["slm"]
    with services.sessions() as s:  # no such requirement: the first handler fails
        start_instance(services.engine, s, "sla_agreement", actor="owner",
                       now=datetime(2026, 3, 2, 8, tzinfo=UTC), data={"slr_id": 999999})
        s.commit()
    rows = list(csv.reader(io.StringIO(client.get(f"/diagrams/{vid}/health.csv")
                                       .get_data(as_text=True))))
    [assess] = [r for r in rows if r and r[0] == "assess_slr"]
    assert assess[-1] == "1"
    assert client.get(f"/diagrams/{vid}/health.csv?from=2026-03-03").get_data(
        as_text=True).count("assess_slr") == 0


# -- messages for people ----------------------------------------------------------------------
INTERNAL = ("SpiffWorkflow", "spiffworkflow", "formJsonSchemaFilename", "dueIn", "timeDuration",
            "bpmn_name", "Exception", "Traceback", "ValidationException", "task_spec")


def readable(text: str) -> None:
    found = [word for word in INTERNAL if word in text]
    assert not found, (found, text[:2000])


def test_modeler_panel_speaks_the_owner_s_language(owner, page, login, demo):
    _, vid = owner
    open_modeler(page, login, demo, vid)
    panel = page.get_by_test_id("panel")
    for element in ("review_draft", "assess_slr", "flow_draft_accepted_to_approve_agreement",
                    "next_review_due"):
        pick(page, element)
        page.get_by_test_id("panel").get_by_text("Engine", exact=True).wait_for()
        readable(panel.inner_text())
    assert "Timer (after a duration)" in panel.inner_text()
    readable(page.locator("body").inner_text())


def test_library_and_migration_pages_speak_the_owner_s_language(app, owner):
    from engine.instances import start_instance

    from .test_diagrams_web import tiny

    client, _ = owner
    services = app.extensions["slm"]
    v1 = client.post("/diagrams/deploy?name=tiny.bpmn", data=tiny(),
                     content_type="application/xml").get_json()["versions"][0]
    with services.sessions() as s:
        start_instance(services.engine, s, "tiny", actor="owner",
                       now=__import__("datetime").datetime(2026, 3, 2, 8))
        s.commit()
    v2 = deploy_json(client, tiny("Draft it"), "Renamed").get_json()
    assert v2.get("valid"), v2
    v1_id = int(v1["url"].rsplit("/", 1)[1])
    v2_id = int(v2["versions"][0]["url"].rsplit("/", 1)[1])
    moved = client.post(f"/diagrams/{v1_id}/migrate", follow_redirects=True, data={
        "csrf_token": client.environ_base["HTTP_X_CSRFTOKEN"], "target": v2_id})
    html = moved.get_data(as_text=True)
    assert "which changed (name)" in html
    readable(html)
    readable(client.get("/diagrams").get_data(as_text=True))
    readable(client.get(f"/diagrams/{v2_id}/diff").get_data(as_text=True))
