"""The event log of a process for process-mining tools: XES and OCEL 2.0 (the documents
the audit page downloads, web/audit/eventlogs.py), cut at the audit chain head they carry
(also in the X-SLM-Chain-Head header)."""
from __future__ import annotations

from flask import request

from handlers.errors import DomainError

from ..audit import TRACE_READERS
from ..audit.eventlogs import download, log_filters
from ..auth.access import roles_required
from . import V1, bp, invalid


def _eventlog(fmt: str):
    filters = log_filters(request.args)
    if isinstance(filters, dict):
        return invalid(filters)
    try:
        return download(fmt, filters)
    except DomainError as exc:
        field, _, message = str(exc).partition(": ")
        return invalid({field: [message]})


@bp.get(f"{V1}/eventlogs/xes")
@roles_required(*TRACE_READERS)
def eventlog_xes():
    return _eventlog("xes")


@bp.get(f"{V1}/eventlogs/ocel")
@roles_required(*TRACE_READERS)
def eventlog_ocel():
    return _eventlog("ocel")
