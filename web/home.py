"""The landing page and the liveness check (readiness and metrics: web/ops.py)."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import func, select

from engine.clock import utcnow
from engine.lanes import NOT_FOR_LANES
from engine.models import HumanTask, ProcessInstance, ProcessVersion
from handlers.delivery.health import active_slas, health_of

from . import db_session, home_views
from .auth.access import ALL_ROLES, current_actor, public, roles_required

bp = Blueprint("home", __name__)
#: who sees the SLA health table on the start page
HEALTH_ROLES = ("Service Level Manager", "Process Owner", "Auditor")


@bp.get("/")
@roles_required(*ALL_ROLES)
def index():
    # A customer's start page is their organisation's portal: global counts mean nothing
    # to them and would show other organisations' activity.
    if current_actor().organisation and "portal.index" in current_app.view_functions:
        return redirect(url_for("portal.index"))
    session = db_session()
    counts = {
        "processes": session.execute(
            select(func.count(func.distinct(ProcessVersion.process_id)))).scalar(),
        "running": session.execute(select(func.count()).select_from(ProcessInstance).where(
            ProcessInstance.status == "running")).scalar(),
        "open_tasks": session.execute(select(func.count()).select_from(HumanTask).where(
            HumanTask.status == "ready")).scalar(),
    }
    user, now = current_user._get_current_object(), utcnow()
    lanes = frozenset(user.roles) - NOT_FOR_LANES
    slas = active_slas(session) if user.has_role(*HEALTH_ROLES) else []
    return render_template(
        "home/index.html", counts=counts, slas=slas, healths=health_of(session, slas, now),
        manager=home_views.manager_home(session, user.username, lanes, now)
        if user.has_role(home_views.MANAGER) else None,
        processes=home_views.owner_home(session) if user.has_role("Process Owner") else None,
        audit=home_views.auditor_home(session) if user.is_auditor else None, now=now)


@bp.get("/healthz")
@public
def health():
    """Liveness: the process answers. The database is /readyz's business: a database
    outage must not make an orchestrator restart every web process."""
    return jsonify(status="ok")
