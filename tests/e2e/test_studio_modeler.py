"""The process owner's studio (issue 15) in the browser: the full modeler, and messages
in the owner's language. Browser tests drive Debian's Chromium.
"""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from engine.models import ProcessVersion

from .studio_support import CHECK_FORM, deploy_json, open_modeler
from .studio_support import owner as owner  # the fixture


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
