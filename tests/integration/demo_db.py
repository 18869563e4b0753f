"""One database with the demo data per backend, seeded once per test session.

The seed and export tests read it; none of them changes it (seeding again changes nothing).
It is a database of its own (a SQLite file, a PostgreSQL database dropped at the end), so
the tests that empty the shared databases never touch it.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from conftest import cheap_passwords, create_pg_database, seal_all

from engine.db import make_engine, make_session_factory
from engine.runtime import Engine
from engine.schema import upgrade
from handlers.demo.seed import seed_demo
from handlers.registry import build_registry

#: the seed's clock: a Tuesday in March, so the reviewed month is February
NOW = datetime(2026, 3, 10, 14, 30)
_CACHE: dict[str, tuple[str, dict]] = {}


@dataclass
class Demo:
    url: str
    sessions: object
    engine: Engine
    summary: dict
    backend: str


def _database(request, backend: str) -> str:
    if backend == "sqlite":
        path = request.getfixturevalue("tmp_path_factory").mktemp("demo") / "demo.sqlite3"
        return f"sqlite:///{path}"
    url, drop = create_pg_database("slm_demo")
    request.config.add_cleanup(drop)
    return url


def demo_database(request, backend: str) -> tuple[str, dict]:
    """(URL, seed summary) of the session's demo database on ``backend``."""
    if backend not in _CACHE:
        url = _database(request, backend)
        upgrade(url)
        db = make_engine(url)
        with cheap_passwords(), make_session_factory(db)() as session:
            summary = seed_demo(session, Engine(build_registry()), NOW)
            session.commit()
            db.dispose()
        _CACHE[backend] = (url, summary)
    return _CACHE[backend]


def demo_fixture(request):
    """Body of the module-scoped ``demo`` fixtures: a Demo on ``request.param``."""
    url, summary = demo_database(request, request.param)
    db = make_engine(url)
    factory = make_session_factory(db)
    seal_all(factory)  # as the runners' sealer would have within a second (PostgreSQL)
    yield Demo(url, factory, Engine(build_registry()), summary, request.param)
    db.dispose()
