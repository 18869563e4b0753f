"""Reviews (list, detail with the customer reports), improvement proposals, change requests."""
from __future__ import annotations

import json

from flask import abort, render_template, request

from handlers.auditlog.subjects import instances_of
from handlers.outputs.models import ChangeRequest, DesignSpecification
from handlers.reviews.models import ImprovementProposal, Review

from .. import db_session
from ..auth.access import roles_required
from ..conversations.threads import thread_context
from . import PER_PAGE, READERS, bp, queries


def _args(statuses: tuple) -> tuple[str | None, int]:
    """The ``status`` filter (ignored unless known) and the page number of the request."""
    status = request.args.get("status") or None
    return (status if status in statuses else None), request.args.get("page", 1, type=int)


@bp.get("/reviews")
@roles_required(*READERS)
def index():
    status, number = _args(queries.REVIEW_STATUSES)
    page = queries.reviews_page(db_session(), status, number, PER_PAGE)
    return render_template("reviews/index.html", page=page, status=status,
                           statuses=queries.REVIEW_STATUSES)


@bp.get("/reviews/<int:review_id>")
@roles_required(*READERS)
def detail(review_id: int):
    session = db_session()
    review = session.get(Review, review_id)
    if review is None:
        abort(404)
    return render_template("reviews/detail.html", review=review,
                           att=json.loads(review.attainment or "{}"),
                           reports=queries.reports_of(session, review.id),
                           proposals=queries.proposals_of(session, review.id),
                           instances=instances_of(session, review),
                           thread=thread_context(session, "review", review.id))


@bp.get("/improvements")
@roles_required(*READERS)
def proposals():
    status, number = _args(queries.PROPOSAL_STATUSES)
    page = queries.proposals_page(db_session(), status, number, PER_PAGE)
    return render_template("reviews/proposals.html", page=page, status=status,
                           statuses=queries.PROPOSAL_STATUSES)


@bp.get("/change-requests")
@roles_required(*READERS)
def change_requests():
    status, number = _args(queries.CHANGE_STATUSES)
    page = queries.change_requests_page(db_session(), status, number, PER_PAGE)
    return render_template("reviews/change_requests.html", page=page, status=status,
                           statuses=queries.CHANGE_STATUSES)


@bp.get("/change-requests/<int:change_id>")
@roles_required(*READERS)
def change_request(change_id: int):
    """One change request: what it asks, where it came from, its process and conversation."""
    session = db_session()
    change = session.get(ChangeRequest, change_id)
    if change is None:
        abort(404)
    proposal = session.get(ImprovementProposal, change.proposal_id) if change.proposal_id \
        else None
    spec = session.get(DesignSpecification, change.design_spec_id) if change.design_spec_id \
        else None
    return render_template("reviews/change_request.html", change=change, proposal=proposal,
                           spec=spec, instances=instances_of(session, change),
                           thread=thread_context(session, "change_request", change.id))
