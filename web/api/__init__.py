"""The JSON API, version 1 (``/api/v1/...``), and its OpenAPI description (``/api/openapi.json``).

Token-authenticated: ``Authorization: Bearer <token>`` (tokens: ``handlers.people.tokens``).
The session cookie does not authenticate under ``/api/`` (web/auth/access.py), so no CSRF
token is needed. Views are as thin as the HTML ones and call the same code: the same role
declarations, the same organisation isolation, the same engine and handler calls. Errors
are JSON ``{"error": message, "errors": {field: [messages]}}`` (web/errors.py); invalid
input is 422.
"""
from __future__ import annotations

from datetime import date, datetime

from flask import Blueprint, abort, jsonify, make_response, request

from engine.clock import utcnow
from engine.i18n import _
from handlers.people.tokens import authenticate_token

from .. import db_session
from ..errors import error_response

bp = Blueprint("api", __name__, url_prefix="/api")
V1 = "/v1"
DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100


def authenticate(req):
    """``app.extensions["slm_api_auth"]``: the user of the request's bearer token, or None."""
    scheme, _, token = req.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    session = db_session()
    user = authenticate_token(session, token.strip(), utcnow())
    if user is not None and session.dirty:
        session.commit()  # last_used_at, before the request's own transaction starts
    return user


def init_api(app) -> None:
    app.extensions["slm_api_auth"] = authenticate
    app.register_blueprint(bp)


# -- helpers for the views -------------------------------------------------------------------
def iso(value: datetime | date | None) -> str | None:
    return value.isoformat() if value is not None else None


def json_object() -> dict:
    """The request's JSON body, which must be an object (400 otherwise)."""
    # not JSON as the body claims (NaN, too deep, NUL: web/inputs.py) -> 400 saying why
    body = request.get_json() if request.is_json else None
    if not isinstance(body, dict):
        abort(make_response(error_response(400, _("The body must be a JSON object "
                                                  "(Content-Type: application/json)."))))
    return body


def invalid(errors: dict, message: str | None = None) -> tuple:
    """422 with the errors by field."""
    message = message or _("Some values are not valid.")
    return error_response(422, message, errors)


def paging() -> tuple[int, int]:
    """``page`` (from 1) and ``per_page`` (1 .. MAX_PER_PAGE) from the query string."""
    page = max(1, request.args.get("page", 1, type=int))
    per_page = request.args.get("per_page", DEFAULT_PER_PAGE, type=int)
    return page, max(1, min(per_page, MAX_PER_PAGE))


def page_body(items: list, page: int, per_page: int, total: int, **extra) -> dict:
    return {"items": items, "page": page, "per_page": per_page, "total": total, **extra}


def ok(body, status: int = 200):
    return jsonify(body), status


from . import (  # noqa: E402,F401 (views on bp)
    eventlogs,
    instances,
    me,
    measurements,
    messages,
    notifications,
    openapi,
    slrs,
    tasks,
)
