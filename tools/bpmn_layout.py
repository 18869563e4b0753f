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

The parts, split by noun (the ``tools`` folder is put on ``sys.path`` so that they import
whether this file runs as a script or is loaded from its path): ``bpmn_description`` (nodes,
flows, diagrams and their checks), ``bpmn_geometry`` (grid, shapes, edge routes, labels),
``bpmn_xml`` (the BPMN/BPMNDI document), ``slm_roles``, ``slm_sla_diagrams`` and
``slm_process_diagrams`` (the four SLM diagrams). Every name they define that this module
used to define is still importable from here.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

_TOOLS = str(Path(__file__).resolve().parent)
if _TOOLS not in sys.path:
    sys.path.insert(0, _TOOLS)

from bpmn_description import (  # noqa: E402
    EVENTS,
    KINDS,
    Diagram,
    Flow,
    LayoutError,
    Node,
    check,
    end,
    flows_with_ids,
    lane_id,
    rule,
    script,
    service,
    start,
    timer,
    user,
    xor,
)
from bpmn_geometry import (  # noqa: E402
    CHANNEL,
    CHAR_W,
    COL_W,
    GATEWAY_LABEL_W,
    LABEL_W,
    LANE_HEADER,
    LINE_H,
    MARGIN_X,
    POOL_HEADER,
    POOL_X,
    POOL_Y,
    ROW_H,
    Box,
    Layout,
    flow_label,
    label_size,
    layout,
    node_label,
    sides,
    waypoints,
)
from bpmn_xml import (  # noqa: E402
    BPMN,
    BPMNDI,
    DC,
    DI,
    NSMAP,
    SPIFF,
    XSI,
    expression,
    q,
    sub,
    to_xml,
)
from slm_process_diagrams import slm_process_definition, slm_process_management  # noqa: E402
from slm_roles import CUSTOMER, MANAGER, OWNER  # noqa: E402
from slm_sla_diagrams import service_performance_review, sla_agreement  # noqa: E402

__all__ = [
    "BPMN", "BPMNDI", "CHANNEL", "CHAR_W", "COL_W", "CUSTOMER", "DC", "DI", "DIAGRAMS",
    "EVENTS", "GATEWAY_LABEL_W", "KINDS", "LABEL_W", "LANE_HEADER", "LINE_H", "MANAGER",
    "MARGIN_X", "NSMAP", "OUT", "OWNER", "POOL_HEADER", "POOL_X", "POOL_Y", "ROW_H", "SPIFF",
    "XSI", "Box", "Diagram", "Flow", "Layout", "LayoutError", "Node", "check", "end",
    "expression", "flow_label", "flows_with_ids", "label_size", "lane_id", "layout", "main",
    "node_label", "q", "rule", "script", "service", "service_performance_review", "sides",
    "sla_agreement", "slm_process_definition", "slm_process_management", "start", "sub",
    "timer", "to_xml", "user", "waypoints", "xor",
]

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
