"""Measurements aggregated in SQL, within service hours, per (SLA, metric, period).

Service hours become exact UTC windows in Python (zoneinfo knows the daylight saving
rules; SQLite knows none): one list per calendar and period. The windows of every SLA
travel to the database as one VALUES table (sla_id, from, to, period) whose rows each
drive a range scan of the (sla_id, metric_id, measured_at) index; the database returns
count, sum, min and max per (sla, metric, period): a few rows per SLA, whatever the number
of measurements. Exact for any window edge (08:30, a +05:30 timezone, a DST change).

SQLite's planner runs the plain join that way; PostgreSQL's prefers to hash the windows
and filter every measurement against every window of its SLA, so on PostgreSQL each
window aggregates its rows in a LATERAL subquery, which forces the index range scans.
The statement is sent as driver SQL: compiling a 5,000-row VALUES construct through
SQLAlchemy would cost more than running it.
"""
from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime

from sqlalchemy import DateTime

#: (count, sum, min, max) of the measurements of one (sla, metric, period)
Stats = tuple[int, float, float, float]
Spans = list[tuple[datetime, datetime]]
#: windows per statement: 4 bound parameters each, well under SQLite's and PostgreSQL's limits
_MAX_ROWS = 5000
_VALUES = "WITH w (sla_id, lo, hi, p) AS (VALUES {values}) "
_SQL = {
    "sqlite": _VALUES + (
        "SELECT m.sla_id, m.metric_id, w.p, count(*), sum(m.value), min(m.value), "
        "max(m.value) FROM w JOIN measurement m ON m.sla_id = w.sla_id "
        "AND m.metric_id IN ({metrics}) AND m.measured_at >= w.lo AND m.measured_at < w.hi "
        "GROUP BY m.sla_id, m.metric_id, w.p"),
    "postgresql": _VALUES + (
        "SELECT w.sla_id, a.metric_id, w.p, sum(a.n), sum(a.total), min(a.low), max(a.high) "
        "FROM w CROSS JOIN LATERAL (SELECT m.metric_id, count(*) AS n, sum(m.value) AS total, "
        "min(m.value) AS low, max(m.value) AS high FROM measurement m "
        "WHERE m.sla_id = w.sla_id AND m.metric_id IN ({metrics}) "
        "AND m.measured_at >= w.lo AND m.measured_at < w.hi GROUP BY m.metric_id) a "
        "GROUP BY w.sla_id, a.metric_id, w.p"),
}

def aggregate(session, calendar_of: dict[int, Hashable], windows: dict[Hashable, list[Spans]],
              metric_ids: set[int]) -> dict[tuple[int, int, int], Stats]:
    """Stats per (sla_id, metric_id, period index).

    ``calendar_of`` maps each SLA id to its calendar key; ``windows[key][p]`` are the naive
    UTC [from, to) service windows of period ``p`` of that calendar (sorted, disjoint).
    """
    stats: dict[tuple[int, int, int], Stats] = {}
    rows = [(sla_id, lo, hi, p) for sla_id in sorted(calendar_of)
            for p, spans in enumerate(windows[calendar_of[sla_id]]) for lo, hi in spans]
    if not rows or not metric_ids:
        return stats
    conn = session.connection()
    dialect = conn.dialect
    mark = "?" if dialect.paramstyle == "qmark" else "%s"  # sqlite3 / psycopg
    stamp = DateTime().dialect_impl(dialect).bind_processor(dialect) or (lambda v: v)
    metrics = sorted(int(m) for m in metric_ids)
    for i in range(0, len(rows), _MAX_ROWS):
        chunk = rows[i:i + _MAX_ROWS]
        sql = _SQL.get(dialect.name, _SQL["sqlite"]).format(
            values=", ".join([f"({mark}, {mark}, {mark}, {mark})"] * len(chunk)),
            metrics=", ".join([mark] * len(metrics)))
        params = [x for sla_id, lo, hi, p in chunk for x in (sla_id, stamp(lo), stamp(hi), p)]
        for sla_id, metric_id, p, n, total, low, high in conn.exec_driver_sql(
                sql, tuple(params + metrics)):
            key = (sla_id, metric_id, p)
            n, total, low, high = int(n), float(total), float(low), float(high)
            if key in stats:  # the same (sla, period) split over two statements
                n0, t0, l0, h0 = stats[key]
                n, total, low, high = n0 + n, t0 + total, min(l0, low), max(h0, high)
            stats[key] = (n, total, low, high)
    return stats
