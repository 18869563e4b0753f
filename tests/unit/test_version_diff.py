"""The diff between two versions in words (web/diagrams/diff.py): every changed property
old -> new, on elements and form fields."""
from __future__ import annotations

import json

from web.diagrams.diff import version_diff

BASE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="x">
  <bpmn:process id="p" name="P" isExecutable="true">
    <bpmn:laneSet id="ls">
      <bpmn:lane id="l1" name="Service Level Manager">
        <bpmn:flowNodeRef>{lane1}</bpmn:flowNodeRef></bpmn:lane>
      <bpmn:lane id="l2" name="Customer"><bpmn:flowNodeRef>{lane2}</bpmn:flowNodeRef></bpmn:lane>
    </bpmn:laneSet>
    <bpmn:serviceTask id="svc" name="Send">
      <bpmn:extensionElements><spiffworkflow:serviceTaskOperator id="notify">
        <spiffworkflow:parameters><spiffworkflow:parameter id="to" type="any" value="{to}"/>
        </spiffworkflow:parameters></spiffworkflow:serviceTaskOperator></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:scriptTask id="calc" name="Compute"><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>
    <bpmn:intermediateCatchEvent id="wait" name="Wait">
      <bpmn:timerEventDefinition id="t"><bpmn:timeDuration>{timer}</bpmn:timeDuration>
      </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:exclusiveGateway id="gw" />
    <bpmn:sequenceFlow id="f" sourceRef="gw" targetRef="calc">
      <bpmn:conditionExpression>{cond}</bpmn:conditionExpression></bpmn:sequenceFlow>
  </bpmn:process>
</bpmn:definitions>"""
OLD = dict(lane1="svc", lane2="calc", to="a", script="x = 1", timer='"PT1H"', cond="x &gt; 1")
NEW = dict(lane1="calc", lane2="svc", to="b", script="x = 2", timer='"PT2H"', cond="x &gt; 2")


def lines(diff) -> set[str]:
    return {f"{c.element_id} {what}: {old} -> {new}"
            for c in diff.changed for what, old, new in c.changes}


def test_each_changed_property_old_to_new():
    diff = version_diff(BASE.format(**OLD), BASE.format(**NEW), "{}", "{}")
    assert lines(diff) == {
        "svc lane: Service Level Manager -> Customer",
        "calc lane: Customer -> Service Level Manager",
        "svc parameter to: a -> b",
        "calc script: x = 1 -> x = 2",
        'wait timer (after a duration): "PT1H" -> "PT2H"',
        "f condition: x > 1 -> x > 2",
    }
    assert diff.marks() == {"added": [], "removed": [], "changed": ["calc", "f", "svc", "wait"]}


def test_an_unchanged_diagram_is_empty_and_form_fields_are_listed():
    same = BASE.format(**OLD)
    assert version_diff(same, same, "{}", "{}").empty
    old = {"f.schema.json": {"type": "object", "required": ["a"], "properties": {
        "a": {"type": "string", "title": "A"}, "b": {"type": "string"}}}}
    new = {"f.schema.json": {"type": "object", "required": ["a", "c"], "properties": {
        "a": {"type": "string", "title": "Aa"}, "c": {"type": "integer", "title": "C"}}}}
    diff = version_diff(same, same, json.dumps(old), json.dumps(new))
    [form] = diff.forms_changed
    assert form.changes == [("required fields", "a", "a, c"), ("field a: title", "A", "Aa"),
                            ("field c", "", "added: C"), ("field b", "removed: b", "")]
