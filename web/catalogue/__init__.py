"""The service catalogue: services with the monthly cost of each level, their measurable
targets, supporting processes and configuration items; the metric registry; the CI register.

Service level managers and process owners change it; auditors read it (the central rule
refuses their POSTs, and the pages show them no forms). The views are in the modules
below, split by noun; every form is validated on the server, and a refused form is shown
again with its errors at the fields and the typed values kept, nothing saved.
"""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("catalogue", __name__, url_prefix="/catalogue")

#: who changes the catalogue; auditors only read it
EDITORS = ("Service Level Manager", "Process Owner")
READERS = (*EDITORS, "Auditor")
PER_PAGE = 25

from . import registers, services, supporting, targets  # noqa: E402,F401  (their views are on bp)
