"""Each step's data as a person reads it (web/audit/steps.py): formatted values, folded
nesting, changes since the step last ran, raw JSON without escapes."""
from __future__ import annotations

from web.audit.steps import build, format_scalar, label, pretty_json, readable


def _ev(seq, kind, element, data):
    return {"seq": seq, "kind": kind, "element_id": element, "data": data}


def test_values_read_as_dates_money_numbers_and_words():
    assert format_scalar("valid_from", "2026-08-23") == ("23 Aug 2026", "date")
    assert format_scalar("due", "2026-09-23T16:00:00") == ("23 Sep 2026 16:00 UTC", "date")
    assert format_scalar("at", "2026-09-23T16:00:00+02:00")[0] == "23 Sep 2026 16:00 +0200"
    assert format_scalar("monthly_cost", "2100.00") == ("2,100.00", "money")
    assert format_scalar("estimated_monthly_cost", 7150) == ("7,150.00", "money")
    assert format_scalar("threshold", 99.95) == ("99.95", "number")
    assert format_scalar("ready", True) == ("yes", "yes/no")
    assert format_scalar("comment", None) == ("—", "empty")
    assert format_scalar("comment", "x" * 200)[1] == "long"
    assert format_scalar("comment", "two\nlines")[1] == "long"
    assert format_scalar("decision", "accept") == ("accept", "text")
    assert format_scalar("version", "2026-99-99") == ("2026-99-99", "text")
    assert label("option_key") == "Option key" and label("0") == "#1"


def test_nested_values_become_children():
    fields = build({"form": {"decision": "counter-propose", "requested_changes": {
        "targets": [{"metric": "incident_resolution", "threshold": 10}]}}})
    form = fields[0]
    assert form.kind == "object" and [c.key for c in form.children] == [
        "decision", "requested_changes"]
    targets = form.children[1].children[0]
    assert targets.kind == "list" and targets.text == "1 item"
    first = targets.children[0]
    assert first.label == "#1" and [c.text for c in first.children] == [
        "incident_resolution", "10"]


def test_changes_since_the_step_last_ran_are_marked_with_the_value_before():
    events = readable([
        _ev(1, "task_completed", "review_draft",
            {"form": {"decision": "counter-propose", "comment": "We need 3 hours"}}),
        _ev(2, "task_ready", "revise_sla", {"lane": "Service Level Manager"}),
        _ev(3, "task_completed", "revise_sla", {"form": {"comment": "3 hours, as asked"}}),
        _ev(4, "task_completed", "review_draft", {"form": {"decision": "accept",
                                                           "signed": True}}),
    ])
    assert events[0]["fields"] and not events[0]["reran"]
    assert not any(f.has_changes for f in events[0]["fields"])
    assert events[1]["fields"] == []  # a task becoming ready is not a step's data
    assert not events[2]["reran"]  # another step: nothing to compare with
    again = events[3]
    assert again["reran"]
    form = again["fields"][0]
    assert form.has_changes
    decision, signed = form.children
    assert decision.changed and decision.was == "counter-propose" and decision.text == "accept"
    assert signed.new and not signed.changed


def test_raw_json_has_no_unicode_escapes():
    text = pretty_json({"comparator": "<=", "name": "Email & Collaboration", "city": "Zürich"})
    assert "\\u" not in text
    assert '"comparator": "<="' in text and "Email & Collaboration" in text and "Zürich" in text


def test_organisations_read_by_name():
    fields = build({"organisation": "contoso", "data": {"organisation": "nowhere"}},
                   organisations={"contoso": "Contoso Health"})
    assert fields[0].text == "Contoso Health"
    assert fields[1].children[0].text == "nowhere"  # unknown keys stay as they are
