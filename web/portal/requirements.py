"""Service level requirements: submit one, follow it, compare its options and choose."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from engine.clock import utcnow
from engine.errors import FormValidationError, NotFoundError
from engine.i18n import N_, _
from engine.instances import start_instance
from engine.models import HumanTask
from engine.tasks import complete_task
from handlers.auditlog.subjects import instances_of
from handlers.catalogue.models import Service
from handlers.errors import ValidationError
from handlers.requirements.models import ServiceLevelRequirement
from handlers.requirements.operations import CLARIFY_CHOICE, submit_slr

from .. import db_session
from ..agreements.queries import STATUS_COLOURS
from ..auth.access import current_actor, roles_required
from ..conversations.threads import thread_context
from . import CUSTOMER, bp, engine, organisation_id, queries, scoped, slr_form

PROCESS = "sla_agreement"
CHOOSE_TASK = "choose_option"
UNAVAILABLE = N_("We cannot take in requirements right now: the agreement process is not "
                 "installed yet. Nothing was saved; please try again later, or tell your "
                 "service level manager.")


@bp.get("/requirements")
@roles_required(CUSTOMER)
def requirements():
    session = db_session()
    items = queries.requirements(session, organisation_id())
    stages = {slr.id: queries.stage(session, slr, queries.sla_of(session, slr)) for slr in items}
    return render_template("portal/requirements.html", requirements=items, stages=stages,
                           colours=STATUS_COLOURS)


def _form(values: dict, errors: dict, status: int = 200, unavailable: str = ""):
    session = db_session()
    return render_template("portal/requirement_form.html", values=values, errors=errors,
                           unavailable=unavailable,
                           service=catalogue_service(values.get("service")),
                           metrics=[m for m in queries.metrics(session) if m.data_source],
                           clarify_choice=CLARIFY_CHOICE,
                           comparators=[(v, _(t)) for v, t in slr_form.COMPARATORS],
                           periods=[(v, _(t)) for v, t in slr_form.PERIODS]), status


def catalogue_service(key) -> Service | None:
    """The live catalogue service ``key`` names, or None."""
    if not key:
        return None
    return db_session().scalar(select(Service).where(
        Service.key == str(key)[:60], Service.status == "live",
        Service.organisation_id.is_(None)))


def submit_requirement(title: str, need: str, wishes: list[dict],
                       service_id: int | None = None) -> ServiceLevelRequirement:
    """Record the signed-in customer's SLR and start its agreement (the form and the API).

    Only flushes: the caller commits, or rolls back on ValidationError (invalid input) or
    NotFoundError (the agreement process is not deployed).
    """
    session, now, key = db_session(), utcnow(), current_user.organisation_key
    slr = submit_slr(session, organisation_id(), current_user.username, title, need, wishes,
                     now, service_id=service_id)
    slr.instance_id = start_instance(
        engine(), session, PROCESS, actor=current_user.username, now=now,
        data={"slr_id": slr.id, "organisation": key}, organisation=key,
        title=f"SLA agreement: {slr.title}")
    return slr


def _from_service(key: str) -> dict:
    """An empty form, started from a live catalogue service when ``key`` names one."""
    values = slr_form.empty_values()
    service = catalogue_service(key)
    if service is not None:
        values["title"] = service.name
        values["service"] = service.key
    return values


@bp.route("/requirements/new", methods=["GET", "POST"])
@roles_required(CUSTOMER)
def new_requirement():
    if request.method == "GET":
        return _form(_from_service(request.args.get("service", "")), {})
    values, wishes, rows = slr_form.read(request.form)
    session, service = db_session(), catalogue_service(values["service"])
    try:
        if values["service"] and service is None:
            raise ValidationError({"service": [_("this service is not in the catalogue any "
                                                 "more: describe the need without it")]})
        slr = submit_requirement(values["title"], values["need"], wishes,
                                 None if service is None else service.id)
    except ValidationError as exc:
        session.rollback()
        return _form(values, slr_form.field_errors(exc.errors, rows), 400)
    except NotFoundError:  # the diagram is not deployed: keep nothing half-started
        session.rollback()
        return _form(values, {}, 503, _(UNAVAILABLE))
    session.commit()
    flash(_("Your requirements were submitted. Here is where they stand."), "success")
    return redirect(url_for("portal.requirement", slr_id=slr.id))


@bp.get("/requirements/<int:slr_id>")
@roles_required(CUSTOMER)
def requirement(slr_id: int):
    session = db_session()
    slr = scoped(ServiceLevelRequirement, slr_id)
    sla = queries.sla_of(session, slr)
    return render_template("portal/requirement.html", slr=slr, sla=sla,
                           stage=queries.stage(session, slr, sla),
                           wishes=queries.wishes(slr), assessment=queries.assessment(slr),
                           options=queries.options(slr), colours=STATUS_COLOURS,
                           metrics=queries.metric_map(session),
                           names=queries.answerers(session, slr),
                           service=queries.requested_service(session, slr),
                           instances=instances_of(session, slr),
                           thread=thread_context(session, "requirement", slr.id))


def _choose_task(slr: ServiceLevelRequirement) -> HumanTask | None:
    if not slr.instance_id:
        return None
    return db_session().scalars(select(HumanTask).where(
        HumanTask.instance_id == slr.instance_id, HumanTask.element_id == CHOOSE_TASK,
        HumanTask.status == "ready")).first()


def _options_page(slr, errors: dict, status: int = 200):
    session = db_session()
    listed = queries.options(slr)
    return render_template("portal/options.html", slr=slr, options=listed,
                           not_ready=queries.not_ready(session, listed),
                           assessment=queries.assessment(slr), task=_choose_task(slr),
                           sla=queries.sla_of(session, slr), errors=errors,
                           metrics=queries.metric_map(session),
                           comment=request.form.get("comment", "")), status


@bp.get("/requirements/<int:slr_id>/options")
@roles_required(CUSTOMER)
def options(slr_id: int):
    return _options_page(scoped(ServiceLevelRequirement, slr_id), {})


@bp.post("/requirements/<int:slr_id>/options")
@roles_required(CUSTOMER)
def choose(slr_id: int):
    """Complete the "Choose a service level option" task with the option chosen."""
    slr = scoped(ServiceLevelRequirement, slr_id)
    data = {"option_key": request.form.get("option_key", "")}
    if request.form.get("comment", "").strip():
        data["comment"] = request.form["comment"].strip()
    if not data["option_key"]:
        return _options_page(slr, {"option_key": ["choose one of the options"]}, 400)
    task = _choose_task(slr)
    if task is None:
        flash(_("There is nothing to choose for this requirement any more: the choice was "
                "made already."), "warning")
        return redirect(url_for("portal.requirement", slr_id=slr.id))
    session = db_session()
    try:
        complete_task(engine(), session, task.id, data, current_actor(), utcnow())
    except FormValidationError as exc:
        session.rollback()
        errors = dict(exc.errors)
        if "option_key" in errors:  # the schema's message lists raw keys: say it plainly
            errors["option_key"] = [_("choose one of the options listed below")]
        return _options_page(slr, errors, 400)
    session.commit()
    flash(_("Thank you: your choice was recorded. We will prepare the SLA draft."), "success")
    return redirect(url_for("portal.requirement", slr_id=slr.id))
