"""PDF reports with reportlab platypus; charts drawn with reportlab.graphics.

The text of the PDF (figures, observations, breaches) is real text, so it can be searched
and extracted. DejaVu Sans is embedded (Cyrillic and the other scripts customers write in): Debian's
fonts-dejavu-core, which ``make install`` installs when it is missing. Without it the
built-in Helvetica is used, which has no Cyrillic glyphs.
"""
from __future__ import annotations

from functools import cache
from io import BytesIO
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.shapes import Drawing, Line, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from engine.i18n import _, current_language

from .text import (
    breach_sentence,
    chart_scale,
    customer_title,
    fmt,
    management_title,
    margin_text,
    observation_counts,
    period_labels,
    portfolio_summary,
    status_text,
    target_text,
    totals,
    trend_text,
)

_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu",
              "/usr/share/fonts/TTF")
_GREEN, _RED, _ORANGE = colors.HexColor("#2e7d32"), colors.HexColor("#c62828"), \
    colors.HexColor("#ef6c00")


@cache
def _fonts() -> tuple[str, str]:
    """(regular, bold) font names; DejaVu Sans if installed, else Helvetica."""
    for folder in _FONT_DIRS:
        regular, bold = Path(folder, "DejaVuSans.ttf"), Path(folder, "DejaVuSans-Bold.ttf")
        if regular.is_file() and bold.is_file():
            pdfmetrics.registerFont(TTFont("SLMSans", str(regular)))
            pdfmetrics.registerFont(TTFont("SLMSans-Bold", str(bold)))
            return "SLMSans", "SLMSans-Bold"
    return "Helvetica", "Helvetica-Bold"


def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = _fonts()
    base = getSampleStyleSheet()
    return {
        "title": ParagraphStyle("t", parent=base["Title"], fontName=bold, fontSize=15,
                                leading=19),
        "h2": ParagraphStyle("h", parent=base["Heading2"], fontName=bold),
        "body": ParagraphStyle("b", parent=base["BodyText"], fontName=regular),
        "cell": ParagraphStyle("c", parent=base["BodyText"], fontName=regular, fontSize=8,
                               leading=10),
    }


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(str(text)), style)


