"""The metric registry (what can be measured, and from where) and the CI register."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from engine.i18n import N_, _
from handlers.catalogue import operations as catalogue
from handlers.catalogue.models import ConfigurationItem, Metric

from .. import db_session
from ..auth.access import roles_required
from . import EDITORS, PER_PAGE, READERS, bp, forms, queries
from .services import load

DIRECTION_OPTIONS = (("higher", N_("Higher is better (availability)")),
                     ("lower", N_("Lower is better (resolution time)")))
AGGREGATION_OPTIONS = (("avg", N_("average")), ("min", N_("minimum")), ("max", N_("maximum")),
                       ("sum", N_("sum")), ("count", N_("count of measurements")))


@bp.get("/metrics")
@roles_required(*READERS)
def metrics():
    page = queries.metrics_page(db_session(), request.args.get("page", 1, type=int), PER_PAGE)
    return render_template("catalogue/metrics.html", page=page)


def _metric_form(metric, values: dict, errors: dict, status: int = 200):
    return render_template("catalogue/metric_form.html", metric=metric, values=values,
                           errors=errors,
                           direction_options=[(k, _(v)) for k, v in DIRECTION_OPTIONS],
                           aggregation_options=[(k, _(v)) for k, v in AGGREGATION_OPTIONS]), status


@bp.route("/metrics/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def new_metric():
    if request.method == "GET":
        return _metric_form(None, {"direction": "higher", "aggregation": "avg"}, {})
    values = forms.metric_values(request.form, new=True)
    session = db_session()
    metric, errors = forms.save(session, lambda: catalogue.create_metric(session, **values))
    if errors:
        return _metric_form(None, values, errors, 400)
    flash(_("Metric %(key)s registered", key=metric.key) + ("." if metric.data_source else
          _(", without a data source: no target may use it until it has one.")), "success")
    return redirect(url_for("catalogue.metrics"))


@bp.route("/metrics/<int:metric_id>", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit_metric(metric_id: int):
    metric = load(Metric, metric_id)
    if request.method == "GET":
        values = {k: getattr(metric, k) or "" for k in ("name", "unit", "direction",
                                                        "aggregation", "data_source",
                                                        "description")}
        return _metric_form(metric, values, {})
    values = forms.metric_values(request.form, new=False)
    session = db_session()
    _saved, errors = forms.save(session, lambda: catalogue.update_metric(session, metric, **values))
    if errors:
        return _metric_form(metric, values, errors, 400)
    flash(_("Metric %(key)s saved.", key=metric.key), "success")
    return redirect(url_for("catalogue.metrics"))


@bp.get("/cis")
@roles_required(*READERS)
def cis():
    page = queries.cis_page(db_session(), request.args.get("page", 1, type=int), PER_PAGE)
    return render_template("catalogue/cis.html", page=page)


def _ci_form(ci, values: dict, errors: dict, status: int = 200):
    return render_template("catalogue/ci_form.html", ci=ci, values=values,
                           errors=errors), status


@bp.route("/cis/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def new_ci():
    if request.method == "GET":
        return _ci_form(None, {"status": "operational"}, {})
    values = forms.ci_values(request.form, new=True)
    session = db_session()
    ci, errors = forms.save(session, lambda: catalogue.create_ci(session, **values))
    if errors:
        return _ci_form(None, values, errors, 400)
    flash(_("Configuration item %(key)s registered: link it to the services it supports.",
            key=ci.key),
          "success")
    return redirect(url_for("catalogue.cis"))


@bp.route("/cis/<int:ci_id>", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit_ci(ci_id: int):
    ci = load(ConfigurationItem, ci_id)
    if request.method == "GET":
        values = {k: getattr(ci, k) for k in ("name", "ci_type", "status", "location")}
        return _ci_form(ci, values, {})
    values = forms.ci_values(request.form, new=False)
    session = db_session()
    _saved, errors = forms.save(session, lambda: catalogue.update_ci(session, ci, **values))
    if errors:
        return _ci_form(ci, values, errors, 400)
    flash(_("Configuration item %(key)s saved.", key=ci.key), "success")
    return redirect(url_for("catalogue.cis"))
