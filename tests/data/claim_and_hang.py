"""A runner that claims due timers and then hangs (the runner tests SIGKILL it).

Usage: claim_and_hang.py DATABASE_URL NOW_ISO RUNNER LIMIT TTL_SECONDS

Claims up to LIMIT due timers as RUNNER at NOW with a claim lasting TTL_SECONDS (the
claim is committed), prints "claimed N", and then sleeps until it is killed.
"""
from __future__ import annotations

import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from engine.db import make_engine, make_session_factory  # noqa: E402
from engine.runner import claim_due  # noqa: E402


def main(url: str, now: str, runner: str, limit: str, ttl: str) -> None:
    factory = make_session_factory(make_engine(url))
    session = factory()  # kept open on purpose: the process dies holding it
    claimed = claim_due(session, datetime.fromisoformat(now), runner, limit=int(limit),
                        claim_ttl=timedelta(seconds=float(ttl)))
    print(f"claimed {len(claimed)}", flush=True)
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main(*sys.argv[1:])
