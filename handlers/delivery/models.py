"""Records of the delivery area: measurements of the service delivered and the customer's
observations (measured values are floats: they are aggregated in SQL, see
handlers.delivery._aggregation).

Status columns are short strings checked by the database; amounts of money are Numeric.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class Measurement(Base):
    """One measured value of a metric for an SLA; the unique key makes imports idempotent."""

    __tablename__ = "measurement"
    __table_args__ = (UniqueConstraint("sla_id", "metric_id", "measured_at"),
                      Index("ix_measurement_lookup", "sla_id", "metric_id", "measured_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    sla_id: Mapped[int] = mapped_column(ForeignKey("sla.id"))
    metric_id: Mapped[int] = mapped_column(ForeignKey("metric.id"))
    measured_at: Mapped[datetime] = mapped_column(DateTime)
    value: Mapped[float] = mapped_column(Float)
    #: where the row came from: "csv:<file>", "api", ...
    source: Mapped[str] = mapped_column(String(200))
    #: when it was imported (None: before this was recorded); stored reports compare it
    imported_at: Mapped[datetime | None] = mapped_column(DateTime)


class Observation(Base):
    """A customer's observation (complaint, outage seen...): recorded and counted as fact."""

    __tablename__ = "observation"
    __table_args__ = (CheckConstraint(
        "kind in ('complaint', 'outage', 'slow', 'praise', 'other')", name="kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    sla_id: Mapped[int] = mapped_column(ForeignKey("sla.id"), index=True)
    observed_at: Mapped[datetime] = mapped_column(DateTime)
    kind: Mapped[str] = mapped_column(String(12))
    description: Mapped[str] = mapped_column(Text)
    #: minutes of impact the customer reports, if any
    impact_minutes: Mapped[int | None] = mapped_column(Integer)
    recorded_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime)
