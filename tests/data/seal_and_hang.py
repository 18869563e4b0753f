"""A sealer that dies in the middle of a sealing round (the sealer tests SIGKILL it).

Usage: seal_and_hang.py DATABASE_URL HOLDER TTL_SECONDS FIRST_BATCH

Seals one round of up to FIRST_BATCH queued steps as HOLDER (committed, so the lease is held
for TTL_SECONDS from then), prints "sealed N"; then starts a second round: takes the
lease, seals every other queued step without committing, prints "hanging M", and
sleeps with that transaction open until it is killed.
"""
from __future__ import annotations

import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine import sql  # noqa: E402
from engine.audit import chain_events, decode_events, head_row  # noqa: E402
from engine.clock import utcnow  # noqa: E402
from engine.db import make_engine, make_session_factory  # noqa: E402
from engine.prepared import copy_rows_pg  # noqa: E402
from engine.sealer import seal_round  # noqa: E402


def main(url: str, holder: str, ttl: str, first_batch: str) -> None:
    factory = make_session_factory(make_engine(url))
    lease = timedelta(seconds=float(ttl))
    with factory() as session:
        sealed = seal_round(session, holder, ttl=lease, batch=int(first_batch))
    print(f"sealed {sealed}", flush=True)
    session = factory()  # kept open on purpose: the process dies holding it
    conn = session.connection()
    now = utcnow()
    assert sql.LEASE_TAKE.execute(conn, {"holder": holder, "now": now,
                                         "expires": now + lease}) == 1
    seq, prev = head_row(conn)
    queued = sql.QUEUED.all(conn, {"limit": 100000})
    assert sql.QUEUE_TAKE_PG.execute(conn, ([q.id for q in queued],)) == len(queued)
    rows = chain_events(seq, prev, [ev for q in queued for ev in decode_events(q.events)])
    copy_rows_pg(conn, sql.SEALED_COPY_PG, ([r[c] for c in sql.SEALED_COLUMNS] for r in rows))
    print(f"hanging {len(rows)}", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main(*sys.argv[1:])
