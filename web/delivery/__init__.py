"""Service delivery: importing measurements (actual delivery data, as reports) and the
attainment of each SLA per period, with the customer's observations beside the numbers."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("delivery", __name__)

#: who imports delivery data; auditors (and they) read attainment
EDITORS = ("Service Level Manager", "Process Owner")
READERS = (*EDITORS, "Auditor")
PER_PAGE = 25

from . import attainment, imports  # noqa: E402,F401  (their views are on bp)
