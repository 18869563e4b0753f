"""Admins invite people by e-mail (the invitee chooses their password) and edit
organisations; an admin-set password must be changed at the next sign-in."""
from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for

from engine.errors import NotFoundError
from engine.i18n import LANGUAGE_NAMES, _
from handlers.people import account_links
from handlers.people import operations as people
from handlers.people.organisations import get_organisation, update_organisation

from .. import db_session
from ..auth.access import roles_required
from . import KIND_OPTIONS, _audited, _save, bp, role_choices


@bp.route("/invite", methods=["GET", "POST"])
@roles_required("Admin")
def invite():
    values, errors, status = {"roles": []}, {}, 200
    if request.method == "POST":
        form = request.form
        values = {"username": form.get("username", ""),
                  "display_name": form.get("display_name", ""),
                  "email": form.get("email", ""), "roles": form.getlist("roles"),
                  "organisation": form.get("organisation") or None}
        hours = current_app.extensions["slm"].settings.link_hours
        user, errors = _save(lambda: account_links.invite(
            db_session(), **values, lifetime=timedelta(hours=hours), **_audited()), values, {})
        if not errors:
            flash(_("%(display_name)s is invited: the link went to %(email)s.",
                    display_name=user.display_name,
                    email=user.email), "success")
            return redirect(url_for("admin.users"))
        status = 400
    options = [(o.id, f"{o.name} ({o.kind})") for o in people.list_organisations(db_session())]
    return render_template("admin/invite.html", values=values, errors=errors, roles=role_choices(),
                           organisation_options=options), status


@bp.route("/organisations/<int:organisation_id>", methods=["GET", "POST"])
@roles_required("Admin")
def edit_organisation(organisation_id: int):
    try:
        org = get_organisation(db_session(), organisation_id)
    except NotFoundError:
        abort(404)
    values, errors, status = {"name": org.name, "kind": org.kind, "language": org.language}, {}, 200
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in ("name", "kind", "language")}
        _saved, errors = _save(lambda: update_organisation(db_session(), organisation_id,
                                                      **values, **_audited()), values, {})
        if not errors:
            flash(_("Organisation %(name)s saved.", name=values['name']), "success")
            return redirect(url_for("admin.organisations"))
        status = 400
    return render_template("admin/organisation_form.html", org=org, values=values,
                           errors=errors, kind_options=[(k, _(v)) for k, v in KIND_OPTIONS],
                           language_options=list(LANGUAGE_NAMES.items())), status
