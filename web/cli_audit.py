"""``slm audit``: seal, verify (with anchors) and print the head of the hash-chained audit
log."""
from __future__ import annotations

import sys

import click

from engine.audit import chain_head, parse_anchor, verify_chain
from engine.i18n import _
from engine.sealer import seal_pending

from .config import Settings
from .services import Services


@click.group()
def audit():
    """The hash-chained audit log."""


def _anchor(_ctx, _param, values):
    try:
        return dict(parse_anchor(v) for v in values)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


def _seal(services, wait: float = 10.0) -> None:
    """Seal what is committed (waiting up to ``wait`` seconds while a runner's sealer
    holds the lease: it is sealing meanwhile)."""
    seal_pending(services.sessions, f"cli:{services.runner}", wait=wait, release_after=True)


@audit.command("verify")
@click.option("--anchor", "anchors", multiple=True, callback=_anchor, metavar="SEQ:HASH",
              help="An earlier `slm audit head` output; that event must still have that hash "
                   "(catches a rewritten and re-hashed log). Repeatable.")
@click.option("--wait", default=10.0, show_default=True, type=click.FloatRange(0, 600),
              help="Seconds to wait for a running sealer to seal what is committed.")
def audit_verify(anchors, wait):
    """Seal what is committed, then check every sealed event of the audit chain; exit 1
    naming the first bad event. Events still unsealed are reported, not checked."""
    services = Services(Settings())
    try:
        _seal(services, wait)
        with services.sessions() as session:
            result = verify_chain(session, anchors=anchors)
    finally:  # its connections closed: callable in-process too
        services.db.dispose()
    if result.ok:
        if result.unsealed:
            click.echo(_("audit log OK: %(checked)s events checked; %(unsealed)s events appended "
                         "meanwhile are not sealed yet (checked once sealed)",
                         checked=result.checked, unsealed=result.unsealed))
        else:
            click.echo(_("audit log OK: %(checked)s events checked", checked=result.checked))
        return
    click.echo(_("audit log BROKEN at event %(seq)s: %(reason)s (%(checked)s events verified "
                 "before it)", seq=result.first_bad, reason=result.reason,
                 checked=result.checked), err=True)
    sys.exit(1)


@audit.command("head")
def audit_head():
    """Print the last event as SEQ:HASH: keep it outside the database (a log, a ticket, a
    mail) and pass it to `slm audit verify --anchor` later."""
    services = Services(Settings())
    try:
        _seal(services)
        with services.sessions() as session:
            seq, digest = chain_head(session)
    finally:
        services.db.dispose()
    click.echo(f"{seq}:{digest}")
