"""The diagram generator (tools/bpmn_layout.py): it writes well-formed BPMN with
orthogonal edges that SpiffBpmnParser reads back, in the dialect the engine reads, refuses
inconsistent descriptions, and the committed files in workflows/bpmn are its current output.
"""
from __future__ import annotations

import pytest
from diagram_support import BPMN_DIR, DMN_DIR, FLOW_NODES, NS, layout
from lxml import etree
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser


def small() -> object:
    L = layout
    nodes = [
        L.start("s", "Asked", "Customer", 0),
        L.user("ask", "Answer the question", "Service Level Manager", 1, "a.schema.json",
               "Answer it."),
        L.xor("ok", "Answered?", "Service Level Manager", 2),
        L.service("log", "Log the answer", "Service Level Manager", 3, "note",
                  {"text": "answer"}, "logged"),
        L.script("retry", "Count the retry", "Customer", 2, "tries = 1"),
        L.timer("later", "A day later", "Customer", 3, '"P1D"'),
        L.end("e", "Done", "Service Level Manager", 4),
    ]
    flows = [L.Flow("s", "ask"), L.Flow("ask", "ok"),
             L.Flow("ok", "log", "Yes", condition="answer != ''"),
             L.Flow("ok", "retry", "No", default=True), L.Flow("retry", "later"),
             L.Flow("later", "ask", exit="t", entry="t"), L.Flow("log", "e")]
    return L.Diagram("small", "Small", ["Customer", "Service Level Manager"], nodes, flows)


def boxes(root) -> dict:
    out = {}
    for shape in root.iterfind(".//bpmndi:BPMNShape", NS):
        b = shape.find("dc:Bounds", NS)
        out[shape.get("bpmnElement")] = tuple(float(b.get(k)) for k in ("x", "y", "width",
                                                                         "height"))
    return out


def on_border(point, box) -> bool:
    x, y = point
    bx, by, bw, bh = box
    inside = bx <= x <= bx + bw and by <= y <= by + bh
    return inside and (x in (bx, bx + bw) or y in (by, by + bh) or
                       (x, y) in ((bx + bw / 2, by), (bx + bw / 2, by + bh),
                                  (bx, by + bh / 2), (bx + bw, by + bh / 2)))


@pytest.mark.parametrize("build", [small, *layout.DIAGRAMS.values()],
                         ids=["small", *layout.DIAGRAMS])
def test_generated_xml_is_well_formed_drawn_and_parses(build):
    data = layout.to_xml(build())
    root = etree.fromstring(data)  # well-formed
    parser = SpiffBpmnParser()
    for dmn in sorted(DMN_DIR.glob("*.dmn")):  # the decision tables business rule tasks use
        parser.add_dmn_file(str(dmn))
    parser.add_bpmn_xml(root, filename="gen.bpmn")
    [pid] = parser.get_process_ids()
    spec = parser.get_spec(pid)
    proc = root.find("bpmn:process", NS)
    element_ids = {el.get("id") for tag in FLOW_NODES for el in proc.findall(f"bpmn:{tag}", NS)}
    assert element_ids <= {getattr(t, "bpmn_id", None) for t in spec.task_specs.values()}

    geo = boxes(root)
    pool = geo[root.find(".//bpmn:participant", NS).get("id")]
    lanes = {lane.get("id"): geo[lane.get("id")] for lane in proc.iterfind(".//bpmn:lane", NS)}
    lane_of = {ref.text: lane.get("id") for lane in proc.iterfind(".//bpmn:lane", NS)
               for ref in lane.findall("bpmn:flowNodeRef", NS)}
    for eid in element_ids:
        x, y, w, h = geo[eid]
        lx, ly, lw, lh = lanes[lane_of[eid]]
        assert lx < x and x + w < lx + lw and ly < y and y + h < ly + lh, f"{eid} leaves its lane"
    for lx, ly, lw, lh in lanes.values():
        assert pool[0] < lx and lx + lw == pool[0] + pool[2]
        assert pool[1] <= ly and ly + lh <= pool[1] + pool[3]
    flows = {f.get("id"): f for f in proc.findall("bpmn:sequenceFlow", NS)}
    for edge in root.iterfind(".//bpmndi:BPMNEdge", NS):
        pts = [(float(p.get("x")), float(p.get("y"))) for p in edge.findall("di:waypoint", NS)]
        for (x1, y1), (x2, y2) in zip(pts, pts[1:], strict=False):
            assert x1 == x2 or y1 == y2, f"{edge.get('bpmnElement')} has a slanted segment"
        flow = flows[edge.get("bpmnElement")]
        assert on_border(pts[0], geo[flow.get("sourceRef")])
        assert on_border(pts[-1], geo[flow.get("targetRef")])
    sizes = {"userTask": (100, 80), "serviceTask": (100, 80), "scriptTask": (100, 80),
             "exclusiveGateway": (50, 50), "startEvent": (36, 36), "endEvent": (36, 36),
             "intermediateCatchEvent": (36, 36)}
    for tag, (w, h) in sizes.items():
        for el in proc.findall(f"bpmn:{tag}", NS):
            assert geo[el.get("id")][2:] == (w, h)


