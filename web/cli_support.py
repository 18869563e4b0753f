"""What the ``slm`` command modules share: a session on the configured database, looking
up the user a command names, and the language its messages are printed in."""
from __future__ import annotations

import os
from collections.abc import Mapping
from contextlib import contextmanager

import click

from engine.i18n import DEFAULT_LANGUAGE, LANGUAGES, _
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
        raise click.ClickException(_("no user %(name)s", name=repr(username)))
    return user


#: where gettext looks for the language of messages, in its order (the first one set wins)
LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def cli_language(environ: Mapping[str, str] | None = None) -> str:
    """The language ``slm`` prints its messages in: ``SLM_LANGUAGE`` ("en" or "ru"), else
    the POSIX locale variables as gettext reads them (the first of LANGUAGE, LC_ALL,
    LC_MESSAGES, LANG that is set; "ru_RU.UTF-8" -> Russian; "C" or a language the product
    has not -> English), else English. A bad ``SLM_LANGUAGE`` is a usage error."""
    env = os.environ if environ is None else environ
    chosen = (env.get("SLM_LANGUAGE") or "").strip()
    if chosen:
        code = chosen.replace("-", "_").split("_")[0].split(".")[0].lower()
        if code not in LANGUAGES:
            raise click.UsageError(f"SLM_LANGUAGE={chosen!r}: choose one of "
                                   f"{', '.join(LANGUAGES)}")
        return code
    for name in LOCALE_VARIABLES:
        value = env.get(name)
        if not value:
            continue
        for each in value.split(":"):
            code = each.split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
            if code in ("c", "posix"):
                return DEFAULT_LANGUAGE
            if code in LANGUAGES:
                return code
        return DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE
