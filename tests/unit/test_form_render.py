"""Task forms: the real JSON Schema forms as fields, rendered to HTML, and submissions typed back.

The forms are those in workflows/forms, resolved against task data shaped like the data
the diagrams produce (ranked options, proposals, SLA references, metrics).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from engine.errors import FormValidationError
from engine.forms import resolve_schema, validate_form
from web import create_app
from web.tasks.form_data import form_to_data
from web.tasks.form_fields import EXTRA_ROWS, build_form, enum_sources, humanize

FORMS = Path(__file__).resolve().parents[2] / "workflows" / "forms"

DATA = {
    "options": [{"key": "opt-1", "label": "Email Gold", "monthly_cost": "2400.00"},
                {"key": "opt-2", "label": "Email Silver", "monthly_cost": "1500.00"},
                {"key": "custom", "label": "Customer-specific service"}],
    "proposals": [{"id": 7, "title": "Add a second mail gateway", "reason": "breaches"},
                  {"id": 9, "title": "Publish the maintenance window", "reason": "complaint"}],
    "sla_references": ["SLA-2026-0001", "SLA-2026-0002"],
    "priorities": [{"sla_reference": "SLA-2026-0001", "priority": 3},
                   {"sla_reference": "SLA-2026-0002", "priority": 2}],
    "metrics": ["availability", "first_response"],
    "requested_changes": {},
    "comment": "",
}


def form(name: str) -> dict:
    return resolve_schema(json.loads((FORMS / f"{name}.schema.json").read_text()), DATA)


def fields_by_name(view) -> dict:
    """Every field of a form view, nested ones included, by HTML name."""
    found = {}

    def walk(items):
        for f in items:
            found[f.name] = f
            for child in f.children:
                walk(child if isinstance(child, list) else [child])

    walk(view.fields)
    return found


# -- schema -> fields ------------------------------------------------------------------------
@pytest.mark.parametrize("path", sorted(FORMS.glob("*.schema.json")), ids=lambda p: p.stem)
def test_every_real_form_builds_and_renders(app, path):
    schema = resolve_schema(json.loads(path.read_text()), DATA)
    view = build_form(schema, DATA, DATA)
    html = render(app, view)
    for name in schema["properties"]:
        assert f'name="{name}' in html or f'id="f-{name}' in html, name
    assert not view.general_errors


def test_enums_become_radios_with_readable_labels():
    fields = fields_by_name(build_form(form("approve_agreement"), DATA, {}))
    decision = fields["decision"]
    assert decision.widget == "radios" and decision.required
    assert decision.options == [("approve", "Approve"), ("revise", "Revise")]
    assert fields["comment"].widget == "textarea"  # maxLength 4000


def test_choices_from_task_data_use_the_objects_labels():
    option_key = fields_by_name(build_form(form("choose_option"), DATA, {}))["option_key"]
    assert option_key.widget == "radios"
    assert option_key.options == [("opt-1", "Email Gold"), ("opt-2", "Email Silver"),
                                  ("custom", "Customer-specific service")]
    assert "options" in enum_sources(form("choose_option"))


def test_arrays_of_enums_are_checkbox_groups_labelled_by_title():
    accepted = fields_by_name(build_form(form("decide_improvements"), DATA, {}))["accepted"]
    assert accepted.widget == "checkboxes"
    assert accepted.options == [("7", "Add a second mail gateway"),
                                ("9", "Publish the maintenance window")]


def test_arrays_of_objects_are_existing_rows_plus_empty_ones():
    view = build_form(form("set_priorities"), DATA, DATA)
    priorities = fields_by_name(view)["priorities"]
    assert priorities.widget == "rows"
    assert [c[0] for c in priorities.columns] == ["SLA", "Priority"]  # the author's order
    assert len(priorities.children) == 2 + EXTRA_ROWS
    first_sla, first_priority = priorities.children[0]
    assert (first_sla.name, first_sla.widget, first_sla.value) == (
        "priorities.0.sla_reference", "select", "SLA-2026-0001")
    assert (first_priority.widget, first_priority.value) == ("number", 3)
    assert first_priority.attrs == {"min": 1, "max": 5, "step": "1"}
    assert priorities.children[-1][1].value == ""


def test_nested_objects_are_fieldsets_with_their_own_rows():
    fields = fields_by_name(build_form(form("review_draft"), DATA, DATA))
    assert fields["requested_changes"].widget == "fieldset"
    assert fields["requested_changes.targets"].widget == "rows"
    assert fields["requested_changes.targets.0.metric"].options == [
        ("availability", "Availability"), ("first_response", "First response")]
    assert fields["requested_changes.targets.0.threshold"].attrs["step"] == "any"
    assert fields["requested_changes.review_cycle"].widget == "radios"


def test_lists_of_text_booleans_dates_and_other_widgets():
    schema = {"type": "object", "required": ["when"], "properties": {
        "ideas": {"type": "array", "items": {"type": "string", "maxLength": 1000},
                  "maxItems": 2},
        "stop": {"type": "boolean", "title": "Stop"},
        "when": {"type": "string", "format": "date"},
        "note": {"type": "string", "x-widget": "textarea"},
        "level": {"type": "string", "oneOf": [{"const": "g", "title": "Gold"},
                                              {"const": "s", "title": "Silver"}]},
        "size": {"type": "integer", "enum": [1, 2, 3, 4, 5, 6, 7]},
        "hidden": {"type": "string", "readOnly": True}}}
    fields = fields_by_name(build_form(schema, {}, {"ideas": ["one"], "stop": True}))
    assert fields["ideas"].widget == "list" and len(fields["ideas"].children) == 2  # maxItems
    assert fields["ideas.0"].widget == "text" and fields["ideas.0"].value == "one"
    assert fields["stop"].widget == "checkbox" and fields["stop"].value is True
    assert fields["when"].widget == "date" and fields["when"].required
    assert fields["note"].widget == "textarea"
    assert fields["level"].options == [("g", "Gold"), ("s", "Silver")]
    assert fields["size"].widget == "select"  # more than five choices
    assert "hidden" not in fields


# -- errors at their fields -----------------------------------------------------------------
def test_every_validation_error_lands_at_its_field():
    schema = form("set_priorities")
    data = {"priorities": [{"priority": 9}, {"sla_reference": "SLA-2026-0002", "priority": 0}]}
    with pytest.raises(FormValidationError) as caught:
        validate_form(schema, data)
    view = build_form(schema, DATA, data, caught.value.errors)
    fields = fields_by_name(view)
    assert fields["priorities.0.sla_reference"].errors == ["This field is required."]
    assert fields["priorities.0.priority"].errors == ["At most 5."]
    assert fields["priorities.0.priority"].value == 9  # what was typed is shown again
    assert fields["priorities.1.priority"].errors == ["At least 1."]
    assert view.has_errors and not view.general_errors


def test_errors_across_fields_are_general_and_conditional_required_is_placed():
    review = form("review_draft")
    with pytest.raises(FormValidationError) as caught:
        validate_form(review, {"decision": "counter-propose"})
    view = build_form(review, DATA, {"decision": "counter-propose"}, caught.value.errors)
    assert list(view.general_errors) == [""]
    assert "fill in what your choice requires" in view.general_errors[""][0]

    approve = form("approve_agreement")
    with pytest.raises(FormValidationError) as caught:
        validate_form(approve, {"decision": "revise"})
    fields = fields_by_name(build_form(approve, DATA, {"decision": "revise"},
                                       caught.value.errors))
    assert fields["comment"].errors == ["This field is required."]
    assert fields["decision"].checked("revise")


@pytest.mark.parametrize("message, words", [
    ("'record' is a required property", "This field is required."),
    ("'x' is not one of ['P1M', 'P3M']", "Choose one of the offered values."),
    ("'abc' is not of type 'integer'", "Enter a whole number."),
    ("12 is greater than the maximum of 5", "At most 5."),
    ("'2026-13-01' is not a 'date'", "Enter a date (YYYY-MM-DD)."),
    ("something new", "something new"),
])
def test_messages_are_in_words(message, words):
    assert humanize(message) == words


# -- submissions typed by the schema --------------------------------------------------------
def test_submission_is_typed_and_only_declared_properties_pass():
    submitted = MultiDict([
        ("csrf_token", "t"), ("evil", "x"), ("priorities.0.sla_reference", "SLA-2026-0001"),
        ("priorities.0.priority", "2"), ("priorities.1.sla_reference", ""),
        ("priorities.1.priority", ""), ("priorities.2.priority", "9"),
        ("priorities.3.priority", "two"), ("priorities.0.extra", "x")])
    data = form_to_data(form("set_priorities"), submitted)
    assert data == {"priorities": [{"sla_reference": "SLA-2026-0001", "priority": 2},
                                   {"priority": 9}, {"priority": "two"}]}


def test_booleans_checkbox_groups_lists_and_empty_objects():
    assert form_to_data(form("improve_process"), MultiDict(
        [("ideas.0", " Shorter reviews "), ("ideas.1", ""), ("ideas.2", "More data")])) == {
        "ideas": ["Shorter reviews", "More data"], "stop": False}
    assert form_to_data(form("decide_improvements"), MultiDict(
        [("accepted", "7"), ("accepted", "9")])) == {"accepted": [7, 9]}
    assert form_to_data(form("decide_improvements"), MultiDict()) == {"accepted": []}
    # an untouched counter-proposal is left out, not sent as {} (which would satisfy anyOf)
    assert form_to_data(form("review_draft"), MultiDict(
        [("decision", "accept"), ("comment", " "), ("requested_changes.targets.0.metric", ""),
         ("requested_changes.targets.0.threshold", "")])) == {"decision": "accept"}
    assert form_to_data(form("review_draft"), MultiDict(
        [("decision", "counter-propose"),
         ("requested_changes.targets.0.metric", "availability"),
         ("requested_changes.targets.0.threshold", "99.9")]))["requested_changes"] == {
        "targets": [{"metric": "availability", "threshold": 99.9}]}
    assert form_to_data(form("confirm_catalogue"), MultiDict(
        [("catalogue_ready", "true"), ("note", "a\r\nb")])) == {
        "catalogue_ready": True, "note": "a\nb"}


def test_numbers_parse_and_what_is_not_a_number_stays_as_typed():
    schema = {"type": "object", "properties": {
        "n": {"type": "number"}, "i": {"type": "integer"}, "j": {"type": "integer"},
        "k": {"type": "number"}}}
    assert form_to_data(schema, MultiDict([("n", "1e3"), ("i", "4.0"), ("j", "3.5"),
                                           ("k", "nan")])) == {
        "n": 1000.0, "i": 4, "j": 3.5, "k": "nan"}


# -- HTML ------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def app():
    return create_app({"SLM_DATABASE_URL": "sqlite://", "SLM_EMBEDDED_RUNNER": False,
                       "SECRET_KEY": "unit"})


def render(app, view) -> str:
    with app.test_request_context():
        macros = app.jinja_env.get_template("tasks/_fields.html").module
        return "".join(str(macros.render(f)) for f in view.fields)


def test_html_shows_errors_below_their_fields_and_keeps_values(app):
    schema = form("set_priorities")
    data = {"priorities": [{"priority": 9}]}
    with pytest.raises(FormValidationError) as caught:
        validate_form(schema, data)
    html = render(app, build_form(schema, DATA, data, caught.value.errors))
    number = re.search(r'<input[^>]*name="priorities\.0\.priority"[^>]*>', html)[0]
    assert 'value="9"' in number and "is-invalid" in number and 'max="5"' in number
    assert 'aria-describedby="f-priorities-0-priority-error"' in number
    assert re.search(r'id="f-priorities-0-priority-error"[^>]*>At most 5\.<', html)
    assert re.search(r'id="f-priorities-0-sla_reference-error"[^>]*>This field is required', html)
    assert html.count('data-row="') == 1 + EXTRA_ROWS


def test_html_of_choices_marks_the_chosen_ones(app):
    html = render(app, build_form(form("decide_improvements"), DATA, {"accepted": [9]}))
    assert re.search(r'type="checkbox"\s+name="accepted" id="f-accepted-2" value="9" checked',
                     html)
    assert 'value="7" checked' not in html
    html = render(app, build_form(form("choose_option"), DATA, {"option_key": "opt-2"}))
    assert 'value="opt-2" checked' in html and ">Email Silver</label>" in html
