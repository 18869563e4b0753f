"""Signing in and out."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from engine.clock import utcnow
from engine.i18n import _
from handlers.people.operations import authenticate
from handlers.people.sessions import end_sessions, start_session

from .. import db_session
from ..links import safe_target
from .access import ALL_ROLES, LoginUser, public, roles_required
from .throttle import throttled

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
@public
@throttled
def login():
    next_url = request.values.get("next", "")
    if current_user.is_authenticated:
        return redirect(safe_target(next_url))
    if request.method == "GET":
        return render_template("auth/login.html", next=next_url, username="")
    username = request.form.get("username", "").strip()
    user = authenticate(db_session(), username, request.form.get("password", ""))
    if user is None:
        error = _("Wrong username or password, or the account is disabled.")
        return render_template("auth/login.html", next=next_url, username=username,
                               error=error), 401
    row, key = start_session(db_session(), user, utcnow(),
                             request.headers.get("User-Agent", ""), request.remote_addr or "")
    db_session().commit()  # the session row (and a password hash upgraded by authenticate)
    session.clear()  # a fresh session (and CSRF token) for the signed-in user
    login_user(LoginUser(user, key, row.id))
    flash(_("Welcome, %(display_name)s.", display_name=user.display_name), "success")
    return redirect(safe_target(next_url))


@bp.post("/logout")
@roles_required(*ALL_ROLES)
def logout():
    # every session of this person ends on the server (a copied cookie, another browser);
    # to leave the others open, end just this one on the account's Sessions page
    end_sessions(db_session(), current_user.id, utcnow())
    db_session().commit()
    logout_user()
    session.clear()
    flash(_("You are signed out."), "info")
    return redirect(url_for("auth.login"))
