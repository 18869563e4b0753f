"""Lanes at deploy: every task a person works (user or manual task) lies in a lane, and the
lane names a role that exists. The roles are the caller's (the SLM domain keeps them as
data); the engine only compares names.

Also what the engine reads of SpiffArena's ``lane_owners`` convention: task data
``lane_owners = {lane name: [username, ...]}`` narrows a lane to named people for one
instance.
"""
from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import EngineError, Problem
from .i18n import _
from .models import ProcessVersion
from .xmlsafe import parse_xml

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
#: the BPMN elements a person works (a task of no type waits for a person, too)
HUMAN_TAGS = ("userTask", "manualTask", "task")
#: at most this many named people per lane, each name at most MAX_NAME characters
MAX_OWNERS = 100
MAX_NAME = 120
#: roles a lane may not name: an auditor reads everything and changes nothing; an admin
#: looks after people and roles, not process work
NOT_FOR_LANES = frozenset({"Auditor", "Admin"})
_WHY = {"Auditor": " (auditors change nothing)", "Admin": " (admins do no process work)"}


_KINDS = {"manualTask": "manual task", "userTask": "user task",
          "task": "task (of no type: a person confirms it)"}


def _kind(tag: str) -> str:
    return _KINDS.get(tag, "user task")


def not_in_lane(tag: str) -> str:
    return (f"{_kind(tag)} is not in a lane, so no one could ever work it: put it in the "
            "lane of the role that does it")


def lane_ids(root) -> dict[str, list[str]]:
    """Lane name -> the ids of the lane elements of that name in the document."""
    out: dict[str, list[str]] = {}
    for lane in root.iter(f"{{{BPMN_NS}}}lane"):
        out.setdefault((lane.get("name") or "").strip(), []).append(lane.get("id") or "?")
    return out


def xml_lane_problems(process) -> list[Problem]:
    """User and manual tasks directly in ``process`` outside every lane (read from the XML,
    so that they are reported even when the parser stops at another element)."""
    in_lanes = {(ref.text or "").strip()
                for ref in process.iter(f"{{{BPMN_NS}}}flowNodeRef")}
    return [Problem(el.get("id"), not_in_lane(tag))
            for tag in HUMAN_TAGS for el in process.findall(f"{{{BPMN_NS}}}{tag}")
            if el.get("id") not in in_lanes]


def spec_lane_problems(specs: Iterable, root, known_lanes: Iterable[str]) -> list[Problem]:
    """Every human task spec of ``specs`` has a lane, and its lane is a known role
    (``known_lanes``: the active roles); problems name the task and the lane element."""
    known = set(known_lanes) - NOT_FOR_LANES
    ids = lane_ids(root)
    problems = []
    for spec in specs:
        for task_spec in spec.task_specs.values():
            if not getattr(task_spec, "manual", False):
                continue
            eid = getattr(task_spec, "bpmn_id", None) or task_spec.name
            tag = {"ManualTask": "manualTask", "NoneTask": "task"}.get(
                type(task_spec).__name__, "userTask")
            if not task_spec.lane:
                problems.append(Problem(eid, not_in_lane(tag)))
            elif task_spec.lane not in known:
                where = ", ".join(ids.get(task_spec.lane, [])) or "?"
                why = _WHY.get(task_spec.lane, "")
                problems.append(Problem(eid, (
                    _("lane %(lane)s (lane element %(where)s) is not a role that may work "
                      "tasks%(why)s; roles: %(value)s. An administrator adds roles under "
                      "Admin > Roles",
                      lane=repr(task_spec.lane),
                      where=where,
                      why=why,
                      value=', '.join(sorted(known)) or 'none'))))
    return problems


def lanes_in_use(session: Session) -> dict[str, list[str]]:
    """Lane name -> the deployed versions ("process_id v3") whose diagram has such a lane."""
    used: dict[str, list[str]] = {}
    rows = session.execute(select(ProcessVersion.process_id, ProcessVersion.version,
                                  ProcessVersion.bpmn_xml).order_by(
        ProcessVersion.process_id, ProcessVersion.version))
    for pid, number, xml in rows:
        root = parse_xml(xml.encode("utf-8"), pid)
        for name in lane_ids(root):
            if name:
                used.setdefault(name, []).append(_("%(pid)s v%(number)s",
                                                   pid=pid,
                                                   number=number))
    return used


class LaneOwnersError(EngineError):
    """Task data ``lane_owners`` is not {lane name: [username, ...]}."""


def lane_owners(data: dict, lane: str | None) -> str | None:
    """The people ``data["lane_owners"]`` names for ``lane``, stored form ("\\nana\\nbo\\n"),
    or None when the lane is not narrowed. Raises LaneOwnersError for a malformed entry."""
    owners = data.get("lane_owners") if isinstance(data, dict) else None
    if owners is None or lane is None:
        return None
    if not isinstance(owners, dict):
        raise LaneOwnersError(_("task data 'lane_owners' must map lane names to lists of "
                                "usernames"))
    if lane not in owners:
        return None
    names = owners[lane]
    if (not isinstance(names, list | tuple) or not names or len(names) > MAX_OWNERS
            or not all(isinstance(n, str) and n.strip() and len(n) <= MAX_NAME
                       and "\n" not in n for n in names)):
        raise LaneOwnersError(
            _("task data 'lane_owners' for lane %(lane)s must be a list of 1 to "
              "%(MAX_OWNERS)s usernames (each at most %(MAX_NAME)s characters)",
              lane=repr(lane),
              MAX_OWNERS=MAX_OWNERS,
              MAX_NAME=MAX_NAME))
    return "\n" + "\n".join(sorted({n.strip() for n in names})) + "\n"


def owner_names(stored: str | None) -> list[str]:
    """The usernames of a stored ``lane_owners`` value (empty: not narrowed)."""
    return [n for n in (stored or "").split("\n") if n]


def is_owner(stored: str | None, username: str) -> bool:
    """True when the lane is not narrowed or ``username`` is one of the named people."""
    return stored is None or f"\n{username}\n" in stored
