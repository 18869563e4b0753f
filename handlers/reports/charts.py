"""The attainment chart of one target (inline SVG, no external resources): bars per period
(this period last and solid), the trend line, the target as a dashed line, a value axis with
round ticks, and every label in a place of its own (period and value under each bar, the
target above the plot), so that no two texts overlap whatever the figures.
"""
from __future__ import annotations

import math
from html import escape

from .text import chart_scale, fmt, target_text

COLOURS = {"met": "#2e7d32", "breached": "#c62828", None: "#9e9e9e"}
TICKS = 4


def nice_axis(low: float, high: float, ticks: int = TICKS) -> tuple[float, float, float]:
    """(low, high, step) covering ``low``..``high`` with a round step (1, 2 or 5 times a
    power of ten) and bounds on the step, e.g. (69.34, 75.06) -> (69, 76, 1)."""
    span = high - low if high > low else abs(high) or 1.0
    raw = span / ticks
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return math.floor(low / step) * step, math.ceil(high / step) * step, step


def _tick_text(value: float, step: float) -> str:
    decimals = max(0, -math.floor(math.log10(step))) if step < 1 else 0
    return f"{value:.{decimals}f}"


def target_chart(t: dict, labels: list[str]) -> str:
    """SVG: attained per period as bars (this period last), the trend line and the target."""
    values = list(t.get("trend", [])) + [t.get("attained")]
    width, height, left, bottom, top = 340, 214, 48, 42, 24
    plot_w, plot_h = width - left - 10, height - bottom - top
    low, high, step = nice_axis(*chart_scale(values, t["threshold"]))

    def y(v: float) -> float:
        return top + plot_h - (float(v) - low) / (high - low) * plot_h

    unit = t.get("unit") or ""
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(t["name"])}: attained against target">',
             f'<text x="{left}" y="12" font-size="10" fill="#b45309">- - target '
             f'{escape(target_text(t))}</text>',
             f'<text x="{width - 10}" y="12" font-size="10" fill="#555" text-anchor="end">'
             f'{escape(unit)}</text>']
    tick = low
    while tick <= high + step / 2:
        ty = y(tick)
        parts.append(f'<line x1="{left}" y1="{ty:.1f}" x2="{left + plot_w}" y2="{ty:.1f}" '
                     'stroke="#e0e0e0"/>')
        parts.append(f'<text x="{left - 4}" y="{ty + 3:.1f}" font-size="10" '
                     f'text-anchor="end">{_tick_text(tick, step)}</text>')
        tick += step
    parts.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" '
                 'stroke="#555"/>')
    slot = plot_w / max(len(values), 1)
    points = []
    for i, (v, label) in enumerate(zip(values, labels, strict=False)):
        x = left + i * slot + slot * 0.2
        cx = x + slot * 0.3
        current = i == len(values) - 1
        weight = ' font-weight="bold"' if current else ""
        parts.append(f'<text x="{cx:.1f}" y="{height - 24}" font-size="10" '
                     f'text-anchor="middle">{escape(label)}</text>')
        parts.append(f'<text x="{cx:.1f}" y="{height - 10}" font-size="10" '
                     f'text-anchor="middle"{weight}>{escape(fmt(v))}</text>')
        if v is None:
            continue
        met = v >= t["threshold"] if t["comparator"] == ">=" else v <= t["threshold"]
        colour = COLOURS["met" if met else "breached"]
        top_y = max(min(y(v), top + plot_h), top)
        parts.append(f'<rect x="{x:.1f}" y="{top_y:.1f}" width="{slot * 0.6:.1f}" '
                     f'height="{top + plot_h - top_y:.1f}" fill="{colour}" '
                     f'opacity="{"1" if current else "0.55"}"/>')
        points.append(f"{cx:.1f},{top_y:.1f}")
    if len(points) > 1:
        parts.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="#1565c0" '
                     'stroke-width="2"/>')
    ty = y(t["threshold"])
    parts.append(f'<line x1="{left}" y1="{ty:.1f}" x2="{left + plot_w}" y2="{ty:.1f}" '
                 'stroke="#ef6c00" stroke-width="2" stroke-dasharray="6 3"/></svg>')
    return "".join(parts)
