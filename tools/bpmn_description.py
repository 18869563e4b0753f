"""A BPMN diagram described compactly: lanes, nodes on a grid, sequence flows, and checks.

A diagram lists its lanes (roles) from top to bottom, its nodes with their kind, name, lane,
column and row (a lane may hold several rows), and its sequence flows with an optional
condition or ``default`` mark. ``check`` refuses an inconsistent description with a
``LayoutError`` saying where; ``flows_with_ids`` gives each flow a stable id.
"""
from __future__ import annotations

from dataclasses import dataclass, field

#: element tag and shape size per node kind
KINDS = {
    "start": ("startEvent", 36, 36),
    "end": ("endEvent", 36, 36),
    "timer": ("intermediateCatchEvent", 36, 36),
    "user": ("userTask", 100, 80),
    "service": ("serviceTask", 100, 80),
    "script": ("scriptTask", 100, 80),
    "rule": ("businessRuleTask", 100, 80),
    "xor": ("exclusiveGateway", 50, 50),
}
EVENTS = {"start", "end", "timer"}


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
    #: business rule task: the id of the DMN decision it evaluates (workflows/dmn/)
    decision: str | None = None
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


def rule(id, name, lane, col, decision, row=0, **kw):
    return Node(id, "rule", name, lane, col, row, decision=decision, **kw)


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
        if n.kind == "rule" and not n.decision:
            raise LayoutError(f"{n.id}: business rule task without decision")
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
