"""The ``slm`` command line: serve, run timers, deploy, migrate, verify the audit log."""
from __future__ import annotations

import json
import os
import secrets
import sys
from datetime import datetime
from pathlib import Path

import click

from engine import schema
from engine.audit import verify_chain
from engine.clock import as_utc, utcnow
from engine.errors import DeployError, EngineError
from engine.instances import start_instance
from handlers import people
from handlers.errors import ValidationError
from handlers.models import ROLES

from .config import Settings
from .services import WORKFLOWS, Services


def _services() -> Services:
    return Services(Settings())


def _when(value: str | None) -> datetime:
    return as_utc(datetime.fromisoformat(value)) if value else utcnow()


@click.group()
def main():
    """Service Level Management process application."""


@main.group()
def db():
    """Database schema (Alembic revisions in migrations/)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
def db_upgrade(revision):
    """Create or upgrade every table."""
    settings = Settings()
    schema.upgrade(settings.database_url, revision)
    click.echo(f"database at {settings.database_url.split('@')[-1]} is at {revision}")


@db.command("downgrade")
@click.option("--revision", required=True)
def db_downgrade(revision):
    schema.downgrade(Settings().database_url, revision)


@main.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False,
                                                                   path_type=Path))
@click.option("--actor", default="cli", show_default=True, help="Who deploys (audit log).")
def deploy(files, actor):
    """Check and deploy BPMN FILES (forms are looked up beside them and in workflows/)."""
    services, failed = _services(), False
    for path in files:
        try:
            for r in services.deploy_file(path, actor):
                state = "created" if r.created else "unchanged"
                click.echo(f"{r.process_id}: version {r.version} ({state})")
        except DeployError as exc:
            failed = True
            click.echo(f"{path}: refused, nothing stored", err=True)
            for problem in exc.problems:
                click.echo(f"{problem.element_id}: {problem.message}", err=True)
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
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--data") from None
    if not isinstance(payload, dict):
        raise click.BadParameter("must be a JSON object", param_hint="--data")
    with services.sessions() as session:
        try:
            iid = start_instance(services.engine, session, process_id, actor=actor,
                                 now=utcnow(), data=payload, organisation=organisation)
        except EngineError as exc:
            raise click.ClickException(str(exc)) from None
        session.commit()
    click.echo(f"instance {iid} started")


@main.command()
@click.option("--once", is_flag=True, help="Fire what is due now and exit.")
@click.option("--now", default=None, help="Clock for --once (ISO 8601, UTC); default: now.")
def runner(once, now):
    """Fire due timers: once, or every SLM_RUNNER_INTERVAL seconds until stopped."""
    services = _services()
    if once:
        fired = services.run_timers(_when(now))
        click.echo(f"{fired} timers fired")
        return
    click.echo(f"runner {services.runner} started; interval {services.settings.runner_interval}s")
    services.start_scheduler(blocking=True)


@main.group()
def audit():
    """The hash-chained audit log."""


@audit.command("verify")
def audit_verify():
    """Check every event of the audit chain; exit 1 naming the first bad event."""
    services = _services()
    with services.sessions() as session:
        result = verify_chain(session)
    if result.ok:
        click.echo(f"audit log OK: {result.checked} events checked")
        return
    click.echo(f"audit log BROKEN at event {result.first_bad}: {result.reason} "
               f"({result.checked} events verified before it)", err=True)
    sys.exit(1)


@main.command()
def seed():
    """Deploy the product's diagrams (workflows/bpmn) and load the demo data."""
    services = _services()
    for path in sorted((WORKFLOWS / "bpmn").glob("*.bpmn")):
        for r in services.deploy_file(path, "seed"):
            click.echo(f"{r.process_id}: version {r.version}")


@main.group()
def users():
    """People: create users, set passwords, load the demo people."""


@users.command("create")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="Full name.")
@click.option("--role", "roles", multiple=True, required=True,
              type=click.Choice(ROLES), help="Repeat for several roles.")
@click.option("--organisation", default=None, help="Organisation key (customers).")
@click.option("--email", default="")
@click.password_option(help="Prompted for (twice) when not given.")
def users_create(username, display_name, roles, organisation, email, password):
    """Create user USERNAME (e.g. the first administrator)."""
    with _services().sessions() as session:
        try:
            people.create_user(session, username, display_name, password, roles, organisation,
                               email=email)
        except ValidationError as exc:
            raise click.ClickException(str(exc)) from None
        session.commit()
    click.echo(f"user {username} created")


@users.command("password")
@click.argument("username")
@click.password_option(help="Prompted for (twice) when not given.")
def users_password(username, password):
    """Set a new password for USERNAME (ends their open sessions)."""
    with _services().sessions() as session:
        user = people.find_user(session, username)
        if user is None:
            raise click.ClickException(f"no user {username!r}")
        try:
            people.set_password(session, user, password)
        except ValidationError as exc:
            raise click.ClickException(str(exc)) from None
        session.commit()
    click.echo(f"password of {username} changed")


@users.command("demo")
def users_demo():
    """Create the demo organisations and one demo user per role (existing ones are kept).

    Their password is SLM_DEMO_PASSWORD, or a random one printed once.
    """
    password = os.environ.get("SLM_DEMO_PASSWORD") or secrets.token_urlsafe(12)
    with _services().sessions() as session:
        created = people.seed_demo_people(session, password)
        session.commit()
    if not created:
        click.echo("demo users exist already (slm users password NAME sets a new password)")
        return
    names = ", ".join(f"{u.username} ({u.roles})" for u in created)
    click.echo(f"demo users created: {names}")
    if not os.environ.get("SLM_DEMO_PASSWORD"):
        click.echo(f"their password: {password}")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
def run(host, port):
    """Serve the web app (embedded default: timers fired inside this process)."""
    from . import create_app

    app = create_app()
    services = app.extensions["slm"]
    if services.settings.embedded_runner:
        services.start_scheduler()
    app.run(host=host, port=port, threaded=True, use_reloader=False)


if __name__ == "__main__":
    main()
