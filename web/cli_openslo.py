"""``slm export openslo`` and ``slm import-openslo``: the catalogue's targets as OpenSLO v1."""
from __future__ import annotations

from pathlib import Path

import click

from engine.i18n import _
from handlers.catalogue.openslo import OpenSLOError, export_yaml, import_yaml

from .cli_support import cli_session


def export_openslo(output: Path | None, service: str | None = None) -> None:
    with cli_session() as session:
        text = export_yaml(session, service)
    if output is None:
        click.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    click.echo(_("openslo: %(num)s SLOs written to %(path)s", num=text.count("kind: SLO"),
                 path=output))


@click.command("import-openslo")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_openslo(file: Path):
    """Create or replace catalogue targets from OpenSLO v1 YAML (all or nothing)."""
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise click.ClickException(_("%(path)s: cannot read it: %(error)s", path=file,
                                     error=exc)) from None
    with cli_session() as session:
        try:
            count = import_yaml(session, text)
        except OpenSLOError as exc:
            session.rollback()
            raise click.ClickException(_("nothing imported:") + "\n" + "\n".join(
                f"{file}: {line}" for line in exc.lines)) from None
        session.commit()
    click.echo(_("%(num)s targets imported from %(path)s", num=count, path=file))
