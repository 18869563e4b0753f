"""Requirements for the provider's staff: every customer's service level requirements and
each one's page (need, wishes and their clarifications, options, SLA, open tasks, process
record and conversation). Managers and process owners read them here and work their tasks
on the task pages; auditors read. Customers have their own pages (web.portal)."""
from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from sqlalchemy import func, select

from engine.i18n import N_, _
from handlers.auditlog.subjects import instances_of
from handlers.requirements.models import ServiceLevelRequirement

from .. import db_session
from ..agreements.queries import STATUS_COLOURS
from ..auth.access import roles_required
from ..conversations.threads import thread_context
from ..portal import queries

bp = Blueprint("requirements", __name__, url_prefix="/requirements")
STAFF = ("Service Level Manager", "Process Owner", "Auditor")
PER_PAGE = 25
#: the customer's words for a stage (web.portal.queries.STAGES) -> the staff's
STAFF_WORDS = {N_("We are clarifying your wishes"): N_("Clarifying the customer's wishes"),
               N_("We are revising the SLA"): N_("Revising the SLA"),
               N_("We are looking into a problem"): N_("A step failed: an incident is open"),
               N_("Awaiting approval"): N_("Waiting for approval")}


def staff_words(label: str) -> str:
    """A stage's label (in the reader's language) in the staff's words."""
    for customer_words, staff in STAFF_WORDS.items():
        if label in (customer_words, _(customer_words)):
            return _(staff)
    return label


bp.add_app_template_filter(staff_words, "staff_words")


@bp.get("")
@roles_required(*STAFF)
def index():
    session = db_session()
    page = max(1, min(request.args.get("page", 1, type=int) or 1, 10_000))
    total = session.scalar(select(func.count()).select_from(ServiceLevelRequirement))
    items = list(session.scalars(select(ServiceLevelRequirement).order_by(
        ServiceLevelRequirement.id.desc()).offset((page - 1) * PER_PAGE).limit(PER_PAGE)))
    stages = {slr.id: queries.stage(session, slr, queries.sla_of(session, slr))
              for slr in items}
    return render_template("requirements/index.html", requirements=items, stages=stages,
                           colours=STATUS_COLOURS, page=page,
                           pages=max(1, -(-total // PER_PAGE)))


@bp.get("/<int:slr_id>")
@roles_required(*STAFF)
def show(slr_id: int):
    session = db_session()
    slr = session.get(ServiceLevelRequirement, slr_id)
    if slr is None:
        abort(404)
    sla = queries.sla_of(session, slr)
    return render_template("requirements/show.html", slr=slr, sla=sla,
                           stage=queries.stage(session, slr, sla),
                           service=queries.requested_service(session, slr),
                           wishes=queries.wishes(slr), assessment=queries.assessment(slr),
                           options=queries.options(slr), colours=STATUS_COLOURS,
                           metrics=queries.metric_map(session),
                           names=queries.answerers(session, slr),
                           instances=instances_of(session, slr),
                           thread=thread_context(session, "requirement", slr.id))
