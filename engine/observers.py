"""Observers of the audit trail: how the application hears of engine steps.

The engine knows nothing of who should be told about a step. An application registers a
function ``(session, events)`` with :func:`subscribe`; it is called with the events of
every step (task ready, claimed, assigned, completed, timer fired...) just before they are
appended to the audit log, in the step's own transaction. Whatever it writes commits or
rolls back with the step (an outbox). It must only flush, never commit.
"""
from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

#: the registered observers, called in order of registration
_observers: list[Callable[[Session, list[dict]], None]] = []


def subscribe(observer: Callable[[Session, list[dict]], None]) -> None:
    """Call ``observer(session, events)`` for every step from now on (once per function)."""
    if observer not in _observers:
        _observers.append(observer)


def unsubscribe(observer: Callable[[Session, list[dict]], None]) -> None:
    if observer in _observers:
        _observers.remove(observer)


def notify(session: Session, events: list[dict]) -> None:
    """Hand ``events`` (the audit trail's dicts: kind, at, actor, instance_id, task_id,
    data as canonical JSON...) to every observer."""
    for observer in list(_observers):
        observer(session, events)
