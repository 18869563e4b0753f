"""Links sent by mail, for people who are not signed in: accept an invitation (choose a
first password), ask for a password reset, reset with the link. Public by nature: the
token in the link is the proof. A used or expired link is refused with a clear message;
asking for a reset answers the same whether or not the address exists."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, url_for

from engine.clock import utcnow
from engine.i18n import N_, _
from handlers.errors import ValidationError
from handlers.people import account_links
from handlers.people import operations as people

from .. import db_session
from ..auth.access import public
from . import bp

TITLES = {"invite": N_("Accept your invitation"), "reset": N_("Choose a new password")}


def _set_password(purpose: str, token: str):
    db, now = db_session(), utcnow()
    token = token[:200]
    try:
        account_links.check_link(db, purpose, token, now)
    except account_links.LinkError as exc:
        return render_template("account/link.html", title=_(TITLES[purpose]), refused=str(exc),
                               errors={}, min_password=people.MIN_PASSWORD), 410
    errors = {}
    if request.method == "POST":
        form = request.form
        try:
            user = account_links.redeem(db, purpose, token, form.get("password", ""),
                                        form.get("password_confirm", ""), now=now)
        except ValidationError as exc:
            db.rollback()
            errors = exc.errors
        except account_links.LinkError as exc:
            db.rollback()
            return render_template("account/link.html", title=_(TITLES[purpose]),
                                   refused=str(exc), errors={},
                                   min_password=people.MIN_PASSWORD), 410
        else:
            db.commit()
            flash(_("Your password is set, %(display_name)s. Sign in with it now.",
                    display_name=user.display_name),
                  "success")
            return redirect(url_for("auth.login"))
    return render_template("account/link.html", title=_(TITLES[purpose]), refused=None,
                           errors=errors, min_password=people.MIN_PASSWORD
                           ), 400 if errors else 200


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str):
    return _set_password("invite", token)


@bp.route("/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    return _set_password("reset", token)


@bp.route("/reset", methods=["GET", "POST"])
@public
def request_reset():
    if request.method == "POST":
        db = db_session()
        hours = current_app.extensions["slm"].settings.link_hours
        account_links.request_reset(db, request.form.get("email", "")[:300], now=utcnow(),
                                    lifetime=timedelta(hours=min(hours, 24)))
        db.commit()
        return render_template("account/reset_request.html", sent=True)
    return render_template("account/reset_request.html", sent=False)
