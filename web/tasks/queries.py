"""The task list read model: pages of open human tasks, from the ``human_task`` table only.

Nothing here deserializes a workflow: a page is one query for the ids in order, one for
those rows (joined to the instance for its title) and small look-ups for names. Lists are
ordered by due date, tasks without one last, then by id, so the indexes (status, lane,
due_at), (status, assignee) and (organisation, status) serve them. A person with several
lanes gets one ordered index scan per lane, merged; a customer's few tasks are found through
their organisation. Counts stop at ``COUNT_CAP``, so a page costs about the same at any size.
No Flask here: the bench and the tests call it with a plain session.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select, union_all

from engine.lanes import is_owner
from engine.models import HumanTask, ProcessInstance, ProcessVersion
from handlers.people.models import Organisation, Role, User, user_role

HT = HumanTask.__table__
PI = ProcessInstance.__table__
VIEWS = ("mine", "unclaimed", "all")
PAGE_SIZES = (25, 50)
#: counting stops here: "1,000+ tasks" says as much as the exact number, at a bounded cost
COUNT_CAP = 1_000


@dataclass(frozen=True)
class Viewer:
    """Whose list it is: ``lanes`` are the roles they work in; ``organisation`` (a key) limits
    a customer to their organisation; ``all_lanes`` (managers, auditors: every lane) is what
    the "all" view shows, empty when they have no such view."""

    username: str
    lanes: frozenset
    organisation: str | None = None
    all_lanes: frozenset = frozenset()

    def view_lanes(self, view: str) -> frozenset | None:
        """The lanes a view scans; None: any lane (my own tasks)."""
        if view == "mine":
            return None
        return self.all_lanes or self.lanes if view == "all" else self.lanes


@dataclass(frozen=True)
class TaskQuery:
    view: str = "unclaimed"
    process: str = ""
    role: str = ""
    overdue: bool = False
    search: str = ""
    page: int = 1
    per_page: int = PAGE_SIZES[0]


@dataclass(frozen=True)
class TaskRow:
    id: int
    name: str
    lane: str | None
    organisation: str | None
    process_id: str
    instance_id: int
    instance_title: str
    assignee: str | None
    due_at: datetime | None
    created_at: datetime


@dataclass(frozen=True)
class TaskPage:
    rows: list
    page: int
    per_page: int
    #: matching tasks as counted, at most COUNT_CAP (``capped``: there are more)
    total: int
    capped: bool
    has_next: bool

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def first(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return (self.page - 1) * self.per_page + len(self.rows)

    @property
    def known_total(self) -> int:
        """How many tasks there are at least (exactly, unless ``more``)."""
        if not self.capped:
            return self.total
        return self.last if not self.has_next else max(self.total, self.last)

    @property
    def more(self) -> bool:
        """There are more tasks than ``known_total`` ("1,000+ tasks")."""
        return self.capped and self.has_next

    @property
    def pages(self) -> int:
        return max(self.page + self.has_next, math.ceil(self.known_total / self.per_page) or 1)

    def numbers(self, around: int = 2) -> list[int | None]:
        """Page numbers to offer: the first, the last and those near this one (None: a gap)."""
        shown = sorted({1, self.pages, *range(max(1, self.page - around),
                                              min(self.pages, self.page + around) + 1)})
        out: list[int | None] = []
        for n in shown:
            if out and n - out[-1] > 1:
                out.append(None)
            out.append(n)
        return out


@dataclass(frozen=True)
class _Scope:
    """The WHERE of one list: conditions, the lanes to scan (None: any lane), whether the
    instance is joined (to search its title) and whether it is one organisation's tasks."""

    conds: tuple
    lanes: frozenset | None
    joined: bool = False
    one_organisation: bool = False

    def source(self):
        return HT.join(PI, PI.c.id == HT.c.instance_id) if self.joined else HT

    def lane_is(self, lane: str):
        # For one organisation, ``lane || ''``: the planner then cannot walk the (status,
        # lane, due_at) index through every organisation's tasks in due order, and finds
        # the few of this customer through the organisation index instead.
        column = HT.c.lane.concat("") if self.one_organisation else HT.c.lane
        return column == lane


def _scope(viewer: Viewer, q: TaskQuery, now: datetime) -> _Scope:
    conds = [HT.c.status == "ready"]
    lanes = viewer.view_lanes(q.view)
    if q.view == "mine":
        conds.append(HT.c.assignee == viewer.username)
    elif q.view == "unclaimed":
        conds.append(HT.c.assignee.is_(None))
    if q.view != "mine" and not (q.view == "all" and viewer.all_lanes):
        # a lane narrowed to named people (lane_owners) is in their lists only
        conds.append(or_(HT.c.lane_owners.is_(None), HT.c.lane_owners.contains(
            f"\n{viewer.username}\n", autoescape=True)))
    if viewer.organisation is not None:
        conds.append(HT.c.organisation == viewer.organisation)
    if q.role:
        lanes = frozenset({q.role}) & lanes if lanes is not None else frozenset({q.role})
    if q.process:
        conds.append(HT.c.process_id == q.process)
    if q.overdue:
        conds.append(HT.c.due_at < now)
    if q.search:
        conds.append(or_(HT.c.name.icontains(q.search, autoescape=True),
                         PI.c.title.icontains(q.search, autoescape=True)))
    return _Scope(tuple(conds), lanes, bool(q.search), viewer.organisation is not None)


