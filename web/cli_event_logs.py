"""``slm export xes|ocel``: the event log of a process for process-mining tools, written
with the chain head it was cut at (kept apart: cli.py is long enough)."""
from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

import click

from engine.i18n import _
from handlers.auditlog.selection import LogFilters
from handlers.errors import DomainError

from .audit.eventlogs import document
from .config import Settings
from .services import Services

EVENT_LOGS = ("xes", "ocel")


def event_log_options(command):
    """The options of ``slm export`` that cut an event log (xes, ocel)."""
    for option in reversed((
            click.option("--process", default=None,
                         help="xes/ocel: the process (id) whose log to export."),
            click.option("--version", "version", type=click.IntRange(min=1), default=None,
                         help="xes/ocel: only instances on this diagram version."),
            click.option("--from", "date_from", type=click.DateTime(["%Y-%m-%d"]),
                         default=None,
                         help="xes/ocel: events on or after this day (YYYY-MM-DD, UTC)."),
            click.option("--to", "date_to", type=click.DateTime(["%Y-%m-%d"]), default=None,
                         help="xes/ocel: events up to the end of this day (YYYY-MM-DD, UTC)."))):
        command = option(command)
    return command


def export_event_log_filters(kind, fmt, pdf_dir, process, version, date_from, date_to,
                             organisation) -> LogFilters:
    """The filters of ``slm export xes|ocel``; a usage error naming a misplaced option."""
    if fmt is not None:
        raise click.BadParameter(_("%(kind)s is a format of its own", kind=kind),
                                 param_hint="--format")
    if pdf_dir is not None:
        raise click.BadParameter(_("only for customer-reports"), param_hint="--pdf-dir")
    if not (process or "").strip():
        raise click.BadParameter(_("name the process whose %(kind)s log to export", kind=kind),
                                 param_hint="--process")
    until = date_to + timedelta(days=1) if date_to else None
    return LogFilters(process.strip(), version, date_from, until, organisation or None)


def write_event_log(kind: str, filters: LogFilters, output: Path | None) -> None:
    """Write the document to ``output`` (standard output when None); say what was written
    and the anchor on standard error (standard output carries the document)."""
    services = Services(Settings())
    try:
        with services.sessions() as session:
            try:
                log, body = document(session, kind, filters)
            except DomainError as exc:
                raise click.ClickException(str(exc)) from None
    finally:
        services.db.dispose()
    if output is None:
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
    else:
        output.write_bytes(body)
    values = {"kind": kind, "cases": len(log.cases), "steps": log.steps, "anchor": log.anchor,
              "path": output}
    said = (_("%(kind)s: %(cases)s instances, %(steps)s events written to %(path)s; cut at chain "
              "head %(anchor)s (check later: slm audit verify --anchor %(anchor)s)", **values)
            if output else
            _("%(kind)s: %(cases)s instances, %(steps)s events written; cut at chain head "
              "%(anchor)s (check later: slm audit verify --anchor %(anchor)s)", **values))
    click.echo(said, err=output is None)
