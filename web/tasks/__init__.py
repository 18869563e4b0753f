"""Tasks: the task list, the task page with its form, claim, unclaim, assign and complete.

The list reads only the human_task table (see ``queries``); the task page renders the
task's JSON Schema form on the server (``form_fields``) and reads it back typed by the
schema (``form_data``); the engine validates and completes it. When someone else was first
the person is told so in plain words, by name.
"""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from engine.clock import utcnow
from engine.errors import ConflictError, FormValidationError, TaskStateError
from engine.forms import resolve_schema
from engine.i18n import _
from engine.models import ProcessInstance, ProcessVersion
from engine.tasks import assign_task, claim_task, complete_task, task_data, task_form, unclaim_task
from engine.ui_forms import task_ui_schema

from .. import db_session
from ..auth.access import current_actor, roles_required
from ..conversations.threads import author, thread_context
from ..downloads import diagram_download
from ..errors import error_response
from ..links import safe_target
from . import queries
from .access import MANAGER, READERS, WORKERS, task_actions, task_viewer, visible_task
from .context import instance_context
from .diagram_view import viewer_xml
from .form_data import form_to_data
from .form_fields import build_form, enum_sources, in_language
from .instructions import preview as instructions_preview
from .instructions import task_instructions
from .listing import duration, list_args, list_context, query_args
from .subjects import conversation_of, task_subject
from .submission import check_submission, post_form_comments

bp = Blueprint("tasks", __name__, url_prefix="/tasks")
bp.add_app_template_filter(duration, "task_duration")
bp.add_app_template_filter(instructions_preview, "instructions_preview")


def _engine():
    return current_app.extensions["slm"].engine


@bp.get("")
@roles_required(*READERS)
def index():
    session, viewer, now = db_session(), task_viewer(), utcnow()
    query = list_args(request.args, viewer, session)
    page = queries.list_tasks(session, viewer, query, now)
    if not page.rows and query.page > 1:  # past the end (tasks were done meanwhile)
        return redirect(url_for("tasks.index", **query_args(query, page=1)))
    return render_template("tasks/index.html", **list_context(session, viewer, query, page, now))


@bp.get("/<int:task_id>")
@roles_required(*READERS)
def show(task_id: int):
    return _render_task(visible_task(task_id))


@bp.post("/<int:task_id>")
@roles_required(*WORKERS)
def complete(task_id: int):
    task, session, now = visible_task(task_id), db_session(), utcnow()
    data = form_to_data(task_form(_engine(), session, task), request.form)
    unclaimed = task.assignee is None
    try:
        errors, task_values = check_submission(_engine(), session, task, data, now)
        if errors:
            raise FormValidationError(errors)
        subject = task_subject(session, task.element_id, task_values, current_user.is_customer)
        complete_task(_engine(), session, task.id, data, current_actor(), now)
        post_form_comments(session, task, data, task_values, author(session), now)
    except FormValidationError as exc:
        session.rollback()
        return _render_task(task, values=data, errors=exc.errors, status=400)
    except (ConflictError, TaskStateError):
        session.rollback()
        return error_response(409, _taken(task_id))
    session.commit()
    done = (_("“%(name)s” is done (you claimed it on completing).", name=task.name) if unclaimed
            else _("“%(name)s” is done.", name=task.name))
    follow = queries.next_task(session, task.instance_id, task_viewer())
    if follow is not None:
        flash(_("%(done)s Next in this process for you: “%(name)s”.",
                done=done,
                name=follow.name), "success")
        return redirect(url_for("tasks.show", task_id=follow.id))
    flash(done, "success")
    back = (subject or {}).get("link") or {}
    return redirect(back.get("url") or url_for("tasks.index"))


@bp.post("/<int:task_id>/claim")
@roles_required(*WORKERS)
def claim(task_id: int):
    task = visible_task(task_id)
    if not _step(lambda: claim_task(db_session(), task.id, current_actor(), utcnow()), task_id):
        return redirect(_back())
    flash(_("You claimed “%(name)s”.", name=task.name), "success")
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.post("/<int:task_id>/unclaim")
@roles_required(*WORKERS)
def unclaim(task_id: int):
    task = visible_task(task_id)
    if _step(lambda: unclaim_task(db_session(), task.id, current_actor(), utcnow()), task_id,
             otherwise=_("“%(name)s” is not claimed by anyone.")):
        flash(_("“%(name)s” is back in the queue of the role %(lane)s.",
                name=task.name,
                lane=task.lane), "success")
    return redirect(_back())


