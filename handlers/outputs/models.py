"""Records of the outputs area: service design specifications and change requests.

Status columns are short strings checked by the database; amounts of money are Numeric.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base
from handlers.columns import status_check


class DesignSpecification(Base):
    """Specification for designing a customer-specific service (an output of the process)."""

    __tablename__ = "design_specification"
    id: Mapped[int] = mapped_column(primary_key=True)
    slr_id: Mapped[int] = mapped_column(ForeignKey("slr.id"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    service_id: Mapped[int | None] = mapped_column(ForeignKey("service.id"))
    title: Mapped[str] = mapped_column(String(200))
    #: JSON: requirements, nearest options and gaps, cost estimate and its basis
    content: Mapped[str] = mapped_column(Text)
    estimated_monthly_cost: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ChangeRequest(Base):
    __tablename__ = "change_request"
    __table_args__ = (status_check("open", "approved", "rejected", "implemented"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(30), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("improvement_proposal.id"))
    design_spec_id: Mapped[int | None] = mapped_column(ForeignKey("design_specification.id"))
    sla_id: Mapped[int | None] = mapped_column(ForeignKey("sla.id"))
    #: the process instance that raised it (no foreign key, like the other records' links)
    instance_id: Mapped[int | None] = mapped_column(Integer, index=True)
    status: Mapped[str] = mapped_column(String(12), default="open")
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(DateTime)
