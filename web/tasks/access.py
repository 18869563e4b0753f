"""Who sees which task and what they may do with it, for the task views.

Customers see only their organisation's tasks (another organisation's task is a 404, so
guessing ids tells nothing); service level managers and auditors see every task; others see
the tasks of their roles (lanes). Working a task needs its role; claiming, unclaiming and
assigning follow the engine's rules, which have the last word.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import abort
from flask_login import current_user

from engine.lanes import NOT_FOR_LANES, is_owner
from engine.models import HumanTask
from handlers.people.roles import active_role_names

from .. import db_session
from ..auth.access import OTHER_ROLES
from .queries import Viewer

MANAGER = "Service Level Manager"
#: roles that work tasks (any lane names a role: those an admin added too), and those who
#: may read them
WORKERS = ("Process Owner", MANAGER, "Customer", OTHER_ROLES)
READERS = (*WORKERS, "Auditor")


def known_lanes() -> frozenset:
    """Every role a lane may name."""
    return frozenset(active_role_names(db_session())) - NOT_FOR_LANES


def task_viewer() -> Viewer:
    """The signed-in user as the task list sees them."""
    lanes = frozenset(current_user.roles) - NOT_FOR_LANES
    sees_all = current_user.has_role(MANAGER, "Auditor")
    return Viewer(current_user.username, lanes,
                  current_user.organisation_key if current_user.is_customer else None,
                  known_lanes() | lanes if sees_all else frozenset())


def visible_task(task_id: int) -> HumanTask:
    """The task, or 404 (no such task, another organisation's) or 403 (another role's)."""
    task = db_session().get(HumanTask, task_id)
    if task is None:
        abort(404)
    if current_user.is_customer and task.organisation != current_user.organisation_key:
        abort(404)
    if not (current_user.has_role(MANAGER, "Auditor") or (
            task.lane in current_user.roles and is_owner(task.lane_owners, current_user.username))):
        abort(403)
    return task


@dataclass(frozen=True)
class TaskActions:
    """What the current user may do with one task (the buttons a page shows)."""

    work: bool
    claim: bool
    unclaim: bool
    assign: bool


def task_actions(task) -> TaskActions:
    """``task``: a HumanTask or a task list row."""
    user = current_user._get_current_object()  # once, not through the proxy each time
    is_open = getattr(task, "status", "ready") == "ready" and not user.is_auditor
    in_lane = task.lane in user.roles and is_owner(getattr(task, "lane_owners", None),
                                                   user.username)
    manager = user.has_role(MANAGER)
    return TaskActions(
        work=is_open and in_lane and task.assignee in (None, user.username),
        claim=is_open and in_lane and task.assignee is None,
        unclaim=is_open and task.assignee is not None
        and (task.assignee == user.username or manager),
        assign=is_open and manager)
