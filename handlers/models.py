"""Tables of the SLM domain: people, catalogue, requirements, agreements, delivery, outputs.

Status columns are short strings checked by the database; amounts of money are Numeric;
measured values are floats (they are aggregated in SQL, see handlers.attainment).
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base

ROLES = ("Admin", "Process Owner", "Service Level Manager", "Customer", "Auditor")


def _status(*values: str) -> CheckConstraint:
    listed = ", ".join(f"'{v}'" for v in values)
    return CheckConstraint(f"status in ({listed})", name="status")


# -- people ------------------------------------------------------------------------------
class Organisation(Base):
    __tablename__ = "organisation"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    #: 'customer' (agrees SLAs) or 'provider' (the IT organisation itself)
    kind: Mapped[str] = mapped_column(String(20), default="customer")


class User(Base):
    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(200), default="")
    #: argon2 hash (handlers.people.hash_password); never the password itself
    password_hash: Mapped[str] = mapped_column(String(255))
    #: comma-separated role names from ROLES
    roles: Mapped[str] = mapped_column(String(255))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")

    @property
    def role_set(self) -> frozenset:
        return frozenset(r.strip() for r in self.roles.split(",") if r.strip())


# -- catalogue ---------------------------------------------------------------------------
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
    __table_args__ = (_status("draft", "live", "retired"),)
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
    __table_args__ = (UniqueConstraint("service_id", "kind"), _status("undefined", "defined"))
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


# -- requirements and agreements --------------------------------------------------------
class ServiceLevelRequirement(Base):
    """What a customer asked for, in their words, with the levels they want."""

    __tablename__ = "slr"
    __table_args__ = (_status("submitted", "assessed", "agreed", "withdrawn"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    submitted_by: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    #: the service need in the customer's own words
    need: Mapped[str] = mapped_column(Text)
    #: JSON list of wishes: {text, metric, comparator, value, period}
    wishes: Mapped[str] = mapped_column(Text, default="[]")
    #: JSON result of assess_requirements: measurable requirements and flagged wishes
    assessment: Mapped[str] = mapped_column(Text, default="{}")
    #: JSON ranked option list of match_catalogue
    options: Mapped[str] = mapped_column(Text, default="[]")
    status: Mapped[str] = mapped_column(String(12), default="submitted")
    instance_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    organisation: Mapped[Organisation] = relationship(lazy="joined")


class ServiceLevelAgreement(Base):
    __tablename__ = "sla"
    __table_args__ = (_status("draft", "negotiating", "agreed", "active", "expired",
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


# -- delivery ----------------------------------------------------------------------------
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


# -- reviews and outputs -----------------------------------------------------------------
class Review(Base):
    """A service performance review of one SLA for one period."""

    __tablename__ = "review"
    __table_args__ = (UniqueConstraint("sla_id", "period_start"),
                      _status("open", "reported", "discussed", "closed"))
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


class CustomerReport(Base):
    __tablename__ = "customer_report"
    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int | None] = mapped_column(ForeignKey("review.id"))
    sla_id: Mapped[int] = mapped_column(ForeignKey("sla.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    html: Mapped[str] = mapped_column(Text)
    pdf: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class ImprovementProposal(Base):
    __tablename__ = "improvement_proposal"
    __table_args__ = (_status("proposed", "accepted", "rejected", "done"),
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
    __table_args__ = (_status("open", "approved", "rejected", "implemented"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(30), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("improvement_proposal.id"))
    design_spec_id: Mapped[int | None] = mapped_column(ForeignKey("design_specification.id"))
    sla_id: Mapped[int | None] = mapped_column(ForeignKey("sla.id"))
    status: Mapped[str] = mapped_column(String(12), default="open")
    created_by: Mapped[str] = mapped_column(String(120))
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


# -- API tokens (own module: the table of the JSON API's credentials) ---------------------
from .token_models import ApiToken  # noqa: E402,F401
