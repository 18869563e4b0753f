"""The hash-chained audit log catches edits, deletions, reordering and a cut tail.

Each tampering is done with raw SQL and checked with ``verify_chain``; the intact log and
the four basic tamperings (edit, delete a middle event, reorder, cut the tail) are also
checked with the real command line (``slm audit verify`` in a subprocess, same database).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import T0, event_at, rewrite_and_rehash, seal_all
from sqlalchemy import insert, select, text, update

from engine.audit import GENESIS, chain_head, event_hash, parse_anchor, verify_chain
from engine.models import AuditEvent, AuditHead, HumanTask
from engine.tasks import Actor, complete_task

SLM = Path(sys.executable).with_name("slm")
CUSTOMER = Actor("carol", frozenset({"Customer"}), "acme")
#: completing the unclaimed task claims it first, on the record (task_claimed)
KINDS = ["version_deployed", "version_deployed", "instance_started", "task_ready",
         "task_claimed", "task_completed", "handler_run", "instance_completed"]


@pytest.fixture
def small_run(full_instance, factory, engine):
    """deploy + start + complete: the full diagram's short path, 8 audit events."""
    iid = full_instance
    with factory() as s:
        [submit] = s.execute(select(HumanTask).where(HumanTask.instance_id == iid)).scalars()
        assert complete_task(engine, s, submit.id, {"amount": 4, "reason": "small"},
                             CUSTOMER, T0) == "completed"
        s.commit()
    seal_all(factory)
    with factory() as s:
        assert [e.kind for e in s.execute(
            select(AuditEvent).order_by(AuditEvent.seq)).scalars()] == KINDS
    return iid


def sql(factory, statement: str, **params) -> None:
    with factory() as s:
        result = s.execute(text(statement), params)
        assert result.rowcount in (-1, 1), statement
        s.commit()


def set_columns(factory, seq: int, **values) -> None:
    """UPDATE one event row directly (typed binds, so datetimes are stored as the column
    type stores them on each backend)."""
    with factory() as s:
        t = AuditEvent.__table__
        assert s.execute(update(t).where(t.c.seq == seq).values(**values)).rowcount == 1
        s.commit()


def verify(factory, **kw):
    with factory() as s:
        return verify_chain(s, **kw)


