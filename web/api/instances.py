"""Process instances: the auditor's search and one instance with its tasks, incidents and
audit events (the same queries as the audit pages, web/audit)."""
from __future__ import annotations

from datetime import datetime

from flask import abort, request
from sqlalchemy import select

from engine.audit import instance_events
from engine.i18n import _
from engine.models import HumanTask, Incident, ProcessInstance, ProcessVersion

from .. import db_session
from ..audit import queries as audit_queries
from ..auth.access import roles_required
from . import V1, bp, invalid, iso, ok, page_body, paging

#: service level managers follow the agreements, process owners their diagrams' instances,
#: auditors and admins everything (the audit pages' readers plus the managers)
READERS = ("Service Level Manager", "Process Owner", "Auditor", "Admin")


def _instance(instance: ProcessInstance, version: int) -> dict:
    return {"id": instance.id, "process_id": instance.process_id, "version": version,
            "status": instance.status, "title": instance.title,
            "organisation": instance.organisation, "started_by": instance.started_by,
            "started_at": iso(instance.started_at), "completed_at": iso(instance.completed_at)}


def _filters() -> audit_queries.Filters | dict:
    """The search filters of the audit page, or the errors of bad dates."""
    args, errors, days = request.args, {}, {}
    for name in ("from", "to"):
        value = (args.get(name) or "").strip()
        try:
            days[name] = datetime.fromisoformat(value) if value else None
        except ValueError:
            errors[name] = [_("an ISO 8601 date like 2026-01-31 is expected")]
    if errors:
        return errors
    status = args.get("status", "")
    return audit_queries.Filters(
        process=args.get("process", "").strip(), version=args.get("version", type=int),
        status=status if status in audit_queries.STATUSES else "",
        customer=args.get("customer", "").strip(), sla=args.get("sla", "").strip(),
        actor=args.get("actor", "").strip(), date_from=days["from"], date_to=days["to"])


@bp.get(f"{V1}/instances")
@roles_required(*READERS)
def instances():
    filters = _filters()
    if isinstance(filters, dict):
        return invalid(filters)
    page, per_page = paging()
    found = audit_queries.search(db_session(), filters, page, per_page)
    return ok(page_body([_instance(i, v) for i, v in found.items], found.page,
                        found.per_page, found.total))


@bp.get(f"{V1}/instances/<int:instance_id>")
@roles_required(*READERS)
def instance(instance_id: int):
    session = db_session()
    found = session.get(ProcessInstance, instance_id)
    if found is None:
        abort(404)
    version = session.get(ProcessVersion, found.version_id)
    tasks = session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance_id, HumanTask.status == "ready")
        .order_by(HumanTask.id))
    incidents = session.scalars(select(Incident).where(Incident.instance_id == instance_id)
                                .order_by(Incident.id))
    events = instance_events(session, instance_id)
    check = audit_queries.check_instance(events)
    return ok({
        **_instance(found, version.version), "process_name": version.name,
        "open_tasks": [{"id": t.id, "name": t.name, "element_id": t.element_id,
                        "lane": t.lane, "assignee": t.assignee, "due_at": iso(t.due_at),
                        "created_at": iso(t.created_at)} for t in tasks],
        "incidents": [{"id": i.id, "element_id": i.element_id, "message": i.message,
                       "status": i.status, "created_at": iso(i.created_at),
                       "resolved_at": iso(i.resolved_at), "resolved_by": i.resolved_by}
                      for i in incidents],
        "verification": {"ok": check.ok, "checked": check.checked, "bad": check.bad},
        "events": [audit_queries.event_dict(ev) for ev in events],
    })
