"""Timer event definitions that read the engine's clock instead of the wall clock.

SpiffWorkflow's timers call ``datetime.now()``; ours ask the workflow's script engine
for ``now``, which the engine sets at every step. Tests therefore drive timers with
fixed datetimes, and a runner fires a timer at the time it claims it.
"""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.util.task import TaskState

from . import timer_policy
from .clock import as_utc, aware


def engine_now(task) -> datetime:
    now = getattr(task.workflow.script_engine, "now", None)
    return aware(now) if now is not None else datetime.now(UTC)


def _on(task, fn, *args):
    """``fn(*args)``; a TimerPolicyError names ``task`` (the incident is the timer's)."""
    try:
        return fn(*args)
    except timer_policy.TimerPolicyError as exc:
        exc.task = task
        raise


def parse_cycle(expression: str, now: datetime, boundary: bool = False):
    """(cycles, first due, interval) of an ISO 8601 repeating interval, relative to ``now``
    (engine.timer_policy refuses what the engine does not run)."""
    return timer_policy.cycle(expression, now, boundary)


class EngineTimeDate(TimeDateEventDefinition):
    def has_fired(self, my_task):
        value = my_task._get_internal_data("event_value")
        if value is None:
            value = _on(my_task, timer_policy.text_of,
                        my_task.workflow.script_engine.evaluate(my_task, self.expression))
            _on(my_task, timer_policy.date_or_duration, value, engine_now(my_task))
            my_task._set_internal_data(event_value=value)
        if TimerEventDefinition.parse_time_or_duration(value) <= engine_now(my_task):
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class EngineDuration(DurationTimerEventDefinition):
    def has_fired(self, my_task):
        value = my_task._get_internal_data("event_value")
        now = engine_now(my_task)
        if value is None:
            expression = _on(my_task, timer_policy.text_of,
                             my_task.workflow.script_engine.evaluate(my_task, self.expression))
            value = (now + _on(my_task, timer_policy.duration, expression, now)).isoformat()
            my_task._set_internal_data(event_value=value)
        if TimerEventDefinition.get_datetime(value) <= now:
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class EngineCycle(CycleTimerEventDefinition):
    """A cycle timer on the engine's clock. A late timer fires once and then waits for its
    next occurrence after ``now``: the occurrences it missed are skipped, not fired."""

    def cycle_complete(self, my_task):
        value = my_task._get_internal_data("event_value")
        now = engine_now(my_task)
        if value is None:
            expression = _on(my_task, timer_policy.text_of,
                             my_task.workflow.script_engine.evaluate(my_task, self.expression))
            boundary = isinstance(my_task.task_spec, BoundaryEvent)
            cycles, start, duration = _on(my_task, parse_cycle, expression, now, boundary)
            value = {"cycles": cycles, "next": start.isoformat(),
                     "duration": duration.total_seconds()}
        ready = False
        if value["cycles"] != 0:
            nxt = datetime.fromisoformat(value["next"])
            if nxt <= now:
                step = timedelta(seconds=value["duration"])
                missed = (now - nxt) // step
                value["next"] = (nxt + (missed + 1) * step).isoformat()
                value["cycles"] -= 1
                ready = True
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
        my_task._set_internal_data(event_value=value)
        return ready


REPLACEMENTS = {
    TimeDateEventDefinition: EngineTimeDate,
    DurationTimerEventDefinition: EngineDuration,
    CycleTimerEventDefinition: EngineCycle,
}


def _engine_timer(ev):
    cls = REPLACEMENTS.get(type(ev))
    if cls is None:
        return ev
    new = cls(ev.name, ev.expression, description=ev.description)
    new.__dict__.update({k: v for k, v in ev.__dict__.items() if k not in new.__dict__})
    return new


def use_engine_timers(spec) -> None:
    """Swap Spiff's wall-clock timer definitions in ``spec`` for the engine's (also among
    the triggers an event-based gateway waits for)."""
    for task_spec in spec.task_specs.values():
        ev = getattr(task_spec, "event_definition", None)
        if isinstance(ev, MultipleEventDefinition):
            ev.event_definitions = [_engine_timer(d) for d in ev.event_definitions]
        elif ev is not None:
            task_spec.event_definition = _engine_timer(ev)


def _timer_of(ev):
    """The timer an event waits on: its own definition, or the (first) timer among an
    event-based gateway's triggers."""
    if isinstance(ev, MultipleEventDefinition):
        return next((d for d in ev.event_definitions if isinstance(d, TimerEventDefinition)),
                    None)
    return ev if isinstance(ev, TimerEventDefinition) else None


def waiting_timers(workflow) -> list[tuple[str, str, datetime]]:
    """(task id, element id, due as naive UTC) of every timer the workflow waits on."""
    out = []
    for task in workflow.event_manager.tasks.values():
        ev = _timer_of(task.task_spec.event_definition)
        if ev is None or not task.has_state(TaskState.WAITING):
            continue
        value = task._get_internal_data("event_value")
        if value is None:
            continue
        if isinstance(value, dict):
            if value.get("cycles") == 0:
                continue
            value = value["next"]
        if isinstance(ev, TimeDateEventDefinition):
            due = TimerEventDefinition.parse_time_or_duration(value)
        else:
            due = datetime.fromisoformat(value)
        out.append((str(task.id), task.task_spec.bpmn_id or task.task_spec.name, as_utc(due)))
    return out
