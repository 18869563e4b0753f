"""Runner heartbeats: each runner records when it last finished a round (for /readyz)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import RunnerHeartbeat

RH = RunnerHeartbeat.__table__


def beat(session: Session, runner: str, now: datetime) -> None:
    """Record that ``runner`` is alive at ``now`` (caller commits)."""
    done = session.execute(RH.update().where(RH.c.runner == runner).values(seen_at=now))
    if done.rowcount == 0:
        session.execute(RH.insert().values(runner=runner, seen_at=now))


def last_beat(session: Session) -> datetime | None:
    """When the most recently seen runner last finished a round (None: never)."""
    return session.scalar(select(func.max(RH.c.seen_at)))


def forget_older_than(session: Session, before: datetime) -> int:
    """Drop the heartbeats of runners not seen since ``before`` (caller commits)."""
    return session.execute(RH.delete().where(RH.c.seen_at < before)).rowcount
