"""The task list page: its query string in, the template's context out."""
from __future__ import annotations

from datetime import datetime, timedelta

from engine.i18n import N_, _

from . import queries
from .access import task_actions
from .queries import PAGE_SIZES, TaskQuery, Viewer

VIEW_LABELS = {"mine": N_("My tasks"), "unclaimed": N_("Unclaimed tasks of my roles"),
               "all": N_("All open tasks")}


def available_views(viewer: Viewer) -> list[str]:
    views = ["mine", "unclaimed"] if viewer.lanes else []
    if viewer.all_lanes:
        views.append("all")
    return views or ["mine"]


def default_view(viewer: Viewer, session) -> str:
    """My tasks when I have some, else the queue of my roles (auditors: all open tasks)."""
    if not viewer.lanes:
        return "all" if viewer.all_lanes else "mine"
    return "mine" if queries.my_task_count(session, viewer) else "unclaimed"


def list_args(args, viewer: Viewer, session) -> TaskQuery:
    """The list's filters from the query string; anything unexpected falls back to defaults."""
    view = args.get("view")
    if view not in available_views(viewer):
        view = default_view(viewer, session)
    per_page = args.get("per_page", PAGE_SIZES[0], type=int)
    lanes = viewer.view_lanes(view)
    role = args.get("role", "")
    return TaskQuery(
        view=view,
        process=args.get("process", "")[:255],
        role=role if lanes is None or role in lanes else "",
        overdue=args.get("overdue") == "1",
        search=" ".join(args.get("q", "").split())[:100],
        page=max(1, args.get("page", 1, type=int)),
        per_page=per_page if per_page in PAGE_SIZES else PAGE_SIZES[0])


def query_args(query: TaskQuery, **changes) -> dict:
    """URL arguments that reproduce ``query`` (defaults left out), with ``changes``."""
    values = {"view": query.view, "process": query.process, "role": query.role,
              "overdue": "1" if query.overdue else "", "q": query.search, "page": query.page,
              "per_page": query.per_page if query.per_page != PAGE_SIZES[0] else ""}
    values.update(changes)
    return {k: v for k, v in values.items() if v not in ("", None, 1) or k == "view"}


def list_context(session, viewer: Viewer, query: TaskQuery, page, now: datetime) -> dict:
    lanes = viewer.view_lanes(query.view)
    return {
        "page": page, "query": query, "now": now, "views": available_views(viewer),
        "view_labels": {k: _(v) for k, v in VIEW_LABELS.items()},
        "my_count": queries.my_task_count(session, viewer),
        "processes": queries.process_names(session),
        "roles": sorted(lanes if lanes is not None else viewer.lanes | viewer.all_lanes),
        "page_sizes": PAGE_SIZES,
        "organisations": queries.organisation_names(session, (r.organisation for r in page.rows)),
        "people": queries.display_names(session, (r.assignee for r in page.rows)),
        "actions": {r.id: task_actions(r) for r in page.rows},
        "query_args": lambda **changes: query_args(query, **changes),
    }


def duration(delta: timedelta) -> str:
    """A time span in round words: "45 min", "5 h", "3 d", "7 wk"."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    if minutes < 48 * 60:
        return f"{minutes // 60} h"
    days = minutes // (24 * 60)
    return f"{days} d" if days < 28 else f"{days // 7} wk"
