"""Self-contained HTML reports: inline CSS and inline SVG charts, no external resources.

Every text that came from people (observations, names) is escaped.
"""
from __future__ import annotations

from html import escape

from engine.i18n import _, current_language

from .charts import target_chart
from .text import (
    breach_sentence,
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

_CSS = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:4px 8px;
text-align:left;vertical-align:top}th{background:#f0f0f0}.met{color:#1a7f37}
.breached{color:#c62828;font-weight:bold}.nodata{color:#777}.charts{display:flex;
flex-wrap:wrap;gap:1em}figure{margin:0}figcaption{font-size:.9em}.meta{color:#555}"""


def _page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html>\n<html lang="{current_language()}"><head><meta charset="utf-8">'
            f"<title>{escape(title)}</title><style>{_CSS}</style></head>\n<body>\n"
            f"<h1>{escape(title)}</h1>\n{body}\n</body></html>\n")


def _cls(status: str) -> str:
    return {"met": "met", "breached": "breached"}.get(status, "nodata")


def _targets_table(targets: list[dict]) -> str:
    head = "<tr>" + "".join(f"<th>{escape(h)}</th>" for h in (
        _("Metric"), _("Target"), _("Attained"), _("Margin"), _("Samples"), _("Status"),
        _("Trend (previous periods -> this one)"))) + "</tr>"
    rows = "".join(
        f"<tr><td>{escape(t['name'])}</td><td>{escape(target_text(t))}</td>"
        f"<td>{escape(fmt(t['attained'], t['unit']))}</td><td>{margin_text(t)}</td>"
        f"<td>{t['samples']}</td><td class=\"{_cls(t['status'])}\">{status_text(t)}</td>"
        f"<td>{escape(trend_text(t))}</td></tr>" for t in targets)
    return f"<table>{head}{rows}</table>"


def customer_html(att: dict, generated: str) -> str:
    """The customer report of one SLA and period (``att`` from handlers.delivery.attainment)."""
    labels = period_labels(att)
    targets = att["targets"]
    met = sum(t["status"] == "met" for t in targets)
    charts = "".join(f"<figure>{target_chart(t, labels)}<figcaption>{escape(t['name'])}"
                     f"</figcaption></figure>" for t in targets)
    breaches = [t for t in targets if t["status"] == "breached"]
    breach_html = ("<ul>" + "".join(f"<li class=\"breached\">{escape(breach_sentence(t))}</li>"
                                    for t in breaches) + "</ul>") if breaches else \
        f"<p>{escape(_('No target was breached in this period.'))}</p>"
    observations = att.get("observations", [])
    obs_rows = "".join(
        f"<tr><td>{escape(o['observed_at'][:16].replace('T', ' '))}</td>"
        f"<td>{escape(_(o['kind']))}</td><td>{escape(o['description'])}</td>"
        f"<td>{'' if o['impact_minutes'] is None else o['impact_minutes']}</td>"
        f"<td>{escape(o['recorded_by'])}</td></tr>" for o in observations)
    heads = "".join(f"<th>{escape(h)}</th>" for h in (
        _("Observed (UTC)"), _("Kind"), _("What the customer saw"), _("Impact (min)"),
        _("Recorded by")))
    obs_table = f"<table><tr>{heads}</tr>{obs_rows}</table>" if observations else ""
    meta = _("SLA %(reference)s version %(version)s; service hours %(hours)s (%(zone)s); "
             "generated %(generated)s", reference=att["reference"], version=att["version"],
             hours=att["service_hours"], zone=att["timezone"], generated=generated)
    summary = _("%(met)s of %(targets)s targets met, %(breaches)s breached.", met=met,
                targets=len(targets), breaches=len(breaches))
    body = (
        f"<p class=\"meta\">{escape(meta)}</p>\n"
        f"<h2>{escape(_('Summary'))}</h2><p>{escape(summary)} "
        f"{escape(observation_counts(att))}</p>\n"
        f"<h2>{escape(_('Targets'))}</h2>{_targets_table(targets)}\n"
        f"<h2>{escape(_('Attained against target'))}</h2><div class=\"charts\">{charts}</div>\n"
        f"<h2>{escape(_('Breaches'))}</h2>{breach_html}\n"
        f"<h2>{escape(_('Customer observations'))}</h2><p>{escape(observation_counts(att))}</p>"
        f"{obs_table}\n")
    return _page(customer_title(att), body)


def _breach_chart(portfolio: list[dict]) -> str:
    """SVG: horizontal bars of breached targets per SLA (the 25 with most breaches)."""
    worst = sorted((a for a in portfolio if a["breaches"]),
                   key=lambda a: (-a["breaches"], a["reference"]))[:25]
    if not worst:
        return f"<p>{escape(_('No SLA breached a target in this period.'))}</p>"
    most = max(a["breaches"] for a in worst)
    row, left, width = 20, 130, 300
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 40}" '
             f'height="{row * len(worst) + 10}" role="img" '
             f'aria-label="{escape(_("breaches per SLA"))}">']
    for i, a in enumerate(worst):
        w = a["breaches"] / most * width
        parts.append(f'<text x="{left - 6}" y="{i * row + 15}" font-size="11" '
                     f'text-anchor="end">{escape(a["reference"])}</text>'
                     f'<rect x="{left}" y="{i * row + 4}" width="{w:.1f}" height="{row - 6}" '
                     f'fill="#c62828"/><text x="{left + w + 4:.1f}" y="{i * row + 15}" '
                     f'font-size="11">{a["breaches"]}</text>')
    return "".join(parts) + "</svg>"


def management_html(content: dict, generated: str) -> str:
    """The portfolio report: every active SLA with attainment, breaches, cost and trend."""
    portfolio, tot = content["slas"], totals(content["slas"])
    rows = []
    for a in portfolio:
        lines = "<br>".join(
            f"<span class=\"{_cls(t['status'])}\">{escape(t['name'])}: "
            f"{escape(fmt(t['attained'], t['unit']))} ({escape(target_text(t))}, "
            f"{status_text(t)}); {escape(_('trend %(trend)s', trend=trend_text(t)))}</span>"
            for t in a["targets"])
        if a.get("problem"):
            lines = (f"<span class=\"breached\">"
                     f"{escape(_('not computed: %(problem)s', problem=a['problem']))}</span>")
        rows.append(
            f"<tr><td>{a['priority']}</td><td>{escape(a['reference'])}</td>"
            f"<td>{escape(a['organisation'])}</td><td>{escape(a['service'])}</td>"
            f"<td>{escape(a['level'] or '')}</td><td>{a['monthly_cost'] or ''}</td>"
            f"<td>{lines}</td><td>{a['breaches']}</td><td>{a['observation_count']}</td></tr>")
    heads = "".join(f"<th>{escape(h)}</th>" for h in (
        _("Priority"), _("SLA"), _("Organisation"), _("Service"), _("Level"), _("Monthly cost"),
        _("Attainment per target"), _("Breaches"), _("Observations")))
    body = (
        f"<p class=\"meta\">{escape(_('Generated %(when)s', when=generated))}</p>\n"
        f"<h2>{escape(_('Summary'))}</h2><p>{escape(portfolio_summary(tot))}</p>\n"
        f"<h2>{escape(_('Breaches per SLA'))}</h2>{_breach_chart(portfolio)}\n"
        f"<h2>{escape(_('Portfolio'))}</h2><table><tr>{heads}</tr>{''.join(rows)}</table>\n")
    return _page(management_title(content["period_start"], content["period_end"]), body)
