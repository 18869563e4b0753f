"""Attainment of an SLA per period: attained against target, met or breached, margin, trend,
charts, and the customer's observations beside the numbers (mission rule 1)."""
from __future__ import annotations

from flask import abort, render_template, request
from markupsafe import Markup
from sqlalchemy import func, select

from engine.clock import utcnow
from handlers.agreements.models import ServiceLevelAgreement
from handlers.delivery.attainment import attainment as compute
from handlers.delivery.models import Measurement
from handlers.reports.html import target_chart
from handlers.reports.text import kind_label, period_labels

from .. import db_session
from ..auth.access import check_organisation, roles_required
from . import PER_PAGE, READERS, bp, periods, queries


@bp.get("/attainment")
@roles_required(*READERS)
def index():
    page = queries.slas_page(db_session(), request.args.get("page", 1, type=int), PER_PAGE)
    return render_template("delivery/index.html", page=page)


def _latest_with_data(session, sla) -> str:
    """The month of the SLA's newest measurement up to now ("2026-02"), the current month
    (to date) when there is none: the page opens where there is something to see."""
    now = utcnow()
    newest = session.scalar(select(func.max(Measurement.measured_at)).where(
        Measurement.sla_id == sla.id, Measurement.measured_at <= now))
    return (newest or now).strftime("%Y-%m")


@bp.get("/attainment/<int:sla_id>")
@roles_required(*READERS, "Customer")  # customers: their organisation's SLAs, live
def attainment(sla_id: int):
    session = db_session()
    sla = session.get(ServiceLevelAgreement, sla_id)
    if sla is None:
        abort(404)
    check_organisation(sla.organisation_id)
    raw = request.args.get("period", "") or _latest_with_data(session, sla)
    try:
        start, end = periods.parse_period(raw, utcnow())
    except ValueError as exc:
        return render_template("delivery/attainment.html", sla=sla, att=None, period=raw,
                               errors={"period": [str(exc)]}), 400
    att = compute(session, sla, start, end)
    labels = period_labels(att)
    # report_html escapes every text it puts in the SVG
    charts = {t["metric"]: Markup(target_chart(t, labels)) for t in att["targets"]}
    before, after = periods.neighbours(start, end)
    if periods.parse_period(after, utcnow())[0] > utcnow().date():
        after = None  # no link into the future
    kinds = [kind_label(kind, n) for kind, n in att["observations_by_kind"].items()]
    return render_template("delivery/attainment.html", sla=sla, att=att, charts=charts,
                           labels=labels, period=periods.label(start, end), before=before,
                           after=after, kinds=kinds, errors={})
