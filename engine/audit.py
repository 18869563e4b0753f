"""The append-only, hash-chained audit log.

Events are collected during a step (``AuditTrail``) and appended just before commit. On
PostgreSQL they are appended *unsealed*, without any lock, and the sealer
(engine.sealer, one process at a time holding a lease) later gives each committed event
the next place ``seq`` in the chain and its hash; on SQLite, which has one writer at a
time anyway, a step seals its own events as it appends them. Each event's hash covers
its content, its place and the previous hash: editing, deleting or reordering a sealed
row breaks the chain from that row on, and the head row catches a truncated tail.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from . import observers, sql
from .db import is_sqlite
from .models import AuditEvent, AuditHead

GENESIS = "0" * 64


def _default(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


#: json.dumps(value, sort_keys=True, separators=(",", ":"), default=_default), built once
_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=_default)
_json_str = json.encoder.encode_basestring_ascii  # what the encoder writes for a str


def canonical(value) -> str:
    return _ENCODER.encode(value)


def _scalar(value) -> str:
    """canonical(value), quicker for the None, str and int an event's fields hold."""
    if value is None:
        return "null"
    kind = type(value)
    if kind is str:
        return _json_str(value)
    if kind is int:
        return int.__repr__(value)
    return canonical(value)


def event_hash(prev_hash: str, seq: int, at: datetime, actor: str, kind: str,
               instance_id, process_id, version, task_id, element_id, data: str) -> str:
    """sha256(prev_hash + canonical([seq, at, actor, kind, instance_id, process_id,
    version, task_id, element_id, data])), the list written field by field (the sealer
    hashes every event; tests/unit/test_audit_hash.py checks it equals canonical's)."""
    body = ",".join((_scalar(seq), _json_str(at.isoformat(timespec="microseconds")),
                     _scalar(actor), _scalar(kind), _scalar(instance_id), _scalar(process_id),
                     _scalar(version), _scalar(task_id), _scalar(element_id), _scalar(data)))
    return hashlib.sha256(f"{prev_hash}[{body}]".encode()).hexdigest()


@dataclass
class AuditTrail:
    """Events of one step, waiting to be appended in the step's transaction."""

    events: list[dict] = field(default_factory=list)

    def add(self, kind: str, *, at: datetime, actor: str, instance_id=None, process_id=None,
            version=None, task_id=None, element_id=None, data=None) -> None:
        self.events.append(dict(
            kind=kind, at=at, actor=actor, instance_id=instance_id, process_id=process_id,
            version=version, task_id=task_id, element_id=element_id,
            data=canonical(data or {}),
        ))

    def flush(self, session: Session) -> int:
        """Append the collected events (caller commits). Returns how many."""
        if not self.events:
            return 0
        observers.notify(session, self.events)  # observers may write in the step (outbox)
        conn = session.connection()
        if is_sqlite(conn):
            seal_appending(conn, self.events)
        else:  # one INSERT for all of them (up to 32), no lock, no read
            cols, most = sql.APPEND_COLUMNS, sql.APPEND_ROWS_MAX
            for i in range(0, len(self.events), most):
                chunk = self.events[i:i + most]
                sql.audit_append_pg(len(chunk)).execute(
                    conn, [e[c] for e in chunk for c in cols])
        count = len(self.events)
        self.events = []
        return count

    def append_with(self, session: Session, save) -> int:
        """PostgreSQL: append the collected events inside the step's own statement.

        ``save(events)`` runs the statement that saves the step (the instance's update),
        carrying ``events`` in it (engine.sql.save_carrying_pg), and returns its row count;
        this returns that count. One round trip does both. Observers hear of the events
        first, as in ``flush``; events beyond APPEND_ROWS_MAX go through ``flush``."""
        observers.notify(session, self.events)
        most = sql.APPEND_ROWS_MAX
        carried, rest = self.events[:most], self.events[most:]
        self.events = []
        count = save(carried)
        if rest and count == 1:
            conn = session.connection()
            for i in range(0, len(rest), most):
                chunk = rest[i:i + most]
                sql.audit_append_pg(len(chunk)).execute(
                    conn, [e[c] for e in chunk for c in sql.APPEND_COLUMNS])
        return count


def head_row(conn) -> tuple[int, str]:
    """(seq, hash) of the head row, created if missing (a bare create_all has none)."""
    head = sql.AUDIT_HEAD.first(conn)
    if head is None:
        conn.execute(sql.AH.insert(), {"id": 1, "seq": 0, "hash": GENESIS})
        return 0, GENESIS
    return head.seq, head.hash


def chain_events(seq: int, prev: str, events) -> list[dict]:
    """Seal ``events`` (dicts or rows of the content columns) after (seq, prev):
    [{seq, prev_hash, hash, **content}] in order."""
    rows = []
    for ev in events:
        ev = ev if isinstance(ev, dict) else ev._asdict()
        seq += 1
        h = event_hash(prev, seq, ev["at"], ev["actor"], ev["kind"], ev["instance_id"],
                       ev["process_id"], ev["version"], ev["task_id"], ev["element_id"],
                       ev["data"])
        rows.append(dict(ev, seq=seq, prev_hash=prev, hash=h))
        prev = h
    return rows


