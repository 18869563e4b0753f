"""``slm api-token``: create (the token is printed once), list and revoke API tokens."""
from __future__ import annotations

import click

from engine.clock import utcnow
from engine.errors import NotFoundError
from engine.i18n import _
from handlers.errors import ValidationError
from handlers.people import tokens as api_tokens

from .cli_support import cli_session, named_user


@click.group("api-token")
def api_token():
    """Tokens of the JSON API (/api/v1): create, list, revoke."""


@api_token.command("create")
@click.argument("username")
@click.argument("name")
@click.option("--actor", default="cli", show_default=True, help="Who creates it (audit log).")
def create(username, name, actor):
    """Create a token called NAME for USERNAME and print it (only this once)."""
    with cli_session() as session:
        user = named_user(session, username)
        try:
            row, token = api_tokens.create_token(session, user, name, utcnow(), actor=actor)
        except ValidationError as exc:
            raise click.ClickException(str(exc)) from None
        session.commit()
        click.echo(_("token %(id)s (%(name)s) for %(user)s; it is shown only now:", id=row.id,
                     name=row.name, user=username), err=True)
    click.echo(token)


@api_token.command("list")
def list_cmd():
    """Every token: id, user, name, created, last used, revoked (never the token itself)."""
    with cli_session() as session:
        for token, username in api_tokens.list_tokens(session):
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}" if token.revoked_at \
                else "active"
            click.echo(f"{token.id}\t{username}\t{token.name}\t"
                       f"created {token.created_at:%Y-%m-%d %H:%M}\tused {used}\t{state}")


@api_token.command("revoke")
@click.argument("token_id", type=int)
@click.option("--actor", default="cli", show_default=True, help="Who revokes it (audit log).")
def revoke(token_id, actor):
    """Revoke token TOKEN_ID (see `slm api-token list`)."""
    with cli_session() as session:
        try:
            token = api_tokens.revoke_token(session, token_id, utcnow(), actor=actor)
        except NotFoundError as exc:
            raise click.ClickException(str(exc)) from None
        session.commit()
        click.echo(_("token %(id)s (%(name)s) revoked", id=token.id, name=token.name))
