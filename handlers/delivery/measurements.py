"""Actual service delivery data: measurement imports and the customer's observations.

An import validates row by row and says which rows it rejected and why; accepted rows are
inserted with ON CONFLICT DO NOTHING on (sla, metric, measured_at), so importing the same
data twice adds nothing the second time (those rows are counted as duplicates).
Timestamps are ISO 8601; naive ones are UTC; all are stored as naive UTC.
"""
from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import and_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from engine.clock import utcnow
from engine.i18n import _
from handlers.agreements.models import ServiceLevelAgreement, SLAVersion
from handlers.bounds import check_bounds
from handlers.catalogue.models import Metric
from handlers.csv_rows import read_rows
from handlers.errors import DomainError, ValidationError

from .health_alerts import alert_after_import
from .models import Measurement, Observation

COLUMNS = ("sla", "metric", "measured_at", "value")
OBSERVATION_KINDS = ("complaint", "outage", "slow", "praise", "other")
_PERCENT = {"%", "percent", "pct", "percentage"}
_NON_NEGATIVE = {"s", "sec", "secs", "second", "seconds", "ms", "min", "mins", "minute",
                 "minutes", "h", "hr", "hrs", "hour", "hours", "d", "day", "days",
                 "count", "number", "#", "incidents", "tickets", "events", "requests"}
_CHUNK = 5000


def parse_timestamp(text) -> datetime:
    """Naive UTC datetime from an ISO 8601 string or datetime; ValueError if not one."""
    at = text if isinstance(text, datetime) else datetime.fromisoformat(str(text).strip())
    return at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo else at


def import_csv(session, path_or_text, source: str | None = None, now: datetime | None = None
               ) -> dict:
    """Import a CSV (a ``Path``, or the CSV text itself) with columns
    ``sla, metric, measured_at, value`` (their keys, or their headers in English or Russian;
    DomainError naming a column it does not know). Rows are numbered by their line in the
    file (the header is line 1). Returns the summary of :func:`import_rows`.

    Only a ``Path`` is read from disk: a string is always CSV text, so text from an upload,
    an API call or a diagram can never name a file on the server.
    """
    if isinstance(path_or_text, Path):
        path = Path(path_or_text)
        text, source = path.read_text(encoding="utf-8-sig"), source or f"csv:{path.name}"
    else:
        text = str(path_or_text).lstrip("\ufeff")
    try:
        _header, numbered, too_long = read_rows(text, known=COLUMNS)
    except csv.Error as exc:
        raise DomainError(_("the CSV cannot be read: %(exc)s", exc=exc)) from exc
    summary = _import(session, numbered, source or "csv", now)
    summary["rejected"] = sorted(summary["rejected"] + too_long, key=lambda r: r["row"])
    summary["total"] += len(too_long)
    return summary


def import_rows(session, rows: Iterable[dict], source: str, now: datetime | None = None) -> dict:
    """Import measurements given as dicts ``{sla, metric, measured_at, value}``.

    Returns ``{imported, duplicates, rejected: [{row, reason}], total}``; ``row`` is the
    1-based position of the row. Never raises for a bad row: it is reported instead.
    """
    return _import(session, list(enumerate(rows, start=1)), source, now)


def _import(session, numbered: list[tuple[int, dict]], source: str, now) -> dict:
    slas, metrics = _lookups(session, numbered)
    rejected, accepted, seen = [], [], set()
    duplicates = 0
    for line, row in numbered:
        try:
            values = _validate(row, slas, metrics, now)
        except ValueError as exc:
            rejected.append({"row": line, "reason": str(exc)})
            continue
        key = (values["sla_id"], values["metric_id"], values["measured_at"])
        if key in seen:
            duplicates += 1
            continue
        seen.add(key)
        accepted.append({**values, "source": source[:200], "imported_at": now})
    imported = _insert(session, accepted)
    if imported:  # a target now at risk or breached is told once, in this transaction
        alert_after_import(session, {r["sla_id"] for r in accepted}, now or utcnow())
    return {"imported": imported, "duplicates": duplicates + len(accepted) - imported,
            "rejected": rejected, "total": len(numbered)}


