"""Portfolio charts of the management report as inline SVG, built on the server.

Every text that goes into a chart is escaped here, so the result is safe Markup. No Flask.
"""
from __future__ import annotations

from decimal import Decimal
from html import escape

from markupsafe import Markup

from engine.i18n import _

from ..formatting import money

GREEN, RED, GREY, BLUE, ORANGE = "#2e7d32", "#c62828", "#9e9e9e", "#1565c0", "#ef6c00"
#: bars per chart; the rest is in the table
MAX_BARS = 25


def stacked_bars(rows: list[tuple[str, list[tuple[float, str]], str]], label: str,
                 scale: float | None = None) -> Markup:
    """Horizontal bars: per row (label, [(value, colour)...] stacked, text after the bar)."""
    if not rows:
        return Markup("")
    top = scale or max((sum(v for v, _ in parts) for _, parts, _ in rows), default=0) or 1
    row_h, left, width = 22, 110, 210
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {left + width + 120} '
           f'{row_h * len(rows) + 8}" width="100%" role="img" aria-label="{escape(label)}">']
    for i, (name, parts, text) in enumerate(rows):
        y = i * row_h + 4
        out.append(f'<text x="{left - 6}" y="{y + 13}" font-size="11" text-anchor="end">'
                   f"{escape(_short(name))}</text>")
        x = float(left)
        for value, colour in parts:
            w = max(0.0, value) / top * width
            if w > 0:
                out.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row_h - 6}" '
                           f'fill="{colour}"/>')
            x += w
        out.append(f'<text x="{x + 4:.1f}" y="{y + 13}" font-size="11">{escape(text)}</text>')
    return Markup("".join(out) + "</svg>")


def line_chart(labels: list[str], values: list[float | None], label: str,
               unit: str = "%") -> Markup:
    """A line of ``values`` (0..100) over ``labels``, with the value at each point."""
    width, height, left, bottom, top = 400, 180, 40, 28, 16
    plot_w, plot_h = width - left - 34, height - bottom - top
    step = plot_w / max(1, len(labels) - 1)

    def y(v: float) -> float:
        return top + plot_h - v / 100 * plot_h

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
           f'width="100%" role="img" aria-label="{escape(label)}">']
    for tick in (0, 50, 100):
        out.append(f'<line x1="{left}" y1="{y(tick):.1f}" x2="{left + plot_w}" '
                   f'y2="{y(tick):.1f}" stroke="#ddd"/><text x="{left - 4}" '
                   f'y="{y(tick) + 4:.1f}" font-size="10" text-anchor="end">{tick}{unit}</text>')
    points = []
    for i, (name, v) in enumerate(zip(labels, values, strict=True)):
        x = left + i * step
        out.append(f'<text x="{x:.1f}" y="{height - 8}" font-size="10" '
                   f'text-anchor="middle">{escape(name)}</text>')
        if v is not None:
            points.append(f"{x:.1f},{y(v):.1f}")
            out.append(f'<circle cx="{x:.1f}" cy="{y(v):.1f}" r="3" fill="{BLUE}"/>'
                       f'<text x="{x:.1f}" y="{y(v) - 6:.1f}" font-size="10" '
                       f'text-anchor="middle">{v:.0f}{unit}</text>')
    if len(points) > 1:
        out.append(f'<polyline points="{" ".join(points)}" fill="none" stroke="{BLUE}" '
                   'stroke-width="2"/>')
    return Markup("".join(out) + "</svg>")


def _short(text: str, length: int = 18) -> str:
    return text if len(text) <= length else text[:length - 1] + "…"


def _met(value: float, t: dict) -> bool:
    return value >= t["threshold"] if t["comparator"] == ">=" else value <= t["threshold"]


def attainment_per_sla(slas: list[dict]) -> Markup:
    """Share of targets met per SLA, worst first."""
    rows = []
    for a in slas:
        with_data = [t for t in a["targets"] if t["status"] != "no data"]
        met = sum(t["status"] == "met" for t in with_data)
        share = 100 * met / len(with_data) if with_data else 0
        text = (_("%(met)s/%(of)s met", met=met, of=len(with_data)) if with_data
                else _("no data"))
        rows.append((share if with_data else -1, a["reference"], share, text))
    rows.sort(key=lambda r: (r[0], r[1]))
    return stacked_bars([(ref, [(share, GREEN if share == 100 else ORANGE if share else RED)],
                          text) for _, ref, share, text in rows[:MAX_BARS]],
                        _("share of targets met per SLA"), scale=100)


def breaches_per_sla(slas: list[dict]) -> Markup:
    worst = sorted((a for a in slas if a["breaches"]),
                   key=lambda a: (-a["breaches"], a["reference"]))[:MAX_BARS]
    return stacked_bars([(a["reference"], [(a["breaches"], RED)], str(a["breaches"]))
                         for a in worst], _("breached targets per SLA"))


def cost_per_sla(slas: list[dict]) -> Markup:
    costly = sorted((a for a in slas if a.get("monthly_cost")),
                    key=lambda a: (-Decimal(a["monthly_cost"]), a["reference"]))[:MAX_BARS]
    return stacked_bars([(a["reference"], [(float(a["monthly_cost"]), BLUE)],
                          money(a["monthly_cost"])) for a in costly],
                        _("monthly cost per SLA"))


def priorities(slas: list[dict]) -> Markup:
    """SLAs per priority (1 = highest): those with breaches red, the others green."""
    rows = []
    for prio in sorted({a["priority"] for a in slas}):
        group = [a for a in slas if a["priority"] == prio]
        breached = sum(1 for a in group if a["breaches"])
        rows.append((_("priority %(prio)s", prio=prio),
                     [(breached, RED), (len(group) - breached, GREEN)],
                     _("%(slas)s SLAs, %(breached)s breached", slas=len(group),
                       breached=breached)))
    return stacked_bars(rows, _("SLAs per priority, with breaches"))


def trend(slas: list[dict]) -> tuple[list[str], list[float | None]]:
    """Per period (the three before and this one): the share of targets met, in %."""
    if not slas:
        return [], []
    starts = slas[0].get("trend_periods", []) + [slas[0]["period_start"]]
    labels = [s[:7] if s.endswith("-01") else s for s in starts]
    met, counted = [0] * len(labels), [0] * len(labels)
    for a in slas:
        for t in a["targets"]:
            for i, value in enumerate(list(t.get("trend", [])) + [t.get("attained")]):
                if value is not None and i < len(labels):
                    counted[i] += 1
                    met[i] += _met(value, t)
    return labels, [100 * m / c if c else None for m, c in zip(met, counted, strict=True)]


def portfolio_charts(content: dict) -> dict[str, Markup]:
    """Every chart of the management page, by name."""
    slas = content.get("slas", [])
    labels, values = trend(slas)
    return {"attainment": attainment_per_sla(slas), "breaches": breaches_per_sla(slas),
            "cost": cost_per_sla(slas), "priority": priorities(slas),
            "trend": line_chart(labels, values, "share of targets met per period")
            if labels else Markup("")}
