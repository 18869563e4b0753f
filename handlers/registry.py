"""The product's handler registry: every SLM handler BPMN service tasks may call."""
from __future__ import annotations

import importlib

from engine.registry import HandlerRegistry
from handlers.agreements import operations as agreements
from handlers.catalogue import operations as catalogue
from handlers.delivery import attainment, measurements
from handlers.management import operations as management
from handlers.outputs import changes, design
from handlers.reports import operations as reports
from handlers.requirements import clarification
from handlers.requirements import operations as requirements
from handlers.reviews import operations as reviews


def build_registry(extra_modules: tuple[str, ...] = ()) -> HandlerRegistry:
    """A registry with every SLM handler, plus those of ``extra_modules``.

    An extra module (named in SLM_HANDLER_MODULES) defines ``register(registry)``; that is
    how an installation adds its own handlers without touching this package.
    """
    registry = HandlerRegistry()
    for register in _REGISTRARS:
        register(registry)
    for name in extra_modules:
        importlib.import_module(name).register(registry)
    return registry


#: functions ``(registry) -> None`` that register a module's handlers
_REGISTRARS: list = [
    catalogue.register, requirements.register, clarification.register, design.register,
    agreements.register, changes.register, management.register,
    measurements.register, attainment.register, reports.register, reviews.register,
]
