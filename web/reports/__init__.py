"""Reports: the management report of the portfolio (figures, charts, PDF; generate a new
one), the customer reports, and the exports of the process's outputs (CSV/JSON)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("reports", __name__)

#: who generates management reports; auditors (and they) read and download everything
EDITORS = ("Service Level Manager", "Process Owner")
READERS = (*EDITORS, "Auditor")
PER_PAGE = 25

from . import exports, management  # noqa: E402,F401  (their views are on bp)
