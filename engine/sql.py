"""Pre-built Core statements for the engine's hot paths.

Building a statement object per call costs more than running it on SQLite; these are
built once with bind parameters and executed on the session's connection.
"""
from __future__ import annotations

from sqlalchemy import bindparam, or_, select

from .models import AuditEvent, AuditHead, DueTimer, HumanTask, ProcessInstance, ProcessVersion

PI = ProcessInstance.__table__
PV = ProcessVersion.__table__
HT = HumanTask.__table__
DT = DueTimer.__table__
AE = AuditEvent.__table__
AH = AuditHead.__table__

LATEST_VERSION = (select(PV.c.id).where(PV.c.process_id == bindparam("pid"))
                  .order_by(PV.c.version.desc()).limit(1))

_INSTANCE_COLS = (PI.c.version_id, PI.c.revision, PI.c.status, PI.c.organisation, PI.c.timers,
                  PI.c.state)
LOAD_INSTANCE = select(*_INSTANCE_COLS).where(PI.c.id == bindparam("iid"))
#: PostgreSQL: lock the instance row first in every step, so that steps on one instance
#: queue up instead of deadlocking on the rows they touch afterwards.
LOAD_INSTANCE_LOCKED = LOAD_INSTANCE.with_for_update()
INSERT_INSTANCE = PI.insert()
READY_TASK_IDS = select(HT.c.task_id).where(HT.c.instance_id == bindparam("iid"),
                                            HT.c.status == "ready")
_SAVE = ("state", "revision", "status", "updated_at", "timers", "serializer_version")
_SAVE_WHERE = (PI.c.id == bindparam("iid"), PI.c.revision == bindparam("rev"))
SAVE_INSTANCE = PI.update().where(*_SAVE_WHERE).values({c: bindparam(f"v_{c}") for c in _SAVE})
SAVE_INSTANCE_DONE = PI.update().where(*_SAVE_WHERE).values(
    {c: bindparam(f"v_{c}") for c in (*_SAVE, "completed_at")})

INSERT_TASKS = HT.insert()
CANCEL_TASKS = HT.update().where(
    HT.c.instance_id == bindparam("iid"), HT.c.task_id.in_(bindparam("tids", expanding=True)),
    HT.c.status == "ready").values(status="cancelled", completed_at=bindparam("now"))
TASK_ROW = select(*HT.c).where(HT.c.id == bindparam("htid"))
COMPLETE_TASK = HT.update().where(HT.c.id == bindparam("htid"), HT.c.status == "ready").values(
    status="completed", completed_at=bindparam("now"), completed_by=bindparam("actor"),
    assignee=bindparam("assignee"))

INSERT_TIMERS = DT.insert()
DELETE_TIMERS = DT.delete().where(DT.c.instance_id == bindparam("iid"),
                                  DT.c.task_id.in_(bindparam("tids", expanding=True)))
_FREE = or_(DT.c.claim_expires_at.is_(None), DT.c.claim_expires_at < bindparam("now"))
PICK_DUE = (select(DT.c.id).where(DT.c.due_at <= bindparam("now"), _FREE)
            .order_by(DT.c.due_at).limit(bindparam("limit")))
PICK_DUE_LOCKED = PICK_DUE.with_for_update(skip_locked=True)
CLAIM = DT.update().where(DT.c.id.in_(bindparam("ids", expanding=True)), _FREE).values(
    claimed_by=bindparam("runner"), claim_expires_at=bindparam("expires"))
CLAIMED = select(DT.c.id, DT.c.instance_id, DT.c.task_id, DT.c.element_id, DT.c.due_at).where(
    DT.c.id.in_(bindparam("ids", expanding=True)), DT.c.claimed_by == bindparam("runner"))
TAKE_CLAIMED = DT.delete().where(DT.c.id == bindparam("tid"),
                                 DT.c.claimed_by == bindparam("runner"))

AUDIT_HEAD_LOCKED = select(AH.c.seq, AH.c.hash).where(AH.c.id == 1).with_for_update()
AUDIT_INSERT = AE.insert()
AUDIT_HEAD_UPDATE = AH.update().where(AH.c.id == 1).values(seq=bindparam("new_seq"),
                                                           hash=bindparam("new_hash"))
