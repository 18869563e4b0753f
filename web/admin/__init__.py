"""Administration: users, their roles and passwords, customer organisations.

Admins change them; auditors may read the lists (who holds which role is audit evidence).
"""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from engine.clock import utcnow
from engine.i18n import N_, _
from handlers.errors import ValidationError
from handlers.people import account_links
from handlers.people import operations as people
from handlers.people import roles as people_roles

from .. import db_session
from ..auth.access import roles_required

bp = Blueprint("admin", __name__, url_prefix="/admin")
PER_PAGE = 25
KIND_OPTIONS = (("customer", N_("Customer (agrees SLAs)")),
                ("provider", N_("Provider (the IT organisation)")))


def _user_form() -> tuple[dict, dict]:
    """The submitted user form as handler arguments, and errors only the web can see."""
    form = request.form
    values = {
        "display_name": form.get("display_name", ""),
        "email": form.get("email", ""),
        "roles": form.getlist("roles"),
        "organisation": form.get("organisation") or None,
        "active": form.get("active") == "on",
        "password": form.get("password", ""),
    }
    errors = {}
    if values["password"] != form.get("password_confirm", ""):
        errors["password_confirm"] = [_("the two passwords differ")]
    return values, errors


def _audited() -> dict:
    """Who and when, for the audit log of the handler call."""
    return {"actor": current_user.username, "now": utcnow()}


def _save(action, values: dict, web_errors: dict):
    """Run ``action``; on any error roll back and return the errors (field -> messages)."""
    session = db_session()
    try:
        result = action()
    except ValidationError as exc:
        session.rollback()
        return None, {**web_errors, **exc.errors}
    if web_errors:
        session.rollback()
        return None, web_errors
    session.commit()
    return result, {}


def _must_change(user, values: dict):
    """An admin gave ``user`` a password: they must choose their own at the next sign-in
    (not when admins set their own)."""
    if values.get("password") and user.id != current_user.id:
        account_links.require_change(db_session(), user.id)
    return user


def role_choices(held=()) -> list[str]:
    """The roles an admin may give: the active ones, and those the person holds already."""
    session = db_session()
    return [r.name for r in people_roles.list_roles(session)
            if r.retired_at is None or r.name in held]


def _render_user_form(user, values: dict, errors: dict, status: int = 200):
    options = [(o.id, f"{o.name} ({o.kind})") for o in people.list_organisations(db_session())]
    held = user.role_set if user is not None else ()
    return render_template("admin/user_form.html", user=user, values=values, errors=errors,
                           roles=role_choices(held), organisation_options=options,
                           min_password=people.MIN_PASSWORD), status


@bp.get("/users")
@roles_required("Admin", "Auditor")
def users():
    page = people.list_users(db_session(), request.args.get("page", 1, type=int), PER_PAGE)
    return render_template("admin/users.html", page=page)


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required("Admin")
def new_user():
    if request.method == "GET":
        return _render_user_form(None, {"active": True, "roles": []}, {})
    values, errors = _user_form()
    values["username"] = request.form.get("username", "")
    user, errors = _save(lambda: _must_change(
        people.create_user(db_session(), **values, **_audited()), values), values, errors)
    if errors:
        return _render_user_form(None, values, errors, 400)
    flash(_("User %(username)s created.", username=user.username), "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required("Admin")
def edit_user(user_id: int):
    user = people.get_user(db_session(), user_id)
    if request.method == "GET":
        values = {"display_name": user.display_name, "email": user.email,
                  "roles": sorted(user.role_set), "organisation": user.organisation_id,
                  "active": user.active}
        return _render_user_form(user, values, {})
    values, errors = _user_form()
    _saved, errors = _save(lambda: _must_change(people.update_user(
        db_session(), user_id, **values, acting_user_id=current_user.id, **_audited()),
        values), values, errors)
    if errors:
        return _render_user_form(user, values, errors, 400)
    flash(_("User %(username)s saved", username=user.username)
          + (_(" with a new password.") if values["password"] else "."), "success")
    return redirect(url_for("admin.users"))


@bp.route("/organisations", methods=["GET", "POST"])
@roles_required("Admin", "Auditor")  # auditors: GET only (central rule)
def organisations():
    values, errors, status = {"kind": "customer"}, {}, 200
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in ("key", "name", "kind")}
        org, errors = _save(
            lambda: people.create_organisation(db_session(), **values, **_audited()),
            values, {})
        if not errors:
            flash(_("Organisation %(name)s created.", name=org.name), "success")
            return redirect(url_for("admin.organisations"))
        status = 400
    session = db_session()
    return render_template("admin/organisations.html", values=values, errors=errors,
                           organisations=people.list_organisations(session),
                           user_counts=people.organisation_user_counts(session),
                           kind_options=[(k, _(v)) for k, v in KIND_OPTIONS]), status
from . import invitations, outbox, roles  # noqa: E402,F401  (views on bp)
