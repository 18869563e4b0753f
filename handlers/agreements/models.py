"""Records of the agreements area: SLAs and their versions (the negotiated terms).

Status columns are short strings checked by the database; amounts of money are Numeric.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
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
from handlers.catalogue.models import Service
from handlers.columns import status_check
from handlers.people.models import Organisation


class ServiceLevelAgreement(Base):
    __tablename__ = "sla"
    __table_args__ = (status_check("draft", "negotiating", "agreed", "active", "expired",
                              "terminated"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(30), unique=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    slr_id: Mapped[int | None] = mapped_column(ForeignKey("slr.id"))
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    option_id: Mapped[int | None] = mapped_column(ForeignKey("service_level_option.id"))
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12), default="draft")
    current_version: Mapped[int] = mapped_column(Integer, default=0)
    #: 1 = highest; set by management when prioritising service levels
    priority: Mapped[int] = mapped_column(Integer, default=3)
    valid_from: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    instance_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    activated_at: Mapped[datetime | None] = mapped_column(DateTime)
    organisation: Mapped[Organisation] = relationship(lazy="joined")
    service: Mapped[Service] = relationship(lazy="joined")
    versions: Mapped[list[SLAVersion]] = relationship(back_populates="sla",
                                                      order_by="SLAVersion.number")


class SLAVersion(Base):
    """One version of an SLA's terms; versions are never changed or deleted."""

    __tablename__ = "sla_version"
    __table_args__ = (UniqueConstraint("sla_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    sla_id: Mapped[int] = mapped_column(ForeignKey("sla.id"))
    number: Mapped[int] = mapped_column(Integer)
    #: JSON terms: targets, service_hours, timezone, monthly_cost, review_cycle, parties, validity
    terms: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(120))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    sla: Mapped[ServiceLevelAgreement] = relationship(back_populates="versions")
