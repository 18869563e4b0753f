"""The statements of the engine's hot paths, built once.

Each is a SQLAlchemy Core statement wrapped in ``Prepared`` (see engine.prepared): it is
compiled per dialect on first use and run on the DBAPI cursor of the step's connection.
Lists of ids are handled with one row per id (``execute_many``) instead of expanding
``IN`` parameters.
"""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import bindparam, or_, select

from .models import (
    AuditEvent,
    AuditHead,
    AuditQueue,
    DueTimer,
    HumanTask,
    ProcessInstance,
    ProcessVersion,
)
from .prepared import Prepared, RawPg

PI = ProcessInstance.__table__
PV = ProcessVersion.__table__
HT = HumanTask.__table__
DT = DueTimer.__table__
AE = AuditEvent.__table__
AH = AuditHead.__table__
AQ = AuditQueue.__table__


def _values(columns):
    """``{column: bindparam(column)}``: an INSERT of exactly these columns."""
    return {c: bindparam(c) for c in columns}


LATEST_VERSION = Prepared(select(PV.c.id).where(PV.c.process_id == bindparam("pid"))
                          .order_by(PV.c.version.desc()).limit(1))

_INSTANCE_COLS = (PI.c.version_id, PI.c.revision, PI.c.status, PI.c.organisation, PI.c.timers,
                  PI.c.parent_instance_id, PI.c.parent_task_id, PI.c.call_depth)
_LOAD = select(*_INSTANCE_COLS).where(PI.c.id == bindparam("iid"))
INSTANCE_STATE = Prepared(select(PI.c.version_id, PI.c.revision, PI.c.status, PI.c.timers,
                                 PI.c.state)
                          .where(PI.c.id == bindparam("iid")))
LOAD_INSTANCE = Prepared(_LOAD)
#: PostgreSQL: lock the instance row first in every step, so that steps on one instance
#: queue up instead of deadlocking on the rows they touch afterwards.
LOAD_INSTANCE_LOCKED = Prepared(_LOAD.with_for_update())
INSERT_INSTANCE = Prepared(PI.insert().values(_values((
    "version_id", "process_id", "status", "state", "serializer_version", "revision",
    "started_by", "organisation", "title", "started_at", "updated_at", "timers",
    "parent_instance_id", "parent_task_id", "call_depth",
))).returning(PI.c.id))
READY_TASK_IDS = Prepared(select(HT.c.task_id).where(HT.c.instance_id == bindparam("iid"),
                                                     HT.c.status == "ready"))
_SAVE = ("state", "revision", "updated_at", "timers", "serializer_version")
#: the columns every save sets (SAVE_INSTANCE_STATUS adds status; _DONE also completed_at)
SAVE_COLUMNS = _SAVE
_SAVE_WHERE = (PI.c.id == bindparam("iid"), PI.c.revision == bindparam("rev"))


def _save(*extra):
    return Prepared(PI.update().where(*_SAVE_WHERE).values(
        {c: bindparam(f"v_{c}") for c in (*_SAVE, *extra)}))


#: a step that leaves the status as it was does not touch the status index
SAVE_INSTANCE = _save()
SAVE_INSTANCE_STATUS = _save("status")
SAVE_INSTANCE_DONE = _save("status", "completed_at")

INSERT_TASKS = Prepared(HT.insert().values(_values((
    "instance_id", "task_id", "element_id", "name", "lane", "organisation", "process_id",
    "form", "instructions", "lane_owners", "due_at", "status", "created_at",
))))
#: one row per task id (execute_many)
CANCEL_TASK = Prepared(HT.update().where(
    HT.c.instance_id == bindparam("iid"), HT.c.task_id == bindparam("tid"),
    HT.c.status == "ready").values(status="cancelled", completed_at=bindparam("now")))
#: what completing a task needs to know about its row
TASK_ROW = Prepared(select(
    HT.c.id, HT.c.instance_id, HT.c.task_id, HT.c.element_id, HT.c.name, HT.c.lane,
    HT.c.organisation, HT.c.process_id, HT.c.form, HT.c.assignee, HT.c.status,
    HT.c.completed_by, HT.c.completed_at, HT.c.lane_owners).where(HT.c.id == bindparam("htid")))
COMPLETE_TASK = Prepared(HT.update().where(HT.c.id == bindparam("htid"),
                                           HT.c.status == "ready").values(
    status="completed", completed_at=bindparam("now"), completed_by=bindparam("actor"),
    assignee=bindparam("assignee")))

INSERT_TIMERS = Prepared(DT.insert().values(_values((
    "instance_id", "task_id", "element_id", "due_at"))))
#: one row per task id (execute_many)
DELETE_TIMER = Prepared(DT.delete().where(DT.c.instance_id == bindparam("iid"),
                                          DT.c.task_id == bindparam("tid")))
_FREE = or_(DT.c.claim_expires_at.is_(None), DT.c.claim_expires_at < bindparam("now"))
_DUE = (select(DT.c.id).where(DT.c.due_at <= bindparam("now"), _FREE)
        .order_by(DT.c.due_at).limit(bindparam("limit")))
_CLAIM = DT.update().values(claimed_by=bindparam("runner"),
                            claim_expires_at=bindparam("expires")).returning(
    DT.c.id, DT.c.instance_id, DT.c.task_id, DT.c.element_id, DT.c.due_at)
#: Claim up to ``limit`` due, unclaimed (or expired) timers in one statement.
CLAIM_DUE = Prepared(_CLAIM.where(DT.c.id.in_(_DUE.scalar_subquery()), _FREE))
#: PostgreSQL: rows another runner is claiming right now are skipped, not waited for.
CLAIM_DUE_LOCKED = Prepared(_CLAIM.where(
    DT.c.id.in_(_DUE.with_for_update(skip_locked=True).scalar_subquery()), _FREE))
