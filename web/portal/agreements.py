"""The organisation's SLAs: terms, versions and diffs, and the customer's observations.

An observation is recorded as given and counted as fact (mission rule 1): the form
refuses only what cannot be stored (no description, an unknown kind, a bad time).
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from engine.clock import utcnow
from engine.i18n import N_, _
from handlers.agreements.models import ServiceLevelAgreement
from handlers.delivery.measurements import record_observation
from handlers.errors import DomainError, ValidationError

from .. import db_session
from ..agreements.queries import STATUS_COLOURS, sla_context
from ..auth.access import roles_required
from . import CUSTOMER, bp, organisation_id, queries, scoped

OBSERVATION_KINDS = (("outage", N_("Outage: the service was not usable")),
                     ("slow", N_("Slow: the service was too slow")),
                     ("complaint", N_("Complaint")), ("praise", N_("Praise")),
                     ("other", N_("Other")))
#: observations are recorded against SLAs in force
OBSERVABLE = ("active",)


@bp.get("/slas")
@roles_required(CUSTOMER)
def slas():
    return render_template("portal/slas.html", colours=STATUS_COLOURS,
                           slas=queries.slas(db_session(), organisation_id()))


def _sla_page(sla, observation: dict, errors: dict, status: int = 200):
    context = sla_context(db_session(), sla, request.args.get("a"), request.args.get("b"))
    return render_template("portal/sla.html", **context, colours=STATUS_COLOURS,
                           observation=observation, errors=errors,
                           kinds=[(k, _(v)) for k, v in OBSERVATION_KINDS],
                           observable=sla.status in OBSERVABLE), status


def _blank_observation() -> dict:
    return {"kind": "outage", "observed_at": utcnow().strftime("%Y-%m-%dT%H:%M"),
            "description": "", "impact_minutes": ""}


@bp.get("/slas/<int:sla_id>")
@roles_required(CUSTOMER)
def sla(sla_id: int):
    return _sla_page(scoped(ServiceLevelAgreement, sla_id), _blank_observation(), {})


@bp.post("/slas/<int:sla_id>/observations")
@roles_required(CUSTOMER)
def observe(sla_id: int):
    sla = scoped(ServiceLevelAgreement, sla_id)
    if sla.status not in OBSERVABLE:
        raise DomainError(_("%(reference)s is %(status)s: observations are recorded for SLAs "
                            "in force. Tell us in your comment on the draft instead.",
                            reference=sla.reference,
                            status=sla.status))
    values = {k: request.form.get(k, "") for k in
              ("kind", "observed_at", "description", "impact_minutes")}
    session = db_session()
    try:
        record_observation(session, sla.id, values["kind"], values["description"],
                           values["observed_at"], values["impact_minutes"].strip(),
                           current_user.username, utcnow())
    except ValidationError as exc:
        session.rollback()
        return _sla_page(sla, values, exc.errors, 400)
    session.commit()
    flash(_("Your observation was recorded. It counts in the service reviews of this SLA."),
          "success")
    return redirect(url_for("portal.sla", sla_id=sla.id, _anchor="observations"))
