"""Service performance reviews and what they produce: customer reports, improvement
proposals and the change requests raised for them. Read here; the work itself is done
in the review process's tasks."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("reviews", __name__)

READERS = ("Service Level Manager", "Process Owner", "Auditor")
PER_PAGE = 25

from . import views  # noqa: E402,F401  (the views are on bp)
