"""Services and their levels (each with its monthly cost): list, page, create, edit."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for

from engine.i18n import _
from handlers.catalogue import operations as catalogue
from handlers.catalogue.models import Service, ServiceLevelOption
from handlers.people.models import Organisation

from .. import db_session
from ..auth.access import roles_required
from . import EDITORS, PER_PAGE, READERS, bp, forms, queries

STATUS_OPTIONS = (("draft", "Draft (not offered yet)"), ("live", "Live (customers choose it)"),
                  ("retired", "Retired (no new SLAs)"))


def load(model, ident: int):
    row = db_session().get(model, ident)
    if row is None:
        abort(404)
    return row


@bp.get("/")
@roles_required(*READERS)
def index():
    page = queries.services_page(db_session(), request.args.get("page", 1, type=int), PER_PAGE)
    return render_template("catalogue/index.html", page=page)


@bp.get("/services/<int:service_id>")
@roles_required(*READERS)
def service(service_id: int):
    return render_service(load(Service, service_id))


def render_service(svc: Service, errors: dict | None = None, status: int = 200):
    """The service page; ``errors`` of its small forms (link a CI...) shown at them."""
    session = db_session()
    ready, missing = catalogue.readiness(session, svc)
    customer = session.get(Organisation, svc.organisation_id) if svc.organisation_id else None
    return render_template("catalogue/service.html", service=svc, ready=ready, missing=missing,
                           ci_options=[(ci.id, f"{ci.key} — {ci.name}")
                                       for ci in queries.unlinked_cis(session, svc)],
                           customer=customer,
                           errors=errors or {}), status


def _service_form(svc, values: dict, errors: dict, status: int = 200):
    orgs = [(o.id, o.name) for o in queries.customer_organisations(db_session())]
    return render_template("catalogue/service_form.html", service=svc, values=values,
                           errors=errors, status_options=STATUS_OPTIONS,
                           organisation_options=orgs), status


@bp.route("/services/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def new_service():
    if request.method == "GET":
        return _service_form(None, {"status": "draft"}, {})
    values, errors = forms.service_values(request.form, new=True)
    session = db_session()
    svc, errors = forms.save(session, lambda: catalogue.create_service(session, **values),
                             errors)
    if errors:
        return _service_form(None, values, errors, 400)
    flash(_("Service %(name)s created, with its supporting processes still to define.",
            name=svc.name),
          "success")
    return redirect(url_for("catalogue.service", service_id=svc.id))


@bp.route("/services/<int:service_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit_service(service_id: int):
    svc = load(Service, service_id)
    if request.method == "GET":
        values = {k: getattr(svc, k) for k in ("name", "owner", "description", "status")}
        return _service_form(svc, values, {})
    values, _unused = forms.service_values(request.form, new=False)
    session = db_session()
    _saved, errors = forms.save(session, lambda: catalogue.update_service(session, svc, **values))
    if errors:
        return _service_form(svc, values, errors, 400)
    flash(_("Service %(name)s saved.", name=svc.name), "success")
    return redirect(url_for("catalogue.service", service_id=svc.id))


def _level_form(svc, level, values: dict, errors: dict, status: int = 200):
    return render_template("catalogue/level_form.html", service=svc, level=level,
                           values=values, errors=errors), status


@bp.route("/services/<int:service_id>/levels/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def new_level(service_id: int):
    svc = load(Service, service_id)
    if request.method == "GET":
        rank = max((o.rank for o in svc.options), default=0) + 1
        return _level_form(svc, None, {"rank": rank, "service_hours": "24x7",
                                       "timezone": "UTC"}, {})
    values, errors = forms.level_values(request.form)
    session = db_session()
    level, errors = forms.save(session, lambda: catalogue.create_option(
        session, svc, **forms.option_args(values)), errors)
    if errors:
        return _level_form(svc, None, values, errors, 400)
    flash(_("Level %(name)s of %(name2)s created: now give it measurable targets.",
            name=level.name,
            name2=svc.name),
          "success")
    return redirect(url_for("catalogue.targets", option_id=level.id))


@bp.route("/levels/<int:option_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit_level(option_id: int):
    level = load(ServiceLevelOption, option_id)
    if request.method == "GET":
        values = {k: getattr(level, k) for k in ("name", "rank", "monthly_cost",
                                                 "service_hours", "timezone", "description")}
        return _level_form(level.service, level, values, {})
    values, errors = forms.level_values(request.form)
    session = db_session()
    _saved, errors = forms.save(session, lambda: catalogue.update_option(
        session, level, **forms.option_args(values)), errors)
    if errors:
        return _level_form(level.service, level, values, errors, 400)
    flash(_("Level %(name)s saved.", name=level.name), "success")
    return redirect(url_for("catalogue.service", service_id=level.service_id))
