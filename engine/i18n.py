"""Translations for every layer: one gettext catalogue per language, compiled from
translations/<language>/LC_MESSAGES/messages.po (pybabel; `make install` compiles them).

The language of a message is the language of whoever reads it: the web layer tells this
module the current request's language (:func:`set_resolver`), mails and reports name the
reader's language explicitly (:func:`use_language`). Without either, English.

Messages are marked with ``_()`` (translated now, ``%(name)s`` placeholders filled from the
keyword arguments) or ``N_()`` (kept as a constant, translated where it is shown).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel.support import NullTranslations, Translations

#: the languages of the product, the first is the default
LANGUAGES = ("en", "ru")
DEFAULT_LANGUAGE = LANGUAGES[0]
#: each language's own name, as its speakers write it
LANGUAGE_NAMES = {"en": "English", "ru": "Русский"}
CATALOGUES = Path(__file__).resolve().parents[1] / "translations"

_language: ContextVar[str | None] = ContextVar("slm_language", default=None)
_resolver: list[Callable[[], str | None]] = []


def normalise(language: str | None) -> str:
    """A supported language code for ``language`` ("ru_RU", "RU" -> "ru"); else the default."""
    code = (language or "").replace("-", "_").split("_")[0].strip().lower()
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


@cache
def _load(language: str) -> NullTranslations:
    return Translations.load(str(CATALOGUES), [language])


def translations(language: str) -> NullTranslations:
    """The compiled catalogue of ``language`` (a NullTranslations when none is compiled, or
    when it cannot be opened: a sandbox worker may not open files; its messages stay in
    English rather than fail)."""
    try:
        return _load(language)
    except OSError:
        return NullTranslations()


def set_resolver(resolver: Callable[[], str | None] | None) -> None:
    """Where the current language comes from when no :func:`use_language` is active."""
    _resolver.clear()
    if resolver is not None:
        _resolver.append(resolver)


def current_language() -> str:
    explicit = _language.get()
    if explicit:
        return explicit
    if _resolver:
        return normalise(_resolver[0]())
    return DEFAULT_LANGUAGE


@contextmanager
def use_language(language: str | None) -> Iterator[str]:
    """Messages inside the block are in ``language`` (a mail's recipient, a report's customer)."""
    token = _language.set(normalise(language))
    try:
        yield _language.get()
    finally:
        _language.reset(token)


def gettext(message: str, **values) -> str:
    """``message`` in the current language, its ``%(name)s`` placeholders filled."""
    text = translations(current_language()).ugettext(message)
    return text % values if values else text


def ngettext(singular: str, plural: str, n: int, **values) -> str:
    text = translations(current_language()).ungettext(singular, plural, n)
    values.setdefault("num", n)
    return text % values


_ = gettext


def N_(message: str) -> str:  # noqa: N802 (the usual name of gettext's no-op marker)
    """Marks ``message`` for the catalogue; it is translated where it is shown."""
    return message


def N_plural(singular: str, plural: str) -> tuple[str, str]:  # noqa: N802 (as N_)
    """Marks a singular/plural pair for the catalogue (one message with plural forms); it is
    translated where it is shown (with :func:`ngettext`, or by a page script)."""
    return singular, plural


class LazyText:
    """A message to be written later, in its reader's language: ``str()`` translates it
    in the current language (notifications and mails to many people, each in their own)."""

    __slots__ = ("message", "values")

    def __init__(self, message: str, **values):
        self.message, self.values = message, values

    def __str__(self) -> str:
        return gettext(self.message, **{k: str(v) if isinstance(v, LazyText) else v
                                        for k, v in self.values.items()})

    def __repr__(self) -> str:
        return f"LazyText({self.message!r})"


def lazy_gettext(message: str, **values) -> LazyText:
    """``message`` marked for the catalogue, translated when it is written for its reader."""
    return LazyText(message, **values)


def written(text, language: str | None) -> str:
    """``text`` (a string or a :class:`LazyText`) in ``language``."""
    if isinstance(text, LazyText):
        with use_language(language):
            return str(text)
    return "" if text is None else str(text)
