"""The signed-in user's own account: their API tokens (create: shown once; revoke), their
password (``passwords``), and the links mailed to people who are not signed in: invitation
and password reset (``links``)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from engine.clock import utcnow
from engine.errors import NotFoundError
from handlers.errors import ValidationError
from handlers.people import operations as people
from handlers.people import tokens as api_tokens

from .. import db_session
from ..auth.access import ALL_ROLES, roles_required

bp = Blueprint("account", __name__, url_prefix="/account")


def _page(new_token: str | None = None, errors: dict | None = None, name: str = "",
          status: int = 200):
    tokens = [t for t, _ in api_tokens.list_tokens(db_session(), current_user.id)]
    return render_template("account/tokens.html", tokens=tokens, new_token=new_token,
                           errors=errors or {}, name=name,
                           max_name=api_tokens.MAX_NAME), status


@bp.get("/tokens")
@roles_required(*ALL_ROLES)
def tokens():
    return _page()


@bp.post("/tokens")
@roles_required(*ALL_ROLES)
def create_token():
    session, name = db_session(), request.form.get("name", "")
    user = people.get_user(session, current_user.id)
    try:
        _, token = api_tokens.create_token(session, user, name, utcnow(),
                                           actor=current_user.username)
    except ValidationError as exc:
        session.rollback()
        return _page(errors=exc.errors, name=name, status=400)
    session.commit()
    # shown on this response only: never stored, never in a redirect or flash message
    return _page(new_token=token)


@bp.post("/tokens/<int:token_id>/revoke")
@roles_required(*ALL_ROLES)
def revoke_token(token_id: int):
    session = db_session()
    try:
        token = api_tokens.revoke_token(session, token_id, utcnow(), user_id=current_user.id,
                                        actor=current_user.username)
    except NotFoundError:
        abort(404)
    session.commit()
    flash(f"The token “{token.name}” is revoked: it no longer works.", "success")
    return redirect(url_for("account.tokens"))


from . import links, passwords  # noqa: E402,F401  (views on bp)


@bp.record_once
def _install_forced_change(state) -> None:
    state.app.before_request(passwords.force_change)
