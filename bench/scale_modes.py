"""The audit modes of bench/scale.py, set in each of its child processes (see its docstring):
``on`` the product, ``off`` the append removed, ``locked`` the design before issue 16; and
the time steps spend in the audit ("audit wait"); the CPU time of a process."""
from __future__ import annotations

import os
import time
from pathlib import Path

from engine import audit, observers
from engine.audit import AuditTrail, seal_appending

_flush = AuditTrail.flush
_wait = {"seconds": 0.0, "steps": 0}


def _locked_flush(self, session):
    """The pre-issue-16 append: the head row locked until commit, events sealed inline."""
    if not self.events:
        return 0
    conn = session.connection()
    conn.exec_driver_sql("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE")
    seal_appending(conn, self.events)
    count = len(self.events)
    self.events = []
    return count


def _dropping_flush(self, session):
    """Everything ``flush`` does but the append: observers still hear of the events."""
    if not self.events:
        return 0
    observers.notify(session, self.events)
    count = len(self.events)
    self.events = []
    return count


_append_with = AuditTrail.append_with


def _dropping_append_with(self, session, save):
    """``append_with`` without the append: the save runs carrying no events."""
    _dropping_flush(self, session)
    return save(None)


def _locked_append_with(self, session, save):
    """The pre-issue-16 way for a step's own events: sealed under the head's lock."""
    _locked_flush(self, session)
    return save(None)


def use_mode(mode: str) -> None:
    inners = {"on": (_flush, _append_with), "off": (_dropping_flush, _dropping_append_with),
              "locked": (_locked_flush, _locked_append_with)}[mode]

    def timing(inner):
        def timed(self, *args):
            t = time.perf_counter()
            try:
                return inner(self, *args)
            finally:
                _wait["seconds"] += time.perf_counter() - t
                _wait["steps"] += 1
        return timed

    audit.AuditTrail.flush = timing(inners[0])
    audit.AuditTrail.append_with = timing(inners[1])


def reset_wait() -> None:
    """Count the audit wait afresh (the measured turns of an interleaved phase begin)."""
    _wait.update(seconds=0.0, steps=0)


def wait_figures() -> dict:
    """This process's audit wait so far: {"steps": steps that appended, "wait": seconds}."""
    return {"steps": _wait["steps"], "wait": _wait["seconds"]}


_TICK = os.sysconf("SC_CLK_TCK")


def backend_cpu(sa) -> tuple[int, float]:
    """(pid, CPU seconds so far) of the PostgreSQL backend behind the pool's connection."""
    with sa.connect() as conn:
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    return pid, proc_cpu(pid)


def proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:  # the server on another machine: client CPU only
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime
