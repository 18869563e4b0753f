"""Configuration items in: import CIs (an input of the process) from CSV.

Columns: ``key, name, ci_type, status, location, services`` (``key``, ``name`` and ``ci_type``
required), by their keys or their headers in English or Russian, so an export of
``handlers.outputs.exports`` imports again (its ``service_names`` is read and ignored); any other
column is an error that names it.
``services`` lists the keys of the services the CI supports, separated by ``;`` or ``,``.

A row whose key is new creates the CI; a known key updates it. A column that is present sets
its field (a blank ``status`` means "operational", a blank ``location`` none, a blank
``services`` no services); a column that is absent leaves the field as it is. Each bad row
is rejected with its line number and the reason, and the good rows are imported all the
same; importing the same file twice changes nothing the second time. Only flushes: the
caller commits.
"""
from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from pathlib import Path

from sqlalchemy import select

from engine.i18n import _
from handlers.csv_rows import read_rows
from handlers.errors import DomainError

from .models import ConfigurationItem, Service, service_ci
from .operations import create_ci, link_ci, unlink_ci

COLUMNS = ("key", "name", "ci_type", "status", "location", "services")
REQUIRED = ("key", "name", "ci_type")
#: what a CSV may hold: the columns, and the export's service names (ignored)
KNOWN = (*COLUMNS, "service_names")
LIMITS = {"key": 80, "name": 200, "ci_type": 60, "status": 30, "location": 120}
DEFAULT_STATUS = "operational"
_FORMULA_GUARD = re.compile(r"^'(?=[=+\-@\t\r])")


def import_cis_csv(session, path_or_text) -> dict:
    """Import a CSV (a Path, or the CSV text itself). Rows are numbered by their line in the
    file (the header is line 1). Returns the summary of :func:`import_ci_rows`; raises
    DomainError when the header lacks a required column."""
    if isinstance(path_or_text, Path):
        text = path_or_text.read_text(encoding="utf-8-sig")
    else:
        text = str(path_or_text).lstrip("\ufeff")
    try:
        header, numbered, too_long = read_rows(text, known=KNOWN)
    except csv.Error as exc:
        raise DomainError(_("the CSV cannot be read: %(exc)s", exc=exc)) from exc
    header = header or []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise DomainError(_("the header lacks the column(s) %(value)s: expected %(value2)s",
                            value=', '.join(missing),
                            value2=', '.join(COLUMNS)))
    summary = _import(session, numbered)
    summary["rejected"] = sorted(summary["rejected"] + too_long, key=lambda r: r["row"])
    summary["total"] += len(too_long)
    return summary


def import_ci_rows(session, rows: Iterable[dict]) -> dict:
    """Import CIs given as dicts with the :data:`COLUMNS` (``services`` may be a list).

    Returns ``{created, updated, unchanged, rejected: [{row, reason}], total}``; ``row`` is
    the 1-based position (the line number for a CSV). Never raises for a bad row.
    """
    return _import(session, list(enumerate(rows, start=1)))


def _import(session, numbered: list[tuple[int, dict]]) -> dict:
    services = {s.key: s for s in session.scalars(select(Service))}
    summary = {"created": 0, "updated": 0, "unchanged": 0, "rejected": [],
               "total": len(numbered)}
    seen: dict[str, int] = {}
    for line, row in numbered:
        try:
            values = _validate(row, services)
            if values["key"] in seen:
                raise ValueError(_("key '%(key)s' appeared already on line %(seen)s",
                                   key=values['key'],
                                   seen=seen[values['key']]))
        except ValueError as exc:
            summary["rejected"].append({"row": line, "reason": str(exc)})
            continue
        seen[values["key"]] = line
        summary[_apply(session, values, services)] += 1
    return summary


def _text(value) -> str:
    return _FORMULA_GUARD.sub("", str(value if value is not None else "").strip())


def _validate(row: dict, services: dict) -> dict:
    """The row's values (only the columns it has), or ValueError with the reason."""
    values = {}
    for column in COLUMNS[:-1]:
        if row.get(column) is None and column not in REQUIRED:
            continue  # absent (or a short CSV line): the field stays as it is
        if column not in row:
            raise ValueError(_("missing column '%(column)s'", column=column))
        text = _text(row[column])
        if column in REQUIRED and not text:
            raise ValueError(_("missing value in column '%(column)s'", column=column))
        if len(text) > LIMITS[column]:
            raise ValueError(_("%(column)s is longer than %(LIMITS)s characters",
                               column=column,
                               LIMITS=LIMITS[column]))
        values[column] = text
    if "status" in values and not values["status"]:
        values["status"] = DEFAULT_STATUS
    if row.get("services") is not None:
        raw = row["services"]
        keys = raw if isinstance(raw, list | tuple) else re.split(r"[;,]", _text(raw))
        keys = list(dict.fromkeys(str(k).strip() for k in keys if str(k).strip()))
        unknown = [k for k in keys if k not in services]
        if unknown:
            raise ValueError(_("unknown service(s) %(value)s",
                               value=', '.join(repr(k) for k in unknown)))
        values["services"] = keys
    return values


def _apply(session, values: dict, services: dict) -> str:
    """Create or update one CI; 'created', 'updated' or 'unchanged'."""
    ci = session.scalar(select(ConfigurationItem).where(ConfigurationItem.key == values["key"]))
    wanted = values.get("services")
    if ci is None:
        ci = create_ci(session, values["key"], values["name"], values["ci_type"],
                       values.get("status") or DEFAULT_STATUS, values.get("location", ""))
        for key in wanted or []:
            link_ci(session, services[key], ci)
        return "created"
    changed = False
    for field in ("name", "ci_type", "status", "location"):
        if field in values and getattr(ci, field) != values[field]:
            setattr(ci, field, values[field])
            changed = True
    if wanted is not None:
        linked = set(session.scalars(select(Service.key).join(
            service_ci, service_ci.c.service_id == Service.id).where(
            service_ci.c.ci_id == ci.id)))
        for key in sorted(set(wanted) - linked):
            link_ci(session, services[key], ci)
            changed = True
        for key in sorted(linked - set(wanted)):
            unlink_ci(session, services[key], ci)
            changed = True
    session.flush()
    return "updated" if changed else "unchanged"