def _lookups(session, numbered) -> tuple[dict, dict]:
    """SLA reference -> (sla, metric keys of its current terms); metric key -> Metric."""
    records = [r for _, r in numbered if isinstance(r, dict)]
    refs = {str(r.get("sla") or "").strip() for r in records if not _has_nul(r)} - {""}
    keys = {str(r.get("metric") or "").strip() for r in records if not _has_nul(r)} - {""}
    slas: dict = {}
    if refs:
        for sla, terms in session.execute(
                select(ServiceLevelAgreement, SLAVersion.terms).outerjoin(SLAVersion, and_(
                    SLAVersion.sla_id == ServiceLevelAgreement.id,
                    SLAVersion.number == ServiceLevelAgreement.current_version))
                .where(ServiceLevelAgreement.reference.in_(refs))):
            targets = json.loads(terms or "{}").get("targets", [])
            slas[sla.reference] = (sla, {t.get("metric") for t in targets})
    metrics = {m.key: m for m in session.scalars(select(Metric).where(Metric.key.in_(keys)))} \
        if keys else {}
    return slas, metrics


def _validate(row: dict, slas: dict, metrics: dict, now) -> dict:
    """The measurement's column values, or ValueError with the reason for rejecting it."""
    if not isinstance(row, dict):
        raise ValueError(_("not a record with the columns ") + ", ".join(COLUMNS))
    for column in COLUMNS:
        if column not in row or row[column] is None:
            raise ValueError(_("missing column '%(column)s'", column=column))
        if str(row[column]).strip() == "":
            raise ValueError(_("missing value in column '%(column)s'", column=column))
    if _has_nul(row):  # no database stores it; PostgreSQL refuses the whole statement
        raise ValueError(_("contains a NUL character"))
    ref, key = str(row["sla"]).strip(), str(row["metric"]).strip()
    if ref not in slas:
        raise ValueError(_("unknown SLA '%(ref)s'", ref=ref))
    sla, agreed_metrics = slas[ref]
    if sla.status in ("draft", "negotiating"):
        raise ValueError(_("SLA '%(ref)s' is not agreed yet (status %(status)s)",
                           ref=ref,
                           status=sla.status))
    metric = metrics.get(key)
    if metric is None:
        raise ValueError(_("unknown metric '%(key)s'", key=key))
    if key not in agreed_metrics:
        raise ValueError(_("metric '%(key)s' is not a target of SLA '%(ref)s' (version "
                           "%(current_version)s)",
                           key=key,
                           ref=ref,
                           current_version=sla.current_version))
    try:
        at = parse_timestamp(row["measured_at"])
    except (TypeError, ValueError):
        raise ValueError(_("measured_at '%(measured_at)s' is not an ISO 8601 timestamp",
                           measured_at=row['measured_at'])) \
            from None
    if now is not None and at > now:
        raise ValueError(_("measured_at %(isoformat)s is in the future",
                           isoformat=at.isoformat()))
    value = _number(row["value"])
    _check_range(metric, value)
    return {"sla_id": sla.id, "metric_id": metric.id, "measured_at": at, "value": value}


def _has_nul(row: dict) -> bool:
    return any("\x00" in str(row.get(c) or "") for c in COLUMNS)


def _number(raw) -> float:
    try:
        if isinstance(raw, bool):
            raise ValueError
        value = float(raw) if isinstance(raw, int | float) else float(str(raw).strip())
    except ValueError:
        raise ValueError(_("value '%(raw)s' is not a number", raw=raw)) from None
    if not math.isfinite(value):
        raise ValueError(_("value '%(raw)s' is not a finite number", raw=raw))
    return value


def _check_range(metric: Metric, value: float) -> None:
    unit = (metric.unit or "").strip().lower()
    if unit in _PERCENT and not 0 <= value <= 100:
        raise ValueError(_("value %(value)s is out of range 0..100 for '%(key)s' (percent)",
                           value=format(value, 'g'),
                           key=metric.key))
    if unit in _NON_NEGATIVE and value < 0:
        raise ValueError(_("value %(value)s is out of range: '%(key)s' (%(unit)s) cannot be "
                           "negative",
                           value=format(value, 'g'),
                           key=metric.key,
                           unit=unit))


