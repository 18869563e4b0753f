"""The event logs of a process for process-mining tools (XES, OCEL 2.0), downloaded from
the audit page; the JSON API serves the same documents (web/api/eventlogs.py)."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from flask import Response, request

from engine.i18n import _
from handlers.auditlog.ocel import to_ocel
from handlers.auditlog.selection import EventLog, LogFilters, event_log
from handlers.auditlog.xes import to_xes
from handlers.errors import DomainError

from .. import db_session
from ..auth.access import roles_required
from ..errors import error_response
from . import TRACE_READERS, bp

FORMATS = {"xes": ("application/xml", "xes"), "ocel": ("application/json", "jsonocel")}
MAX_FILTER = 255


def log_filters(args) -> LogFilters | dict[str, list[str]]:
    """The filters of a request's query (process, version, from, to, organisation), or the
    errors by parameter. ``to`` is inclusive: events up to the end of that day."""
    errors: dict[str, list[str]] = {}
    process = (args.get("process") or "").strip()
    if not process:
        errors["process"] = [_("name the process whose log to export")]
    elif len(process) > MAX_FILTER:
        errors["process"] = [_("at most %(MAX_FILTER)s characters", MAX_FILTER=MAX_FILTER)]
    version = None
    if (args.get("version") or "").strip():
        try:
            version = int(args["version"])
        except ValueError:
            errors["version"] = [_("a version number like 2 is expected")]
    days = {}
    for name in ("from", "to"):
        value = (args.get(name) or "").strip()
        try:
            days[name] = datetime.strptime(value, "%Y-%m-%d") if value else None
        except ValueError:
            errors[name] = [_("a date like 2026-01-31 is expected")]
    organisation = (args.get("organisation") or "").strip()[:MAX_FILTER] or None
    if errors:
        return errors
    until = days["to"] + timedelta(days=1) if days["to"] else None
    return LogFilters(process, version, days["from"], until, organisation)


def document(session, fmt: str, filters: LogFilters) -> tuple[EventLog, bytes]:
    """(the log, its document in ``fmt``: xes or ocel). Raises DomainError."""
    log = event_log(session, filters)
    if fmt == "xes":
        return log, to_xes(log)
    return log, json.dumps(to_ocel(session, log), indent=1, ensure_ascii=False).encode()


def file_name(filters: LogFilters, fmt: str) -> str:
    parts = [filters.process] + ([f"v{filters.version}"] if filters.version else [])
    safe = "".join(c if c.isalnum() or c in "-_." else "-" for c in "-".join(parts))
    return f"{safe[:80]}-eventlog.{FORMATS[fmt][1]}"


def download(fmt: str, filters: LogFilters) -> Response:
    """The document as an attachment, its chain head in the X-SLM-Chain-Head header.
    Raises DomainError."""
    log, body = document(db_session(), fmt, filters)
    return Response(body, mimetype=FORMATS[fmt][0], headers={
        "Content-Disposition": f"attachment; filename={file_name(filters, fmt)}",
        "X-SLM-Chain-Head": log.anchor})


@bp.get("/eventlog.<any(xes, ocel):fmt>")
@roles_required(*TRACE_READERS)
def eventlog(fmt: str):
    filters = log_filters(request.args)
    if isinstance(filters, dict):
        return error_response(400, _("The event log cannot be cut with these filters:"), filters)
    try:
        return download(fmt, filters)
    except DomainError as exc:
        field, _sep, message = str(exc).partition(": ")
        return error_response(400, _("The event log cannot be cut with these filters:"),
                              {field: [message]})
