"""Limits checked around every task an engine step runs.

* task data: after a task that ran diagram code (a script, a handler, a pre- or
  post-script), its data may take at most ``SLM_MAX_STATE_BYTES``; more is an incident on
  that task, and its data is put back as it was (nothing of it is stored);
* loops: SpiffWorkflow follows a workflow's task tree only to depth 1000, and a loop in a
  diagram adds to that depth every round; past it Spiff stops seeing the ready tasks and
  calls the instance completed. A task deeper than MAX_TASK_DEPTH is an incident instead;
* call activities: a call deeper than ``SLM_MAX_CALL_DEPTH`` (default 10) nested calls is
  an incident (deploy already refuses a process that calls itself where the chain is known).

The stored state of the whole instance is checked when it is saved (engine.runtime).
"""
from __future__ import annotations

import os

from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import CallActivity

from .errors import EngineError
from .i18n import _
from .sandbox_codec import TooLargeError, measure
from .sandbox_pool import _env_number, max_state_bytes

#: deepest task (in the task tree) a step may run; SpiffWorkflow's iterator stops at 1000
MAX_TASK_DEPTH = 950


def max_call_depth(environ=os.environ) -> int:
    """``SLM_MAX_CALL_DEPTH``: call activities nested in one instance (default 10)."""
    return _env_number("SLM_MAX_CALL_DEPTH", 10, environ=environ)


class StepLimitError(Exception):
    """A task went past a limit of the engine; the message is for a process owner."""

    plain = True


class StateTooLargeError(EngineError):
    """The stored state of an instance would be larger than ``SLM_MAX_STATE_BYTES``."""


class StepGuard:
    """The checks of one engine step (depths are remembered for the step's tasks)."""

    def __init__(self):
        self.max_bytes = max_state_bytes()
        self.max_calls = max_call_depth()
        self._depths: dict = {}

    def _depth(self, task) -> int:
        chain, depth = [], 0
        current = task
        while current is not None:
            known = self._depths.get(current.id)
            if known is not None:
                depth = known
                break
            chain.append(current)
            current = current.parent
        else:
            depth = -1
        for t in reversed(chain):
            depth += 1
            self._depths[t.id] = depth
        return self._depths[task.id]

    def before(self, task) -> None:
        """Raise StepLimitError if ``task`` must not run."""
        if self._depth(task) > MAX_TASK_DEPTH:
            raise StepLimitError(
                _("the process went round a loop more often than the engine can follow (more "
                  "than %(MAX_TASK_DEPTH)s steps in a row); the instance stops here instead "
                  "of being taken for completed",
                  MAX_TASK_DEPTH=MAX_TASK_DEPTH))
        if isinstance(task.task_spec, CallActivity) and task.workflow.depth >= self.max_calls:
            raise StepLimitError(
                _("call activities are nested more than %(max_calls)s deep (does a process "
                  "call itself?)",
                  max_calls=self.max_calls))

    def after(self, task) -> None:
        """Raise StepLimitError if the data ``task`` left is too large to store."""
        try:
            measure(task.data, self.max_bytes)
        except TooLargeError:
            raise StepLimitError(
                _("the task data written here would take more than %(max_bytes)s bytes "
                  "(SLM_MAX_STATE_BYTES); nothing of it was stored",
                  max_bytes=format(self.max_bytes, ','))) from None


def check_state_size(text: str, instance_id: int, max_bytes: int | None = None) -> None:
    """Raise StateTooLargeError if the serialized state ``text`` is over the limit."""
    limit = max_state_bytes() if max_bytes is None else max_bytes
    if len(text) > limit:
        raise StateTooLargeError(
            _("the state of process instance %(instance_id)s would take %(value)s bytes, "
              "more than SLM_MAX_STATE_BYTES (%(limit)s); nothing was stored",
              instance_id=instance_id,
              value=format(len(text), ','),
              limit=format(limit, ',')))
