"""Serializing specs (once per version) and workflow state (per instance, without spec).

SpiffWorkflow's serializer embeds the spec in every workflow; we store the spec once
per deployed version and re-attach it on load. Task data may hold ``date`` and
``Decimal`` values besides what Spiff knows (UUID, datetime, timedelta).
"""
from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from math import isfinite
from types import ModuleType
from uuid import UUID

import orjson
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.event_definition import (
    TimerConditionalEventDefinitionConverter,
)
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, TaskConverter
from SpiffWorkflow.bpmn.serializer.helpers.registry import DefaultRegistry
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.serializer.task_spec import SubWorkflowTaskConverter
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.deep_merge import DeepMerge
from SpiffWorkflow.util.task import TaskState

from .calls import CrossProcessCallActivity
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
        workflow.tasks = self.mapping_from_dict(dct["tasks"], uuid_of, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(uuid_of(dct["root"]))
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


_UUIDS: dict[str, UUID] = {}


def uuid_of(text: str) -> UUID:
    """``UUID(text)``, remembered: parsing is Python code, and a stored state names each
    task up to four times (UUIDs are immutable, so sharing them is safe)."""
    uuid = _UUIDS.get(text)
    if uuid is None:
        if len(_UUIDS) >= 200_000:
            _UUIDS.clear()
        uuid = _UUIDS[text] = UUID(text)
    return uuid


class EngineTaskConverter(TaskConverter):
    """Spiff leaves task data (root data and deltas) unconverted, relying on its own JSON
    encoder; dumps_state uses plain json.dumps, so convert them here. Loading is Spiff
    3.2.0's TaskConverter.from_dict with the ids parsed through ``uuid_of``."""

    def to_dict(self, task):
        dct = super().to_dict(task)
        dct["data"] = self.registry.convert(dct["data"])
        if dct["delta"]:
            dct["delta"]["updates"] = self.registry.convert(dct["delta"]["updates"])
        return dct

    def from_dict(self, dct, workflow):
        restore = self.registry.restore
        task_spec = workflow.spec.task_specs.get(dct["task_spec"])
        task = self.target_class(workflow, task_spec, state=dct["state"], id=uuid_of(dct["id"]))
        task._parent = uuid_of(dct["parent"]) if dct["parent"] is not None else None
        task._children = [uuid_of(child) for child in dct["children"]]
        task.last_state_change = dct["last_state_change"]
        task.triggered = dct["triggered"]
        task.internal_data = restore(dct["internal_data"])
        if isinstance(task_spec, CatchingEvent) and task.has_state(TaskState.WAITING):
            task.workflow.top_workflow.event_manager.add_task(task)
        delta = dct.get("delta")
        parent = task.parent
        if delta and parent is not None:
            data = DeepMerge.merge({}, parent.data)
            data.update(restore(delta.get("updates", {})))
            for key in delta.get("deletions", {}):
                if key in data:
                    del data[key]
        else:
            data = restore(dct["data"])
        task.data = data
        return task


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
    config[CrossProcessCallActivity] = SubWorkflowTaskConverter
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
    """The workflow's state (tasks, data, subprocesses) without the spec, as JSON.

    Written with orjson; whatever orjson would refuse or write differently from the
    standard library (integers beyond 64 bits, NaN and infinities, non-string keys, lone
    surrogates, unknown types) goes through ``json.dumps`` instead, which also raises the
    TypeError for values task data cannot hold.
    """
    try:
        return orjson.dumps(_fast_state_dict(workflow)).decode()
    except (_NonFinite, TypeError):
        return json.dumps(_REGISTRY.convert(workflow), separators=(",", ":"))


def state_dict(workflow) -> dict:
    """What ``SERIALIZER.registry.convert(workflow)`` returns, computed faster.

    Spiff's registry converts every value through several generic layers; this walks the
    same structure directly (the converters of BpmnWorkflow, BpmnSubWorkflow and Task as
    configured above) and hands anything that is not a plain JSON value back to the
    registry. tests/unit/test_state_dict.py checks it against the registry.
    """
    try:
        return _fast_state_dict(workflow)
    except _NonFinite:
        return _REGISTRY.convert(workflow)


class _NonFinite(Exception):
    """A NaN or infinite float: orjson would write it as null, so take the slow path."""


def _fast_state_dict(workflow) -> dict:
    if type(workflow) is not BpmnWorkflow or any(
            type(sp) is not BpmnSubWorkflow for sp in workflow.subprocesses.values()):
        return _REGISTRY.convert(workflow)
    dct = _workflow_dict(workflow)
    dct["subprocesses"] = {str(k): _subworkflow_dict(sp) for k, sp in workflow.subprocesses.items()}
    dct["bpmn_events"] = _REGISTRY.convert(workflow.bpmn_events)
    dct["typename"] = _TYPENAMES[BpmnWorkflow]
    return dct


_TYPENAMES = _REGISTRY.typenames


def _value(obj):
    """``_REGISTRY.convert(obj)`` with plain str/int/float/bool/None/dict/list done here."""
    t = type(obj)
    if t is str or t is int or t is bool or obj is None:
        return obj
    if t is float:
        if isfinite(obj):
            return obj
        raise _NonFinite
    if t is dict and "typename" not in obj:
        return {k: _value(v) for k, v in obj.items()
                if not callable(v) and not isinstance(v, ModuleType)}
    if t is list:
        return [_value(v) for v in obj]
    return _REGISTRY.convert(obj)


_UUID_TEXT: dict[int, str] = {}


def _text(uuid: UUID) -> str:
    """``str(uuid)``, remembered (keyed by its int: UUID.__hash__ is Python code): a state
    holds each task id up to three times per save."""
    key = uuid.int
    text = _UUID_TEXT.get(key)
    if text is None:
        if len(_UUID_TEXT) >= 200_000:
            _UUID_TEXT.clear()
        text = _UUID_TEXT[key] = str(uuid)
    return text


def _workflow_dict(workflow) -> dict:
    last = workflow.last_task
    tasks = workflow.tasks
    task_typename = _TYPENAMES[Task]
    return {
        "data": _value(_REGISTRY.clean(workflow.data)),
        "correlations": workflow.correlations,
        "last_task": _text(last.id) if last is not None else None,
        "success": workflow.success,
        "completed": workflow.completed,
        "tasks": {_text(k): _task_dict(t, tasks, task_typename) if type(t) is Task
                  else _REGISTRY.convert(t) for k, t in tasks.items()},
        "root": _text(workflow.task_tree.id),
    }


def _subworkflow_dict(sp) -> dict:
    dct = _workflow_dict(sp)
    dct["parent_task_id"] = str(sp.parent_task_id)
    dct["spec"] = sp.spec.name
    dct["typename"] = _TYPENAMES[BpmnSubWorkflow]
    return dct


def _task_dict(task, tasks, typename) -> dict:
    # Spiff 3.2's TaskConverter: the root keeps its data, every other task the keys that
    # differ from its parent's data (updated and deleted); EngineTaskConverter converts both.
    parent = tasks.get(task._parent) if task._parent is not None else None
    if parent is None:
        data, delta = _value(task.data), {}
    else:
        a, b = parent.data, task.data
        data = {}
        delta = {"updates": _value({k: v for k, v in b.items() if k not in a or v != a[k]}),
                 "deletions": [k for k in a if k not in b]}
    return {
        "id": _text(task.id),
        "parent": _text(task._parent) if parent is not None else None,
        "children": [_text(c) for c in task._children],
        "last_state_change": task.last_state_change,
        "state": task.state,
        "task_spec": task.task_spec.name,
        "triggered": task.triggered,
        "internal_data": _value(task.internal_data),
        "data": data,
        "delta": delta,
        "typename": typename,
    }


def loads_state(text: str, spec, subprocess_specs: dict):
    """Rebuild a workflow from ``dumps_state`` output and its version's specs."""
    dct = json.loads(text)
    return _REGISTRY.restore(dct, spec=spec, subprocess_specs=subprocess_specs)
