"""Whether a stored report still tells the truth: what changed in the data it summarizes
after it was made (measurements imported and observations recorded for its period since)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select

from handlers.delivery.models import Measurement, Observation


def changed_since(session, period_start: date, period_end: date, made_at: datetime,
                  sla_ids: list[int] | None = None) -> dict:
    """``{measurements, observations, last}``: how many rows of the period (``period_end``
    included) were imported or recorded after ``made_at``, and when the last one was."""
    lo = datetime.combine(period_start, time())
    hi = datetime.combine(period_end + timedelta(days=1), time())
    m_where = [Measurement.measured_at >= lo, Measurement.measured_at < hi,
               Measurement.imported_at > made_at]
    o_where = [Observation.observed_at >= lo, Observation.observed_at < hi,
               Observation.created_at > made_at]
    if sla_ids is not None:
        m_where.append(Measurement.sla_id.in_(sla_ids))
        o_where.append(Observation.sla_id.in_(sla_ids))
    m_count, m_last = session.execute(select(func.count(), func.max(
        Measurement.imported_at)).where(*m_where)).one()
    o_count, o_last = session.execute(select(func.count(), func.max(
        Observation.created_at)).where(*o_where)).one()
    last = max((t for t in (m_last, o_last) if t is not None), default=None)
    return {"measurements": m_count, "observations": o_count, "last": last}
