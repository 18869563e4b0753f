"""The exports page: each output of the process as CSV or JSON, and the customer reports."""
from __future__ import annotations

from flask import Response, abort, render_template, request

from engine.clock import utcnow
from engine.i18n import N_, _
from handlers.outputs.exports import FORMATS, KINDS
from handlers.outputs.exports import export as build_export
from handlers.reports.models import CustomerReport

from .. import db_session
from ..auth.access import roles_required
from ..downloads import attachment
from . import PER_PAGE, READERS, bp, queries

#: kind -> (its name on the page, what it holds); the kind itself names the file and the URL
SHOWN = {
    "cost-data": (N_("Cost data"), N_(
        "Every level of the catalogue with its monthly cost, targets and readiness, and every "
        "active SLA with its agreed cost beside the list price.")),
    "cis": (N_("Configuration items"), N_(
        "Configuration items with the services they support (the columns the CI import reads, "
        "so an export can be edited and imported again).")),
    "design-specs": (N_("Design specifications"), N_(
        "Specifications for designing customer-specific services: requirements, nearest "
        "options, cost estimate.")),
    "customer-reports": (N_("Customer reports"), N_(
        "The customer reports of the reviews: targets, breaches, observations.")),
    "change-requests": (N_("Change requests"), N_(
        "Change requests with where they came from (a proposal, a design specification, or "
        "stand-alone).")),
}
MIMETYPES = {"csv": "text/csv", "json": "application/json"}
REPORT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
              "frame-ancestors 'none'; sandbox")


@bp.get("/reports")
@roles_required(*READERS)
def index():
    page = queries.customer_reports_page(db_session(), request.args.get("page", 1, type=int),
                                         PER_PAGE)
    return render_template("reports/index.html", kinds=KINDS, formats=FORMATS,
                           shown={k: (_(n), _(d)) for k, (n, d) in SHOWN.items()}, page=page)


@bp.get("/reports/exports/<kind>.<fmt>")
@roles_required(*READERS)
def export(kind: str, fmt: str):
    if kind not in KINDS or fmt not in FORMATS:
        abort(404)
    now = utcnow()
    # a person's download: the CSV's headers in their language (the imports read them again)
    body = build_export(db_session(), kind, now).render(fmt, labels=True)
    return attachment(body, f"{MIMETYPES[fmt]}; charset=utf-8",
                      f"slm-{kind}-{now:%Y%m%d-%H%M}.{fmt}")


def _customer_report(report_id: int) -> CustomerReport:
    report = db_session().get(CustomerReport, report_id)
    if report is None:
        abort(404)
    return report


@bp.get("/reports/customer/<int:report_id>")
@roles_required(*READERS)
def customer_report(report_id: int):
    # the stored, self-contained report exactly as the customer gets it (escaped when built);
    # sandboxed, no scripts, nothing loaded: it is a document, not a page of the app
    response = Response(_customer_report(report_id).html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = REPORT_CSP
    return response


@bp.get("/reports/customer/<int:report_id>.pdf")
@roles_required(*READERS)
def customer_report_pdf(report_id: int):
    report = _customer_report(report_id)
    return attachment(report.pdf, "application/pdf", f"customer-report-{report.id}.pdf")
