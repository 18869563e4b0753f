"""The management report: portfolio figures and charts (attainment per SLA, breaches, cost,
priority, trend), generating a new one, its PDF, and the reports made before."""
from __future__ import annotations

import json

from flask import abort, flash, redirect, render_template, request, url_for

from engine.clock import utcnow
from engine.i18n import _
from handlers.delivery.periods import period_before
from handlers.paging import Page
from handlers.reports.models import ManagementReport
from handlers.reports.operations import management_report as build_management_report
from handlers.reports.staleness import changed_since

from .. import db_session
from ..auth.access import roles_required
from ..delivery.periods import label, parse_period
from ..downloads import attachment
from . import EDITORS, PER_PAGE, READERS, bp, charts, queries

RECENT = 5


def _render(report: ManagementReport | None, values: dict, errors: dict, status: int = 200):
    session = db_session()
    content = json.loads(report.content) if report is not None else {}
    slas = content.get("slas", [])
    number = request.args.get("page", 1, type=int)
    pages = max(1, -(-len(slas) // PER_PAGE))
    number = min(max(1, number), pages)
    table = slas[(number - 1) * PER_PAGE:number * PER_PAGE]
    return render_template(
        "reports/management.html", report=report, content=content,
        charts=charts.portfolio_charts(content) if content else {},
        page=Page(table, number, PER_PAGE, len(slas)),
        recent=queries.management_reports_page(session, 1, RECENT),
        changed=changed_since(session, report.period_start, report.period_end,
                              report.created_at) if report is not None else None,
        values=values, errors=errors), status


def _default_values() -> dict:
    return {"period": label(*period_before(utcnow(), 1))}


def _latest() -> ManagementReport | None:
    report_id = queries.latest_management_report_id(db_session())
    return db_session().get(ManagementReport, report_id) if report_id else None


@bp.get("/management")
@roles_required(*READERS)
def management():
    return _render(_latest(), _default_values(), {})


@bp.get("/management/<int:report_id>")
@roles_required(*READERS)
def management_report(report_id: int):
    return _render(_load(report_id), _default_values(), {})


@bp.post("/management")
@roles_required(*EDITORS)
def generate():
    values = {"period": (request.form.get("period") or "").strip()}
    if not values["period"]:
        errors = {"period": ["give the period to report on, e.g. 2026-02 or 2026-Q1"]}
        return _render(_latest(), values, errors, 400)
    try:
        start, end = parse_period(values["period"], utcnow())
    except ValueError as exc:
        return _render(_latest(), values, {"period": [str(exc)]}, 400)
    now = utcnow()
    if start > now.date():
        return _render(_latest(), values, {"period": [_("%(period)s has not begun yet: "
                                                        "report on a period that has",
                                                        period=values['period'])]}, 400)
    session = db_session()
    report = build_management_report(session, start, end, now)
    session.commit()
    flash(_("Management report for %(label)s generated.", label=label(start, end)), "success")
    return redirect(url_for("reports.management_report", report_id=report.id))


@bp.get("/management/<int:report_id>.pdf")
@roles_required(*READERS)
def management_pdf(report_id: int):
    report = _load(report_id)
    return attachment(report.pdf, "application/pdf",
                      f"management-report-{report.period_start}-{report.period_end}.pdf")


@bp.get("/management/reports")
@roles_required(*READERS)
def history():
    page = queries.management_reports_page(db_session(), request.args.get("page", 1, type=int),
                                           PER_PAGE)
    return render_template("reports/history.html", page=page)


def _load(report_id: int) -> ManagementReport:
    report = db_session().get(ManagementReport, report_id)
    if report is None:
        abort(404)
    return report
