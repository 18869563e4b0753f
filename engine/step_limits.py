"""Limits checked around every task an engine step runs.

* task data: after a task that ran diagram code (a script, a handler, a pre- or
  post-script), its data may take at most ``SLM_MAX_STATE_BYTES``, and so may the state
  of the whole instance with it; more is an incident on that task, and its data is put
  back as it was (nothing of it is stored);
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


#: what one more task adds to the stored state besides its data (bytes, generously)
TASK_BYTES = 1024


class StepGuard:
    """The checks of one engine step; ``state_bytes``: the stored state when it began.

    The whole state is serialized (exactly, but at a cost) after a task that ran diagram
    code only once a running estimate (the state as it began, plus the data each such task
    changed, plus TASK_BYTES a task) passes half the limit: small instances never pay it.
    """

    def __init__(self, state_bytes: int = 0, dump=None):
        #: the state serializer (engine.serialization.dumps_state, given by the runtime)
        self.dump = dump
        self.max_bytes = max_state_bytes()
        self.max_calls = max_call_depth()
        self.estimate = state_bytes

    @staticmethod
    def _depth(task) -> int:
        """The task's depth in its tree, kept on the task (a task's parent never changes)."""
        depth = task.__dict__.get("_slm_depth")
        if depth is not None:
            return depth
        chain, current = [], task
        while current is not None:
            known = current.__dict__.get("_slm_depth")
            if known is not None:
                depth = known
                break
            chain.append(current)
            current = current.parent
        else:
            depth = -1
        for t in reversed(chain):
            depth += 1
            t._slm_depth = depth
        return depth

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

    def ran(self) -> None:
        """A task ran (its share of the state's structure)."""
        self.estimate += TASK_BYTES

    def after(self, task, before: dict, workflow) -> None:
        """Raise StepLimitError if the data ``task`` left (``before``: its data before it
        ran) is too large to store, alone or in the state of the whole ``workflow``.

        The end of a workflow keeps a copy of its data, so until then the state is
        counted with the task's data once more: what it would take at the end."""
        try:
            data_bytes = measure(task.data, self.max_bytes)
        except TooLargeError:
            raise StepLimitError(
                _("the task data written here would take more than %(max_bytes)s bytes "
                  "(SLM_MAX_STATE_BYTES); nothing of it was stored",
                  max_bytes=format(self.max_bytes, ','))) from None
        changed = {k: v for k, v in task.data.items() if k not in before or before[k] != v}
        self.estimate += measure(changed, self.max_bytes)
        at_end = 0 if workflow.is_completed() else data_bytes
        if self.estimate + at_end > self.max_bytes // 2:
            self.estimate = len(self.dump(workflow))
            if self.estimate + at_end > self.max_bytes:
                raise StepLimitError(
                    _("with the data written here the state of this instance would take more "
                      "than %(max_bytes)s bytes (SLM_MAX_STATE_BYTES); nothing of it was "
                      "stored",
                      max_bytes=format(self.max_bytes, ',')))


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
