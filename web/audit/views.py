"""The audit routes (all GET)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from flask import abort, render_template, request, url_for
from sqlalchemy import select

from engine.audit import chain_head, instance_events, parse_anchor, verify_chain
from engine.i18n import _
from engine.models import ProcessInstance, ProcessVersion
from handlers.auditlog.selection import element_names
from handlers.auditlog.subjects import organisation_names, subjects_of

from .. import db_session
from ..auth.access import roles_required
from ..downloads import attachment, diagram_download
from ..nav import url_if
from . import AUDITORS, PER_PAGE, TRACE_READERS, bp, queries, steps

#: where each kind of record an instance is about is shown
SUBJECT_PAGES = {"requirement": ("requirements.show", "slr_id"),
                 "sla": ("agreements.show", "sla_id"),
                 "review": ("reviews.detail", "review_id"),
                 "change_request": ("reviews.change_request", "change_id")}


def _day(name: str, end: bool = False) -> datetime | None:
    """A YYYY-MM-DD query argument as a datetime; ``end``: the start of the next day."""
    value = (request.args.get(name) or "").strip()
    if not value:
        return None
    try:
        day = datetime.strptime(value, "%Y-%m-%d")
    except ValueError:
        abort(400, description=_("%(name)s: a date like 2026-01-31 is expected", name=name))
    return day + timedelta(days=1) if end else day


def _filters() -> queries.Filters:
    status = request.args.get("status", "")
    return queries.Filters(
        process=request.args.get("process", "").strip(),
        version=request.args.get("version", type=int),
        status=status if status in queries.STATUSES else "",
        customer=request.args.get("customer", "").strip(),
        sla=request.args.get("sla", "").strip(),
        actor=request.args.get("actor", "").strip(),
        date_from=_day("from"), date_to=_day("to", end=True))


@bp.get("")
@roles_required(*AUDITORS)
def index():
    session = db_session()
    filters = _filters()
    page = queries.search(session, filters, request.args.get("page", 1, type=int), PER_PAGE)
    return render_template("audit/index.html", page=page, filters=filters,
                           statuses=queries.STATUSES, org_names=organisation_names(session),
                           **queries.choices(session))


def _instance(instance_id: int) -> tuple[ProcessInstance, ProcessVersion]:
    session = db_session()
    instance = session.get(ProcessInstance, instance_id)
    if instance is None:
        abort(404)
    return instance, session.get(ProcessVersion, instance.version_id)


@bp.get("/instances/<int:instance_id>")
@roles_required(*TRACE_READERS)
def trace(instance_id: int):
    session = db_session()
    instance, version = _instance(instance_id)
    events = instance_events(session, instance_id)
    marks = queries.markers(session, instance, events)
    names = organisation_names(session)
    return render_template(
        "audit/trace.html", instance=instance, version=version,
        events=steps.readable([queries.event_dict(ev) for ev in events], names),
        markers=marks, markers_json=json.dumps(marks), check=queries.check_instance(events),
        organisation=names.get(instance.organisation or ""),
        element_names=element_names(version.bpmn_xml),
        subjects=_subject_links(session, instance_id), head=chain_head(session),
        calls=_call_links(session, instance))


def _call_links(session, instance: ProcessInstance) -> dict:
    """The instance that called this one (a call activity) and the ones it called."""
    parent = (session.get(ProcessInstance, instance.parent_instance_id)
              if instance.parent_instance_id is not None else None)
    children = session.scalars(select(ProcessInstance).where(
        ProcessInstance.parent_instance_id == instance.id).order_by(ProcessInstance.id)
        .limit(200)).all()
    return {"parent": parent, "children": children}


def _subject_links(session, instance_id: int) -> list[tuple]:
    """(subject, URL or None: shown as a link only to who may open it) of the instance."""
    out = []
    for subject in subjects_of(session, instance_id):
        endpoint, arg = SUBJECT_PAGES[subject.kind]
        out.append((subject, url_if(endpoint, **{arg: subject.id})))
    return out


def _cut(session, instance_id: int):
    """(chain head, the instance's events up to it): the head is read first, so an export
    holds exactly the log its anchor certifies."""
    head = chain_head(session)
    return head, [ev for ev in instance_events(session, instance_id)
                  if ev.seq is not None and ev.seq <= head[0]]


@bp.get("/instances/<int:instance_id>/diagram.xml")
@roles_required(*TRACE_READERS)
def diagram(instance_id: int):
    _, version = _instance(instance_id)
    return diagram_download(version.bpmn_xml, f"instance-{instance_id}.bpmn")


@bp.get("/instances/<int:instance_id>/trace.json")
@roles_required(*TRACE_READERS)
def trace_json(instance_id: int):
    session = db_session()
    instance, version = _instance(instance_id)
    head, events = _cut(session, instance_id)
    check = queries.check_instance(events)
    body = {
        "chain_head": "{}:{}".format(*head),
        "instance": {"id": instance.id, "process_id": instance.process_id,
                     "version": version.version, "status": instance.status,
                     "title": instance.title,
                     "organisation": organisation_names(session).get(
                         instance.organisation or "", instance.organisation),
                     "started_by": instance.started_by,
                     "started_at": instance.started_at.isoformat(),
                     "completed_at": instance.completed_at.isoformat()
                     if instance.completed_at else None},
        "verification": {"ok": check.ok, "checked": check.checked, "bad": check.bad},
        "events": [queries.event_dict(ev) for ev in events],
    }
    response = attachment(json.dumps(body, indent=2, ensure_ascii=False), "application/json",
                          f"instance-{instance_id}-trace.json")
    response.headers["X-SLM-Chain-Head"] = body["chain_head"]
    return response


@bp.get("/instances/<int:instance_id>/trace.csv")
@roles_required(*TRACE_READERS)
def trace_csv(instance_id: int):
    _instance(instance_id)
    head, events = _cut(db_session(), instance_id)
    response = attachment(queries.trace_csv(events, head), "text/csv; charset=utf-8",
                          f"instance-{instance_id}-trace.csv")
    response.headers["X-SLM-Chain-Head"] = "{}:{}".format(*head)
    return response


@bp.get("/log.csv")
@roles_required(*AUDITORS)
def log_csv():
    date_from, date_to = _day("from"), _day("to", end=True)
    session = db_session()
    head = chain_head(session)
    events = queries.log_events(session, date_from, date_to, head[0])
    span = "-".join(a for a in (request.args.get("from"), request.args.get("to")) if a)
    response = attachment(queries.trace_csv(events, head), "text/csv; charset=utf-8",
                          f"audit-log{'-' + span if span else ''}.csv")
    response.headers["X-SLM-Chain-Head"] = "{}:{}".format(*head)
    return response


def _anchors(text: str) -> tuple[dict[int, str], str | None]:
    """Anchors typed into the verification form (SEQ:HASH, whitespace between), or the
    first malformed one's message."""
    anchors = {}
    for word in text.split():
        try:
            seq, digest = parse_anchor(word)
        except ValueError as exc:
            return {}, str(exc)
        anchors[seq] = digest
    return anchors, None


@bp.get("/verify")
@roles_required(*AUDITORS)
def verify():
    session = db_session()
    typed = request.args.get("anchors", "")
    head = "{}:{}".format(*chain_head(session))
    anchors, error = _anchors(typed)
    if error:
        return render_template("audit/verify.html", result=None, head=head, anchors=typed,
                               anchor_error=error), 400
    result = verify_chain(session, anchors=anchors)
    bad = None
    if result.first_bad is not None:
        from sqlalchemy import select

        from engine.models import AuditEvent

        ev = session.scalar(select(AuditEvent).where(AuditEvent.seq == result.first_bad))
        bad = queries.event_dict(ev) if ev is not None else None
    trace_url = (url_for("audit.trace", instance_id=bad["instance_id"])
                 if bad and bad["instance_id"] else None)
    return render_template("audit/verify.html", result=result, bad=bad, trace_url=trace_url,
                           head=head, anchors=typed, anchored=len(anchors), anchor_error=None)
