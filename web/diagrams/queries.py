"""Reading the diagram library: processes, versions, instance counts."""
from __future__ import annotations

import json
from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.models import Incident, ProcessInstance, ProcessVersion

STATUSES = ("running", "completed", "error")


def instance_counts(session: Session, version_ids=None) -> dict[int, dict[str, int]]:
    stmt = (select(ProcessInstance.version_id, ProcessInstance.status, func.count())
            .group_by(ProcessInstance.version_id, ProcessInstance.status))
    if version_ids is not None:
        stmt = stmt.where(ProcessInstance.version_id.in_(list(version_ids)))
    out: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STATUSES, 0))
    for vid, status, n in session.execute(stmt):
        out[vid][status] = n
    return out


def _decision_names(text: str | None) -> list[str]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return []
    return sorted(value) if isinstance(value, dict) else []


def library(session: Session) -> list[dict]:
    """[{process_id, name, versions: [row...] newest first}] sorted by process id."""
    rows = session.execute(
        select(ProcessVersion.id, ProcessVersion.process_id, ProcessVersion.version,
               ProcessVersion.name, ProcessVersion.deployed_by, ProcessVersion.deployed_at,
               ProcessVersion.content_hash, ProcessVersion.filename, ProcessVersion.note,
               ProcessVersion.dmn_json)
        .order_by(ProcessVersion.process_id, ProcessVersion.version.desc())).all()
    counts = instance_counts(session)
    processes: dict[str, dict] = {}
    for r in rows:
        proc = processes.setdefault(r.process_id, {"process_id": r.process_id, "name": r.name,
                                                   "versions": []})
        proc["versions"].append({"row": r, "counts": counts[r.id],
                                 "decisions": _decision_names(r.dmn_json)})
    return list(processes.values())


def versions_of(session: Session, process_id: str) -> list:
    return session.execute(select(ProcessVersion.id, ProcessVersion.version)
                           .where(ProcessVersion.process_id == process_id)
                           .order_by(ProcessVersion.version)).all()


def running_instances(session: Session, version_id: int, limit: int = 200) -> list:
    return session.execute(
        select(ProcessInstance.id, ProcessInstance.title, ProcessInstance.started_by,
               ProcessInstance.started_at, ProcessInstance.updated_at)
        .where(ProcessInstance.version_id == version_id, ProcessInstance.status == "running")
        .order_by(ProcessInstance.id).limit(limit)).all()


#: SpiffWorkflow TaskState values in a serialized workflow
_WAITING, _READY, _STARTED, _COMPLETED, _ERROR = 8, 16, 32, 64, 128


def element_stats(session: Session, version_id: int, limit: int = 2000) -> dict[str, dict]:
    """{element id: {passed, waiting, incidents}}: how many instances of the version have
    passed (completed) or wait at each element, and open incidents per element. Reads the
    serialized states (JSON only, no workflow is rebuilt) of the latest ``limit`` instances."""
    stats: dict[str, dict] = defaultdict(lambda: {"passed": 0, "waiting": 0, "incidents": 0})
    states = session.execute(
        select(ProcessInstance.state).where(ProcessInstance.version_id == version_id)
        .order_by(ProcessInstance.id.desc()).limit(limit)).scalars()
    for text in states:
        try:
            wf = json.loads(text)
        except ValueError:
            continue
        passed, waiting = set(), set()
        for tasks in [wf.get("tasks", {})] + [
                sp.get("tasks", {}) for sp in (wf.get("subprocesses") or {}).values()]:
            for task in tasks.values():
                spec, state = task.get("task_spec"), task.get("state")
                if state == _COMPLETED:
                    passed.add(spec)
                elif state in (_WAITING, _READY, _STARTED, _ERROR):
                    waiting.add(spec)
        for spec in passed:
            stats[spec]["passed"] += 1
        for spec in waiting:
            stats[spec]["waiting"] += 1
    incidents = session.execute(
        select(Incident.element_id, func.count()).join(
            ProcessInstance, ProcessInstance.id == Incident.instance_id)
        .where(ProcessInstance.version_id == version_id, Incident.status == "open")
        .group_by(Incident.element_id))
    for element_id, n in incidents:
        stats[element_id]["incidents"] = n
    return dict(stats)
