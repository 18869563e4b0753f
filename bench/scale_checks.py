"""bench/scale.py's checks on each mode's database once its phases are over: every instance
completed exactly once, every timer fired exactly once, the audit chain verified with
nothing left unsealed."""
from __future__ import annotations

from sqlalchemy import func, select

from engine.audit import verify_chain
from engine.db import make_engine, make_session_factory
from engine.models import AuditEvent, DueTimer, ProcessInstance
from engine.sealer import seal_pending


def checks(url: str, mode: str, started: int, fired_per_phase: list[bool]) -> dict:
    sa = make_engine(url)
    factory = make_session_factory(sa)
    try:
        if mode != "off":  # the deploy's event (set-up, before any mode) waits unsealed
            seal_pending(factory, "bench-check", wait=30, release_after=True)
        with factory() as s:
            instances = s.scalar(select(func.count()).select_from(ProcessInstance))
            completed = s.scalar(select(func.count()).select_from(ProcessInstance).where(
                ProcessInstance.status == "completed", ProcessInstance.completed_at.isnot(None)))
            due_left = s.scalar(select(func.count()).select_from(DueTimer))
            result = {"instances": instances, "completed": completed,
                      "every_instance_completed_once": instances == started == completed,
                      "every_timer_fired_once": due_left == 0 and all(fired_per_phase)}
            if mode != "off":
                def once(kind):
                    per = (select(AuditEvent.instance_id, func.count().label("n"))
                           .where(AuditEvent.kind == kind).group_by(AuditEvent.instance_id)
                           .subquery())
                    return s.execute(select(func.count(), func.min(per.c.n), func.max(per.c.n))
                                     ).one() == (started, 1, 1)
                result["every_instance_completed_once"] &= once("instance_completed")
                result["every_timer_fired_once"] &= once("timer_fired")
                verified = verify_chain(s)
                result["audit_verified"] = verified.ok and verified.unsealed == 0
                result["audit_events"] = verified.checked
        return result
    finally:
        sa.dispose()


def queued_events(url: str) -> int:
    """Events in the queue of database ``url``: committed by steps, not sealed yet."""
    sa = make_engine(url, pool_size=1)
    try:
        with sa.connect() as conn:
            return conn.exec_driver_sql(
                "SELECT coalesce(sum(json_array_length(events::json)), 0) FROM audit_queue"
            ).scalar()
    finally:
        sa.dispose()