def _ordered(scope: _Scope, dated: bool, offset: int, limit: int):
    """Ids of tasks ``offset`` .. ``offset + limit`` among those with (``dated``) or without
    a due date, in list order; one index scan per lane, merged, for several lanes."""
    where = [*scope.conds, HT.c.due_at.is_not(None) if dated else HT.c.due_at.is_(None)]

    def scan(extra, n):
        order = (HT.c.due_at, HT.c.id) if dated else (HT.c.id,)
        return (select(HT.c.id, HT.c.due_at).select_from(scope.source())
                .where(*where, *extra).order_by(*order).limit(n))

    lanes = scope.lanes
    if lanes is None or len(lanes) == 1:
        extra = [] if lanes is None else [scope.lane_is(next(iter(lanes)))]
        return scan(extra, limit).offset(offset)
    parts = [scan([scope.lane_is(lane)], offset + limit).subquery() for lane in sorted(lanes)]
    merged = union_all(*(select(p.c.id, p.c.due_at) for p in parts)).subquery()
    order = (merged.c.due_at, merged.c.id) if dated else (merged.c.id,)
    return select(merged.c.id).order_by(*order).limit(limit).offset(offset)


def _count(session, scope: _Scope, extra=(), cap: int | None = COUNT_CAP) -> int:
    lanes = [] if scope.lanes is None else [or_(*(scope.lane_is(x) for x in sorted(scope.lanes)))]
    inner = select(HT.c.id).select_from(scope.source()).where(*scope.conds, *lanes, *extra)
    if cap is not None:
        inner = inner.limit(cap + 1)
    return session.scalar(select(func.count()).select_from(inner.subquery())) or 0


def _page_ids(session, scope: _Scope, offset: int, limit: int) -> list[int]:
    """``limit`` ids from ``offset``: dated tasks by due date first, then undated by id."""
    ids = list(session.scalars(_ordered(scope, True, offset, limit)))
    if len(ids) < limit:
        dated = offset + len(ids) if ids or offset == 0 else _count(
            session, scope, [HT.c.due_at.is_not(None)], cap=None)
        ids += session.scalars(_ordered(scope, False, max(0, offset - dated), limit - len(ids)))
    return ids


def list_tasks(session, viewer: Viewer, q: TaskQuery, now: datetime) -> TaskPage:
    """One page of the open tasks ``viewer`` may see in ``q.view``, filtered as ``q`` says."""
    lanes = viewer.view_lanes(q.view)
    if lanes is not None and (not lanes or (q.role and q.role not in lanes)):
        return TaskPage([], 1, q.per_page, 0, False, False)
    scope, page = _scope(viewer, q, now), max(1, q.page)
    ids = _page_ids(session, scope, (page - 1) * q.per_page, q.per_page + 1)
    has_next, ids = len(ids) > q.per_page, ids[:q.per_page]
    total = _count(session, scope)
    by_id = {r.id: r for r in session.execute(
        select(HT.c.id, HT.c.name, HT.c.lane, HT.c.organisation, HT.c.process_id,
               HT.c.instance_id, PI.c.title.label("instance_title"), HT.c.assignee,
               HT.c.due_at, HT.c.created_at)
        .select_from(HT.join(PI, PI.c.id == HT.c.instance_id)).where(HT.c.id.in_(ids)))}
    rows = [TaskRow(**by_id[i]._mapping) for i in ids if i in by_id]
    return TaskPage(rows, page, q.per_page, min(total, COUNT_CAP), total > COUNT_CAP, has_next)


def my_task_count(session, viewer: Viewer) -> int:
    """Open tasks assigned to ``viewer`` (the "My tasks" badge)."""
    conds = [HT.c.status == "ready", HT.c.assignee == viewer.username]
    if viewer.organisation is not None:
        conds.append(HT.c.organisation == viewer.organisation)
    return _count(session, _Scope(tuple(conds), None))


def next_task(session, instance_id: int, viewer: Viewer):
    """(id, name) of the instance's open task ``viewer`` may work next, or None."""
    conds = [HT.c.instance_id == instance_id, HT.c.status == "ready",
             HT.c.lane.in_(sorted(viewer.lanes)),
             or_(HT.c.assignee.is_(None), HT.c.assignee == viewer.username),
             or_(HT.c.lane_owners.is_(None), HT.c.lane_owners.contains(
                 f"\n{viewer.username}\n", autoescape=True))]
    if viewer.organisation is not None:
        conds.append(HT.c.organisation == viewer.organisation)
    return session.execute(select(HT.c.id, HT.c.name).where(*conds).order_by(HT.c.id)
                           .limit(1)).first()


# -- names for the page ----------------------------------------------------------------------
def process_names(session) -> dict[str, str]:
    """process id -> name of its latest version."""
    rows = session.execute(select(ProcessVersion.process_id, ProcessVersion.name)
                           .order_by(ProcessVersion.process_id, ProcessVersion.version))
    return {pid: name for pid, name in rows}


def organisation_names(session, keys) -> dict[str, str]:
    keys = sorted({k for k in keys if k})
    if not keys:
        return {}
    return dict(session.execute(select(Organisation.key, Organisation.name)
                                .where(Organisation.key.in_(keys))).all())


def display_names(session, usernames) -> dict[str, str]:
    names = sorted({u for u in usernames if u})
    if not names:
        return {}
    return dict(session.execute(select(User.username, User.display_name)
                                .where(User.username.in_(names))).all())


def assignable_users(session, lane: str | None, organisation: str | None,
                     owners: str | None = None) -> list[User]:
    """Active users holding the role ``lane`` (for a customer task: of its organisation;
    for a lane narrowed by ``lane_owners``: the people named)."""
    if not lane:
        return []
    query = select(User).join(user_role, user_role.c.user_id == User.id).join(
        Role, Role.id == user_role.c.role_id).where(User.active.is_(True), Role.name == lane)
    if lane == "Customer":
        query = query.join(Organisation, Organisation.id == User.organisation_id).where(
            Organisation.key == organisation)
    return [u for u in session.scalars(query.order_by(User.display_name))
            if is_owner(owners, u.username)]
