"""Generate the SLM BPMN diagrams, with their drawing (BPMNDI), from compact descriptions.

A diagram is described in Python: the lanes (roles) from top to bottom, the nodes with their
kind, name, lane, column and row (a lane may hold several rows), and the sequence flows with
an optional condition or ``default`` mark. The generator writes BPMN 2.0 XML in the dialect the
engine runs (SpiffWorkflow extensions: ``serviceTaskOperator``, ``properties``,
``instructionsForEndUser``) and lays out the drawing on a grid: one collaboration with one
participant drawn as a horizontal pool, lanes as horizontal swimlanes, shapes centred in their
cells, edges with orthogonal waypoints, and labels for events, gateways and named flows, so that
the files open cleanly in bpmn-js.

    .venv/bin/python tools/bpmn_layout.py              # (re)write workflows/bpmn/*.bpmn
    .venv/bin/python tools/bpmn_layout.py --check      # exit 1 if a file differs

Edge routing: a flow leaves its source by a side and enters its target by a side
(``r``ight, ``l``eft, ``t``op, ``b``ottom). Sensible sides are chosen from the relative
positions; a flow may name them (``exit``/``entry``). Flows that go back (loops) run through a
channel just below (``b``->``b``) or above (``t``->``t``) the rows they connect.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI, "spiffworkflow": SPIFF, "xsi": XSI}

#: element tag and shape size per node kind
KINDS = {
    "start": ("startEvent", 36, 36),
    "end": ("endEvent", 36, 36),
    "timer": ("intermediateCatchEvent", 36, 36),
    "user": ("userTask", 100, 80),
    "service": ("serviceTask", 100, 80),
    "script": ("scriptTask", 100, 80),
    "xor": ("exclusiveGateway", 50, 50),
}
EVENTS = {"start", "end", "timer"}

# grid
POOL_X, POOL_Y = 160, 80
POOL_HEADER = 30          # the pool's name band (left)
LANE_HEADER = 30          # each lane's name band (left)
MARGIN_X = 30             # space between the lane header and the first column
COL_W, ROW_H = 160, 140   # cell size: tasks are 100x80, so 60 px between columns
CHANNEL = 14              # distance of a loop channel from the edge of its row
CHAR_W, LINE_H, LABEL_W, GATEWAY_LABEL_W = 6, 14, 90, 120


# -- description -------------------------------------------------------------------------
@dataclass
class Node:
    id: str
    kind: str
    name: str
    lane: str
    col: int
    row: int = 0
    #: user task: form file (spiff property formJsonSchemaFilename), due time, instructions
    form: str | None = None
    due: str | None = None
    instructions: str | None = None
    #: service task: handler name, parameters (name -> Python expression), result variable
    operator: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    result: str | None = None
    #: script task: Python source (runs in the engine's sandbox)
    script: str | None = None
    #: timer: Python expression giving an ISO 8601 duration
    timer: str | None = None
    #: where an event's or gateway's name goes: below, above, left, right (None: automatic)
    label: str | None = None
    documentation: str | None = None


@dataclass
class Flow:
    source: str
    target: str
    name: str = ""
    condition: str | None = None
    default: bool = False
    exit: str | None = None
    entry: str | None = None
    #: extra distance of a loop channel (to keep two loops apart)
    offset: int = 0
    id: str | None = None


@dataclass
class Diagram:
    process_id: str
    name: str
    lanes: list[str]
    nodes: list[Node]
    flows: list[Flow]
    documentation: str = ""


def start(id, name, lane, col, row=0, **kw):
    return Node(id, "start", name, lane, col, row, **kw)


def end(id, name, lane, col, row=0, **kw):
    return Node(id, "end", name, lane, col, row, **kw)


def timer(id, name, lane, col, expression, row=0, **kw):
    return Node(id, "timer", name, lane, col, row, timer=expression, **kw)


def user(id, name, lane, col, form, instructions, due="P5D", row=0, **kw):
    return Node(id, "user", name, lane, col, row, form=form, due=due,
                instructions=instructions, **kw)


def service(id, name, lane, col, operator, params=None, result=None, row=0, **kw):
    return Node(id, "service", name, lane, col, row, operator=operator,
                params=dict(params or {}), result=result, **kw)


def script(id, name, lane, col, source, row=0, **kw):
    return Node(id, "script", name, lane, col, row, script=source, **kw)


def xor(id, name, lane, col, row=0, **kw):
    return Node(id, "xor", name, lane, col, row, **kw)


def lane_id(name: str) -> str:
    return "lane_" + "_".join(name.lower().split())


# -- checks ------------------------------------------------------------------------------
class LayoutError(ValueError):
    """The description is inconsistent (the message says where)."""


def check(diagram: Diagram) -> None:
    ids = [n.id for n in diagram.nodes] + [f.id for f in flows_with_ids(diagram)]
    dup = {i for i in ids if ids.count(i) > 1}
    if dup:
        raise LayoutError(f"{diagram.process_id}: duplicate ids {sorted(dup)}")
    operators = {n.operator for n in diagram.nodes if n.kind == "service"}
    clash = operators & set(ids)
    if clash:  # Spiff looks elements up by id: an operator name must not be an element id
        raise LayoutError(f"{diagram.process_id}: element ids equal handler names {clash}")
    cells = {}
    nodes = {n.id: n for n in diagram.nodes}
    for n in diagram.nodes:
        if n.kind not in KINDS:
            raise LayoutError(f"{n.id}: unknown kind {n.kind!r}")
        if n.lane not in diagram.lanes:
            raise LayoutError(f"{n.id}: lane {n.lane!r} is not one of {diagram.lanes}")
        if n.kind == "service" and not n.operator:
            raise LayoutError(f"{n.id}: service task without operator")
        if n.kind == "user" and not n.form:
            raise LayoutError(f"{n.id}: user task without form")
        if n.kind == "timer" and not n.timer:
            raise LayoutError(f"{n.id}: timer without expression")
        key = (n.lane, n.row, n.col)
        if key in cells:
            raise LayoutError(f"{n.id} and {cells[key]} share the cell {key}")
        cells[key] = n.id
    for f in diagram.flows:
        for end_ in (f.source, f.target):
            if end_ not in nodes:
                raise LayoutError(f"flow {f.source}->{f.target}: unknown node {end_!r}")
        if (f.condition or f.default) and nodes[f.source].kind != "xor":
            raise LayoutError(f"flow {f.source}->{f.target}: conditions belong on gateways")
    for n in diagram.nodes:
        if n.kind == "xor":
            defaults = [f for f in diagram.flows if f.source == n.id and f.default]
            if len(defaults) > 1:
                raise LayoutError(f"{n.id}: more than one default flow")


def flows_with_ids(diagram: Diagram) -> list[Flow]:
    """Give each flow a stable id from its ends (kept when other flows are added)."""
    taken = {f.id for f in diagram.flows if f.id}
    for f in diagram.flows:
        if not f.id:
            base = f"flow_{f.source}_to_{f.target}"
            f.id, n = base, 1
            while f.id in taken:
                n += 1
                f.id = f"{base}_{n}"
            taken.add(f.id)
    return diagram.flows


# -- geometry ----------------------------------------------------------------------------
@dataclass
class Box:
    x: float
    y: float
    w: float
    h: float
    #: the grid cell around the shape
    cell_top: float = 0
    cell_bottom: float = 0
    cell_left: float = 0

    @property
    def cx(self):
        return self.x + self.w / 2

    @property
    def cy(self):
        return self.y + self.h / 2

    def port(self, side: str) -> tuple[float, float]:
        return {"r": (self.x + self.w, self.cy), "l": (self.x, self.cy),
                "t": (self.cx, self.y), "b": (self.cx, self.y + self.h)}[side]


@dataclass
class Layout:
    pool: Box
    lanes: dict[str, Box]
    shapes: dict[str, Box]


def layout(diagram: Diagram) -> Layout:
    rows = {lane: 1 + max((n.row for n in diagram.nodes if n.lane == lane), default=0)
            for lane in diagram.lanes}
    cols = 1 + max(n.col for n in diagram.nodes)
    left = POOL_X + POOL_HEADER + LANE_HEADER + MARGIN_X
    width = POOL_HEADER + LANE_HEADER + MARGIN_X + cols * COL_W + MARGIN_X
    lanes, y = {}, POOL_Y
    for lane in diagram.lanes:
        h = rows[lane] * ROW_H
        lanes[lane] = Box(POOL_X + POOL_HEADER, y, width - POOL_HEADER, h)
        y += h
    pool = Box(POOL_X, POOL_Y, width, y - POOL_Y)
    shapes = {}
    for n in diagram.nodes:
        _, w, h = KINDS[n.kind]
        cell_left = left + n.col * COL_W
        cell_top = lanes[n.lane].y + n.row * ROW_H
        cx, cy = cell_left + COL_W / 2, cell_top + ROW_H / 2
        shapes[n.id] = Box(cx - w / 2, cy - h / 2, w, h, cell_top, cell_top + ROW_H, cell_left)
    return Layout(pool, lanes, shapes)


def sides(flow: Flow, src: Node, tgt: Node, a: Box, b: Box) -> tuple[str, str]:
    if flow.exit and flow.entry:
        return flow.exit, flow.entry
    down = b.cy > a.cy
    if tgt.col > src.col:
        if a.cy == b.cy:
            exit_, entry = "r", "l"
        elif src.kind == "xor":
            exit_, entry = ("b" if down else "t"), "l"
        elif tgt.kind == "xor":
            exit_, entry = "r", ("t" if down else "b")
        else:
            exit_, entry = "r", "l"
    elif tgt.col == src.col:
        exit_, entry = ("b", "t") if down else ("t", "b")
    elif a.cy == b.cy:
        exit_, entry = "b", "b"
    else:
        exit_, entry = "l", ("t" if down else "b")
    return flow.exit or exit_, flow.entry or entry


def waypoints(flow: Flow, src: Node, tgt: Node, a: Box, b: Box):
    exit_, entry = sides(flow, src, tgt, a, b)
    p0, pn = a.port(exit_), b.port(entry)
    horizontal = {"r", "l"}
    if exit_ in horizontal and entry in horizontal:
        if p0[1] == pn[1]:
            pts = [p0, pn]
        else:  # turn in the free gap at the left edge of the target's cell
            mx = b.cell_left if pn[0] > p0[0] else b.cell_left + COL_W
            pts = [p0, (mx, p0[1]), (mx, pn[1]), pn]
    elif exit_ in horizontal:
        pts = [p0, (pn[0], p0[1]), pn]
    elif entry in horizontal:
        pts = [p0, (p0[0], pn[1]), pn]
    elif p0[0] == pn[0] and exit_ != entry:
        pts = [p0, pn]
    elif exit_ == entry == "b":
        cy = max(a.cell_bottom, b.cell_bottom) - CHANNEL + flow.offset
        pts = [p0, (p0[0], cy), (pn[0], cy), pn]
    elif exit_ == entry == "t":
        cy = min(a.cell_top, b.cell_top) + CHANNEL - flow.offset
        pts = [p0, (p0[0], cy), (pn[0], cy), pn]
    else:
        my = (a.cell_bottom if exit_ == "b" else a.cell_top)
        pts = [p0, (p0[0], my), (pn[0], my), pn]
    return [(round(x), round(y)) for x, y in pts], exit_


def label_size(text: str, width: int = LABEL_W) -> tuple[int, int]:
    words, lines, line = text.split(), 1, 0
    for w in words:
        need = len(w) * CHAR_W + (CHAR_W if line else 0)
        if line and line + need > width:
            lines, line = lines + 1, len(w) * CHAR_W
        else:
            line += need
    return width, lines * LINE_H


def node_label(n: Node, box: Box, used: set[str]) -> tuple[int, int, int, int] | None:
    if n.kind not in EVENTS and n.kind != "xor" or not n.name:
        return None
    w, h = label_size(n.name, GATEWAY_LABEL_W if n.kind == "xor" else LABEL_W)
    where = n.label
    if where is None:
        if n.kind == "xor":
            where = "below" if "t" in used and "b" not in used else "above"
        else:
            where = "above" if "b" in used and "t" not in used else "below"
    if where == "below":
        x, y = box.cx - w / 2, box.y + box.h + 5
    elif where == "above":
        x, y = box.cx - w / 2, box.y - 5 - h
    elif where == "right":
        x, y = box.x + box.w + 6, box.cy - h / 2
    else:
        x, y = box.x - 6 - w, box.cy - h / 2
    return round(x), round(y), w, h


def flow_label(text: str, pts, exit_: str) -> tuple[int, int, int, int]:
    w, h = len(text) * CHAR_W + 8, LINE_H
    x0, y0 = pts[0]
    if exit_ == "r":
        return x0 + 6, y0 - h - 3, w, h
    if exit_ == "l":
        return x0 - w - 6, y0 - h - 3, w, h
    if exit_ == "b":
        return x0 + 6, y0 + 4, w, h
    return x0 + 6, y0 - h - 4, w, h


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


# -- the SLM diagrams --------------------------------------------------------------------
CUSTOMER, MANAGER, OWNER = "Customer", "Service Level Manager", "Process Owner"


def sla_agreement() -> Diagram:
    C, M, P = CUSTOMER, MANAGER, OWNER
    nodes = [
        start("requirements_submitted", "Requirements submitted", C, 0),
        service("assess_slr", "Assess the requirements", M, 1, "assess_requirements",
                {"slr_id": "slr_id"}, "assessment"),
        service("match_slr", "Match the requirements to the catalogue", M, 2,
                "match_catalogue", {"slr_id": "slr_id"}, "catalogue"),
        script("list_options", "List the service level options", M, 3,
               'options = catalogue["options"]'),
        user("choose_option", "Choose a service level option", C, 4, "choose_option.schema.json",
             "Compare the service level options below: each shows its monthly cost and, for "
             "each of your requirements, whether it is met and by how much it falls short. "
             "Choose the option you need. If no standard option fits, choose the "
             "customer-specific service: we will design it for you.", due="P5D"),
        service("record_option", "Record the customer's choice", M, 5, "record_choice",
                {"slr_id": "slr_id", "option_key": "option_key"}, "choice"),
        xor("is_customer_specific", "Customer-specific service?", M, 6),
        service("write_design", "Write the service design specification", M, 7,
                "design_specification", {"slr_id": "slr_id"}, "design", row=1),
        service("request_build", "Raise a change request to build the service", M, 8,
                "raise_change_request",
                {"design_spec_id": 'design["design_spec_id"]',
                 "title": '"Build customer-specific service"',
                 "description": '"Design and build the customer-specific service described in '
                                'the design specification, to the levels the customer '
                                'requires."',
                 "proposal_ids": "[]"}, "design_change", row=1),
        script("use_new_service", "Use the new service", M, 9,
               'service_id = design["service_id"]', row=1),
        script("use_standard_service", "Use the chosen standard service", M, 8,
               'service_id = choice["service_id"]'),
        xor("service_known", "", M, 10),
        xor("recheck_supporting", "", M, 11),
        service("check_supporting", "Check the supporting processes", M, 12,
                "check_supporting_processes", {"service_id": "service_id"}, "gate"),
        xor("supporting_defined", "All supporting processes defined?", M, 13),
        user("define_supporting", "Define the missing supporting processes", P, 13,
             "define_supporting.schema.json",
             "No targets can be agreed for this service until all its supporting processes "
             "are defined. Define the missing supporting processes listed below (owner and "
             "the OLA or underpinning contract of each) in the supporting process register, "
             "then confirm here.", due="P5D"),
        service("draft_first", "Draft the SLA", M, 14, "draft_sla",
                {"slr_id": "slr_id", "option_key": 'choice["option_key"]', "sla_id": "None",
                 "changes": "None", "comment": '""', "author": '"system"'}, "draft"),
        xor("draft_ready", "", M, 15),
        script("note_draft", "Note the draft version", M, 16,
               'sla_id = draft["sla_id"]\nmetrics = draft["metrics"]\n'
               'requested_changes = {}\ncomment = ""'),
        user("review_draft", "Review the SLA draft", C, 17, "review_draft.schema.json",
             "Read the SLA draft: its targets, service hours, monthly cost and review cycle, "
             "and what changed since the previous version. Accept it, or make a "
             "counter-proposal: say which targets or which review cycle you need instead.",
             due="P5D"),
        xor("draft_accepted", "Draft accepted?", C, 18),
        user("approve_agreement", "Approve the agreement", M, 19,
             "approve_agreement.schema.json",
             "The customer accepted this SLA version. Check that every target is measurable "
             "and deliverable and that the cost is right, then approve the agreement or send "
             "it back for revision.", due="P2D"),
        xor("agreement_approved", "Agreement approved?", M, 20),
        xor("revision_needed", "", M, 20, row=1),
        script("prepare_revision", "Prepare the revision", M, 21,
               'changes = requested_changes\nfeedback = comment\ncomment = ""', row=1),
        user("revise_sla", "Revise the SLA", M, 22, "revise_sla.schema.json",
             "Work out a new version of the SLA that answers the customer's counter-proposal "
             "or the approval remarks. Never refuse: offer the nearest measurable targets "
             "and say what they cost. Explain the change in the comment.", due="P2D", row=1),
        service("draft_revision", "Draft the revised SLA", M, 23, "draft_sla",
                {"slr_id": "slr_id", "option_key": 'choice["option_key"]', "sla_id": "sla_id",
                 "changes": "changes", "comment": "comment", "author": '"manager"'},
                "draft", row=1),
        service("activate", "Activate the SLA", M, 21, "activate_sla",
                {"sla_id": "sla_id", "months": "12"}, "activation"),
        xor("review_cycle", "", M, 22),
        timer("next_review_due", "Next review due", M, 23, 'activation["review_interval"]'),
        service("check_review_due", "Check whether the SLA is still valid", M, 24, "review_due",
                {"sla_id": "sla_id"}, "due"),
        xor("sla_continues", "SLA still valid?", M, 25),
        service("begin_review", "Start the service performance review", M, 26, "start_review",
                {"sla_id": "sla_id"}, "review"),
        end("sla_ended", "SLA ended", M, 25, row=1),
    ]
    flows = [
        Flow("requirements_submitted", "assess_slr"),
        Flow("assess_slr", "match_slr"),
        Flow("match_slr", "list_options"),
        Flow("list_options", "choose_option"),
        Flow("choose_option", "record_option"),
        Flow("record_option", "is_customer_specific"),
        Flow("is_customer_specific", "write_design", "Yes",
             condition='choice["customer_specific"]'),
        Flow("is_customer_specific", "use_standard_service", "No", default=True),
        Flow("write_design", "request_build"),
        Flow("request_build", "use_new_service"),
        Flow("use_new_service", "service_known"),
        Flow("use_standard_service", "service_known"),
        Flow("service_known", "recheck_supporting"),
        Flow("recheck_supporting", "check_supporting"),
        Flow("check_supporting", "supporting_defined"),
        Flow("supporting_defined", "draft_first", "Yes", condition='gate["ready"]'),
        Flow("supporting_defined", "define_supporting", "No", default=True),
        Flow("define_supporting", "recheck_supporting"),
        Flow("draft_first", "draft_ready"),
        Flow("draft_ready", "note_draft"),
        Flow("note_draft", "review_draft"),
        Flow("review_draft", "draft_accepted"),
        Flow("draft_accepted", "approve_agreement", "Accepted",
             condition='decision == "accept"', exit="r", entry="t"),
        Flow("draft_accepted", "revision_needed", "Counter-proposal", default=True,
             exit="b", entry="l"),
        Flow("approve_agreement", "agreement_approved"),
        Flow("agreement_approved", "activate", "Approved", condition='decision == "approve"'),
        Flow("agreement_approved", "revision_needed", "Revise", default=True),
        Flow("revision_needed", "prepare_revision"),
        Flow("prepare_revision", "revise_sla"),
        Flow("revise_sla", "draft_revision"),
        Flow("draft_revision", "draft_ready", exit="b", entry="b"),
        Flow("activate", "review_cycle"),
        Flow("review_cycle", "next_review_due"),
        Flow("next_review_due", "check_review_due"),
        Flow("check_review_due", "sla_continues"),
        Flow("sla_continues", "begin_review", "Yes", condition='due["continue"]'),
        Flow("sla_continues", "sla_ended", "No", default=True),
        Flow("begin_review", "review_cycle", exit="t", entry="t"),
    ]
    return Diagram("sla_agreement", "SLA agreement", [C, M, P], nodes, flows,
                   "From a customer's service level requirements to an active SLA: assess, "
                   "offer options from the catalogue, design a customer-specific service when "
                   "needed, wait for the supporting processes, draft and negotiate the SLA, "
                   "approve and activate it, then start a performance review every cycle "
                   "until the SLA ends.")


def service_performance_review() -> Diagram:
    C, M = CUSTOMER, MANAGER
    nodes = [
        start("review_period_ended", "Review period ended", M, 0),
        service("compute", "Compute the service level attainment", M, 1, "compute_attainment",
                {"review_id": "review_id"}, "attainment"),
        service("build_report", "Build the customer report", M, 2, "build_customer_report",
                {"review_id": "review_id"}, "report"),
        script("prepare_discussion", "Prepare the discussion", M, 3,
               'notes = ""\ndiscussion = ""\nideas = []'),
        user("discuss_results", "Discuss the results", C, 4, "discuss_results.schema.json",
             "Read the service report for this period: every target with the level attained, "
             "breaches, trends and the observations you recorded. Say whether you agree with "
             "the results and note what you want discussed or improved.", due="P5D"),
        user("record_the_review", "Record the review", M, 5, "record_review.schema.json",
             "Write down the discussion with the customer and the review record (conclusions "
             "and agreed actions). List any improvement ideas: they become improvement "
             "proposals next to those raised by breaches, trends and observations.",
             due="P2D"),
        service("store_review", "Store the review record", M, 6, "record_review",
                {"review_id": "review_id", "discussion": "discussion", "record": "record"},
                "review_record"),
        service("propose", "Propose improvements", M, 7, "propose_improvements",
                {"review_id": "review_id", "ideas": "ideas", "scope": '"service"'},
                "improvements"),
        script("list_proposals", "List the improvement proposals", M, 8,
               'proposals = improvements["proposals"]\naccepted = []'),
        user("decide_improvements", "Decide on improvements", M, 9,
             "decide_improvements.schema.json",
             "Choose the improvement proposals to carry out. A change request is raised for "
             "each proposal you accept; the others stay on record as proposed.", due="P5D"),
        xor("any_accepted", "Any improvement accepted?", M, 10),
        service("raise_changes", "Raise change requests", M, 11, "raise_change_request",
                {"proposal_ids": "accepted", "design_spec_id": "None", "title": '""',
                 "description": '""'}, "changes"),
        end("review_closed", "Review closed", M, 12),
        end("review_closed_unchanged", "Review closed without changes", M, 11, row=1),
    ]
    flows = [
        Flow("review_period_ended", "compute"),
        Flow("compute", "build_report"),
        Flow("build_report", "prepare_discussion"),
        Flow("prepare_discussion", "discuss_results"),
        Flow("discuss_results", "record_the_review"),
        Flow("record_the_review", "store_review"),
        Flow("store_review", "propose"),
        Flow("propose", "list_proposals"),
        Flow("list_proposals", "decide_improvements"),
        Flow("decide_improvements", "any_accepted"),
        Flow("any_accepted", "raise_changes", "Yes", condition="len(accepted) > 0"),
        Flow("any_accepted", "review_closed_unchanged", "No", default=True),
        Flow("raise_changes", "review_closed"),
    ]
    return Diagram("service_performance_review", "Service performance review", [C, M], nodes,
                   flows,
                   "One review cycle of one SLA: attainment from the measurements, the customer "
                   "report, the discussion with the customer, the review record, improvement "
                   "proposals and the change requests they lead to.")


def slm_process_definition() -> Diagram:
    M, P = MANAGER, OWNER
    nodes = [
        start("definition_started", "Process definition started", P, 0),
        xor("plan_again", "", P, 1),
        user("plan_process", "Plan the SLM process", P, 2, "plan_process.schema.json",
             "Plan how service level management will work here, with future improvements in "
             "mind: state the objectives of the process and the default review cycle for new "
             "SLAs.", due="P5D"),
        user("maintain_catalogue", "Maintain the service catalogue and costs", M, 3,
             "confirm_catalogue.schema.json",
             "Bring the service catalogue up to date: every service with its service level "
             "options, their measurable targets and the monthly cost of each level. Confirm "
             "when the catalogue is ready for customers to choose from.", due="P5D"),
        service("check_catalogue", "Check the catalogue readiness", M, 4, "catalogue_readiness",
                {}, "readiness"),
        user("register_supporting", "Register the supporting processes", P, 5,
             "register_supporting.schema.json",
             "For every service that is not ready for targets, register its supporting "
             "processes (incident, problem, change, capacity, availability, continuity...) "
             "with their owners and their OLAs or underpinning contracts.", due="P5D"),
        user("approve_definition", "Approve the process definition", P, 6,
             "approve_definition.schema.json",
             "Review the plan, the catalogue and the supporting process register. Approve the "
             "process definition, or send it back to planning with your reasons.", due="P5D"),
        xor("definition_approved", "Definition approved?", P, 7),
        xor("improvement_cycle", "", P, 8),
        timer("quarter_passed", "Quarter passed", P, 9, '"P3M"'),
        script("prepare_improvement", "Prepare the improvement round", P, 10,
               "ideas = []\nstop = False"),
        user("improve_process", "Improve the SLM process", P, 11, "improve_process.schema.json",
             "Look back on the last quarter of service level management: what worked, what "
             "did not, what the customers and the managers said. List your improvement ideas "
             "for the process itself. Tick stop only when the process is retired.", due="P5D"),
        service("record_process_ideas", "Record the process improvement proposals", P, 12,
                "propose_improvements",
                {"review_id": "None", "ideas": "ideas", "scope": '"process"'}, "improvements"),
        xor("stop_improving", "Process retired?", P, 13),
        end("definition_closed", "SLM process retired", P, 14),
    ]
    flows = [
        Flow("definition_started", "plan_again"),
        Flow("plan_again", "plan_process"),
        Flow("plan_process", "maintain_catalogue"),
        Flow("maintain_catalogue", "check_catalogue"),
        Flow("check_catalogue", "register_supporting"),
        Flow("register_supporting", "approve_definition"),
        Flow("approve_definition", "definition_approved"),
        Flow("definition_approved", "improvement_cycle", "Approved",
             condition='decision == "approve"'),
        Flow("definition_approved", "plan_again", "Rework", default=True),
        Flow("improvement_cycle", "quarter_passed"),
        Flow("quarter_passed", "prepare_improvement"),
        Flow("prepare_improvement", "improve_process"),
        Flow("improve_process", "record_process_ideas"),
        Flow("record_process_ideas", "stop_improving"),
        Flow("stop_improving", "definition_closed", "Yes", condition="stop"),
        Flow("stop_improving", "improvement_cycle", "No", default=True),
    ]
    return Diagram("slm_process_definition", "SLM process definition", [M, P], nodes, flows,
                   "Plan and implement the SLM process: objectives and default review cycle, "
                   "the catalogue with the cost of each service level, the supporting process "
                   "register, approval; then a quarterly improvement round for the process "
                   "itself.")


def slm_process_management() -> Diagram:
    M, P = MANAGER, OWNER
    nodes = [
        start("management_started", "Process management started", M, 0),
        xor("next_cycle", "", M, 1),
        service("verify", "Verify the delivered service levels", M, 2, "verify_service_levels",
                {}, "verification"),
        service("report", "Produce the management report", M, 3, "build_management_report",
                {"period_start": "None", "period_end": "None"}, "management"),
        script("prepare_priorities", "Prepare the priorities", M, 4,
               'sla_references = [s["reference"] for s in verification["slas"]]\n'
               'priorities = [{"sla_reference": s["reference"], "priority": s["priority"]}'
               ' for s in verification["slas"]]\n'
               "actions = []\nstop = False"),
        user("set_priorities_task", "Set service level priorities", M, 5,
             "set_priorities.schema.json",
             "Compare the service levels delivered with those agreed, and where they could be "
             "raised. Set the priority of each SLA: 1 is the highest, 5 the lowest.",
             due="P5D"),
        service("store_priorities", "Record the priorities", M, 6, "set_priorities",
                {"priorities": "priorities"}, "prioritised"),
        user("review_management", "Review the management report", P, 7,
             "review_management.schema.json",
             "Read the management report: all SLAs with attainment, breaches, cost, trend and "
             "priority. List the actions that would improve the SLM process. Tick stop only "
             "when process management is to end.", due="P5D"),
        service("record_actions", "Record the process improvement actions", P, 8,
                "propose_improvements",
                {"review_id": "None", "ideas": "actions", "scope": '"process"'},
                "improvements"),
        xor("stop_management", "Stop process management?", P, 9),
        end("management_stopped", "Process management stopped", P, 10),
        timer("month_passed", "Month passed", M, 9, '"P1M"', label="right"),
    ]
    flows = [
        Flow("management_started", "next_cycle"),
        Flow("next_cycle", "verify"),
        Flow("verify", "report"),
        Flow("report", "prepare_priorities"),
        Flow("prepare_priorities", "set_priorities_task"),
        Flow("set_priorities_task", "store_priorities"),
        Flow("store_priorities", "review_management"),
        Flow("review_management", "record_actions"),
        Flow("record_actions", "stop_management"),
        Flow("stop_management", "management_stopped", "Yes", condition="stop"),
        Flow("stop_management", "month_passed", "No", default=True),
        Flow("month_passed", "next_cycle", exit="t", entry="t"),
    ]
    return Diagram("slm_process_management", "SLM process management", [M, P], nodes, flows,
                   "Every month: verify the service levels delivered against those agreed and "
                   "where they could be raised, produce the management report, set the "
                   "priorities of the service levels and improve the process.")


DIAGRAMS = {
    "sla_agreement.bpmn": sla_agreement,
    "service_performance_review.bpmn": service_performance_review,
    "slm_process_definition.bpmn": slm_process_definition,
    "slm_process_management.bpmn": slm_process_management,
}
OUT = Path(__file__).resolve().parent.parent / "workflows" / "bpmn"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT, help="directory for the .bpmn files")
    ap.add_argument("--check", action="store_true",
                    help="write nothing; exit 1 when a file differs from the description")
    args = ap.parse_args(argv)
    stale = []
    for fname, build in DIAGRAMS.items():
        data, path = to_xml(build()), args.out / fname
        if args.check:
            if not path.is_file() or path.read_bytes() != data:
                stale.append(fname)
            continue
        args.out.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"wrote {path}")
    if stale:
        print("out of date: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
