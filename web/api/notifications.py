"""GET /api/v1/notifications (the caller's, newest first) and POST .../{id}/read."""
from __future__ import annotations

from flask import abort
from flask_login import current_user

from engine.clock import utcnow
from engine.errors import NotFoundError
from handlers.notifications import operations as notes

from .. import db_session
from ..auth.access import ALL_ROLES, roles_required
from . import V1, bp, iso, ok, page_body, paging


def _body(n) -> dict:
    return {"id": n.id, "kind": n.kind, "title": n.title, "body": n.body, "link": n.link,
            "created_at": iso(n.created_at), "read_at": iso(n.read_at)}


@bp.get(f"{V1}/notifications")
@roles_required(*ALL_ROLES)
def notifications():
    page, per_page = paging()
    session = db_session()
    listing = notes.list_notifications(session, current_user.id, page, per_page)
    return ok(page_body([_body(n) for n in listing.items], page, per_page, listing.total,
                        unread=notes.unread_count(session, current_user.id)))


@bp.post(f"{V1}/notifications/<int:notification_id>/read")
@roles_required(*ALL_ROLES)
def read_notification(notification_id: int):
    session = db_session()
    try:
        n = notes.mark_read(session, current_user.id, notification_id, utcnow())
    except NotFoundError:
        abort(404)
    session.commit()
    return ok(_body(n))
