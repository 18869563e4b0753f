"""Targets of a service level: metric, comparator, threshold, period. A target that cannot
be measured is refused, naming what is missing (mission rule 6)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from engine.i18n import _
from handlers.catalogue import operations as catalogue
from handlers.catalogue.models import ServiceLevelOption

from .. import db_session
from ..auth.access import roles_required
from . import EDITORS, READERS, bp, forms, queries
from .services import load

COMPARATOR_OPTIONS = ((">=", ">= (at least)"), ("<=", "<= (at most)"))
PERIOD_OPTIONS = (("month", "per month"), ("quarter", "per quarter"))


def _targets_page(level, values: dict, errors: dict, status: int = 200):
    session = db_session()
    ready, missing = catalogue.readiness(session, level.service)
    metrics = queries.all_metrics(session)
    return render_template("catalogue/targets.html", level=level, service=level.service,
                           values=values, errors=errors, ready=ready, missing=missing,
                           metric_options=[(m.key, f"{m.name} ({m.unit})"
                                            + ("" if m.data_source else " — no data source"))
                                           for m in metrics],
                           comparator_options=COMPARATOR_OPTIONS,
                           period_options=PERIOD_OPTIONS), status


@bp.route("/levels/<int:option_id>/targets", methods=["GET", "POST"])
@roles_required(*READERS)  # auditors: GET only (central rule), and no form is shown
def targets(option_id: int):
    level = load(ServiceLevelOption, option_id)
    if request.method == "GET":
        return _targets_page(level, {"period": "month"}, {})
    values = forms.target_values(request.form)
    session = db_session()
    target, errors = forms.save(session, lambda: catalogue.set_target(
        session, level, values["metric"], values["threshold"], values["period"],
        values["comparator"]))
    if errors:
        return _targets_page(level, forms.shown(values), errors, 400)
    flash(_("Target set: %(name)s %(comparator)s %(threshold)s %(unit)s per %(period)s.",
            name=target.metric.name,
            comparator=target.comparator,
            threshold=format(target.threshold, 'g'),
            unit=target.metric.unit,
            period=target.period), "success")
    return redirect(url_for("catalogue.targets", option_id=level.id))


@bp.post("/levels/<int:option_id>/targets/remove")
@roles_required(*EDITORS)
def remove_target(option_id: int):
    level = load(ServiceLevelOption, option_id)
    key = (request.form.get("metric") or "").strip()
    if not any(t.metric.key == key for t in level.targets):
        return _targets_page(level, {"period": "month"},
                             {"remove": ["choose a target of this level to remove"]}, 400)
    session = db_session()
    catalogue.remove_target(session, level, key)
    session.commit()
    flash(_("Target on %(key)s removed from %(name)s.", key=key, name=level.name), "success")
    return redirect(url_for("catalogue.targets", option_id=level.id))