#: SQLite, claims sharing the first firing's transaction: the due rows, unclaimed yet
PICK_DUE = Prepared(select(DT.c.id, DT.c.instance_id, DT.c.task_id, DT.c.element_id,
                           DT.c.due_at).where(DT.c.due_at <= bindparam("now"), _FREE)
                    .order_by(DT.c.due_at, DT.c.id).limit(bindparam("limit")))
#: one row per timer id (execute_many)
CLAIM_ONE = Prepared(DT.update().where(DT.c.id == bindparam("tid"), _FREE).values(
    claimed_by=bindparam("runner"), claim_expires_at=bindparam("expires")))
#: the row of a timer this transaction picked (and so holds: SQLite has one writer)
TAKE_PICKED = Prepared(DT.delete().where(DT.c.id == bindparam("tid")))
TAKE_CLAIMED = Prepared(DT.delete().where(DT.c.id == bindparam("tid"),
                                          DT.c.claimed_by == bindparam("runner")))

_AUDIT_CONTENT = ("at", "actor", "kind", "instance_id", "process_id", "version", "task_id",
                  "element_id", "data")
#: the columns of a sealed event, in the order the sealer inserts them
SEALED_COLUMNS = ("seq", *_AUDIT_CONTENT, "prev_hash", "hash")
#: PostgreSQL: a step queues its events (engine.audit.encode_events) as one row, without
#: a lock or a read (``id`` comes from the table's sequence, in insert order)
QUEUE_APPEND_PG = RawPg("INSERT INTO audit_queue (instance_id, events) VALUES (%s, %s)")


@lru_cache(maxsize=6)
def save_carrying_pg(columns: tuple[str, ...], carrying: bool) -> RawPg:
    """PostgreSQL: the instance's save (``columns`` set, where id and revision match),
    ``carrying`` the step's queued audit events by a data-modifying CTE in the same
    statement: one round trip for both. Parameters: the queue row's two values (when
    carrying), then the ``columns`` values, the instance id and the revision it had. The
    row count is the UPDATE's (0 when someone else saved first; the transaction then rolls
    back, the queued events with it)."""
    update = (f"UPDATE process_instance SET {', '.join(f'{c} = %s' for c in columns)} "
              "WHERE id = %s AND revision = %s")
    if not carrying:
        return RawPg(update)
    return RawPg(f"WITH queued AS ({QUEUE_APPEND_PG.sql}) {update}")


def save_instance_pg(conn, stmt: Prepared, values: dict, queued: tuple | None) -> int:
    """PostgreSQL: ``stmt`` (a SAVE_INSTANCE* statement) with ``values``, carrying the
    ``queued`` audit events (engine.audit.encode_events, or None); returns the row count."""
    extra = (() if stmt is SAVE_INSTANCE else ("status",) if stmt is SAVE_INSTANCE_STATUS
             else ("status", "completed_at"))
    columns = SAVE_COLUMNS + extra
    params = list(queued or ())
    params += [values[f"v_{c}"] for c in columns]
    params += [values["iid"], values["rev"]]
    return save_carrying_pg(columns, queued is not None).execute(conn, params)


#: SQLite (one writer at a time): a step seals its own events as it appends them
AUDIT_INSERT_SEALED = Prepared(AE.insert().values(_values(SEALED_COLUMNS)))
AUDIT_HEAD = Prepared(select(AH.c.seq, AH.c.hash).where(AH.c.id == 1))
AUDIT_HEAD_UPDATE = Prepared(AH.update().where(AH.c.id == 1).values(
    seq=bindparam("new_seq"), hash=bindparam("new_hash")))

#: The sealer's lease: taken when free, expired or already ours (and then renewed). On
#: PostgreSQL the UPDATE also locks the head row until the sealing transaction ends.
LEASE_TAKE = Prepared(AH.update().where(
    AH.c.id == 1,
    or_(AH.c.sealer.is_(None), AH.c.sealer == bindparam("holder"),
        AH.c.lease_expires_at.is_(None), AH.c.lease_expires_at < bindparam("now"))).values(
    sealer=bindparam("holder"), lease_expires_at=bindparam("expires")))
LEASE_RELEASE = Prepared(AH.update().where(AH.c.id == 1, AH.c.sealer == bindparam("holder"))
                         .values(sealer=None, lease_expires_at=None))
#: committed queue rows (steps' events) not sealed yet, oldest first
QUEUED = Prepared(select(AQ.c.id, AQ.c.events).order_by(AQ.c.id).limit(bindparam("limit")))
#: by the primary key: a queue with dead rows not vacuumed yet is not read from its start
ANY_QUEUED = Prepared(select(AQ.c.id).order_by(AQ.c.id).limit(1))
#: PostgreSQL: the sealer reclaims the rows it deleted (engine.sealer.vacuum_queue)
QUEUE_VACUUM_PG = "VACUUM (TRUNCATE false) audit_queue"
#: PostgreSQL: the sealer takes the rows it sealed out of the queue (the ids as one binary
#: array); the row count must be theirs
QUEUE_TAKE_PG = RawPg("DELETE FROM audit_queue WHERE id = ANY(%b::integer[])")
#: PostgreSQL: a batch of sealed events inserted with COPY (engine.prepared.copy_rows_pg)
SEALED_COPY_PG = f"COPY audit_event ({', '.join(SEALED_COLUMNS)}) FROM STDIN"
