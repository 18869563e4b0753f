"""The auditor's pages: instance search, instance trace, chain verification and exports.

Read-only by construction: every route is a GET (the central guard refuses an auditor's
non-GET requests anyway)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/audit")

#: who may search the log and verify the chain
AUDITORS = ("Auditor", "Admin")
#: who may read one instance's trace (process owners follow their instances too)
TRACE_READERS = ("Auditor", "Admin", "Process Owner")
PER_PAGE = 25

from . import eventlogs, steps, views  # noqa: E402,F401  (the views are on bp)

bp.add_app_template_filter(steps.pretty_json, "audit_json")
