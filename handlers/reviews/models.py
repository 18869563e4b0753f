"""Records of the reviews area: service performance reviews and the improvement proposals
they make.

Status columns are short strings checked by the database; amounts of money are Numeric.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base
from handlers.agreements.models import ServiceLevelAgreement
from handlers.columns import status_check


class Review(Base):
    """A service performance review of one SLA for one period."""

    __tablename__ = "review"
    __table_args__ = (UniqueConstraint("sla_id", "period_start"),
                      status_check("open", "reported", "discussed", "closed"))
    id: Mapped[int] = mapped_column(primary_key=True)
    sla_id: Mapped[int] = mapped_column(ForeignKey("sla.id"), index=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(10), default="open")
    #: JSON result of compute_attainment
    attainment: Mapped[str] = mapped_column(Text, default="{}")
    discussion: Mapped[str] = mapped_column(Text, default="")
    record: Mapped[str] = mapped_column(Text, default="")
    instance_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    sla: Mapped[ServiceLevelAgreement] = relationship(lazy="joined")


class ImprovementProposal(Base):
    __tablename__ = "improvement_proposal"
    __table_args__ = (status_check("proposed", "accepted", "rejected", "done"),
                      CheckConstraint("scope in ('service', 'process')", name="scope"))
    id: Mapped[int] = mapped_column(primary_key=True)
    #: 'service' (improve a service level) or 'process' (improve SLM itself)
    scope: Mapped[str] = mapped_column(String(10), default="service")
    review_id: Mapped[int | None] = mapped_column(ForeignKey("review.id"))
    sla_id: Mapped[int | None] = mapped_column(ForeignKey("sla.id"))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    #: why: 'breach', 'trend', 'observation', 'manager', 'process'
    reason: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="proposed")
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime)
