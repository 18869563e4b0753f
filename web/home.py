"""The landing page and the liveness check (readiness and metrics: web/ops.py)."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, url_for
from sqlalchemy import func, select

from engine.models import HumanTask, ProcessInstance, ProcessVersion

from . import db_session
from .auth.access import ALL_ROLES, current_actor, public, roles_required

bp = Blueprint("home", __name__)


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
    return render_template("home/index.html", counts=counts)


@bp.get("/healthz")
@public
def health():
    """Liveness: the process answers. The database is /readyz's business: a database
    outage must not make an orchestrator restart every web process."""
    return jsonify(status="ok")
