"""The ``slm`` command line: serve, run timers, deploy, migrate, verify the audit log, seed
the demo, import measurements and CIs, export the outputs of the process."""
from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path
from typing import NoReturn

import click

from engine import schema
from engine.clock import as_utc, utcnow
from engine.errors import DeployError, EngineError
from engine.i18n import _, use_language
from engine.instances import start_instance
from engine.sandbox_pool import start_pool
from engine.sealer import seal_pending
from handlers.catalogue.ci_import import import_cis_csv
from handlers.delivery.measurements import import_csv
from handlers.errors import DomainError, ValidationError
from handlers.outputs.exports import FORMATS, KINDS, export
from handlers.people import operations as people
from handlers.people.models import ROLES

from .cli_event_logs import EVENT_LOGS, event_log_options, export_event_log_filters
from .cli_event_logs import write_event_log as _export_event_log
from .cli_support import cli_language, cli_session, named_user
from .config import Settings
from .services import Services


def _services() -> Services:
    return Services(Settings())


def _when(value: str | None) -> datetime:
    return as_utc(datetime.fromisoformat(value)) if value else utcnow()


@click.group()
@click.pass_context
def main(ctx):
    """Service Level Management process application."""
    if ctx.invoked_subcommand != "run":  # a server answers each request in its own language
        ctx.with_resource(use_language(cli_language()))


