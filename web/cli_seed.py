"""``slm seed``: deploy the product's diagrams and load the demo data."""
from __future__ import annotations

import os

import click

from engine.clock import utcnow
from engine.i18n import _, current_language, translations
from handlers.demo.seed import DEMO_PASSWORD, seed_demo
from handlers.errors import DomainError

from .config import Settings
from .services import WORKFLOWS, Services


@click.command()
@click.option("--password", default=None,
              help="Password of the demo users created (default: SLM_DEMO_PASSWORD, else "
                   f"{DEMO_PASSWORD}).")
def seed(password):
    """Deploy the product's diagrams (workflows/bpmn) and load the demo data.

    The demo data (catalogue, customers, a user per role, SLAs in every stage, three months
    of measurements...) is loaded once: when it is present already, nothing changes.
    """
    services = Services(Settings())
    for path in sorted((WORKFLOWS / "bpmn").glob("*.bpmn")):
        for r in services.deploy_file(path, "seed"):
            click.echo(_("%(process)s: version %(version)s", process=r.process_id,
                         version=r.version))
    shown = password is None and not os.environ.get("SLM_DEMO_PASSWORD")
    password = password or os.environ.get("SLM_DEMO_PASSWORD") or DEMO_PASSWORD
    with services.sessions() as session:
        try:
            summary = seed_demo(session, services.engine, utcnow(), password)
        except DomainError as exc:
            session.rollback()
            raise click.ClickException(_("demo data not loaded: %(error)s", error=exc)) from None
        session.commit()
    if not summary["created"]:
        click.echo(_("demo data already present: nothing changed"))
        return
    _print_seed(summary, password if shown else None)


def _print_seed(summary: dict, password: str | None) -> None:
    echo = click.echo
    echo(_("demo data loaded"))
    echo("  " + _("organisations: %(keys)s", keys=", ".join(summary["organisations"])))
    echo("  " + (_("users (password %(password)s):", password=password) if password
                 else _("users (password as given):")))
    for u in summary["users"]:
        note = "" if u["created"] else "  " + _("(existed already: password unchanged)")
        echo(f"    {u['username']:<16} {u['role']:<22} {u['organisation'] or '':<12}{note}")
    echo("  " + _("catalogue: %(services)s services, %(options)s service level options, "
                  "%(metrics)s metrics, %(cis)s configuration items", services=summary["services"],
                  options=summary["options"], metrics=summary["metrics"], cis=summary["cis"]))
    echo("  " + _("SLAs:"))
    for a in summary["slas"]:
        echo(f"    {a['reference']}  {a['status']:<11} v{a['version']}  {a['title']}")
    echo("  " + _("measurements: %(measurements)s, customer observations: %(observations)s, "
                  "design specifications: %(specs)s, change requests: %(changes)s",
                  measurements=summary["measurements"], observations=summary["observations"],
                  specs=summary["design_specifications"], changes=summary["change_requests"]))
    echo("  " + _("process instances:"))
    term = translations(current_language()).gettext  # a status word, in the catalogue
    for i in summary["instances"]:
        waiting = ", ".join(i["waiting"]) or ("-" if i["status"] == "completed"
                                              else _("a timer"))
        echo(f"    #{i['id']:<3} {i['title']} (" + _("%(status)s; waiting for: %(what)s",
                                                   status=term(i["status"]), what=waiting) + ")")
