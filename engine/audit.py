"""The append-only, hash-chained audit log.

Events are collected during a step (``AuditTrail``) and appended just before commit,
under a lock on the single ``audit_head`` row, so concurrent steps form one chain and
the lock is held only for the last moment of a transaction. Each event's hash covers
its content and the previous hash: editing, deleting or reordering a row breaks the
chain from that row on, and the head row catches a truncated tail.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import observers, sql
from .models import AuditEvent, AuditHead

GENESIS = "0" * 64


def _default(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_default)


def event_hash(prev_hash: str, seq: int, at: datetime, actor: str, kind: str,
               instance_id, process_id, version, task_id, element_id, data: str) -> str:
    body = canonical([seq, at.isoformat(timespec="microseconds"), actor, kind, instance_id,
                      process_id, version, task_id, element_id, data])
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


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
        """Append the collected events to the chain (caller commits). Returns how many."""
        if not self.events:
            return 0
        observers.notify(session, self.events)  # before the head lock: observers may query
        conn = session.connection()
        head = sql.AUDIT_HEAD_LOCKED.first(conn)
        if head is None:  # the migration creates it; a bare create_all does not
            conn.execute(sql.AH.insert(), {"id": 1, "seq": 0, "hash": GENESIS})
            head = (0, GENESIS)
        seq, prev = head
        rows = []
        for ev in self.events:
            seq += 1
            h = event_hash(prev, seq, ev["at"], ev["actor"], ev["kind"], ev["instance_id"],
                           ev["process_id"], ev["version"], ev["task_id"], ev["element_id"],
                           ev["data"])
            rows.append(dict(seq=seq, prev_hash=prev, hash=h, **ev))
            prev = h
        sql.AUDIT_INSERT.execute_many(conn, rows)
        sql.AUDIT_HEAD_UPDATE.execute(conn, {"new_seq": seq, "new_hash": prev})
        count = len(self.events)
        self.events = []
        return count


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    #: sequence number of the first event found wrong (None when ok)
    first_bad: int | None = None
    reason: str = ""


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
    """Check every event against its predecessor and the head row.

    The chain alone cannot catch someone with write access who rewrites events *and*
    recomputes every later hash and the head. ``anchors`` ({seq: hash}, recorded earlier
    outside the database, see chain_head) catch that: each anchored event must still have
    the hash it had then.
    """
    anchors = dict(anchors or {})
    prev, expected_seq, checked = GENESIS, 1, 0
    last_seq = 0
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
        return VerifyResult(True, checked)
    if head.seq < last_seq:
        return VerifyResult(False, head.seq, head.seq + 1,
                            f"event {head.seq + 1} comes after the head (event {head.seq}): "
                            "it was added outside the engine")
    if head.seq != last_seq or head.hash != prev:
        return VerifyResult(False, checked, last_seq + 1,
                            f"the log ends at event {last_seq} but the head records "
                            f"event {head.seq}: events after {last_seq} were removed")
    return VerifyResult(True, checked)


def instance_events(session: Session, instance_id: int) -> list[AuditEvent]:
    return session.execute(
        select(AuditEvent).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.seq)
    ).scalars().all()
