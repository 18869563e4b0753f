"""Roles for admins: the list (who holds each, which deployed lanes name it), a new role,
retiring one. Auditors may read the list."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from engine.i18n import _
from engine.lanes import NOT_FOR_LANES, lanes_in_use
from handlers.people import roles as people_roles

from .. import db_session
from ..auth.access import roles_required
from . import _audited, _save, bp


@bp.route("/roles", methods=["GET", "POST"])
@roles_required("Admin", "Auditor")  # auditors: GET only (central rule)
def roles():
    values, errors, status = {}, {}, 200
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in ("name", "description")}
        role, errors = _save(lambda: people_roles.create_role(db_session(), **values,
                                                              **_audited()), values, {})
        if not errors:
            flash(_("Role %(name)s created: lanes may name it, people may be given it.",
                    name=role.name),
                  "success")
            return redirect(url_for("admin.roles"))
        status = 400
    session = db_session()
    rows = people_roles.list_roles(session)
    used = lanes_in_use(session)
    return render_template("admin/roles.html", roles=rows, values=values, errors=errors,
                           holders=people_roles.holder_counts(session), used=used,
                           not_for_lanes=NOT_FOR_LANES), status


@bp.post("/roles/<int:role_id>/retire")
@roles_required("Admin")
def retire_role(role_id: int):
    session = db_session()
    role = people_roles.get_role(session, role_id)
    _saved, errors = _save(lambda: people_roles.retire_role(session, role_id, **_audited()), {}, {})
    if errors:
        flash(_("%(name)s was not retired: %(value)s.",
                name=role.name,
                value=' '.join(errors['role'])), "danger")
    else:
        flash(_("Role %(name)s retired: no new lane may name it and no one is given it.",
                name=role.name),
              "success")
    return redirect(url_for("admin.roles"))
