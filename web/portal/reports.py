"""The organisation's service performance reports: the list, each report, its PDF.

A report is a self-contained HTML document (its own styles, inline SVG charts). The report
page shows it in a sandboxed frame, so its styles cannot touch the page and nothing in it
can run; ``report_document`` serves it for that frame under a policy that allows nothing
but its inline styles and images.
"""
from __future__ import annotations

import re

from flask import abort, make_response, render_template

from handlers.agreements.models import ServiceLevelAgreement
from handlers.reports.models import CustomerReport

from .. import db_session
from ..auth.access import check_organisation, roles_required
from ..conversations.threads import thread_context
from ..downloads import attachment
from . import CUSTOMER, bp, organisation_id, queries

DOCUMENT_POLICY = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                   "frame-ancestors 'self'; sandbox")


def _report(report_id: int) -> tuple[CustomerReport, ServiceLevelAgreement]:
    report = db_session().get(CustomerReport, report_id)
    if report is None:
        abort(404)
    sla = db_session().get(ServiceLevelAgreement, report.sla_id)
    check_organisation(sla.organisation_id)
    return report, sla


def file_name(report: CustomerReport, sla: ServiceLevelAgreement) -> str:
    stem = re.sub(r"[^A-Za-z0-9]+", "-", f"{sla.reference} report {report.id}").strip("-")
    return f"{stem}.pdf"


@bp.get("/reports")
@roles_required(CUSTOMER)
def reports():
    session = db_session()
    org = organisation_id()
    return render_template("portal/reports.html", reports=queries.reports(session, org),
                           slas={s.id: s for s in queries.slas(session, org)})


@bp.get("/reports/<int:report_id>")
@roles_required(CUSTOMER)
def report(report_id: int):
    report, sla = _report(report_id)
    thread = thread_context(db_session(), "review", report.review_id) \
        if report.review_id else None
    return render_template("portal/report.html", report=report, sla=sla, thread=thread)


@bp.get("/reports/<int:report_id>/document")
@roles_required(CUSTOMER)
def report_document(report_id: int):
    report, _sla = _report(report_id)
    response = make_response(report.html)
    response.headers["Content-Security-Policy"] = DOCUMENT_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


@bp.get("/reports/<int:report_id>/pdf")
@roles_required(CUSTOMER)
def report_pdf(report_id: int):
    report, sla = _report(report_id)
    return attachment(report.pdf, "application/pdf", file_name(report, sla))
