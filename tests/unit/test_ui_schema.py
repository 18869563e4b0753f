"""A form's ui schema (formUiSchemaFilename), read with react-jsonschema-form's conventions:
field order, widgets (textarea, radio, date, hidden), help texts and titles, nested objects
and rows; the submitted values come back typed by the JSON Schema as before."""
from __future__ import annotations

import re

import pytest
from werkzeug.datastructures import MultiDict

from web import create_app
from web.tasks.form_data import form_to_data
from web.tasks.form_fields import build_form

SCHEMA = {
    "type": "object", "required": ["decision"],
    "properties": {
        "summary": {"type": "string", "title": "Summary"},
        "decision": {"type": "string", "enum": ["accept", "reject", "ask", "defer", "escalate",
                                                "wait"]},
        "urgent": {"type": "boolean", "title": "Urgent"},
        "due": {"type": "string", "title": "Due"},
        "ticket": {"type": "string"},
        "contact": {"type": "object", "properties": {
            "name": {"type": "string"}, "phone": {"type": "string"}}},
        "steps": {"type": "array", "items": {"type": "object", "properties": {
            "what": {"type": "string"}, "who": {"type": "string"}}}},
    },
}
UI = {
    "ui:order": ["decision", "*", "summary"],
    "summary": {"ui:widget": "textarea", "ui:help": "Two or three sentences."},
    "decision": {"ui:widget": "radio", "ui:title": "Your decision"},
    "urgent": {"ui:widget": "radio"},
    "due": {"ui:widget": "date"},
    "ticket": {"ui:widget": "hidden"},
    "contact": {"ui:order": ["phone", "name"], "phone": {"ui:help": "With the country code."}},
    "steps": {"items": {"ui:order": ["who", "what"]}},
}


def _by_name(view) -> dict:
    return {f.name: f for f in view.fields}


def test_order_widgets_titles_and_help_follow_the_ui_schema():
    view = build_form(SCHEMA, {}, {"ticket": "INC-7", "urgent": True}, ui=UI)
    assert [f.name for f in view.fields] == ["decision", "urgent", "due", "ticket", "contact",
                                             "steps", "summary"]
    fields = _by_name(view)
    assert (fields["decision"].widget, fields["decision"].label) == ("radios", "Your decision")
    assert len(fields["decision"].options) == 6  # radios although more than MAX_RADIOS
    assert (fields["summary"].widget, fields["summary"].help) == ("textarea",
                                                                  "Two or three sentences.")
    assert fields["due"].widget == "date"
    assert (fields["ticket"].widget, fields["ticket"].value) == ("hidden", "INC-7")
    assert fields["urgent"].widget == "radios" and fields["urgent"].value == "true"
    assert [c.name for c in fields["contact"].children] == ["contact.phone", "contact.name"]
    assert fields["contact"].children[0].help == "With the country code."
    assert [c.name for c in fields["steps"].children[0]] == ["steps.0.who", "steps.0.what"]
    assert [c[0] for c in fields["steps"].columns] == ["Who", "What"]


def test_without_a_ui_schema_nothing_changes():
    assert [(f.name, f.widget) for f in build_form(SCHEMA, {}, {}).fields][:5] == [
        ("summary", "text"), ("decision", "select"), ("urgent", "checkbox"), ("due", "text"),
        ("ticket", "text")]


@pytest.mark.parametrize("ui", [{"ui:order": "nonsense"}, {"summary": "textarea"},
                                {"summary": {"ui:widget": "fancy"}}, [], {"ui:order": [1, None]},
                                {"contact": {"ui:widget": "textarea"}}])
def test_odd_ui_schemas_are_ignored_where_they_make_no_sense(ui):
    view = build_form(SCHEMA, {}, {}, ui=ui)
    assert {f.name for f in view.fields} == set(SCHEMA["properties"])
    assert _by_name(view)["contact"].widget == "fieldset"


@pytest.fixture(scope="module")
def app():
    return create_app({"SLM_DATABASE_URL": "sqlite://", "SLM_EMBEDDED_RUNNER": False,
                       "SECRET_KEY": "unit"})


def test_the_html_and_what_comes_back(app):
    view = build_form(SCHEMA, {}, {"ticket": "INC-7"}, ui=UI)
    with app.test_request_context():
        macros = app.jinja_env.get_template("tasks/_fields.html").module
        html = "".join(str(macros.render(f)) for f in view.fields)
    assert re.search(r'<input type="hidden" id="f-ticket" name="ticket" value="INC-7">', html)
    assert re.search(r'<textarea[^>]*name="summary"', html)
    assert re.search(r'<input[^>]*name="due"[^>]*type="date"', html)
    assert len(re.findall(r'type="radio"\s+name="decision"', html)) == 6
    assert 'id="f-summary-help">Two or three sentences.' in html
    assert html.index('name="decision"') < html.index('name="summary"')
    data = form_to_data(SCHEMA, MultiDict({"decision": "accept", "urgent": "false",
                                           "ticket": "INC-7", "due": "2026-12-24"}))
    assert data["urgent"] is False and data["ticket"] == "INC-7" and data["due"] == "2026-12-24"
