"""Records of the catalogue area: metrics, services with their service level options and
targets, supporting processes and configuration items.

Status columns are short strings checked by the database; amounts of money are Numeric.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base
from handlers.columns import status_check


class Metric(Base):
    """A measurable quantity; without a data source no target may use it (mission rule 6)."""

    __tablename__ = "metric"
    __table_args__ = (
        CheckConstraint("direction in ('higher', 'lower')", name="direction"),
        CheckConstraint("aggregation in ('avg', 'min', 'max', 'sum', 'count')",
                        name="aggregation"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(30))
    #: which way is better: 'higher' (availability) or 'lower' (resolution time)
    direction: Mapped[str] = mapped_column(String(10))
    #: how measurements of a period combine into the attained value
    aggregation: Mapped[str] = mapped_column(String(10), default="avg")
    #: where the measurements come from (monitoring tool, service desk...); None = unmeasurable
    data_source: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")


service_ci = Table(
    "service_ci", Base.metadata,
    Column("service_id", ForeignKey("service.id", ondelete="CASCADE"), primary_key=True),
    Column("ci_id", ForeignKey("configuration_item.id", ondelete="CASCADE"), primary_key=True),
)


class Service(Base):
    __tablename__ = "service"
    __table_args__ = (status_check("draft", "live", "retired"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default="draft")
    owner: Mapped[str] = mapped_column(String(120))
    #: set for a customer-specific service designed for one organisation
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    options: Mapped[list[ServiceLevelOption]] = relationship(
        back_populates="service", order_by="ServiceLevelOption.rank",
        cascade="all, delete-orphan")
    supporting: Mapped[list[SupportingProcess]] = relationship(
        back_populates="service", order_by="SupportingProcess.kind",
        cascade="all, delete-orphan")
    cis: Mapped[list[ConfigurationItem]] = relationship(secondary=service_ci,
                                                        order_by="ConfigurationItem.key")


class ServiceLevelOption(Base):
    """One level of a service (Bronze/Silver/Gold) with its monthly cost and targets."""

    __tablename__ = "service_level_option"
    __table_args__ = (UniqueConstraint("service_id", "name"),
                      CheckConstraint("monthly_cost >= 0", name="cost_positive"))
    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    name: Mapped[str] = mapped_column(String(60))
    rank: Mapped[int] = mapped_column(Integer, default=1)
    monthly_cost: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    #: e.g. "Mon-Fri 08:00-18:00" or "24x7", in ``timezone``
    service_hours: Mapped[str] = mapped_column(String(60), default="24x7")
    timezone: Mapped[str] = mapped_column(String(60), default="UTC")
    description: Mapped[str] = mapped_column(Text, default="")
    service: Mapped[Service] = relationship(back_populates="options")
    targets: Mapped[list[Target]] = relationship(back_populates="option",
                                                 cascade="all, delete-orphan")


class Target(Base):
    """metric comparator threshold per period, e.g. availability >= 99.5 per month."""

    __tablename__ = "target"
    __table_args__ = (
        UniqueConstraint("option_id", "metric_id"),
        CheckConstraint("comparator in ('>=', '<=')", name="comparator"),
        CheckConstraint("period in ('month', 'quarter')", name="period"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    option_id: Mapped[int] = mapped_column(ForeignKey("service_level_option.id"))
    metric_id: Mapped[int] = mapped_column(ForeignKey("metric.id"))
    comparator: Mapped[str] = mapped_column(String(2))
    threshold: Mapped[float] = mapped_column(Float)
    period: Mapped[str] = mapped_column(String(10), default="month")
    option: Mapped[ServiceLevelOption] = relationship(back_populates="targets")
    metric: Mapped[Metric] = relationship(lazy="joined")


SUPPORTING_KINDS = ("incident", "problem", "change", "capacity", "availability", "continuity",
                    "configuration", "release", "security", "supplier")


class SupportingProcess(Base):
    """A process a service depends on; targets wait until every required one is defined."""

    __tablename__ = "supporting_process"
    __table_args__ = (UniqueConstraint("service_id", "kind"), status_check("undefined", "defined"))
    id: Mapped[int] = mapped_column(primary_key=True)
    service_id: Mapped[int] = mapped_column(ForeignKey("service.id"))
    kind: Mapped[str] = mapped_column(String(30))
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(10), default="undefined")
    owner: Mapped[str] = mapped_column(String(120), default="")
    #: the OLA or underpinning contract that backs it (reference and summary)
    agreement: Mapped[str] = mapped_column(Text, default="")
    defined_at: Mapped[datetime | None] = mapped_column(DateTime)
    service: Mapped[Service] = relationship(back_populates="supporting")


class ConfigurationItem(Base):
    __tablename__ = "configuration_item"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    ci_type: Mapped[str] = mapped_column(String(60))
    status: Mapped[str] = mapped_column(String(30), default="operational")
    location: Mapped[str] = mapped_column(String(120), default="")
