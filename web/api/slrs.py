"""Service level requirements: a customer submits one exactly as with the portal's form
(same validation, same start of the agreement process); lists are one organisation's for
customers."""
from __future__ import annotations

import json

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from engine.errors import NotFoundError
from engine.i18n import _
from handlers.errors import ValidationError
from handlers.paging import paginate
from handlers.requirements.models import ServiceLevelRequirement

from .. import db_session
from ..auth.access import roles_required
from ..errors import error_response
from ..portal import CUSTOMER
from ..portal.requirements import UNAVAILABLE, catalogue_service, submit_requirement
from ..portal.slr_form import WISH_FIELDS
from . import V1, bp, invalid, iso, json_object, ok, page_body, paging

#: customers (their organisation's) and the staff who follow agreements (all)
READERS = (CUSTOMER, "Service Level Manager", "Process Owner", "Auditor")


def slr_json(slr: ServiceLevelRequirement) -> dict:
    return {"id": slr.id, "title": slr.title, "need": slr.need, "status": slr.status,
            "organisation": slr.organisation.key, "submitted_by": slr.submitted_by,
            "created_at": iso(slr.created_at), "instance_id": slr.instance_id,
            "service_id": slr.service_id,
            "wishes": json.loads(slr.wishes or "[]"),
            "assessment": json.loads(slr.assessment or "{}"),
            "options": json.loads(slr.options or "[]")}


@bp.get(f"{V1}/slrs")
@roles_required(*READERS)
def slrs():
    page, per_page = paging()
    query = select(ServiceLevelRequirement).order_by(ServiceLevelRequirement.id.desc())
    if current_user.is_customer:
        if current_user.organisation_id is None:
            abort(404)
        query = query.where(
            ServiceLevelRequirement.organisation_id == current_user.organisation_id)
    found = paginate(db_session(), query, page, per_page)
    return ok(page_body([slr_json(s) for s in found.items], found.page, found.per_page,
                        found.total))


def _wishes(raw) -> list | None:
    """The wishes as the portal form gives them: known fields, blanks as None."""
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(w, dict) for w in raw):
        return None
    return [{f: (w.get(f).strip() or None) if isinstance(w.get(f), str) and f != "clarify"
             else w.get(f) for f in WISH_FIELDS} for w in raw]


@bp.post(f"{V1}/slrs")
@roles_required(CUSTOMER)
def submit():
    body, session = json_object(), db_session()
    wishes = _wishes(body.get("wishes"))
    if wishes is None:
        return invalid({"wishes": ["a list of {text, metric, comparator, value, period}"]})
    title, need, key = body.get("title"), body.get("need"), body.get("service")
    service = catalogue_service(key) if isinstance(key, str) and key else None
    if key not in (None, "") and service is None:
        return invalid({"service": ["no live catalogue service has this key"]})
    try:
        slr = submit_requirement(title if isinstance(title, str) else "",
                                 need if isinstance(need, str) else "", wishes,
                                 None if service is None else service.id)
    except ValidationError as exc:
        session.rollback()
        return invalid(exc.errors)
    except NotFoundError:
        session.rollback()
        return error_response(503, _(UNAVAILABLE))
    session.commit()
    return ok(slr_json(slr), 201)
