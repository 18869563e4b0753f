"""Time helpers. The engine never reads the clock itself except through ``utcnow``,
which only callers at the edge (CLI, web) use; everything else takes ``now``."""
from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """The current time as a naive UTC datetime (the form stored in the database)."""
    return datetime.now(UTC).replace(tzinfo=None)


def as_utc(dt: datetime) -> datetime:
    """``dt`` as naive UTC; naive input is taken to be UTC already."""
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    return dt


def aware(dt: datetime) -> datetime:
    """``dt`` (naive UTC or aware) as an aware UTC datetime."""
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)
