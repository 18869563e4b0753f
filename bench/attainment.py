"""Attainment benchmark: one month's attainment of a whole portfolio from 1,000,000 rows.

A fresh SQLite file gets the schema (``engine.schema.upgrade``), 200 active SLAs built with
the models (four service-hours calendars: 24x7 UTC, Mon-Fri 08:00-18:00 Europe/Berlin,
Mon-Sat 07:00-19:00 America/New_York, Mon-Fri 09:00-17:30 Asia/Kolkata; three targets each)
and 1,000,000 measurements spread over four months at irregular minutes, bulk-inserted with
raw sqlite3 ``executemany``. Then ``handlers.delivery.attainment.portfolio_attainment`` computes the
last month with the trend of the three months before it: every row is aggregated.

Only the attainment computation is timed (median of ``--repeat`` runs, each in a fresh
session). A naive row-by-row recomputation of a few SLAs checks the figures. The last line
of output is a JSON object {rows, slas, seconds, rows_per_second}.

Run: ``.venv/bin/python bench/attainment.py [--rows 1000000] [--slas 200] [--repeat 3]``.
"""
from __future__ import annotations

import sys
from pathlib import Path

# bench/engine.py would shadow the engine package: keep this folder off sys.path.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
if str(_HERE.parent) not in sys.path:
    sys.path.insert(0, str(_HERE.parent))

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import date, datetime, timedelta  # noqa: E402
from decimal import Decimal  # noqa: E402

from engine.db import make_engine, make_session_factory  # noqa: E402
from engine.schema import upgrade  # noqa: E402
from handlers.agreements.models import ServiceLevelAgreement, SLAVersion  # noqa: E402
from handlers.catalogue.models import Metric, Service, ServiceLevelOption  # noqa: E402
from handlers.delivery.attainment import portfolio_attainment  # noqa: E402
from handlers.delivery.service_hours import (  # noqa: E402
    local_range_utc,
    parse_service_hours,
    utc_windows,
)
from handlers.people.models import Organisation  # noqa: E402

CALENDARS = [("24x7", "UTC"), ("Mon-Fri 08:00-18:00", "Europe/Berlin"),
             ("Mon-Sat 07:00-19:00", "America/New_York"), ("Mon-Fri 09:00-17:30", "Asia/Kolkata")]
METRICS = [("availability", "%", "higher", "avg", ">=", 99.5, (97.0, 100.0)),
           ("response_time", "ms", "lower", "max", "<=", 900.0, (50.0, 1000.0)),
           ("incidents", "count", "lower", "count", "<=", 400.0, (1.0, 1.0))]
SHARES = (0.4, 0.4, 0.2)  # of an SLA's rows, per metric
DATA_FROM = datetime(2026, 1, 1)
DATA_TO = datetime(2026, 5, 1)
PERIOD = (date(2026, 4, 1), date(2026, 4, 30))
NOW = datetime(2026, 5, 2)


def build(url: str, n_slas: int, n_rows: int, seed: int = 7) -> list[int]:
    """Schema, catalogue, SLAs and measurements; returns the SLA ids."""
    upgrade(url)
    factory = make_session_factory(make_engine(url))
    with factory() as s:
        metrics = [Metric(key=k, name=k.replace("_", " ").title(), unit=u, direction=d,
                          aggregation=a, data_source="bench") for k, u, d, a, *_ in METRICS]
        svc = Service(key="hosting", name="Hosting", status="live", owner="bench")
        s.add_all([*metrics, svc])
        options = [ServiceLevelOption(service=svc, name=f"Level {i}", rank=i,
                                      monthly_cost=Decimal(1000 + 500 * i), service_hours=h,
                                      timezone=tz) for i, (h, tz) in enumerate(CALENDARS)]
        orgs = [Organisation(key=f"org{i}", name=f"Organisation {i}") for i in range(50)]
        s.add_all([*options, *orgs])
        s.flush()
        slas = []
        for i in range(n_slas):
            option = options[i % 4]
            sla = ServiceLevelAgreement(
                reference=f"SLA-2026-{i + 1:04d}", organisation_id=orgs[i % 50].id,
                service_id=svc.id, option_id=option.id, title=f"Hosting {i}", status="active",
                current_version=1, priority=1 + i % 3, created_at=DATA_FROM)
            s.add(sla)
            slas.append(sla)
        s.flush()
        s.add_all(SLAVersion(sla_id=sla.id, number=1, author="bench", created_at=DATA_FROM,
                             terms=json.dumps({
                                 "targets": [{"metric": k, "name": k, "unit": u,
                                              "comparator": c, "threshold": t, "period": "month"}
                                             for k, u, _d, _a, c, t, _r in METRICS],
                                 "service_hours": CALENDARS[i % 4][0],
                                 "timezone": CALENDARS[i % 4][1], "monthly_cost": "1500.00",
                                 "review_cycle": "monthly"}))
                  for i, sla in enumerate(slas))
        s.commit()
        sla_ids, metric_ids = [x.id for x in slas], [m.id for m in metrics]
    _insert(url.removeprefix("sqlite:///"), sla_ids, metric_ids, n_rows, random.Random(seed))
    return sla_ids