def test_generated_dialect_is_what_the_engine_reads():
    root = etree.fromstring(layout.to_xml(small()))
    proc = root.find("bpmn:process", NS)
    op = proc.find(".//spiff:serviceTaskOperator", NS)
    assert (op.get("id"), op.get("resultVariable")) == ("note", "logged")
    assert proc.find(".//spiff:parameter", NS).attrib == {"id": "text", "type": "any",
                                                          "value": "answer"}
    gateway = proc.find("bpmn:exclusiveGateway", NS)
    default = proc.find(f"bpmn:sequenceFlow[@id='{gateway.get('default')}']", NS)
    assert default.get("targetRef") == "retry"
    assert proc.find(".//bpmn:conditionExpression", NS).text == "answer != ''"
    assert proc.find(".//bpmn:timeDuration", NS).text == '"P1D"'
    props = {p.get("name"): p.get("value") for p in proc.iterfind(".//spiff:property", NS)}
    assert props == {"formJsonSchemaFilename": "a.schema.json", "dueIn": "P5D"}


@pytest.mark.parametrize("breakage, message", [
    (lambda d: d.nodes.append(layout.end("e", "Again", "Customer", 6)), "duplicate ids"),
    (lambda d: setattr(d.nodes[3], "id", "note"), "handler names"),
    (lambda d: setattr(d.nodes[5], "col", 2), "share the cell"),
    (lambda d: setattr(d.nodes[0], "lane", "Auditor"), "is not one of"),
    (lambda d: d.flows.append(layout.Flow("s", "nowhere")), "unknown node"),
    (lambda d: d.flows.append(layout.Flow("s", "e", condition="x")), "gateways"),
    (lambda d: d.nodes.append(layout.rule("r", "Decide", "Customer", 7, "")),
     "business rule task without decision"),
])
def test_generator_refuses_inconsistent_descriptions(breakage, message):
    diagram = small()
    breakage(diagram)
    with pytest.raises(layout.LayoutError, match=message):
        layout.to_xml(diagram)


def test_committed_diagrams_are_the_generators_output():
    assert layout.main(["--check", "--out", str(BPMN_DIR)]) == 0, \
        "run .venv/bin/python tools/bpmn_layout.py and commit workflows/bpmn"


def test_a_business_rule_task_names_its_decision():
    xml = layout.to_xml(layout.slm_process_management())
    root = etree.fromstring(xml)
    [task] = root.findall(".//bpmn:businessRuleTask", NS)
    assert task.get("id") == "propose_priorities"
    assert task.findtext("bpmn:extensionElements/spiff:calledDecisionId", namespaces=NS) == \
        "service_level_priorities"
    assert (DMN_DIR / "service_level_priorities.dmn").is_file()
