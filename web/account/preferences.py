"""The signed-in person's language and time zone (their profile settings)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from engine.clock import utcnow
from engine.i18n import LANGUAGE_NAMES, LANGUAGES, _, use_language
from handlers.people import operations as people
from handlers.people.preferences import set_preferences

from .. import db_session
from ..auth.access import ALL_ROLES, roles_required
from ..i18n import default_time_zone, time_zones
from . import bp


@bp.route("/preferences", methods=["GET", "POST"])
@roles_required(*ALL_ROLES)
def preferences():
    db = db_session()
    user = people.get_user(db, current_user.id)
    values = {"language": user.language or "", "time_zone": user.time_zone or ""}
    errors, status = {}, 200
    if request.method == "POST":
        values = {k: request.form.get(k, "")[:60] for k in ("language", "time_zone")}
        errors = set_preferences(db, user, values["language"], values["time_zone"],
                                 now=utcnow())
        if not errors:
            db.commit()
            # the confirmation is already in the language just chosen
            chosen = user.language or request.accept_languages.best_match(LANGUAGES)
            with use_language(chosen):
                flash(_("Your language and time zone are saved."), "success")
            return redirect(url_for("account.preferences"))
        db.rollback()
        status = 400
    return render_template(
        "account/preferences.html", values=values, errors=errors,
        language_options=list(LANGUAGE_NAMES.items()), zones=time_zones(),
        default_zone=default_time_zone()), status
