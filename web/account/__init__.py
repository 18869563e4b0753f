"""The signed-in user's own account: their API tokens (create: shown once; revoke), their
signed-in sessions (see them; end one or all others), their password (``passwords``), and
the links mailed to people who are not signed in: invitation and password reset (``links``)."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from engine.clock import utcnow
from engine.errors import NotFoundError
from engine.i18n import N_, _, ngettext
from handlers.errors import ValidationError
from handlers.people import operations as people
from handlers.people import sessions as user_sessions
from handlers.people import tokens as api_tokens

from .. import db_session
from ..auth.access import ALL_ROLES, idle_limit, roles_required

bp = Blueprint("account", __name__, url_prefix="/account")
#: what the token form offers: days until the token expires ("" = until revoked)
EXPIRY_CHOICES = (("", N_("never (until revoked or a new password)")), ("30", N_("in 30 days")),
                  ("90", N_("in 90 days")), ("365", N_("in a year")))
EXPIRY_DAYS = tuple(value for value, _ in EXPIRY_CHOICES)


def _page(new_token: str | None = None, errors: dict | None = None, name: str = "",
          expires: str = "", status: int = 200):
    tokens = [t for t, _ in api_tokens.list_tokens(db_session(), current_user.id)]
    return render_template("account/tokens.html", tokens=tokens, new_token=new_token,
                           errors=errors or {}, name=name, expires=expires,
                           expiry_choices=[(v, _(t)) for v, t in EXPIRY_CHOICES], now=utcnow(),
                           max_name=api_tokens.MAX_NAME), status


@bp.get("/tokens")
@roles_required(*ALL_ROLES)
def tokens():
    return _page()


@bp.post("/tokens")
@roles_required(*ALL_ROLES)
def create_token():
    session, name = db_session(), request.form.get("name", "")
    expires, now = request.form.get("expires", ""), utcnow()
    if expires not in EXPIRY_DAYS:
        return _page(errors={"expires": ["choose one of the offered periods"]}, name=name,
                     status=400)
    user = people.get_user(session, current_user.id)
    try:
        _, token = api_tokens.create_token(
            session, user, name, now, actor=current_user.username,
            expires_at=now + timedelta(days=int(expires)) if expires else None)
    except ValidationError as exc:
        session.rollback()
        return _page(errors=exc.errors, name=name, expires=expires, status=400)
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
    flash(_("The token “%(name)s” is revoked: it no longer works.", name=token.name), "success")
    return redirect(url_for("account.tokens"))


@bp.get("/sessions")
@roles_required(*ALL_ROLES)
def sessions():
    rows = user_sessions.live_sessions(db_session(), current_user.id, utcnow(), idle_limit())
    return render_template("account/sessions.html", sessions=rows,
                           current_id=current_user.session_id, idle=idle_limit())


@bp.post("/sessions/<int:session_id>/end")
@roles_required(*ALL_ROLES)
def end_session(session_id: int):
    session = db_session()
    try:
        user_sessions.end_session(session, session_id, current_user.id, utcnow())
    except NotFoundError:
        abort(404)
    session.commit()
    flash(_("That session is ended: the browser using it is signed out."), "success")
    return redirect(url_for("account.sessions"))


@bp.post("/sessions/end-others")
@roles_required(*ALL_ROLES)
def end_other_sessions():
    session = db_session()
    count = user_sessions.end_sessions(session, current_user.id, utcnow(),
                                       keep=current_user.session_id)
    session.commit()
    flash(ngettext("%(num)s other session ended.", "%(num)s other sessions ended.", count),
          "success")
    return redirect(url_for("account.sessions"))


from . import links, passwords, preferences  # noqa: E402,F401  (views on bp)


@bp.record_once
def _install_forced_change(state) -> None:
    state.app.before_request(passwords.force_change)
