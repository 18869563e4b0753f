"""Tasks: the caller's list, one task with its form, claim, unclaim and complete.

Same visibility and the same engine calls as the task pages (web/tasks): ``visible_task``
answers 404 for another organisation's task and 403 for another role's; the engine checks
the rest. Completing validates the data against the task's JSON Schema on the server:
422 with the errors by field, nothing changed.
"""
from __future__ import annotations

from dataclasses import asdict, replace

from flask import current_app, request
from flask_login import current_user

from engine.clock import utcnow
from engine.errors import FormValidationError, PermissionDeniedError
from engine.forms import resolve_schema
from engine.i18n import _
from engine.tasks import claim_task, complete_task, task_data, task_form, unclaim_task
from handlers.conversations import operations as conversations

from .. import db_session
from ..auth.access import current_actor, roles_required
from ..conversations.threads import author, comment_json
from ..errors import error_response
from ..tasks import queries
from ..tasks.access import READERS, WORKERS, task_actions, task_viewer, visible_task
from ..tasks.context import instance_context
from ..tasks.instructions import instructions_json
from ..tasks.listing import list_args
from ..tasks.subjects import conversation_of, task_subject
from ..tasks.submission import check_submission, post_form_comments
from . import V1, bp, invalid, iso, json_object, ok, paging


def _engine():
    return current_app.extensions["slm"].engine


def task_summary(task) -> dict:
    """A task list row or a HumanTask as JSON."""
    actions = task_actions(task)
    return {
        "id": task.id, "name": task.name, "lane": task.lane,
        "organisation": task.organisation, "process_id": task.process_id,
        "instance_id": task.instance_id, "assignee": task.assignee,
        "due_at": iso(task.due_at), "created_at": iso(task.created_at),
        "actions": {"complete": actions.work, "claim": actions.claim,
                    "unclaim": actions.unclaim},
    }


def task_detail(task) -> dict:
    session, engine = db_session(), _engine()
    data = task_data(engine, session, task, utcnow()) if task.status == "ready" else {}
    schema = resolve_schema(task_form(engine, session, task), data)
    fields = (schema or {}).get("properties") or {}
    context = asdict(instance_context(session, task, data, "options" in fields))
    context["started_at"] = iso(context["started_at"])
    conversation = conversation_of(task.element_id, data)
    thread = [] if conversation is None else [
        comment_json(c) for c in conversations.thread(session, *conversation)]
    return {**task_summary(task), "element_id": task.element_id, "status": task.status,
            "subject": task_subject(session, task.element_id, data, current_user.is_customer),
            "thread": thread,
            **instructions_json(task.instructions, data if task.status == "ready" else None),
            "completed_at": iso(task.completed_at),
            "completed_by": task.completed_by, "form": schema,
            "values": {k: data[k] for k in fields if k in data}, "context": context}


@bp.get(f"{V1}/tasks")
@roles_required(*READERS)
def tasks():
    session, viewer, now = db_session(), task_viewer(), utcnow()
    page, per_page = paging()
    query = replace(list_args(request.args, viewer, session), page=page, per_page=per_page)
    found = queries.list_tasks(session, viewer, query, now)
    return ok({"items": [task_summary(r) for r in found.rows], "page": found.page,
               "per_page": found.per_page, "total": found.known_total,
               "total_is_lower_bound": found.more, "view": query.view})


@bp.get(f"{V1}/tasks/<int:task_id>")
@roles_required(*READERS)
def task(task_id: int):
    return ok(task_detail(visible_task(task_id)))


@bp.post(f"{V1}/tasks/<int:task_id>/claim")
@roles_required(*WORKERS)
def claim(task_id: int):
    task = visible_task(task_id)
    claim_task(db_session(), task.id, current_actor(), utcnow())  # 409 when taken: errors.py
    db_session().commit()
    return ok(task_detail(task))


@bp.post(f"{V1}/tasks/<int:task_id>/unclaim")
@roles_required(*WORKERS)
def unclaim(task_id: int):
    task = visible_task(task_id)
    unclaim_task(db_session(), task.id, current_actor(), utcnow())
    db_session().commit()
    return ok(task_detail(task))


@bp.post(f"{V1}/tasks/<int:task_id>/complete")
@roles_required(*WORKERS)
def complete(task_id: int):
    task, session, now = visible_task(task_id), db_session(), utcnow()
    data = json_object()
    try:
        errors, task_values = check_submission(_engine(), session, task, data, now)
        if errors:
            raise FormValidationError(errors)
        status = complete_task(_engine(), session, task.id, data, current_actor(), now)
        post_form_comments(session, task, data, task_values, author(session), now)
    except FormValidationError as exc:
        session.rollback()
        return invalid(exc.errors)
    except PermissionDeniedError:
        session.rollback()
        session.refresh(task)
        if task.lane in current_user.roles and task.assignee not in (None, current_user.username):
            return error_response(409, _("“%(name)s” is claimed by %(assignee)s.",
                                         name=task.name,
                                         assignee=task.assignee))
        raise
    session.commit()
    follow = queries.next_task(session, task.instance_id, task_viewer())
    return ok({"task": task_summary(task) | {"status": "completed"},
               "instance": {"id": task.instance_id, "status": status},
               "next_task_id": follow.id if follow else None})
