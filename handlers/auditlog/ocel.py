"""An event log as an OCEL 2.0 JSON document (the object-centric event log standard).

Objects: the process instances, their tasks (each task that ran, by its engine id), and the
records they are about: requirements, SLAs, reviews and change requests. Events: every
step of the log, related to its instance (``case``), its task (``task``) and the records
its instance is about (``about``). Objects relate to each other: a task to its instance
(``part of``), an instance to its records (``about``), a review to its SLA (``reviews``),
an SLA to its requirement (``answers``). The document carries the chain head it was cut at
(``slm:chainHead``); OCEL readers ignore keys they do not know.
"""
from __future__ import annotations

from sqlalchemy.orm import Session

from handlers.agreements.models import ServiceLevelAgreement
from handlers.outputs.models import ChangeRequest
from handlers.requirements.models import ServiceLevelRequirement
from handlers.reviews.models import Review

from .selection import EventLog
from .subjects import subjects_of
from .xes import timestamp

STATIC = "1970-01-01T00:00:00Z"
TYPES = {"instance": "process instance", "task": "task", "requirement": "requirement",
         "sla": "SLA", "review": "review", "change_request": "change request"}
ATTRIBUTES = {"instance": ("process", "version", "status", "title", "organisation"),
              "task": ("name", "element_id"), "requirement": ("title", "status"),
              "sla": ("reference", "title", "status", "organisation"),
              "review": ("period_start", "period_end", "status"),
              "change_request": ("reference", "title", "status")}
EVENT_ATTRIBUTES = (("resource", "string"), ("role", "string"), ("lifecycle", "string"),
                    ("element_id", "string"), ("seq", "integer"))


def _oid(kind: str, ident) -> str:
    return f"{kind}:{ident}"


class _Objects:
    """The objects of the document, each added once, with its relationships."""

    def __init__(self, session: Session):
        self.session = session
        self.items: dict[str, dict] = {}

    def add(self, kind: str, ident, values: dict, relations=()) -> str:
        oid = _oid(kind, ident)
        if oid not in self.items:
            self.items[oid] = {
                "id": oid, "type": TYPES[kind],
                "attributes": [{"name": k, "time": STATIC, "value": "" if v is None else str(v)}
                               for k, v in values.items()],
                "relationships": []}
        known = {(r["objectId"], r["qualifier"]) for r in self.items[oid]["relationships"]}
        for target, qualifier in relations:
            if (target, qualifier) not in known:
                self.items[oid]["relationships"].append(
                    {"objectId": target, "qualifier": qualifier})
        return oid

    def record(self, kind: str, ident: int) -> str:
        """The object of a requirement, SLA, review or change request (and what it names)."""
        s = self.session
        if kind == "requirement":
            r = s.get(ServiceLevelRequirement, ident)
            return self.add(kind, ident, {"title": r.title, "status": r.status})
        if kind == "sla":
            a = s.get(ServiceLevelAgreement, ident)
            rel = [(self.record("requirement", a.slr_id), "answers")] if a.slr_id else []
            return self.add(kind, ident, {"reference": a.reference, "title": a.title,
                                          "status": a.status,
                                          "organisation": a.organisation.name}, rel)
        if kind == "review":
            r = s.get(Review, ident)
            return self.add(kind, ident, {"period_start": r.period_start,
                                          "period_end": r.period_end, "status": r.status},
                            [(self.record("sla", r.sla_id), "reviews")])
        c = s.get(ChangeRequest, ident)
        rel = [(self.record("sla", c.sla_id), "changes")] if c.sla_id else []
        return self.add(kind, ident, {"reference": c.reference, "title": c.title,
                                      "status": c.status}, rel)


def to_ocel(session: Session, log: EventLog) -> dict:
    """The OCEL 2.0 document as a JSON-ready dict."""
    objects = _Objects(session)
    events = []
    activities: set[str] = set()
    for case in log.cases:
        i = case.instance
        about = [objects.record(s.kind, s.id) for s in subjects_of(session, i.id)]
        case_oid = objects.add("instance", i.id, {
            "process": i.process_id, "version": case.version, "status": i.status,
            "title": i.title, "organisation": case.organisation},
            [(oid, "about") for oid in about])
        for step in case.steps:
            activities.add(step.activity)
            rel = [{"objectId": case_oid, "qualifier": "case"}]
            if step.task_id:
                task = objects.add("task", step.task_id, {"name": step.activity,
                                                          "element_id": step.element_id},
                                   [(case_oid, "part of")])
                rel.append({"objectId": task, "qualifier": "task"})
            rel += [{"objectId": oid, "qualifier": "about"} for oid in about]
            values = {"resource": step.actor, "role": step.role or "",
                      "lifecycle": step.lifecycle, "element_id": step.element_id,
                      "seq": step.seq}
            events.append({"id": f"e{step.seq}", "type": step.activity,
                           "time": timestamp(step.at).replace("+00:00", "Z"),
                           "attributes": [{"name": k, "value": v} for k, v in values.items()],
                           "relationships": rel})
    return {
        "slm:chainHead": log.anchor,
        "slm:process": log.filters.process,
        "objectTypes": [{"name": TYPES[k], "attributes": [
            {"name": a, "type": "string"} for a in ATTRIBUTES[k]]} for k in TYPES],
        "eventTypes": [{"name": a, "attributes": [{"name": n, "type": t}
                                                  for n, t in EVENT_ATTRIBUTES]}
                       for a in sorted(activities)],
        "objects": list(objects.items.values()),
        "events": events,
    }
