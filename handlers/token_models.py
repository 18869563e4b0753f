"""The API token table (imported by handlers.models, so ``Base.metadata`` holds it)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base


class ApiToken(Base):
    """A bearer token of one user for the JSON API; only its digest is stored."""

    __tablename__ = "api_token"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    #: what the owner calls it ("monitoring import", "laptop")
    name: Mapped[str] = mapped_column(String(100))
    #: sha256 hex of the token (handlers.api_tokens explains why no slow hash)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    #: set when revoked; a revoked token never authenticates again
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
