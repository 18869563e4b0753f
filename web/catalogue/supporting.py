"""What a service depends on: its supporting processes (mission rule 5: a service is ready
for targets only when every required one is defined, with an owner and an OLA or
underpinning contract) and the configuration items it runs on."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from engine.clock import utcnow
from engine.i18n import _
from handlers.catalogue import operations as catalogue
from handlers.catalogue.models import SUPPORTING_KINDS, ConfigurationItem, Service

from .. import db_session
from ..auth.access import roles_required
from . import EDITORS, bp, forms
from .services import load, render_service


def _supporting_page(svc, values: dict, errors: dict, status: int = 200):
    ready, missing = catalogue.readiness(db_session(), svc)
    return render_template("catalogue/supporting.html", service=svc, values=values,
                           errors=errors, ready=ready, missing=missing,
                           kind_options=[(k, k) for k in SUPPORTING_KINDS]), status


@bp.route("/services/<int:service_id>/supporting", methods=["GET", "POST"])
@roles_required(*EDITORS)
def supporting(service_id: int):
    svc = load(Service, service_id)
    if request.method == "GET":
        kind = request.args.get("kind", "")
        known = next((p for p in svc.supporting if p.kind == kind), None)
        values = {"kind": kind, "required": True}
        if known is not None:
            values.update(owner=known.owner, agreement=known.agreement, required=known.required)
        return _supporting_page(svc, values, {})
    values = forms.supporting_values(request.form)
    session = db_session()
    process, errors = forms.save(session, lambda: catalogue.define_supporting_process(
        session, svc, values["kind"], values["owner"], values["agreement"], utcnow(),
        values["required"]))
    if errors:
        return _supporting_page(svc, values, errors, 400)
    flash(_("Supporting process %(kind)s of %(name)s defined.",
            kind=process.kind,
            name=svc.name), "success")
    return redirect(url_for("catalogue.service", service_id=svc.id))


@bp.post("/services/<int:service_id>/cis")
@roles_required(*EDITORS)
def link_ci(service_id: int):
    svc = load(Service, service_id)
    ci_id = request.form.get("ci_id", type=int)
    ci = db_session().get(ConfigurationItem, ci_id) if ci_id else None
    if ci is None:
        return render_service(svc, {"ci_id": ["choose a configuration item to link"]}, 400)
    catalogue.link_ci(db_session(), svc, ci)
    db_session().commit()
    flash(_("%(name)s now runs on %(key)s (%(name2)s).",
            name=svc.name,
            key=ci.key,
            name2=ci.name), "success")
    return redirect(url_for("catalogue.service", service_id=svc.id))


@bp.post("/services/<int:service_id>/cis/unlink")
@roles_required(*EDITORS)
def unlink_ci(service_id: int):
    svc = load(Service, service_id)
    ci_id = request.form.get("ci_id", type=int)
    ci = next((c for c in svc.cis if c.id == ci_id), None)
    if ci is None:
        return render_service(svc, {"unlink": ["choose a linked configuration item"]}, 400)
    catalogue.unlink_ci(db_session(), svc, ci)
    db_session().commit()
    flash(_("%(key)s unlinked from %(name)s.", key=ci.key, name=svc.name), "success")
    return redirect(url_for("catalogue.service", service_id=svc.id))
