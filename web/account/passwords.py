"""The signed-in person's password: change it (self-service), and the forced change after
an admin set it (every page leads to the change form until it is done)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user

from engine.clock import utcnow
from engine.i18n import _
from handlers.errors import ValidationError
from handlers.people import account_links
from handlers.people import operations as people
from handlers.people.sessions import start_session

from .. import db_session
from ..auth.access import ALL_ROLES, LoginUser, is_api_request, roles_required
from . import bp

#: what a person who must change their password may still reach
_ALLOWED = frozenset({"account.change_password", "auth.logout", "static", "vendor.asset"})


@bp.route("/password", methods=["GET", "POST"])
@roles_required(*ALL_ROLES)
def change_password():
    db = db_session()
    user = people.get_user(db, current_user.id)
    errors, status = {}, 200
    if request.method == "POST":
        form = request.form
        try:
            account_links.change_own_password(
                db, user, form.get("current", ""), form.get("password", ""),
                form.get("password_confirm", ""), now=utcnow())
        except ValidationError as exc:
            db.rollback()
            errors, status = exc.errors, 400
        else:
            # the new password ended every session of this person (others' browsers too):
            # this browser goes on in a new one
            row, key = start_session(db, user, utcnow(), request.headers.get("User-Agent", ""),
                                     request.remote_addr or "")
            db.commit()
            session.clear()
            login_user(LoginUser(user, key, row.id))
            flash(_("Your password is changed."), "success")
            return redirect(url_for("home.index"))
    return render_template("account/password.html", errors=errors,
                           forced=user.must_change_password,
                           min_password=people.MIN_PASSWORD), status


def force_change():
    """before_request: a person whose password an admin set goes to the change form."""
    if (is_api_request() or not current_user.is_authenticated
            or request.endpoint in _ALLOWED or request.endpoint is None):
        return None
    user = people.get_user(db_session(), current_user.id)
    if user.must_change_password:
        flash(_("An administrator set your password: choose your own to go on."), "warning")
        return redirect(url_for("account.change_password"))
    return None
