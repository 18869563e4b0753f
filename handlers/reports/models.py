"""Records of the reports area: customer reports of reviews and management reports.

Status columns are short strings checked by the database; amounts of money are Numeric.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class CustomerReport(Base):
    __tablename__ = "customer_report"
    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("review.id"))
    sla_id: Mapped[int] = mapped_column(ForeignKey("sla.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    html: Mapped[str] = mapped_column(Text)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ManagementReport(Base):
    __tablename__ = "management_report"
    id: Mapped[int] = mapped_column(primary_key=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    #: JSON portfolio: per SLA attainment, breaches, cost, priority, trend
    content: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime)