def _table(rows: list[list], widths: list[float], st: dict) -> Table:
    cells = [[_p(c, st["cell"]) for c in row] for row in rows]
    table = Table(cells, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle([
        ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
        ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return table


def target_drawing(t: dict, labels: list[str]) -> Drawing:
    """Bars of attained per period (this one last), the trend line and the target line."""
    font = _fonts()[0]
    values = list(t.get("trend", [])) + [t.get("attained")]
    low, high = chart_scale(values, t["threshold"])
    drawing = Drawing(250, 150)
    chart = VerticalBarChart()
    chart.x, chart.y, chart.width, chart.height = 40, 25, 200, 100
    chart.data = [values]  # None = no bar
    chart.valueAxis.valueMin, chart.valueAxis.valueMax = low, high
    chart.valueAxis.labels.fontName = chart.categoryAxis.labels.fontName = font
    chart.valueAxis.labels.fontSize = chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.labelTextFormat = fmt
    chart.categoryAxis.categoryNames = labels[:len(values)]
    for i, v in enumerate(values):
        met = v is not None and (v >= t["threshold"] if t["comparator"] == ">="
                                 else v <= t["threshold"])
        chart.bars[(0, i)].fillColor = _GREEN if met else _RED if v is not None else colors.grey
    chart.barLabelFormat = fmt
    chart.barLabels.fontName, chart.barLabels.fontSize = font, 7
    chart.barLabels.nudge = 6
    drawing.add(chart)

    def y(v: float) -> float:
        return chart.y + (float(v) - low) / (high - low) * chart.height

    step = chart.width / len(values)
    points = [(chart.x + step * (i + 0.5), y(v)) for i, v in enumerate(values) if v is not None]
    for (x1, y1), (x2, y2) in zip(points, points[1:], strict=False):
        drawing.add(Line(x1, y1, x2, y2, strokeColor=colors.HexColor("#1565c0"), strokeWidth=1.5))
    ty = y(t["threshold"])
    drawing.add(Line(chart.x, ty, chart.x + chart.width, ty, strokeColor=_ORANGE,
                     strokeWidth=1.5, strokeDashArray=[4, 2]))
    drawing.add(String(chart.x + chart.width, ty + 3,
                       _("target %(target)s", target=target_text(t)),
                       fontName=font, fontSize=7, fillColor=_ORANGE, textAnchor="end"))
    drawing.add(String(chart.x, 140, t["name"], fontName=_fonts()[1], fontSize=9))
    return drawing


def _build(story: list, title: str, pagesize) -> bytes:
    buf = BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=pagesize, title=title,
                            author=_("Service Level Management"), lang=current_language(),
                            leftMargin=15 * mm, rightMargin=15 * mm,
                            topMargin=15 * mm, bottomMargin=15 * mm, invariant=1)
    doc.build(story)
    return buf.getvalue()


def customer_pdf(att: dict, generated: str) -> bytes:
    """The customer report as PDF: summary, targets, charts, breaches, observations."""
    st, targets = _styles(), att["targets"]
    title = customer_title(att)
    met = sum(t["status"] == "met" for t in targets)
    breaches = [t for t in targets if t["status"] == "breached"]
    story = [_p(title, st["title"]),
             _p(_("SLA %(reference)s version %(version)s; service hours %(hours)s (%(zone)s); "
                  "generated %(generated)s", reference=att["reference"], version=att["version"],
                  hours=att["service_hours"], zone=att["timezone"], generated=generated),
                st["body"]),
             _p(_("Summary"), st["h2"]),
             _p(_("%(met)s of %(targets)s targets met, %(breaches)s breached.", met=met,
                  targets=len(targets), breaches=len(breaches)) + " "
                + observation_counts(att), st["body"]),
             _p(_("Targets"), st["h2"]),
             _table([[_("Metric"), _("Target"), _("Attained"), _("Margin"), _("Samples"),
                      _("Status"), _("Trend")]] +
                    [[t["name"], target_text(t), fmt(t["attained"], t["unit"]), margin_text(t),
                      t["samples"], status_text(t), trend_text(t)] for t in targets],
                    [34 * mm, 24 * mm, 22 * mm, 16 * mm, 17 * mm, 22 * mm, 45 * mm], st),
             _p(_("Attained against target"), st["h2"])]
    labels = period_labels(att)
    drawings = [target_drawing(t, labels) for t in targets]
    for i in range(0, len(drawings), 2):
        story.append(Table([drawings[i:i + 2]], hAlign="LEFT"))
    story.append(_p(_("Breaches"), st["h2"]))
    story += [_p(breach_sentence(t), st["body"]) for t in breaches] or \
        [_p(_("No target was breached in this period."), st["body"])]
    story += [_p(_("Customer observations"), st["h2"]), _p(observation_counts(att), st["body"])]
    observations = att.get("observations", [])
    if observations:
        story.append(_table(
            [[_("Observed (UTC)"), _("Kind"), _("What the customer saw"), _("Impact (min)"),
              _("Recorded by")]] +
            [[o["observed_at"][:16].replace("T", " "), _(o["kind"]), o["description"],
              "" if o["impact_minutes"] is None else o["impact_minutes"], o["recorded_by"]]
             for o in observations],
            [26 * mm, 20 * mm, 86 * mm, 18 * mm, 30 * mm], st))
    return _build(story, title, A4)


def management_pdf(content: dict, generated: str) -> bytes:
    """The portfolio report as PDF (landscape): totals and one row per SLA."""
    st, portfolio = _styles(), content["slas"]
    tot = totals(portfolio)
    title = management_title(content["period_start"], content["period_end"])
    rows = [[_("Prio"), _("SLA"), _("Organisation"), _("Service"), _("Level"), _("Monthly cost"),
             _("Attainment per target (trend)"), _("Breaches"), _("Obs.")]]
    for a in portfolio:
        lines = "; ".join(f"{t['name']}: {fmt(t['attained'], t['unit'])} ({target_text(t)}, "
                          f"{status_text(t)}, {_('trend %(trend)s', trend=trend_text(t))})"
                          for t in a["targets"])
        lines = _("not computed: %(problem)s", problem=a["problem"]) if a.get("problem") \
            else lines
        rows.append([a["priority"], a["reference"], a["organisation"], a["service"],
                     a["level"] or "", a["monthly_cost"] or "", lines, a["breaches"],
                     a["observation_count"]])
    story = [_p(title, st["title"]), _p(_("Generated %(when)s", when=generated), st["body"]),
             _p(_("Summary"), st["h2"]),
             _p(portfolio_summary(tot), st["body"]),
             Spacer(1, 4 * mm), _p(_("Portfolio"), st["h2"]),
             _table(rows, [10 * mm, 26 * mm, 30 * mm, 28 * mm, 16 * mm, 20 * mm, 108 * mm,
                           17 * mm, 11 * mm], st)]
    return _build(story, title, landscape(A4))
