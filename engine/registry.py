"""The registry of Python handlers that BPMN service tasks call by operator name.

A handler is a plain function ``(params: dict, context: HandlerContext) -> dict`` whose
parameters and result are JSON-safe. Its docstring documents inputs and outputs; the
``params`` declaration lists parameter names for the modeler and for deploy checks.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class HandlerContext:
    """What a handler may know about the call besides its parameters."""

    session: Any
    now: datetime
    instance_id: int | None
    task_id: str
    element_id: str
    actor: str
    #: a copy of the calling task's data, read-only by convention
    data: dict
    #: start_process(process_id, data=None, organisation=None, title="") -> instance id;
    #: the new instance starts in the same transaction as the calling step
    start_process: Callable | None = None


class SteppingContext(HandlerContext):
    """The context the engine gives a handler inside a step: ``session`` is given as a
    function that opens the handler's savepoint and returns the session, called on the
    handler's first use of ``ctx.session`` (a handler that never uses it costs none)."""

    @property
    def session(self):
        d = self.__dict__
        if "_session" not in d:
            d["_session"] = d["_open_session"]()
        return d["_session"]

    @session.setter
    def session(self, open_session: Callable):
        self.__dict__["_open_session"] = open_session


@dataclass
class Handler:
    name: str
    func: Callable[[dict, HandlerContext], dict]
    params: dict[str, str] = field(default_factory=dict)
    doc: str = ""


class HandlerRegistry:
    """Operator name -> handler."""

    def __init__(self):
        self._handlers: dict[str, Handler] = {}

    def register(self, name: str, params: dict[str, str] | None = None):
        """Decorator registering ``func`` under ``name``; ``params`` maps name -> description."""

        def deco(func):
            self.add(name, func, params)
            return func

        return deco

    def add(self, name: str, func, params: dict[str, str] | None = None) -> None:
        if name in self._handlers:
            raise ValueError(f"handler {name!r} is already registered")
        self._handlers[name] = Handler(name, func, dict(params or {}), (func.__doc__ or "").strip())

    def replace(self, name: str, func, params: dict[str, str] | None = None) -> None:
        """Register or swap a handler (used when a fix is deployed for a failing one)."""
        self._handlers.pop(name, None)
        self.add(name, func, params)

    def get(self, name: str) -> Handler | None:
        return self._handlers.get(name)

    def __contains__(self, name: str) -> bool:
        return name in self._handlers

    def names(self) -> list[str]:
        return sorted(self._handlers)

    def describe(self) -> list[dict]:
        return [
            {"name": h.name, "params": h.params, "doc": h.doc}
            for h in sorted(self._handlers.values(), key=lambda h: h.name)
        ]