def _insert(session, rows: list[dict]) -> int:
    """Insert, skipping rows whose (sla, metric, measured_at) exists; the count inserted."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = Measurement.__table__
    stmt = insert(table).on_conflict_do_nothing(
        index_elements=["sla_id", "metric_id", "measured_at"]).returning(table.c.id)
    inserted = 0
    for i in range(0, len(rows), _CHUNK):
        inserted += len(session.execute(stmt, rows[i:i + _CHUNK]).all())
    return inserted


def record_observation(session, sla_id: int, kind: str, description: str,
                       observed_at=None, impact_minutes=None, recorded_by: str = "",
                       now: datetime | None = None) -> Observation:
    """Record a customer's observation as fact (mission rule 1) and return it.

    ``observed_at`` defaults to ``now``; raises ValidationError only for input that cannot
    be stored (unknown kind, empty description, bad time or minutes), DomainError for an
    unknown SLA.
    """
    if session.get(ServiceLevelAgreement, sla_id) is None:
        raise DomainError(_("SLA %(sla_id)s does not exist", sla_id=sla_id))
    errors: dict[str, list[str]] = {}
    if kind not in OBSERVATION_KINDS:
        errors["kind"] = [_("must be one of %(value)s", value=', '.join(OBSERVATION_KINDS))]
    description = str(description or "").replace("\x00", "")  # kept, minus what no DB stores
    if not description.strip():
        errors["description"] = [_("say what the customer observed")]
    check_bounds(Observation, {"description": description.strip(), "kind": str(kind or ""),
                               "recorded_by": recorded_by or ""}, errors)
    try:
        at = parse_timestamp(observed_at) if observed_at not in (None, "") else now
    except (TypeError, ValueError):
        errors["observed_at"] = [_("not an ISO 8601 timestamp")]
    minutes = None
    if impact_minutes not in (None, ""):
        try:
            minutes = int(impact_minutes)
        except (TypeError, ValueError):
            minutes = -1
        if minutes < 0:
            errors["impact_minutes"] = [_("must be a whole number of minutes, 0 or more")]
    if errors:
        raise ValidationError(errors)
    obs = Observation(sla_id=sla_id, observed_at=at, kind=kind, description=description.strip(),
                      impact_minutes=minutes, recorded_by=recorded_by or "unknown",
                      created_at=now or datetime.now(UTC).replace(tzinfo=None))
    session.add(obs)
    session.flush()
    return obs


def import_measurements(params: dict, ctx) -> dict:
    """Import measurements: ``csv`` (CSV text) or ``rows`` (list of dicts), ``source``.

    Returns ``{imported, duplicates, rejected: [{row, reason}], total}``.
    """
    source = params.get("source") or "api"
    if params.get("csv"):
        return import_csv(ctx.session, str(params["csv"]), source, ctx.now)
    return import_rows(ctx.session, params.get("rows") or [], source, ctx.now)


def record_observation_handler(params: dict, ctx) -> dict:
    """Record a customer observation. Params: ``sla_id, kind, description, observed_at=None,
    impact_minutes=None``. Returns ``{observation_id}``."""
    obs = record_observation(ctx.session, int(params["sla_id"]), params.get("kind"),
                             params.get("description", ""), params.get("observed_at"),
                             params.get("impact_minutes"), ctx.actor, ctx.now)
    return {"observation_id": obs.id}


def register(registry) -> None:
    registry.add("import_measurements", import_measurements,
                 {"csv": "CSV text with columns sla, metric, measured_at, value",
                  "rows": "list of {sla, metric, measured_at, value}",
                  "source": "where the data comes from"})
    registry.add("record_observation", record_observation_handler,
                 {"sla_id": "the SLA", "kind": "complaint|outage|slow|praise|other",
                  "description": "what the customer observed", "observed_at": "ISO time",
                  "impact_minutes": "minutes of impact the customer reports"})
