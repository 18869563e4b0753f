"""Shared fixtures: real databases (a SQLite file and PostgreSQL), migrated with Alembic.

``db_url`` is parametrized over both backends. PostgreSQL tests create and drop their own
database; where no server is reachable they are skipped with the reason, except under
CI=true, where a missing server fails the run.
"""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import psycopg
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, text

import handlers.tables  # noqa: F401  (every area's tables on Base)
from engine.audit import GENESIS, event_hash, queued_events
from engine.db import Base, make_engine, make_session_factory
from engine.models import AuditEvent, AuditHead
from engine.registry import HandlerRegistry
from engine.runtime import Engine
from engine.schema import upgrade
from engine.sealer import seal_pending
from handlers.people import operations as people

DATA = Path(__file__).parent / "data"
PG_ADMIN = os.environ.get("SLM_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
T0 = datetime(2026, 1, 5, 9, 0, 0)


def _pg_reachable() -> str | None:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return None
    except Exception as exc:  # any failure means "not reachable"
        return f"PostgreSQL not reachable at {PG_ADMIN}: {exc}"


def create_pg_database(prefix: str) -> tuple[str, object]:
    """(URL, drop) of a new empty PostgreSQL database; skips (fails under CI=true) when no
    server is reachable. Call ``drop()`` when done."""
    reason = _pg_reachable()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true and {reason}")
        pytest.skip(reason)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop():
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    base = PG_ADMIN.rsplit("/", 1)[0]
    return f"{base}/{name}".replace("postgresql://", "postgresql+psycopg://", 1), drop


@pytest.fixture(scope="session")
def pg_server_url():
    """URL of a fresh PostgreSQL database for this test session (dropped afterwards)."""
    url, drop = create_pg_database("slm_test")
    upgrade(url)
    yield url
    drop()


@pytest.fixture(scope="session")
def sqlite_server_url(tmp_path_factory):
    path = tmp_path_factory.mktemp("db") / "slm-test.sqlite3"
    url = f"sqlite:///{path}"
    upgrade(url)
    return url


def _reset(engine) -> None:
    """Empty every table (children first) and reset the audit chain's head."""
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name == "role":  # the built-in roles are seeded by the migration
                conn.execute(table.delete().where(table.c.builtin.is_(False)))
            elif table.name != "audit_head":
                conn.execute(table.delete())
        conn.execute(text("UPDATE audit_head SET seq = 0, hash = :h, sealer = NULL, "
                          "lease_expires_at = NULL"), {"h": "0" * 64})


@pytest.fixture(params=["sqlite", "pg"])
def db_url(request):
    """A migrated, emptied database on each backend."""
    url = request.getfixturevalue(f"{request.param}_server_url")
    eng = make_engine(url)
    _reset(eng)
    eng.dispose()
    return url


@pytest.fixture(params=["sqlite", "pg"])
def empty_url(request, tmp_path):
    """A database of its own with nothing in it, on each backend (for migration tests)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    url, drop = create_pg_database("slm_empty")
    yield url
    drop()


@pytest.fixture
def sqlite_url(sqlite_server_url):
    eng = make_engine(sqlite_server_url)
    _reset(eng)
    eng.dispose()
    return sqlite_server_url


@pytest.fixture
def pg_url(pg_server_url):
    eng = make_engine(pg_server_url)
    _reset(eng)
    eng.dispose()
    return pg_server_url


@pytest.fixture
def db_engine(db_url):
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def factory(db_engine):
    return make_session_factory(db_engine)


@pytest.fixture
def registry():
    reg = HandlerRegistry()

    @reg.register("score", params={"amount": "an integer amount"})
    def score(params, ctx):
        """Score = amount // 2. Returns {"score": int}."""
        return {"score": params["amount"] // 2}

    return reg


@pytest.fixture
def engine(registry):
    return Engine(registry)


def load_form(name: str) -> bytes | None:
    path = DATA / name
    return path.read_bytes() if path.is_file() else None


@pytest.fixture
def deploy_file(engine, factory):
    """deploy_file(name_or_bytes, name=...) -> list of DeployResult (committed)."""
    from engine.deploy import deploy

    def _deploy(name: str, data: bytes | None = None, actor: str = "owner", now=T0,
                form_loader=load_form):
        with factory() as session:
            results = deploy(session, data if data is not None else (DATA / name).read_bytes(),
                             name, registry=engine.registry, known_lanes=engine.known_lanes,
                             form_loader=form_loader, actor=actor, now=now)
            session.commit()
        return results

    return _deploy


@pytest.fixture
def full_instance(deploy_file, factory, engine) -> int:
    """An instance of full.bpmn, started by carol for acme: waiting at its first user task."""
    from engine.instances import start_instance

    deploy_file("full.bpmn")
    with factory() as s:
        iid = start_instance(engine, s, "full", actor="carol", now=T0, organisation="acme")
        s.commit()
    return iid


@contextmanager
def cheap_passwords():
    """argon2 with small parameters inside the block: the defaults cost about a second per
    hash here."""
    previous = people.use_hasher(PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))
    try:
        yield
    finally:
        people.use_hasher(previous)


def seal_all(factory) -> int:
    """What the runners' sealer does within a second on PostgreSQL (on SQLite each step
    seals its own events): give every committed audit event its place in the chain."""
    return seal_pending(factory, "tests", release_after=True)


def recorded(session, **fields) -> list[AuditEvent]:
    """Every audit event with these field values, as the product shows them: the sealed
    ones in the chain's order, then those still queued for the sealer (PostgreSQL)."""
    sealed = session.scalars(select(AuditEvent).filter_by(**fields).order_by(AuditEvent.seq))
    return [*sealed, *(ev for ev in queued_events(session)
                       if all(getattr(ev, k) == v for k, v in fields.items()))]


def event_at(session, seq: int) -> AuditEvent | None:
    """The sealed audit event at place ``seq`` of the chain."""
    return session.scalar(select(AuditEvent).where(AuditEvent.seq == seq))


def rewrite_and_rehash(session, seq: int, data: str) -> None:
    """What someone with write access to the database could do: change event ``seq`` and
    recompute its hash, every later hash and the head, so that the chain is consistent
    again. Commits."""
    events = session.execute(select(AuditEvent).where(AuditEvent.seq >= seq - 1)
                             .order_by(AuditEvent.seq)).scalars().all()
    prev = events[0].hash if events[0].seq == seq - 1 else GENESIS
    for ev in (e for e in events if e.seq >= seq):
        if ev.seq == seq:
            ev.data = data
        ev.prev_hash = prev
        ev.hash = prev = event_hash(prev, ev.seq, ev.at, ev.actor, ev.kind, ev.instance_id,
                                    ev.process_id, ev.version, ev.task_id, ev.element_id,
                                    ev.data)
    session.get(AuditHead, 1).hash = prev
    session.commit()
