"""Records of the conversations area: comments on a subject and the files attached to them.

A subject is named by its type and id (``subject_type`` in SUBJECT_TYPES), not by a foreign
key, so one table serves every kind of subject; ``organisation_id`` is the subject's
customer, copied when the comment is written, so a customer's threads are found without
joining every subject table. Comments and attachments are never changed or deleted.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base

SUBJECT_TYPES = ("requirement", "sla", "review", "change_request")
_TYPES = ", ".join(f"'{t}'" for t in SUBJECT_TYPES)


class Comment(Base):
    """One message in a subject's thread: typed in a task form or posted on the page."""

    __tablename__ = "comment"
    __table_args__ = (CheckConstraint(f"subject_type in ({_TYPES})", name="subject_type"),
                      Index("ix_comment_subject", "subject_type", "subject_id", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_type: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int] = mapped_column(Integer)
    #: the subject's customer organisation (None for a subject of no customer)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    author: Mapped[str] = mapped_column(String(120))
    #: the author's name and role as they were when writing (people change roles)
    author_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(60))
    #: the author's organisation name when writing
    author_organisation: Mapped[str] = mapped_column(String(200), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    #: where it was written: 'page' or the name of the task whose form carried it
    source: Mapped[str] = mapped_column(String(200), default="page")
    created_at: Mapped[datetime] = mapped_column(DateTime)

    attachments: Mapped[list[Attachment]] = relationship(back_populates="comment",
                                                         order_by="Attachment.id")


class Attachment(Base):
    """A file attached to a comment, stored in the database (type checked by content)."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    #: the type found in the content (never the one the browser claimed)
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)

    comment: Mapped[Comment] = relationship(back_populates="attachments")
