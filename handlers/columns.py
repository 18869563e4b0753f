"""Column helpers shared by the records of every area."""
from __future__ import annotations

from sqlalchemy import CheckConstraint


def status_check(*values: str) -> CheckConstraint:
    listed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"status in ({listed})", name="status")
