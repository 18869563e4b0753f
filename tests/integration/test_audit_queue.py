"""The queue of audit events waiting for the sealer (``audit_queue``, migration 0028).

Revision 0028 moves events a log holds unsealed (the design before it) into the queue, in
their order, and back on downgrade; the sealer then seals them like any step's. Only the
sealer writes ``audit_event`` on PostgreSQL (SQLite steps seal their own), so a row there
without a place in the chain was added outside the engine, and verification says so.
Queued events are visible as such: in an instance's events, and counted by verification.
"""
from __future__ import annotations

from datetime import datetime

from conftest import T0
from sqlalchemy import func, select, text

from engine.audit import (
    AuditTrail,
    instance_events,
    queued_count,
    queued_events,
    verify_chain,
)
from engine.db import make_engine, make_session_factory
from engine.models import AuditEvent, AuditQueue
from engine.schema import downgrade, upgrade
from engine.sealer import seal_pending


def _unsealed_rows(conn, rows: list[dict]) -> None:
    """Events appended unsealed, as steps did before revision 0028."""
    for row in rows:
        conn.execute(text(
            "INSERT INTO audit_event (at, actor, kind, instance_id, process_id, version, "
            "task_id, element_id, data) VALUES (:at, :actor, :kind, :instance_id, "
            ":process_id, :version, :task_id, :element_id, :data)"), row)


OLD = [dict(at=datetime(2026, 12, 1, 9, 0, 0, 250), actor="ann", kind="instance_started",
            instance_id=7, process_id="p", version=1, task_id=None, element_id=None,
            data='{"a":1}'),
       dict(at=datetime(2026, 12, 1, 9, 5), actor="bob \u00e9", kind="task_ready",
            instance_id=7, process_id="p", version=1,
            task_id="0f4b3c1e-1111-2222-3333-444455556666", element_id="review",
            data='{"b":"\\u00e9"}'),
       dict(at=datetime(2026, 12, 1, 9, 6), actor="sys", kind="version_deployed",
            instance_id=None, process_id="q", version=2, task_id=None, element_id=None,
            data="{}")]


def test_0028_moves_unsealed_events_into_the_queue_and_the_sealer_seals_them(empty_url):
    upgrade(empty_url, "0023")
    eng = make_engine(empty_url)
    try:
        with eng.begin() as conn:
            _unsealed_rows(conn, OLD)
        upgrade(empty_url)
        factory = make_session_factory(eng)
        with factory() as s:
            assert s.scalar(select(func.count()).select_from(AuditEvent)) == 0
            assert queued_count(s) == 3
            assert [(e.kind, e.at, e.actor, e.data) for e in queued_events(s)] == [
                (r["kind"], r["at"], r["actor"], r["data"]) for r in OLD]
            assert [e.kind for e in instance_events(s, 7)] == [
                "instance_started", "task_ready"]
            result = verify_chain(s)
            assert (result.ok, result.checked, result.unsealed) == (True, 0, 3)
        assert seal_pending(factory, "after-0028", release_after=True) == 3
        with factory() as s:
            sealed = s.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
            assert [(e.seq, e.kind, e.at, e.task_id, e.data) for e in sealed] == [
                (i + 1, r["kind"], r["at"], r["task_id"], r["data"])
                for i, r in enumerate(OLD)]
            result = verify_chain(s)
            assert (result.ok, result.checked, result.unsealed) == (True, 3, 0)
    finally:
        eng.dispose()


def test_0028_downgrade_puts_queued_events_back_unsealed(empty_url):
    upgrade(empty_url)
    eng = make_engine(empty_url)
    try:
        factory = make_session_factory(eng)
        if eng.dialect.name == "postgresql":
            with factory() as s:
                trail = AuditTrail()
                for r in OLD:
                    trail.add(r["kind"], at=r["at"], actor=r["actor"],
                              instance_id=r["instance_id"], process_id=r["process_id"],
                              version=r["version"], task_id=r["task_id"],
                              element_id=r["element_id"])
                trail.flush(s)
                s.commit()
        else:  # SQLite steps seal their own: a queue there comes from a copy
            with eng.begin() as conn:
                conn.execute(AuditQueue.__table__.insert(), [{"instance_id": None, "events": (
                    '[["2026-12-01T09:00:00.000250","ann","instance_started",7,"p",1,null,'
                    'null,"{}"],["2026-12-01T09:05:00.000000","bob","task_ready",7,"p",1,'
                    'null,"review","{}"]]')}])
        downgrade(empty_url, "0023")
        with eng.connect() as conn:
            rows = conn.execute(text("SELECT kind, seq, hash FROM audit_event ORDER BY id")).all()
        kinds = [r["kind"] for r in OLD] if eng.dialect.name == "postgresql" else [
            "instance_started", "task_ready"]
        assert [r.kind for r in rows] == kinds
        assert {(r.seq, r.hash) for r in rows} == {(None, None)}
    finally:
        eng.dispose()


def test_a_row_without_a_place_in_the_chain_is_caught(db_url, factory, full_instance):
    """Only the sealer writes audit_event (SQLite steps seal their own): an unsealed row
    there is not an event waiting for the sealer, it was added outside the engine."""
    seal_pending(factory, "tests", release_after=True)
    with factory() as s:
        assert verify_chain(s).ok
        _unsealed_rows(s.connection(), [dict(OLD[0], at=T0)])
        s.commit()
    with factory() as s:
        stray = s.scalar(select(AuditEvent.id).where(AuditEvent.seq.is_(None)))
        result = verify_chain(s)
    assert not result.ok
    assert f"rows without a place in the chain (id {stray})" in result.reason
    assert "added outside the engine" in result.reason