def _insert(path: str, sla_ids: list[int], metric_ids: list[int], n_rows: int, rnd) -> None:
    span = (DATA_TO - DATA_FROM).total_seconds()
    per_sla = n_rows // len(sla_ids)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    sql = ("INSERT INTO measurement (sla_id, metric_id, measured_at, value, source) "
           "VALUES (?, ?, ?, ?, 'bench')")
    left = n_rows
    for n, sla_id in enumerate(sla_ids):
        rows_here = per_sla if n < len(sla_ids) - 1 else left
        left -= rows_here
        batch = []
        for j, metric_id in enumerate(metric_ids):
            count = int(rows_here * SHARES[j]) if j < 2 else rows_here - 2 * int(
                rows_here * SHARES[0])
            low, high = METRICS[j][6]
            step, offset = span / count, rnd.uniform(0, 3600)
            for k in range(count):
                at = DATA_FROM + timedelta(seconds=int((offset + k * step) % span))
                batch.append((sla_id, metric_id, at.strftime("%Y-%m-%d %H:%M:%S.%f"),
                              round(rnd.uniform(low, high), 3)))
        conn.executemany(sql, batch)
    conn.commit()
    conn.close()


def naive(path: str, sla_id: int, calendar: tuple[str, str]) -> dict[str, float | None]:
    """Row-by-row attainment of one SLA for PERIOD, to check the fast path."""
    hours = parse_service_hours(*calendar)
    spans = utc_windows(hours, *local_range_utc(*PERIOD, calendar[1]))
    conn = sqlite3.connect(path)
    out = {}
    for key, _u, _d, agg, *_ in METRICS:
        values = [v for at, v in conn.execute(
            "SELECT measured_at, value FROM measurement JOIN metric ON metric.id = metric_id "
            "WHERE sla_id = ? AND metric.key = ?", (sla_id, key))
            if any(lo <= datetime.fromisoformat(at) < hi for lo, hi in spans)]
        out[key] = (float(len(values)) if agg == "count" else None if not values else
                    {"avg": statistics.fmean(values) if values else None,
                     "max": max(values)}[agg])
    conn.close()
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--slas", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite3"
        started = time.perf_counter()
        sla_ids = build(url, args.slas, args.rows)
        built = time.perf_counter() - started
        factory = make_session_factory(make_engine(url))
        timings, result = [], []
        for _ in range(args.repeat):
            with factory() as s:
                t0 = time.perf_counter()
                result = portfolio_attainment(s, *PERIOD)
                timings.append(time.perf_counter() - t0)
        by_id = {r["sla_id"]: r for r in result}
        for i in range(min(4, len(sla_ids))):
            expected = naive(url.removeprefix("sqlite:///"), sla_ids[i], CALENDARS[i % 4])
            got = {t["metric"]: t["attained"] for t in by_id[sla_ids[i]]["targets"]}
            for key, value in expected.items():
                ok = (value is None and got[key] is None) or abs(got[key] - value) < 1e-6
                if not ok:
                    raise SystemExit(f"check failed for SLA {sla_ids[i]} {key}: "
                                     f"{got[key]} != {value}")
    seconds = statistics.median(timings)
    breaches = sum(r["breaches"] for r in result)
    print(f"attainment of {len(result)} SLAs over {args.rows:,} measurements "
          f"(period {PERIOD[0]}..{PERIOD[1]} with 3 trend months): "
          f"{seconds:.3f} s median of {', '.join(f'{t:.3f}' for t in timings)} s; "
          f"{breaches} breaches; data built in {built:.1f} s; checked 4 SLAs row by row")
    print(json.dumps({"rows": args.rows, "slas": len(result), "seconds": round(seconds, 3),
                      "rows_per_second": round(args.rows / seconds)}))


if __name__ == "__main__":
    main()