@bp.post("/<int:task_id>/assign")
@roles_required(MANAGER)
def assign(task_id: int):
    task, session = visible_task(task_id), db_session()
    username = request.form.get("assignee", "")
    if username not in {u.username for u in queries.assignable_users(
            session, task.lane, task.organisation, task.lane_owners)}:
        errors = {"assignee": [_("Choose a person who holds the role %(lane)s.",
                                 lane=_(task.lane or ""))]}
        return _render_task(task, assign_errors=errors, status=400)
    if _step(lambda: assign_task(session, task.id, username, current_actor(), utcnow()),
             task_id):
        name = queries.display_names(session, [username]).get(username, username)
        flash(_("“%(name)s” is assigned to %(name2)s.", name=task.name, name2=name), "success")
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.get("/<int:task_id>/diagram")
@roles_required(*READERS)
def diagram(task_id: int):
    task = visible_task(task_id)
    xml = db_session().scalar(select(ProcessVersion.bpmn_xml).join(
        ProcessInstance, ProcessInstance.version_id == ProcessVersion.id).where(
        ProcessInstance.id == task.instance_id))
    if current_user.is_customer:  # what the viewer draws: no scripts, rules or instructions
        xml = viewer_xml(xml)
    return diagram_download(xml, f"task-{task_id}.bpmn")


# -- helpers ---------------------------------------------------------------------------------
def _render_task(task, values=None, errors=None, assign_errors=None, status=200):
    session, engine = db_session(), _engine()
    data = task_data(engine, session, task, utcnow()) if task.status == "ready" else {}
    schema = resolve_schema(task_form(engine, session, task), data)
    ui = task_ui_schema(engine, session, task.instance_id, task.element_id)
    form = build_form(schema, data, data if values is None else values, errors, ui)
    actions = task_actions(task)
    people = [task.assignee, task.completed_by]
    assignees = queries.assignable_users(session, task.lane, task.organisation,
                                         task.lane_owners) \
        if actions.assign else []
    subject = task_subject(session, task.element_id, data, current_user.is_customer)
    conversation = conversation_of(task.element_id, data)
    thread = None if conversation is None else thread_context(
        session, *conversation, next_url=url_for("tasks.show", task_id=task.id))
    return render_template(
        "tasks/show.html", task=task, form=form, actions=actions, assignees=assignees,
        instructions=task_instructions(
            in_language(schema, "x-instructions") or task.instructions,
            data if task.status == "ready" else None),
        assign_errors=assign_errors or {}, subject=subject, thread=thread,
        context=instance_context(session, task, data, "options" in enum_sources(schema)),
        names=queries.display_names(session, people), now=utcnow()), status


def _step(action, task_id: int, otherwise: str = "") -> bool:
    """Run a claim/unclaim/assign and commit; on a refusal roll back, say why, return False."""
    session = db_session()
    try:
        action()
    except (ConflictError, TaskStateError):
        session.rollback()
        flash(_taken(task_id, otherwise), "warning")
        return False
    session.commit()
    return True


def _taken(task_id: int, otherwise: str = "") -> str:
    """Why the task cannot be had any more, by whom, in words (read afresh)."""
    session = db_session()
    task = visible_task(task_id)
    session.refresh(task)
    names = queries.display_names(session, [task.assignee, task.completed_by])
    if task.status == "completed":
        who = names.get(task.completed_by, task.completed_by)
        return _("“%(name)s” was already completed by %(who)s.", name=task.name, who=who)
    if task.status != "ready":
        return _("“%(name)s” is no longer open: the process has moved on.", name=task.name)
    if task.assignee and task.assignee != current_user.username:
        return _("“%(name)s” was already claimed by %(who)s.", name=task.name,
                 who=names.get(task.assignee, task.assignee))
    if otherwise:
        return otherwise % {"name": task.name}
    return _("“%(name)s” changed in the meantime: reload and try again.", name=task.name)


def _back() -> str:
    """Where to return after an action on the list: a local path only."""
    return safe_target(request.form.get("next"), "tasks.index")
