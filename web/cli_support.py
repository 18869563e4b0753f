"""What the ``slm`` command modules share: a session on the configured database, and
looking up the user a command names."""
from __future__ import annotations

from contextlib import contextmanager

import click

from handlers.people import operations as people

from .config import Settings
from .services import Services


@contextmanager
def cli_session():
    """One session on the configured database; its connections are closed afterwards."""
    services = Services(Settings())
    try:
        with services.sessions() as session:
            yield session
    finally:
        services.db.dispose()


def named_user(session, username: str):
    """The user called ``username``; a command-line error naming it when there is none."""
    user = people.find_user(session, username)
    if user is None:
        raise click.ClickException(f"no user {username!r}")
    return user
