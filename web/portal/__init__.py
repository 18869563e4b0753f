"""The customer portal: a customer's requirements, options, SLAs, reports and observations.

Every page is scoped to the signed-in customer's organisation: a record of another
organisation answers 404, exactly like one that does not exist, so guessing ids reveals
nothing. The process steps themselves (choosing an option, reviewing a draft) are human
tasks of the ``sla_agreement`` diagram; the portal completes the choice directly from the
options page and links to the task pages for the rest.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template
from flask_login import current_user

from engine.clock import utcnow
from handlers.delivery.health import active_slas, health_of

from .. import db_session
from ..agreements.queries import STATUS_COLOURS
from ..auth.access import check_organisation, roles_required
from . import queries

bp = Blueprint("portal", __name__, url_prefix="/portal")
CUSTOMER = "Customer"
#: how many of each the overview shows
RECENT = 5


def engine():
    return current_app.extensions["slm"].engine


def scoped(model, ident: int):
    """The ``model`` row if it belongs to the user's organisation, else 404."""
    row = db_session().get(model, ident)
    if row is None:
        abort(404)
    check_organisation(row.organisation_id)
    return row


def organisation_id() -> int:
    """The customer's organisation (a customer without one sees nothing: 404)."""
    if current_user.organisation_id is None:
        abort(404)
    return current_user.organisation_id


@bp.get("")
@roles_required(CUSTOMER)
def index():
    session, org = db_session(), organisation_id()
    return render_template(
        "portal/index.html", colours=STATUS_COLOURS,
        tasks=queries.organisation_tasks(session, current_user.organisation_key),
        requirements=(recent := queries.requirements(session, org, RECENT)),
        stages={slr.id: queries.stage(session, slr, queries.sla_of(session, slr))
                for slr in recent},
        slas=queries.slas(session, org, RECENT), reports=queries.reports(session, org, RECENT),
        health_slas=active_slas(session, org), healths=_healths(session, org))


def _healths(session, org: int) -> dict:
    return health_of(session, active_slas(session, org), utcnow())


from . import agreements, catalogue, reports, requirements  # noqa: E402,F401  (views on bp)
