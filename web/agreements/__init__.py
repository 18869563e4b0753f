"""SLAs for the provider's staff: every SLA with filters, and each SLA's versions and diffs.

Managers and process owners read them here and work the SLA's tasks on the task pages;
auditors read everything. Customers have their own pages (web.portal), scoped to their
organisation.
"""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request

from engine.clock import utcnow
from handlers.agreements.models import ServiceLevelAgreement
from handlers.auditlog.subjects import instances_of_sla
from handlers.delivery.health import health_of

from .. import db_session
from ..auth.access import roles_required
from .queries import STATUS_COLOURS, filter_choices, sla_context, sla_page

bp = Blueprint("agreements", __name__, url_prefix="/slas")
STAFF = ("Service Level Manager", "Process Owner", "Auditor")
PER_PAGE = 20


def get_or_404(model, ident: int):
    row = db_session().get(model, ident)
    if row is None:
        abort(404)
    return row


@bp.get("")
@roles_required(*STAFF)
def index():
    args = request.args
    filters = {"status": args.get("status") or None,
               "organisation_id": args.get("organisation", type=int),
               "service_id": args.get("service", type=int)}
    page = sla_page(db_session(), **filters, page=args.get("page", 1, type=int),
                    per_page=PER_PAGE)
    query = {k: v for k, v in (("status", filters["status"]),
                               ("organisation", filters["organisation_id"]),
                               ("service", filters["service_id"])) if v}
    return render_template("agreements/index.html", page=page, query=query,
                           choices=filter_choices(db_session()), colours=STATUS_COLOURS,
                           healths=health_of(db_session(), page.items, utcnow()))


@bp.get("/<int:sla_id>")
@roles_required(*STAFF)
def show(sla_id: int):
    sla = get_or_404(ServiceLevelAgreement, sla_id)
    session = db_session()
    context = sla_context(session, sla, request.args.get("a"), request.args.get("b"))
    return render_template("agreements/show.html", **context, colours=STATUS_COLOURS,
                           instances=instances_of_sla(session, sla))
