"""Prepared statements (engine.prepared) on both databases.

They bypass SQLAlchemy's execution path, so these tests check what that path would have
given: the same stored values (read back through the ORM), the same Python types, the
same exception classes, and the transaction SQLAlchemy began.
"""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError

from engine import sql
from engine.models import AuditHead, DueTimer, HumanTask, ProcessInstance
from engine.prepared import Prepared

AT = datetime(2026, 3, 4, 5, 6, 7, 890123)


def _instance(conn, **over) -> int:
    values = dict(version_id=None, process_id="p", status="running", state="{}",
                  serializer_version="slm-1", revision=1, started_by="tester",
                  organisation="acme", title="t", started_at=AT, updated_at=AT, timers="[]",
                  parent_instance_id=None, parent_task_id=None, call_depth=0)
    values.update(over)
    return sql.INSERT_INSTANCE.scalar(conn, values)


@pytest.fixture
def version_id(factory):
    from engine.models import ProcessVersion

    with factory() as s:
        v = ProcessVersion(process_id="p", version=1, name="P", content_hash="x" * 64,
                           bpmn_xml="<x/>", spec_json="{}", deployed_by="t", deployed_at=AT)
        s.add(v)
        s.commit()
        return v.id


def test_insert_returns_the_id_and_the_orm_reads_the_same_values(factory, version_id):
    with factory() as s:
        iid = _instance(s.connection(), version_id=version_id)
        s.commit()
    with factory() as s:
        row = s.get(ProcessInstance, iid)
        assert (row.version_id, row.started_at, row.organisation, row.revision) == (
            version_id, AT, "acme", 1)
        assert type(row.started_at) is datetime


def test_rows_come_back_typed_and_named(factory, version_id):
    with factory() as s:
        conn = s.connection()
        iid = _instance(conn, version_id=version_id)
        sql.INSERT_TIMERS.execute_many(conn, [
            dict(instance_id=iid, task_id=f"t{i}", element_id="wait", due_at=AT)
            for i in range(3)])
        claimed = sql.CLAIM_DUE.all(conn, {"now": AT, "limit": 2, "runner": "r1",
                                          "expires": AT}) if s.bind.dialect.name == "sqlite" \
            else sql.CLAIM_DUE_LOCKED.all(conn, {"now": AT, "limit": 2, "runner": "r1",
                                                "expires": AT})
        assert len(claimed) == 2
        assert all(type(r.due_at) is datetime and r.due_at == AT for r in claimed)
        assert {r.instance_id for r in claimed} == {iid}
        loaded = sql.LOAD_INSTANCE.first(conn, {"iid": iid})
        assert (loaded.revision, loaded.status, loaded.timers) == (1, "running", "[]")
        assert sql.LOAD_INSTANCE.first(conn, {"iid": iid + 1000}) is None
        s.commit()
    with factory() as s:
        owners = s.execute(select(DueTimer.claimed_by).order_by(DueTimer.id)).scalars().all()
        assert sorted(owners, key=str) == sorted(["r1", "r1", None], key=str)


def test_rowcount_of_an_update(factory, version_id):
    with factory() as s:
        conn = s.connection()
        iid = _instance(conn, version_id=version_id)
        params = dict(v_state="{}", v_revision=2, v_status="running", v_updated_at=AT,
                      v_timers="[]", v_serializer_version="slm-1", iid=iid, rev=1)
        assert sql.SAVE_INSTANCE.execute(conn, params) == 1
        assert sql.SAVE_INSTANCE.execute(conn, params) == 0  # revision 1 is gone
        s.commit()


def test_driver_errors_are_sqlalchemy_errors_and_roll_back_cleanly(factory, version_id):
    with factory() as s:
        conn = s.connection()
        iid = _instance(conn, version_id=version_id)
        s.commit()
    with factory() as s:
        with pytest.raises(IntegrityError):  # no such version: foreign key
            _instance(s.connection(), version_id=version_id + 999)
        s.rollback()
        assert s.execute(select(func.count()).select_from(ProcessInstance)).scalar() == 1
        assert s.get(ProcessInstance, iid) is not None


