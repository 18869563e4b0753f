"""Records of the requirements area: the customer's service level requirements.

Status columns are short strings checked by the database; amounts of money are Numeric.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base
from handlers.columns import status_check
from handlers.people.models import Organisation


class ServiceLevelRequirement(Base):
    """What a customer asked for, in their words, with the levels they want."""

    #: bounds of the Text and list fields (handlers.bounds); String columns by their length
    LIMITS = {"need": 5000, "wishes": 5}
    #: bounds of each wish's fields
    WISH_LIMITS = {"text": 500, "metric": 60, "comparator": 2, "value": 30, "period": 10}

    __tablename__ = "slr"
    __table_args__ = (status_check("submitted", "assessed", "agreed", "withdrawn"),)
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
    #: the catalogue service the customer started from (None: "none of these fits"); its
    #: levels come first among the options (no foreign key: a retired service stays named)
    service_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    organisation: Mapped[Organisation] = relationship(lazy="joined")
