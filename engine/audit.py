"""The append-only, hash-chained audit log.

Events are collected during a step (``AuditTrail``) and appended just before commit. On
PostgreSQL a step queues them (one ``audit_queue`` row, no lock, no read) and the sealer
(engine.sealer, one process at a time holding a lease) later moves every committed queue
row into ``audit_event``, each event sealed: the next place ``seq`` in the chain and its
hash. On SQLite, which has one writer at a time anyway, a step seals and inserts its own
events. Each event's hash covers its content, its place and the previous hash: editing,
deleting or reordering a sealed row breaks the chain from that row on, and the head row
catches a truncated tail. Queued events are visible as such (``queued_events``).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

import orjson
from sqlalchemy import cast, func, or_, select
from sqlalchemy.dialects.postgresql import JSON
from sqlalchemy.orm import Session

from . import observers, sql
from .db import is_sqlite
from .errors import EngineError
from .models import AuditEvent, AuditHead, AuditQueue

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
        else:  # one queue row for all of them, no lock, no read
            sql.QUEUE_APPEND_PG.execute(conn, encode_events(self.events))
        count = len(self.events)
        self.events = []
        return count

    def append_with(self, session: Session, save) -> int:
        """PostgreSQL: queue the collected events inside the step's own statement.

        ``save(queued)`` runs the statement that saves the step (the instance's update),
        carrying ``queued`` (``encode_events``' parameters, or None when there are no
        events) in it (engine.sql.save_carrying_pg), and returns its row count; this
        returns that count. One round trip does both. Observers hear of the events first,
        as in ``flush``."""
        observers.notify(session, self.events)
        events, self.events = self.events, []
        return save(encode_events(events) if events else None)


#: what audit_event's columns hold (PostgreSQL refuses more): a queued event is checked
#: when the step queues it, so that the sealer can always insert it
_WIDTH = {"actor": 120, "kind": 60, "process_id": 255, "task_id": 36, "element_id": 255}
_INT_RANGE = range(-2**31, 2**31)


def _queued(ev: dict) -> list:
    """One event as a queue entry: [at, actor, kind, instance_id, process_id, version,
    task_id, element_id, data] (``at`` in ISO form, naive UTC as the columns store it)."""
    for name, width in _WIDTH.items():
        value = ev[name]
        if value is not None and (type(value) is not str or len(value) > width
                                  or "\x00" in value):
            raise EngineError(f"audit event {ev['kind']!r}: {name} must be text of at most "
                              f"{width} characters without NUL, not {value!r:.80}")
    for name in ("instance_id", "version"):
        value = ev[name]
        if value is not None and (type(value) is not int or value not in _INT_RANGE):
            raise EngineError(f"audit event {ev['kind']!r}: {name} must be a 32-bit "
                              f"integer, not {value!r:.40}")
    at = ev["at"]
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    data = ev["data"]
    if type(data) is not str or "\x00" in data:
        raise EngineError(f"audit event {ev['kind']!r}: data must be JSON text without NUL")
    return [at.isoformat(timespec="microseconds"), ev["actor"], ev["kind"],
            ev["instance_id"], ev["process_id"], ev["version"], ev["task_id"],
            ev["element_id"], data]


def encode_events(events: list[dict]) -> tuple[int | None, str]:
    """A step's events as a queue row's parameters: (the one instance they all name, or
    None; the JSON list of their entries). Raises EngineError if one would not fit."""
    entries = [_queued(ev) for ev in events]
    ids = {e[3] for e in entries}
    try:
        text = orjson.dumps(entries).decode()
    except orjson.JSONEncodeError as exc:  # e.g. a lone surrogate: not storable text
        raise EngineError(f"audit events {[e[2] for e in entries]!r:.120} cannot be "
                          f"stored: {exc}") from exc
    return (ids.pop() if len(ids) == 1 else None), text


def decode_events(text: str) -> list[dict]:
    """A queue row's ``events`` back as event dicts (the fields of ``AuditTrail.add``)."""
    out = []
    for at, actor, kind, iid, pid, version, task_id, element_id, data in orjson.loads(text):
        out.append({"at": datetime.fromisoformat(at), "actor": actor, "kind": kind,
                    "instance_id": iid, "process_id": pid, "version": version,
                    "task_id": task_id, "element_id": element_id, "data": data})
    return out


#: the types of a queue entry's fields (engine.audit._queued): what orjson writes for them
#: in ASCII is what canonical writes
_PLAIN = frozenset((str, int, type(None)))


def seal_queued(seq: int, prev: str, texts) -> tuple[list[list], str]:
    """The events of queue rows ``texts`` (their ``events``, in order) sealed after
    (seq, prev): ([seq, *content, prev_hash, hash] per event, in engine.sql.SEALED_COLUMNS
    order, ``at`` as ISO text), and the last hash. The same hashes as ``chain_events`` of
    the decoded events, without building them (the sealer's inner loop;
    tests/unit/test_audit_hash.py holds the two equal).

    An entry [at, actor, ..., data] of text, integers and nulls that orjson writes in
    ASCII without a DEL is hashed from orjson's own bytes: for those, orjson writes what
    ``json``'s ASCII encoder writes (quotes, backslashes and control characters escaped
    alike), so "[seq," + the entry's JSON without its "[" is the canonical body. Anything
    else (non-ASCII, DEL, another type) is written field by field."""
    rows, sha, dumps = [], hashlib.sha256, orjson.dumps
    for text in texts:
        for entry in orjson.loads(text):
            seq += 1
            at = entry[0]
            if len(at) != 26 or at[10] != "T":  # not isoformat(timespec="microseconds")'s
                at = entry[0] = datetime.fromisoformat(at).isoformat(timespec="microseconds")
            raw = dumps(entry)
            if (len(entry) == 9 and raw.isascii() and b"\x7f" not in raw
                    and _PLAIN.issuperset(map(type, entry))):
                line = b"%s[%d,%s" % (prev.encode(), seq, raw[1:])
            else:
                actor, kind, iid, pid, version, task_id, element_id, data = entry[1:]
                body = ",".join((str(seq), _json_str(at), _scalar(actor), _scalar(kind),
                                 _scalar(iid), _scalar(pid), _scalar(version),
                                 _scalar(task_id), _scalar(element_id), _scalar(data)))
                line = f"{prev}[{body}]".encode()
            digest = sha(line).hexdigest()
            rows.append([seq, *entry, prev, digest])
            prev = digest
    return rows, prev


def queued_events(session: Session, instance_id: int | None = None,
                  newest: int | None = None) -> list[AuditEvent]:
    """Events committed but not sealed yet (PostgreSQL), in the order they were queued, as
    unsaved ``AuditEvent`` objects without ``id``, ``seq`` or hashes. ``instance_id``: only
    that instance's; ``newest``: only those of the newest that many queue rows."""
    query = select(AuditQueue.events)
    if instance_id is not None:
        query = query.where(or_(AuditQueue.instance_id == instance_id,
                                AuditQueue.instance_id.is_(None)))
    if newest is not None:
        rows = list(session.scalars(query.order_by(AuditQueue.id.desc()).limit(newest)))[::-1]
    else:
        rows = session.scalars(query.order_by(AuditQueue.id))
    return [AuditEvent(**ev) for text in rows for ev in decode_events(text)
            if instance_id is None or ev["instance_id"] == instance_id]


def queued_count(session: Session) -> int:
    """How many events wait for the sealer."""
    events = AuditQueue.events
    if session.get_bind().dialect.name == "postgresql":
        events = cast(events, JSON)
    return session.scalar(select(func.coalesce(func.sum(func.json_array_length(events)), 0)))


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
    unsealed = queued_count(session)
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
    stray = session.scalars(select(AuditEvent.id).where(AuditEvent.seq.is_(None))
                            .order_by(AuditEvent.id).limit(3)).all()
    if stray:  # only the sealer writes audit_event (SQLite steps seal their own): all sealed
        return VerifyResult(False, checked, last_seq + 1,
                            "rows without a place in the chain (id "
                            f"{', '.join(map(str, stray))}) were added outside the engine")
    return VerifyResult(True, checked, unsealed=unsealed)


def instance_events(session: Session, instance_id: int) -> list[AuditEvent]:
    """The instance's events in the order they were written: the sealed ones in their
    order in the chain, then those still queued for the sealer (no ``seq`` yet)."""
    sealed = session.execute(
        select(AuditEvent).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id)
    ).scalars().all()
    return [*sealed, *queued_events(session, instance_id)]
