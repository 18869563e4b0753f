"""Signing in and out."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user

from handlers.people.operations import authenticate

from .. import db_session
from .access import ALL_ROLES, LoginUser, public, roles_required

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never another host (open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    next_url = request.values.get("next", "")
    if current_user.is_authenticated:
        return redirect(_safe_next(next_url))
    if request.method == "GET":
        return render_template("auth/login.html", next=next_url, username="")
    username = request.form.get("username", "").strip()
    user = authenticate(db_session(), username, request.form.get("password", ""))
    if user is None:
        error = "Wrong username or password, or the account is disabled."
        return render_template("auth/login.html", next=next_url, username=username,
                               error=error), 401
    db_session().commit()  # authenticate may have upgraded the password hash
    session.clear()  # a fresh session (and CSRF token) for the signed-in user
    login_user(LoginUser(user))
    flash(f"Welcome, {user.display_name}.", "success")
    return redirect(_safe_next(next_url))


@bp.post("/logout")
@roles_required(*ALL_ROLES)
def logout():
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