def test_statements_run_inside_the_session_transaction(factory, version_id):
    with factory() as s:
        _instance(s.connection(), version_id=version_id)
        sql.AUDIT_HEAD_UPDATE.execute(s.connection(), {"new_seq": 5, "new_hash": "f" * 64})
        s.rollback()
    with factory() as s:
        assert s.execute(select(func.count()).select_from(ProcessInstance)).scalar() == 0
        assert s.get(AuditHead, 1).seq == 0


def test_fixed_values_in_a_statement_are_sent(factory, version_id):
    """``status == "ready"`` is a literal inside READY_TASK_IDS, not a caller's parameter."""
    with factory() as s:
        conn = s.connection()
        iid = _instance(conn, version_id=version_id)
        rows = [dict(instance_id=iid, task_id=f"t{i}", element_id="e", name="n", lane="L",
                     organisation=None, process_id="p", form=None, instructions="",
                     lane_owners=None,
                     due_at=None, status=status, created_at=AT)
                for i, status in enumerate(["ready", "completed", "ready"])]
        sql.INSERT_TASKS.execute_many(conn, rows)
        assert sorted(sql.READY_TASK_IDS.scalars(conn, {"iid": iid})) == ["t0", "t2"]
        sql.CANCEL_TASK.execute_many(conn, [{"iid": iid, "tid": "t0", "now": AT}])
        s.commit()
    with factory() as s:
        got = dict(s.execute(select(HumanTask.task_id, HumanTask.status)).all())
        assert got == {"t0": "cancelled", "t1": "completed", "t2": "ready"}


def test_statements_that_need_sqlalchemy_at_run_time_are_refused(db_engine):
    from engine.models import ProcessVersion

    # forms_json and filename are left to their Python-side defaults
    with_default = Prepared(ProcessVersion.__table__.insert().values(
        process_id=bindparam("pid")))
    expanding = Prepared(select(HumanTask.id).where(
        HumanTask.id.in_(bindparam("ids", expanding=True))))
    with db_engine.connect() as conn:
        with pytest.raises(ValueError, match="defaults"):
            with_default.plan(conn.dialect)
        with pytest.raises(ValueError, match="IN"):
            expanding.plan(conn.dialect)


def test_a_missing_parameter_is_named(factory):
    with factory() as s, pytest.raises(ValueError, match="'rev'"):
        sql.SAVE_INSTANCE.execute(s.connection(), dict(
            v_state="{}", v_revision=2, v_status="running", v_updated_at=AT, v_timers="[]",
            v_serializer_version="slm-1", iid=1))


def test_the_faster_datetime_writer_writes_what_sqlalchemy_writes():
    import random
    from datetime import UTC, date, timedelta

    from sqlalchemy import DateTime
    from sqlalchemy.dialects import postgresql, sqlite

    from engine.prepared import faster_datetime

    proc = DateTime().dialect_impl(sqlite.dialect()).bind_processor(sqlite.dialect())
    fast = faster_datetime(proc)
    assert fast is not proc  # SQLite's default format: the fast path is taken
    rnd = random.Random(7)
    values = [datetime(1, 1, 1) + timedelta(microseconds=rnd.randrange(10**17))
              for _ in range(2000)]
    values += [AT.replace(tzinfo=UTC), date(2026, 3, 4), None, datetime(9999, 12, 31)]
    assert [fast(v) for v in values] == [proc(v) for v in values]
    # a processor writing another format, and no processor at all, are left alone
    other = DateTime().dialect_impl(sqlite.dialect())
    other._storage_format = "%(year)04d/%(month)02d/%(day)02d"
    odd = other.bind_processor(sqlite.dialect())
    assert faster_datetime(odd) is odd
    assert DateTime().dialect_impl(postgresql.dialect()).bind_processor(
        postgresql.dialect()) is None
