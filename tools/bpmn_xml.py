"""The BPMN 2.0 document for a described diagram: semantics (SpiffWorkflow dialect) and BPMNDI.

``to_xml`` checks the description, lays it out (``bpmn_geometry``) and writes one
collaboration with one participant, the process with its lanes, nodes and flows (extensions:
``serviceTaskOperator``, ``properties``, ``instructionsForEndUser``), and the drawing.
"""
from __future__ import annotations

from bpmn_description import KINDS, Diagram, Node, check, flows_with_ids, lane_id
from bpmn_geometry import Box, flow_label, layout, node_label, sides, waypoints
from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI, "spiffworkflow": SPIFF, "xsi": XSI}


# -- XML ---------------------------------------------------------------------------------
def q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


def sub(parent, ns, tag, text=None, **attrs):
    el = etree.SubElement(parent, q(ns, tag), {k: str(v) for k, v in attrs.items()})
    if text is not None:
        el.text = text
    return el


def expression(parent, tag: str, text: str):
    el = sub(parent, BPMN, tag, text)
    el.set(q(XSI, "type"), "bpmn:tFormalExpression")
    return el


def to_xml(diagram: Diagram) -> bytes:
    """The BPMN 2.0 document (semantics and drawing) for ``diagram``."""
    check(diagram)
    flows = flows_with_ids(diagram)
    nodes = {n.id: n for n in diagram.nodes}
    geo = layout(diagram)
    pid = diagram.process_id
    root = etree.Element(q(BPMN, "definitions"), nsmap=NSMAP, attrib={
        "id": f"definitions_{pid}", "targetNamespace": "https://slm.example.org/bpmn",
        "exporter": "SLM tools/bpmn_layout.py", "exporterVersion": "1"})
    collab = sub(root, BPMN, "collaboration", id=f"collaboration_{pid}")
    sub(collab, BPMN, "participant", id=f"participant_{pid}", name=diagram.name, processRef=pid)
    proc = sub(root, BPMN, "process", id=pid, name=diagram.name, isExecutable="true")
    if diagram.documentation:
        sub(proc, BPMN, "documentation", diagram.documentation)
    lane_set = sub(proc, BPMN, "laneSet", id=f"lanes_{pid}")
    for lane in diagram.lanes:
        el = sub(lane_set, BPMN, "lane", id=lane_id(lane), name=lane)
        for n in diagram.nodes:
            if n.lane == lane:
                sub(el, BPMN, "flowNodeRef", n.id)
    incoming = {n.id: [f.id for f in flows if f.target == n.id] for n in diagram.nodes}
    outgoing = {n.id: [f.id for f in flows if f.source == n.id] for n in diagram.nodes}
    for n in diagram.nodes:
        _node_xml(proc, n, incoming[n.id], outgoing[n.id],
                  next((f.id for f in flows if f.source == n.id and f.default), None))
    for f in flows:
        el = sub(proc, BPMN, "sequenceFlow", id=f.id, sourceRef=f.source, targetRef=f.target)
        if f.name:
            el.set("name", f.name)
        if f.condition:
            expression(el, "conditionExpression", f.condition)

    dia = sub(root, BPMNDI, "BPMNDiagram", id=f"diagram_{pid}")
    plane = sub(dia, BPMNDI, "BPMNPlane", id=f"plane_{pid}", bpmnElement=f"collaboration_{pid}")
    _shape(plane, f"participant_{pid}", geo.pool, horizontal=True)
    for lane in diagram.lanes:
        _shape(plane, lane_id(lane), geo.lanes[lane], horizontal=True)
    used: dict[str, set[str]] = {n.id: set() for n in diagram.nodes}
    routes = {}
    for f in flows:
        src, tgt = nodes[f.source], nodes[f.target]
        pts, exit_ = waypoints(f, src, tgt, geo.shapes[src.id], geo.shapes[tgt.id])
        _, entry = sides(f, src, tgt, geo.shapes[src.id], geo.shapes[tgt.id])
        used[src.id].add(exit_)
        used[tgt.id].add(entry)
        routes[f.id] = (pts, exit_)
    for n in diagram.nodes:
        box = geo.shapes[n.id]
        extra = {"isMarkerVisible": "true"} if n.kind == "xor" else {}
        _shape(plane, n.id, box, label=node_label(n, box, used[n.id]), **extra)
    for f in flows:
        pts, exit_ = routes[f.id]
        edge = sub(plane, BPMNDI, "BPMNEdge", id=f"{f.id}_di", bpmnElement=f.id)
        for x, y in pts:
            sub(edge, DI, "waypoint", x=x, y=y)
        if f.name:
            _label(edge, flow_label(f.name, pts, exit_))
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _node_xml(proc, n: Node, incoming, outgoing, default_flow):
    tag = KINDS[n.kind][0]
    el = sub(proc, BPMN, tag, id=n.id, name=n.name)
    if default_flow:
        el.set("default", default_flow)
    if n.documentation:
        sub(el, BPMN, "documentation", n.documentation)
    if n.kind == "user":
        ext = sub(el, BPMN, "extensionElements")
        props = sub(ext, SPIFF, "properties")
        sub(props, SPIFF, "property", name="formJsonSchemaFilename", value=n.form)
        if n.due:
            sub(props, SPIFF, "property", name="dueIn", value=n.due)
        if n.instructions:
            sub(ext, SPIFF, "instructionsForEndUser", n.instructions)
    elif n.kind == "service":
        ext = sub(el, BPMN, "extensionElements")
        op = sub(ext, SPIFF, "serviceTaskOperator", id=n.operator)
        if n.result:
            op.set("resultVariable", n.result)
        params = sub(op, SPIFF, "parameters")
        for name, value in n.params.items():
            sub(params, SPIFF, "parameter", id=name, type="any", value=value)
    elif n.kind == "rule":
        ext = sub(el, BPMN, "extensionElements")
        sub(ext, SPIFF, "calledDecisionId", n.decision)
    for fid in incoming:
        sub(el, BPMN, "incoming", fid)
    for fid in outgoing:
        sub(el, BPMN, "outgoing", fid)
    if n.kind == "script":
        el.set("scriptFormat", "python")
        sub(el, BPMN, "script", n.script)
    elif n.kind == "timer":
        ev = sub(el, BPMN, "timerEventDefinition", id=f"{n.id}_timer")
        expression(ev, "timeDuration", n.timer)


def _shape(plane, element: str, box: Box, label=None, horizontal=False, **attrs):
    shape = sub(plane, BPMNDI, "BPMNShape", id=f"{element}_di", bpmnElement=element, **attrs)
    if horizontal:
        shape.set("isHorizontal", "true")
    sub(shape, DC, "Bounds", x=round(box.x), y=round(box.y), width=round(box.w),
        height=round(box.h))
    if label:
        _label(shape, label)
    return shape


def _label(parent, bounds):
    x, y, w, h = bounds
    lab = sub(parent, BPMNDI, "BPMNLabel")
    sub(lab, DC, "Bounds", x=x, y=y, width=w, height=h)
