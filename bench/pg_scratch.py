"""A scratch PostgreSQL database for a benchmark: created with a unique name, dropped after
(server at SLM_BENCH_PG, default postgresql://postgres@127.0.0.1:5432/postgres)."""
from __future__ import annotations

import os
import uuid

import psycopg

PG_ADMIN = os.environ.get("SLM_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def create_database(prefix: str) -> tuple[str, str]:
    """(name, SQLAlchemy URL) of a new empty database called ``<prefix>_<random>``."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
    return name, f"{base}/{name}"


def drop_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
