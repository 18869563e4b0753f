"""Where a described diagram is drawn: pool, lanes and shapes on a grid, edges and labels.

Shapes are centred in their grid cells. A flow leaves its source by a side and enters its
target by a side (``r``ight, ``l``eft, ``t``op, ``b``ottom), chosen from the relative
positions unless the flow names them; loops run through a channel just below or above the
rows they connect. Label sizes are estimated from the text.
"""
from __future__ import annotations

from dataclasses import dataclass

from bpmn_description import EVENTS, KINDS, Diagram, Flow, Node

# grid
POOL_X, POOL_Y = 160, 80
POOL_HEADER = 30          # the pool's name band (left)
LANE_HEADER = 30          # each lane's name band (left)
MARGIN_X = 30             # space between the lane header and the first column
COL_W, ROW_H = 160, 140   # cell size: tasks are 100x80, so 60 px between columns
CHANNEL = 14              # distance of a loop channel from the edge of its row
CHAR_W, LINE_H, LABEL_W, GATEWAY_LABEL_W = 6, 14, 90, 120


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