@main.group()
def db():
    """Database schema (Alembic revisions in migrations/)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision):
    """Create or upgrade every table."""
    settings = Settings()
    schema.upgrade(settings.database_url, revision)
    click.echo(_("database at %(where)s is at %(revision)s",
                 where=settings.database_url.split("@")[-1], revision=revision))


@db.command("downgrade")
@click.option("--revision", required=True)
def db_downgrade(revision):
    schema.downgrade(Settings().database_url, revision)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--actor", default="cli", show_default=True, help="Who deploys (audit log).")
@click.option("--note", default="", help="Why (stored with the versions of a set).")
def deploy(files, actor, note):
    """Check and deploy BPMN FILES (forms and DMN decisions are looked up beside them and in
    workflows/). A folder or a .zip is a set: its .bpmn, .dmn and .json files are all
    checked first and stored together, or none is."""
    services, failed = _services(), False
    for path in files:
        try:
            if path.is_dir() or path.suffix.lower() == ".zip":
                results = services.deploy_set(services.read_set(path), actor, note)
            else:
                results = services.deploy_file(path, actor)
            for r in results:
                said = (_("%(process)s: version %(version)s (created)") if r.created
                        else _("%(process)s: version %(version)s (unchanged)"))
                click.echo(said % {"process": r.process_id, "version": r.version})
        except DeployError as exc:
            failed = True
            click.echo(_("%(path)s: refused, nothing stored", path=path), err=True)
            for problem in exc.problems:
                click.echo(str(problem), err=True)
    sys.exit(1 if failed else 0)


@main.command()
@click.argument("process_id")
@click.option("--data", default="{}", help="Start data as a JSON object.")
@click.option("--actor", default="cli", show_default=True)
@click.option("--organisation", default=None)
def start(process_id, data, actor, organisation):
    """Start an instance of PROCESS_ID on its latest version."""
    services = _services()
    try:
        payload = json.loads(data)
    except ValueError as exc:
        raise click.BadParameter(_("not JSON: %(error)s", error=exc), param_hint="--data") from None
    if not isinstance(payload, dict):
        raise click.BadParameter(_("must be a JSON object"), param_hint="--data")
    with services.sessions() as session:
        try:
            iid = start_instance(services.engine, session, process_id, actor=actor,
                                 now=utcnow(), data=payload, organisation=organisation)
        except EngineError as exc:
            raise click.ClickException(str(exc)) from None
        session.commit()
    click.echo(_("instance %(id)s started", id=iid))


@main.command()
@click.option("--once", is_flag=True, help="Fire what is due now and exit.")
@click.option("--now", default=None, help="Clock for --once (ISO 8601, UTC); default: now.")
def runner(once, now):
    """Fire due timers and deliver notifications: once, or every SLM_RUNNER_INTERVAL seconds
    until stopped."""
    services = _services()
    start_pool()  # diagram code runs in these sandbox workers, started before any step
    if once:
        fired, mail = services.run_due_work(_when(now))
        sealed = seal_pending(services.sessions, services.runner, release_after=True)
        click.echo(_("%(fired)s timers fired; %(sent)s mails sent, %(retried)s to retry, "
                     "%(failed)s failed", fired=fired, sent=mail.sent, retried=mail.retried,
                     failed=mail.failed))
        click.echo(_("%(num)s audit events sealed", num=sealed))
        return
    click.echo(_("runner %(name)s started; interval %(seconds)ss", name=services.runner,
                 seconds=services.settings.runner_interval))
    services.start_scheduler(blocking=True)


def _read_error(path: Path, exc: Exception) -> NoReturn:
    """Say why ``path`` could not be imported and exit 1."""
    if isinstance(exc, UnicodeDecodeError):
        reason = _("cannot be read: not UTF-8 text")
    elif isinstance(exc, OSError):
        reason = _("cannot be read: %(reason)s", reason=exc.strerror or exc)
    else:
        reason = str(exc)
    click.echo(_("%(path)s: %(reason)s; nothing imported", path=path, reason=reason), err=True)
    sys.exit(1)


def _report_rejections(file: Path, result: dict) -> None:
    """Print each rejected row with its line; exit 1 when nothing at all was accepted."""
    rejected = result["rejected"]
    for r in rejected:
        click.echo(_("line %(line)s: %(reason)s", line=r["row"], reason=r["reason"]))
    if result["total"] == 0 or len(rejected) == result["total"]:
        click.echo(_("%(path)s: nothing imported", path=file), err=True)
        sys.exit(1)


@main.command("import-measurements")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--source", default=None,
              help="Where the data comes from, stored with each row (default: csv:FILE name).")
def import_measurements_cmd(file, source):
    """Import actual service delivery data from the CSV FILE.

    Columns: sla (reference), metric (key), measured_at (ISO 8601, UTC unless it has an
    offset), value. Prints how many rows were imported, how many were there already
    (importing a file again adds nothing) and every rejected row with its line number and
    the reason.

    Exit status: 0 when at least one row was accepted (imported, or present already), even
    if other rows were rejected; 1 when the file cannot be read, has no data rows, or every
    row was rejected.
    """
    with _services().sessions() as session:
        try:
            result = import_csv(session, file, source or f"csv:{file.name}", utcnow())
        except (OSError, UnicodeDecodeError, DomainError) as exc:
            _read_error(file, exc)
        session.commit()
    click.echo(_("imported %(imported)s, duplicates %(duplicates)s, rejected %(rejected)s "
                 "(%(total)s rows)", imported=result["imported"], duplicates=result["duplicates"],
                 rejected=len(result["rejected"]), total=result["total"]))
    _report_rejections(file, result)


@main.command("import-cis")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def import_cis_cmd(file):
    """Import configuration items from the CSV FILE.

    Columns: key, name, ci_type (required), status, location, services (service keys
    separated by ";"). A new key creates the CI, a known key updates it; a column left out
    leaves that field as it is. Prints the counts and every rejected row with its line
    number and the reason.

    Exit status: 0 when at least one row was accepted, even if others were rejected; 1 when
    the file cannot be read, lacks a required column, has no data rows, or every row was
    rejected.
    """
    with _services().sessions() as session:
        try:
            result = import_cis_csv(session, file)
        except (OSError, UnicodeDecodeError, DomainError) as exc:
            _read_error(file, exc)
        session.commit()
    click.echo(_("created %(created)s, updated %(updated)s, unchanged %(unchanged)s, rejected "
                 "%(rejected)s (%(total)s rows)", created=result["created"],
                 updated=result["updated"], unchanged=result["unchanged"],
                 rejected=len(result["rejected"]), total=result["total"]))
    _report_rejections(file, result)


@main.command("export")
@click.argument("kind", type=click.Choice((*KINDS, "openslo", *EVENT_LOGS)))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="csv (default) or json; not for xes and ocel.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="File to write (default: standard output).")
@click.option("--organisation", default=None,
              help="Only what this customer organisation (key) may see; xes/ocel: only its "
                   "instances.")
@click.option("--pdf-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="customer-reports: also write each report's PDF into this directory.")
@event_log_options
def export_cmd(kind, fmt, output, organisation, pdf_dir, process, version, date_from,
               date_to):
    """Export an output of the process: cost-data, cis, design-specs, customer-reports or
    change-requests, as CSV or JSON; the catalogue's targets as OpenSLO v1 YAML (openslo);
    or the event log of a process for process mining:
    xes (IEEE 1849) or ocel (OCEL 2.0 JSON), e.g.
    `slm export xes --process sla_agreement --output agreement.xes`.

    Event logs are cut at the audit chain head, which they carry and which is printed:
    `slm audit verify --anchor SEQ:HASH` checks later that the log was not rewritten."""
    if kind == "openslo":
        return export_openslo(output)
    if kind in EVENT_LOGS:
        log_filters = export_event_log_filters(kind, fmt, pdf_dir, process, version,
                                               date_from, date_to, organisation)
        _export_event_log(kind, log_filters, output)
        return
    for name, value in (("--process", process), ("--version", version),
                        ("--from", date_from), ("--to", date_to)):
        if value is not None:
            raise click.BadParameter(_("only for xes and ocel"), param_hint=name)
    fmt = fmt or "csv"
    if pdf_dir is not None and kind != "customer-reports":
        raise click.BadParameter(_("only for customer-reports"), param_hint="--pdf-dir")
    with _services().sessions() as session:
        try:
            result = export(session, kind, utcnow(), organisation=organisation,
                            pdf_dir=pdf_dir)
        except DomainError as exc:
            raise click.ClickException(str(exc)) from None
    text = result.render(fmt)
    if output is None:
        click.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    click.echo(_("%(kind)s: %(num)s rows written to %(path)s", kind=kind, num=len(result.rows),
                 path=output))


@main.group()
def users():
    """People: create users (e.g. the first administrator), set passwords."""


@users.command("create")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="Full name.")
@click.option("--role", "roles", multiple=True, required=True,
              help=f"Repeat for several roles: built-in ({', '.join(ROLES)}) or any an "
                   "admin added.")
@click.option("--organisation", default=None, help="Organisation key (customers).")
@click.option("--email", default="")
@click.password_option(help="Prompted for (twice) when not given.")
@click.option("--actor", default="cli", show_default=True, help="Who creates it (audit log).")
def users_create(username, display_name, roles, organisation, email, password, actor):
    """Create user USERNAME (e.g. the first administrator)."""
    with cli_session() as session:
        try:
            people.create_user(session, username, display_name, password, roles, organisation,
                               email=email, actor=actor, now=utcnow())
        except ValidationError as exc:
            raise click.ClickException(str(exc)) from None
        session.commit()
    click.echo(_("user %(name)s created", name=username))


@users.command("password")
@click.argument("username")
@click.password_option(help="Prompted for (twice) when not given.")
@click.option("--actor", default="cli", show_default=True, help="Who sets it (audit log).")
def users_password(username, password, actor):
    """Set a new password for USERNAME (ends their open sessions)."""
    with cli_session() as session:
        user = named_user(session, username)
        try:
            people.set_password(session, user, password, actor=actor, now=utcnow())
        except ValidationError as exc:
            raise click.ClickException(str(exc)) from None
        session.commit()
    click.echo(_("password of %(name)s changed", name=username))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def run(host, port):
    """Serve the web app with waitress (embedded default: timers fired inside this process)."""
    from . import create_app
    from .serve import make_server

    app = create_app()
    services = app.extensions["slm"]
    if services.settings.embedded_runner:
        services.start_scheduler()
    server = make_server(app, host, port)
    click.echo(_("serving on %(url)s", url=f"http://{host}:{server.effective_port}"))
    server.run()


from .cli_audit import audit  # noqa: E402  (its own module: cli.py is long enough)
from .cli_openslo import export_openslo, import_openslo  # noqa: E402
from .cli_seed import seed  # noqa: E402
from .cli_tokens import api_token  # noqa: E402  (its own module: cli.py is long enough)

main.add_command(audit)
main.add_command(api_token)
main.add_command(import_openslo)
main.add_command(seed)

if __name__ == "__main__":
    main()