def cli(db_url: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLM_")}
    env["SLM_DATABASE_URL"] = db_url
    return subprocess.run([str(SLM), "audit", "verify"], env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def assert_cli_broken(db_url: str, seq: int) -> str:
    done = cli(db_url)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert f"audit log BROKEN at event {seq}:" in out, out
    return out


# -- intact ----------------------------------------------------------------------------------
def test_intact_log_verifies(small_run, factory, db_url):
    result = verify(factory)
    assert (result.ok, result.checked, result.first_bad) == (True, len(KINDS), None)
    # small batches walk the same chain
    assert verify(factory, batch=2) == result
    done = cli(db_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == f"audit log OK: {len(KINDS)} events checked"


def test_empty_log_verifies(factory):
    result = verify(factory)
    assert (result.ok, result.checked) == (True, 0)


def test_chain_links_each_event_to_its_predecessor(small_run, factory):
    with factory() as s:
        events = s.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars().all()
        head = s.get(AuditHead, 1)
    assert [e.seq for e in events] == list(range(1, len(KINDS) + 1))
    assert events[0].prev_hash == GENESIS
    for before, after in zip(events, events[1:], strict=False):
        assert after.prev_hash == before.hash
    assert (head.seq, head.hash) == (events[-1].seq, events[-1].hash)


# -- tampering -------------------------------------------------------------------------------
def test_changed_data_is_caught(small_run, factory, db_url):
    sql(factory, "UPDATE audit_event SET data = :d WHERE seq = 5",
        d=json.dumps({"form": {"amount": 400, "reason": "small"}}))
    result = verify(factory)
    assert (result.ok, result.first_bad, result.checked) == (False, 5, 4)
    assert result.reason == "event 5 was changed"
    assert verify(factory, batch=2).first_bad == 5
    assert "event 5 was changed" in assert_cli_broken(db_url, 5)


@pytest.mark.parametrize("column, value", [
    ("actor", "mallory"), ("kind", "task_cancelled"), ("element_id", "approve"),
    ("instance_id", 999), ("at", T0.replace(year=2020)),
])
def test_any_changed_column_is_caught(small_run, factory, column, value):
    set_columns(factory, 4, **{column: value})
    result = verify(factory)
    assert (result.ok, result.first_bad) == (False, 4)


def test_rehashing_an_edited_event_breaks_the_next_link(small_run, factory):
    """Editing an event and recomputing its own hash is caught at its successor."""
    with factory() as s:
        ev = event_at(s, 5)
        data = json.dumps({"form": {"amount": 400}})
        forged = event_hash(ev.prev_hash, ev.seq, ev.at, ev.actor, ev.kind, ev.instance_id,
                            ev.process_id, ev.version, ev.task_id, ev.element_id, data)
    sql(factory, "UPDATE audit_event SET data = :d, hash = :h WHERE seq = 5", d=data, h=forged)
    result = verify(factory)
    assert (result.ok, result.first_bad) == (False, 6)
    assert "does not follow event 5" in result.reason


def test_deleted_middle_event_is_caught(small_run, factory, db_url):
    sql(factory, "DELETE FROM audit_event WHERE seq = 4")
    result = verify(factory)
    assert (result.ok, result.first_bad, result.checked) == (False, 4, 3)
    assert result.reason == "event 4 is missing (next found is 5)"
    assert verify(factory, batch=3).first_bad == 4  # the gap right after a batch boundary
    assert "event 4 is missing" in assert_cli_broken(db_url, 4)


def test_swapped_events_are_caught(small_run, factory, db_url):
    """Reorder: exchange kind, data and time of events 3 and 4, each keeping its seq."""
    with factory() as s:
        three, four = (event_at(s, n) for n in (3, 4))
        a = (three.kind, three.data, three.at)
        b = (four.kind, four.data, four.at)
    for seq, (kind, data, at) in ((3, b), (4, a)):
        set_columns(factory, seq, kind=kind, data=data, at=at)
    result = verify(factory)
    assert (result.ok, result.first_bad) == (False, 3)
    assert_cli_broken(db_url, 3)


def test_swapped_rows_with_their_hashes_are_caught(small_run, factory):
    """Reorder whole rows (hashes included) by swapping their seq numbers."""
    sql(factory, "UPDATE audit_event SET seq = 1000 WHERE seq = 3")
    sql(factory, "UPDATE audit_event SET seq = 3 WHERE seq = 4")
    sql(factory, "UPDATE audit_event SET seq = 4 WHERE seq = 1000")
    result = verify(factory)
    assert (result.ok, result.first_bad) == (False, 3)


def test_deleted_last_event_is_caught_by_the_head(small_run, factory, db_url):
    last = len(KINDS)
    sql(factory, "DELETE FROM audit_event WHERE seq = :s", s=last)
    result = verify(factory)
    assert (result.ok, result.first_bad, result.checked) == (False, last, last - 1)
    assert f"the log ends at event {last - 1} but the head records event {last}" in (
        result.reason)
    assert_cli_broken(db_url, last)


def test_event_appended_outside_the_engine_is_caught(small_run, factory):
    """A well-chained event inserted after the last one, without moving the head.

    It is caught (the head disagrees); the report must name the forged event (8), not
    an event 9 that does not exist and "events after 8 were removed".
    """
    with factory() as s:
        last = event_at(s, len(KINDS))
        seq, prev = last.seq + 1, last.hash
        at, data = T0.replace(hour=12), "{}"
        h = event_hash(prev, seq, at, "mallory", "instance_completed", None, None, None, None,
                       None, data)
    with factory() as s:
        s.execute(insert(AuditEvent.__table__).values(
            seq=seq, at=at, actor="mallory", kind="instance_completed", data=data,
            prev_hash=prev, hash=h))
        s.commit()
    result = verify(factory)
    assert result.ok is False
    assert result.first_bad == seq, result.reason
    assert "removed" not in result.reason


def test_missing_head_row_is_caught(small_run, factory):
    """Without the head row a cut tail would go unnoticed: its absence is itself a break."""
    sql(factory, "DELETE FROM audit_head WHERE id = 1")
    result = verify(factory)
    assert result.ok is False, result


# -- anchors: a rewritten and fully re-hashed log ---------------------------------------------
def rewrite_from(factory, seq: int, data: str) -> None:
    with factory() as s:
        rewrite_and_rehash(s, seq, data)


def cli_args(db_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLM_")}
    env["SLM_DATABASE_URL"] = db_url
    return subprocess.run([str(SLM), "audit", *args], env=env, capture_output=True,
                          text=True, timeout=120, check=False)


def test_an_anchor_catches_a_rewritten_and_rehashed_log(small_run, factory, db_url):
    head = cli_args(db_url, "head")
    assert head.returncode == 0, head.stderr
    anchor = head.stdout.strip()
    last = len(KINDS)
    assert anchor.startswith(f"{last}:") and len(anchor.split(":")[1]) == 64
    assert cli_args(db_url, "verify", "--anchor", anchor).returncode == 0

    rewrite_from(factory, 5, '{"form":{"amount":400,"reason":"big"}}')
    assert verify(factory).ok  # the chain alone cannot tell: it is consistent again
    assert cli(db_url).returncode == 0
    seq, digest = anchor.split(":")
    result = verify(factory, anchors={int(seq): digest})
    assert (result.ok, result.first_bad) == (False, last)
    assert "rewritten" in result.reason
    done = cli_args(db_url, "verify", "--anchor", anchor)
    assert done.returncode == 1 and f"BROKEN at event {last}" in done.stderr, done.stderr


def test_an_anchor_past_the_end_means_events_were_removed(small_run, factory):
    with factory() as s:
        seq, digest = chain_head(s)
    sql(factory, "DELETE FROM audit_event WHERE seq = :s", s=seq)
    sql(factory, "UPDATE audit_head SET seq = :s, hash = "
        "(SELECT hash FROM audit_event WHERE seq = :s)", s=seq - 1)
    assert verify(factory).ok  # tail cut and head moved back: consistent again
    result = verify(factory, anchors={seq: digest})
    assert (result.ok, result.first_bad) == (False, seq)
    assert "not in the log" in result.reason


@pytest.mark.parametrize("text", ["12", "x:abc", "0:" + "a" * 64, "3:" + "g" * 64,
                                  "3:" + "a" * 63])
def test_a_malformed_anchor_is_refused_by_name(db_url, text):
    with pytest.raises(ValueError, match="SEQ:HASH"):
        parse_anchor(text)
    done = cli_args(db_url, "verify", "--anchor", text)
    assert done.returncode == 2 and "SEQ:HASH" in done.stderr, done.stderr
