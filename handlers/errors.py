"""Errors of the SLM domain. The engine records them as incidents; web shows the message."""
from __future__ import annotations

from engine.i18n import _


class DomainError(Exception):
    """An SLM rule refused the request; the message says which and why."""


class ValidationError(DomainError):
    """Input is invalid; ``errors`` maps a field name to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in errors.items()))


class NotReadyForTargetsError(DomainError):
    """Mission rule 5: targets before all supporting processes are defined."""

    def __init__(self, service: str, missing: list[str]):
        self.missing = missing
        super().__init__(_("service %(service)s cannot have targets yet: supporting "
                           "processes not defined: %(value)s",
                           service=repr(service),
                           value=', '.join(missing)))
