"""Audit events of administrative actions: organisations, users, passwords, API tokens.

They join the engine's hash-chained log (:mod:`engine.audit`) in the caller's transaction,
as events of no process instance, so a rolled-back action leaves no event behind. ``data``
says what was done and what changed; never a password, a password hash or a token.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from engine.audit import AuditTrail


def record(session: Session, kind: str, data: dict, *, actor: str, now: datetime) -> None:
    """Append one ``kind`` event by ``actor`` at ``now`` with ``data`` (caller commits)."""
    trail = AuditTrail()
    trail.add(kind, at=now, actor=actor, data=data)
    trail.flush(session)
