"""Serializing specs (once per version) and workflow state (per instance, without spec).

SpiffWorkflow's serializer embeds the spec in every workflow; we store the spec once
per deployed version and re-attach it on load. Task data may hold ``date`` and
``Decimal`` values besides what Spiff knows (UUID, datetime, timedelta).
"""
from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.event_definition import (
    TimerConditionalEventDefinitionConverter,
)
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, TaskConverter
from SpiffWorkflow.bpmn.serializer.helpers.registry import DefaultRegistry
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task

from .timer_events import EngineCycle, EngineDuration, EngineTimeDate

SERIALIZER_VERSION = "slm-1"


class StatelessSpecWorkflowConverter(BpmnWorkflowConverter):
    """Converts a workflow without its spec; the caller supplies the spec to restore."""

    def to_dict(self, workflow):
        dct = super(BpmnWorkflowConverter, self).to_dict(workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct, spec=None, subprocess_specs=None):
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        workflow.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


ESCAPED_DICT = "slm.dict"


class EngineRegistry(DefaultRegistry):
    """Plain dicts that have a "typename" key are wrapped when stored, so that loading
    does not take user data for a serialized object."""

    def convert(self, obj):
        if type(obj) is dict and "typename" in obj:
            return {"typename": ESCAPED_DICT,
                    "items": {k: self.convert(v) for k, v in obj.items()}}
        return super().convert(obj)


class EngineTaskConverter(TaskConverter):
    """Spiff leaves task data (root data and deltas) unconverted, relying on its own JSON
    encoder; dumps_state uses plain json.dumps, so convert them here."""

    def to_dict(self, task):
        dct = super().to_dict(task)
        dct["data"] = self.registry.convert(dct["data"])
        if dct["delta"]:
            dct["delta"]["updates"] = self.registry.convert(dct["delta"]["updates"])
        return dct


def _registry():
    registry = EngineRegistry()
    registry.register(timedelta, lambda v: {"days": v.days, "seconds": v.seconds,
                                            "microseconds": v.microseconds},
                      lambda v: timedelta(**v))  # old rows without microseconds still load
    registry.convert_from_dict[ESCAPED_DICT] = lambda dct, **kw: {
        k: registry.restore(v, **kw) for k, v in dct["items"].items()}
    registry.register(date, lambda v: {"value": v.isoformat()},
                      lambda v: date.fromisoformat(v["value"]))
    registry.register(Decimal, lambda v: {"value": str(v)}, lambda v: Decimal(v["value"]))
    config = dict(SPIFF_CONFIG)
    config[BpmnWorkflow] = StatelessSpecWorkflowConverter
    config[Task] = EngineTaskConverter
    for cls in (EngineTimeDate, EngineDuration, EngineCycle):
        config[cls] = TimerConditionalEventDefinitionConverter
    return BpmnWorkflowSerializer.configure(config, registry)


SERIALIZER = BpmnWorkflowSerializer(_registry(), version=SERIALIZER_VERSION)
_REGISTRY = SERIALIZER.registry


def dumps_spec(spec, subprocess_specs: dict) -> str:
    """The process spec and its subprocess specs as JSON (stored once per version)."""
    return json.dumps({
        "spec": _REGISTRY.convert(spec),
        "subprocess_specs": {k: _REGISTRY.convert(v) for k, v in subprocess_specs.items()},
    })


def loads_spec(text: str):
    """(spec, subprocess_specs) from ``dumps_spec`` output."""
    dct = json.loads(text)
    spec = _REGISTRY.restore(dct["spec"])
    subs = {k: _REGISTRY.restore(v) for k, v in dct["subprocess_specs"].items()}
    return spec, subs


def dumps_state(workflow) -> str:
    """The workflow's state (tasks, data, subprocesses) without the spec, as JSON."""
    return json.dumps(_REGISTRY.convert(workflow), separators=(",", ":"))


def loads_state(text: str, spec, subprocess_specs: dict):
    """Rebuild a workflow from ``dumps_state`` output and its version's specs."""
    dct = json.loads(text)
    return _REGISTRY.restore(dct, spec=spec, subprocess_specs=subprocess_specs)