def seal_appending(conn, events: list[dict]) -> None:
    """SQLite: append ``events`` already sealed after the head (the database's single
    write lock, taken at BEGIN, already keeps every other writer out)."""
    seq, prev = head_row(conn)
    rows = chain_events(seq, prev, events)
    sql.AUDIT_INSERT_SEALED.execute_many(conn, rows)
    sql.AUDIT_HEAD_UPDATE.execute(conn, {"new_seq": rows[-1]["seq"],
                                         "new_hash": rows[-1]["hash"]})


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    #: sequence number of the first event found wrong (None when ok)
    first_bad: int | None = None
    reason: str = ""
    #: events appended but not sealed yet (not part of the chain, so not checked)
    unsealed: int = 0


def chain_head(session: Session) -> tuple[int, str]:
    """(sequence number, hash) of the last event: an anchor to keep outside the database."""
    head = session.get(AuditHead, 1)
    return (head.seq, head.hash) if head is not None else (0, GENESIS)


def parse_anchor(text: str) -> tuple[int, str]:
    """``"SEQ:HASH"`` (as ``slm audit head`` prints it) -> (seq, hash); ValueError if not."""
    seq, sep, digest = text.strip().partition(":")
    if not sep or not seq.isdigit() or int(seq) < 1 or len(digest) != 64 or any(
            c not in "0123456789abcdef" for c in digest):
        raise ValueError(f"{text!r} is not an anchor: expected SEQ:HASH, e.g. "
                         "42:<64 hex digits> as `slm audit head` prints it")
    return int(seq), digest


def verify_chain(session: Session, batch: int = 5000,
                 anchors: dict[int, str] | None = None) -> VerifyResult:
    """Check every sealed event against its predecessor and the head row.

    The chain alone cannot catch someone with write access who rewrites events *and*
    recomputes every later hash and the head. ``anchors`` ({seq: hash}, recorded earlier
    outside the database, see chain_head) catch that: each anchored event must still have
    the hash it had then. Events not sealed yet are counted (``unsealed``), not checked.

    On PostgreSQL the check reads one snapshot (REPEATABLE READ, on a connection of its
    own), so a sealer committing meanwhile cannot make the head and the events disagree.
    """
    bind = session.get_bind()
    if is_sqlite(bind):
        return _verify(session, batch, dict(anchors or {}))
    with bind.connect() as conn:
        conn.execution_options(isolation_level="REPEATABLE READ")
        with Session(bind=conn) as snapshot:
            return _verify(snapshot, batch, dict(anchors or {}))


def _verify(session: Session, batch: int, anchors: dict[int, str]) -> VerifyResult:
    prev, expected_seq, checked = GENESIS, 1, 0
    last_seq = 0
    unsealed = session.scalar(select(func.count()).select_from(AuditEvent)
                              .where(AuditEvent.seq.is_(None))) or 0
    while True:
        rows = session.execute(
            select(AuditEvent).where(AuditEvent.seq >= expected_seq)
            .order_by(AuditEvent.seq).limit(batch)
        ).scalars().all()
        if not rows:
            break
        for ev in rows:
            if ev.seq != expected_seq:
                return VerifyResult(False, checked, expected_seq,
                                    f"event {expected_seq} is missing (next found is {ev.seq})")
            if ev.prev_hash != prev:
                return VerifyResult(False, checked, ev.seq,
                                    f"event {ev.seq} does not follow event {ev.seq - 1} "
                                    "(removed, reordered or changed)")
            h = event_hash(prev, ev.seq, ev.at, ev.actor, ev.kind, ev.instance_id,
                           ev.process_id, ev.version, ev.task_id, ev.element_id, ev.data)
            if h != ev.hash:
                return VerifyResult(False, checked, ev.seq, f"event {ev.seq} was changed")
            anchored = anchors.pop(ev.seq, None)
            if anchored is not None and anchored != ev.hash:
                return VerifyResult(False, checked, ev.seq,
                                    f"event {ev.seq} no longer has the hash recorded in its "
                                    f"anchor ({anchored[:12]}..., now {ev.hash[:12]}...): the "
                                    "log up to it was rewritten")
            prev, expected_seq, last_seq = ev.hash, ev.seq + 1, ev.seq
            checked += 1
        session.expunge_all()
    if anchors:
        missing = min(anchors)
        return VerifyResult(False, checked, missing,
                            f"anchored event {missing} is not in the log any more")
    head = session.get(AuditHead, 1)
    if head is None:
        if last_seq:
            return VerifyResult(False, checked, last_seq + 1,
                                "the audit head row is missing: a removed tail cannot be "
                                "ruled out")
        return VerifyResult(True, checked, unsealed=unsealed)
    if head.seq < last_seq:
        return VerifyResult(False, head.seq, head.seq + 1,
                            f"event {head.seq + 1} comes after the head (event {head.seq}): "
                            "it was added outside the engine")
    if head.seq != last_seq or head.hash != prev:
        return VerifyResult(False, checked, last_seq + 1,
                            f"the log ends at event {last_seq} but the head records "
                            f"event {head.seq}: events after {last_seq} were removed")
    return VerifyResult(True, checked, unsealed=unsealed)


def instance_events(session: Session, instance_id: int) -> list[AuditEvent]:
    """The instance's events in the order they were written (sealed or not yet)."""
    return session.execute(
        select(AuditEvent).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id)
    ).scalars().all()
