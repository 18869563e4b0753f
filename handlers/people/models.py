"""Records of the people area: organisations (the provider and its customers), users with
their roles, and API tokens.

Status columns are short strings checked by the database; amounts of money are Numeric.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    String,
    Table,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base

#: the built-in roles: route access rules are written in these; they are rows of ``role``
#: like any other (migration 0021 seeds them) and can never be retired
ROLES = ("Admin", "Process Owner", "Service Level Manager", "Customer", "Auditor")


class Role(Base):
    """A role people hold and BPMN lanes name. Admins add roles; built-in ones stay."""

    __tablename__ = "role"
    id: Mapped[int] = mapped_column(primary_key=True)
    #: as a lane names it (exact, case-sensitive)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    #: one of ROLES: never retired, never deleted
    builtin: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: set when an admin retired it: no new lane may name it, no one is given it any more
    retired_at: Mapped[datetime | None] = mapped_column(DateTime)


#: who holds which role (any number each)
user_role = Table(
    "user_role", Base.metadata,
    Column("user_id", ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True),
    Column("role_id", ForeignKey("role.id"), primary_key=True, index=True),
)


class Organisation(Base):
    __tablename__ = "organisation"
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    #: 'customer' (agrees SLAs) or 'provider' (the IT organisation itself)
    kind: Mapped[str] = mapped_column(String(20), default="customer")
    #: the organisation's working language ("en" or "ru"): its reports and PDFs are in it
    language: Mapped[str] = mapped_column(String(5), default="en", server_default="en")


class User(Base):
    __tablename__ = "app_user"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(200), default="")
    #: argon2 hash (handlers.people.operations.hash_password); never the password itself
    password_hash: Mapped[str] = mapped_column(String(255))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    #: an admin set the password: the person must choose their own at the next sign-in
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False,
                                                       server_default=false())
    #: the person's language ("en", "ru"); None: the browser's preference
    language: Mapped[str | None] = mapped_column(String(5))
    #: the person's IANA time zone (e.g. "Europe/Moscow"); None: the installation's (UTC)
    time_zone: Mapped[str | None] = mapped_column(String(60))
    organisation: Mapped[Organisation | None] = relationship(lazy="joined")
    role_rows: Mapped[list[Role]] = relationship(secondary=user_role, lazy="selectin",
                                                 order_by=Role.name)

    @property
    def reading_language(self) -> str:
        """The language to write to this person in: their own choice, else their
        organisation's, else the default."""
        if self.language:
            return self.language
        return self.organisation.language if self.organisation is not None else "en"

    @property
    def role_set(self) -> frozenset:
        """The names of the roles held."""
        return frozenset(r.name for r in self.role_rows)


class ApiToken(Base):
    """A bearer token of one user for the JSON API; only its digest is stored."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    #: what the owner calls it ("monitoring import", "laptop")
    name: Mapped[str] = mapped_column(String(100))
    #: sha256 hex of the token (handlers.people.tokens explains why no slow hash)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: set when revoked (by its owner, an administrator, or a new password of its owner);
    #: a revoked token never authenticates again
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: when given, the token stops working at this time (UTC)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)


class UserSession(Base):
    """A signed-in browser session, kept on the server: the cookie carries only its key, so
    ending the row (sign-out, a new password, deactivation, "end this session") ends the
    session wherever the cookie was copied to."""

    __tablename__ = "user_session"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    #: sha256 hex of the random key in the signed cookie (the key itself is never stored)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    #: last request seen (at most once a minute written): idle expiry counts from here
    last_seen_at: Mapped[datetime] = mapped_column(DateTime)
    #: set when the session ended; an ended session never authenticates again
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: the browser's User-Agent and address at sign-in, to tell sessions apart on the account page
    client: Mapped[str] = mapped_column(String(200), default="")
    address: Mapped[str] = mapped_column(String(45), default="")


class AccountLink(Base):
    """A single-use link sent by mail: an invitation (set a first password) or a password
    reset. Only the sha256 digest of its token is stored."""

    __tablename__ = "account_link"
    __table_args__ = (CheckConstraint("purpose IN ('invite', 'reset')", name="purpose"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    #: 'invite' or 'reset'
    purpose: Mapped[str] = mapped_column(String(10))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    #: set when used (or replaced by a newer link): a used link never works again
    used_at: Mapped[datetime | None] = mapped_column(DateTime)
