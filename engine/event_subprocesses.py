"""Interrupting event sub-processes.

SpiffWorkflow 3.2 starts an event sub-process when its start event is triggered (timer,
message, error, escalation) but does not read ``isInterrupting``: every event sub-process
runs beside the rest of its process. BPMN's default is interrupting, so deploy marks each
interrupting start event (``mark``), and when one of them fires the engine cancels what
else is running in the enclosing process (``interrupt``): the event sub-process then
finishes the process alone.
"""
from __future__ import annotations

from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from SpiffWorkflow.util.task import TaskState

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
MARK = "slm_interrupting"


def interrupting_starts(root) -> set[str]:
    """Ids of the start events of event sub-processes that interrupt (the default)."""
    out = set()
    for sub in root.iter(BPMN + "subProcess"):
        if sub.get("triggeredByEvent") != "true":
            continue
        for ev in sub.findall(BPMN + "startEvent"):
            if ev.get("isInterrupting", "true") != "false":
                out.add(ev.get("id"))
    return out


def mark(root, specs) -> None:
    """Mark the interrupting start events in ``specs`` (stored with the spec's extensions)."""
    ids = interrupting_starts(root)
    if not ids:
        return
    for spec in specs:
        for task_spec in spec.task_specs.values():
            if isinstance(task_spec, StartEvent) and task_spec.bpmn_id in ids:
                ext = getattr(task_spec, "extensions", None)
                if ext is None:
                    ext = task_spec.extensions = {}
                ext[MARK] = True


def interrupt(task) -> bool:
    """After ``task`` ran: if it is a marked start event, cancel everything else still
    running in the process that holds its event sub-process. True if it did."""
    if not (getattr(task.task_spec, "extensions", None) or {}).get(MARK):
        return False
    sub = task.workflow
    parent = sub.parent_workflow
    if parent is None:
        return False
    holder = parent.get_task_from_id(sub.parent_task_id)
    if holder is None:
        return False
    keep = {holder.id}
    keep.update(t.id for t in _ancestors(holder))
    keep.update(t.id for t in holder)  # its own path to the end
    for other in list(parent.tasks.values()):
        if other.id in keep or other.has_state(TaskState.FINISHED_MASK):
            continue
        if other.parent is not None and other.parent.id not in keep and not \
                other.parent.has_state(TaskState.FINISHED_MASK):
            continue  # cancelled with its parent
        other.cancel()
    return True


def _ancestors(task):
    while task.parent is not None:
        task = task.parent
        yield task
