"""The product's SLM diagrams (workflows/bpmn) deploy and are readable; their generator is
tested in test_bpmn_generator.py.

* Each diagram deploys with the real handler registry and the forms of workflows/forms.
* Each is readable: named elements, a shape for every node and an edge for every flow,
  lanes that are roles, instructions and a due time on every user task.
* Every form is used, exists and is a valid object schema.
"""
from __future__ import annotations

import json

import pytest
from conftest import T0
from diagram_support import (
    BPMN_DIR,
    DIAGRAMS,
    FLOW_NODES,
    FORMS_DIR,
    NS,
    load_form,
    parse,
    product_decisions,
)
from diagram_support import sessions as sessions  # the fixture
from lxml import etree

from engine.deploy import deploy
from engine.errors import DeployError
from engine.runtime import DEFAULT_ROLES
from handlers.registry import build_registry


# -- deploy ------------------------------------------------------------------------------
@pytest.mark.parametrize("fname", DIAGRAMS)
def test_diagram_deploys_with_the_real_registry(fname, sessions):
    registry = build_registry()
    with sessions() as s:
        try:
            results = deploy(s, (BPMN_DIR / fname).read_bytes(), fname, registry=registry,
                             known_lanes=DEFAULT_ROLES, form_loader=load_form, actor="test",
                             now=T0, decisions=product_decisions())
        except DeployError as exc:
            pytest.fail(f"{fname} refused:\n" + "\n".join(
                f"  {p.element_id}: {p.message}" for p in exc.problems))
        s.rollback()
    assert [(r.process_id, r.created) for r in results] == [(DIAGRAMS[fname], True)]


# -- readable ----------------------------------------------------------------------------
@pytest.mark.parametrize("fname", DIAGRAMS)
def test_diagram_is_readable(fname):
    root = parse(fname)
    [proc] = root.findall("bpmn:process", NS)
    assert proc.get("id") == DIAGRAMS[fname] and proc.get("name")
    [participant] = root.findall("bpmn:collaboration/bpmn:participant", NS)
    assert participant.get("processRef") == proc.get("id")
    nodes = [el for tag in FLOW_NODES for el in proc.findall(f"bpmn:{tag}", NS)]
    flows = proc.findall("bpmn:sequenceFlow", NS)
    shapes = {s.get("bpmnElement"): s for s in root.iterfind(".//bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): e for e in root.iterfind(".//bpmndi:BPMNEdge", NS)}

    for el in nodes:
        tag, eid = etree.QName(el).localname, el.get("id")
        merge = tag == "exclusiveGateway" and len(el.findall("bpmn:outgoing", NS)) == 1
        assert merge or (el.get("name") or "").strip(), f"{eid} ({tag}) has no name"
        assert eid in shapes, f"{eid} is not drawn"
    for f in flows:
        assert f.get("id") in edges, f"flow {f.get('id')} is not drawn"
        assert len(edges[f.get("id")].findall("di:waypoint", NS)) >= 2
    assert participant.get("id") in shapes

    lanes = proc.findall("bpmn:laneSet/bpmn:lane", NS)
    names = [lane.get("name") for lane in lanes]
    assert names and set(names) <= set(DEFAULT_ROLES), names
    for lane in lanes:
        assert lane.get("id") in shapes, f"lane {lane.get('name')} is not drawn"
    refs = [r.text for lane in lanes for r in lane.findall("bpmn:flowNodeRef", NS)]
    assert sorted(refs) == sorted(el.get("id") for el in nodes), "each node in exactly one lane"

    operators = {op.get("id") for op in proc.iterfind(".//spiff:serviceTaskOperator", NS)}
    ids = {el.get("id") for el in root.iter(f"{{{NS['bpmn']}}}*", f"{{{NS['bpmndi']}}}*")
           if el.get("id")}
    assert not (ids & (operators | set(build_registry().names()))), \
        "an element id equals a handler name"
    for task in proc.findall("bpmn:userTask", NS):
        props = {p.get("name"): p.get("value")
                 for p in task.iterfind(".//spiff:property", NS)}
        assert props.get("formJsonSchemaFilename"), task.get("id")
        assert props.get("dueIn", "").startswith("P"), task.get("id")
        instructions = task.find(".//spiff:instructionsForEndUser", NS)
        assert instructions is not None and len(instructions.text) > 40, task.get("id")


def test_lanes_of_the_agreement_are_the_three_roles():
    lanes = parse("sla_agreement.bpmn").findall(".//bpmn:lane", NS)
    assert [lane.get("name") for lane in lanes] == ["Customer", "Service Level Manager",
                                                    "Process Owner"]


def test_every_form_is_used_and_every_used_form_exists():
    used = set()
    for fname in DIAGRAMS:
        used |= {p.get("value") for p in parse(fname).iterfind(".//spiff:property", NS)
                 if p.get("name") == "formJsonSchemaFilename"}
    assert used == {p.name for p in FORMS_DIR.glob("*.schema.json")}


def test_forms_are_valid_object_schemas():
    from engine.forms import schema_problems

    for path in FORMS_DIR.glob("*.schema.json"):
        assert schema_problems(json.loads(path.read_text())) == [], path.name
