"""A message that no running instance waits for starts an instance of every process whose
latest version begins with a message start event of that name (BPMN: a message start event
instantiates its process), which then takes the message in the same transaction.

Only a process's own start event counts (an event sub-process's message start belongs to a
running instance and is found through its ``message_wait`` rows). The names are read from
the deployed specs, remembered on each version's cached spec.
"""
from __future__ import annotations

from datetime import datetime

from SpiffWorkflow.bpmn.specs.event_definitions.message import MessageEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .models import ProcessVersion


def start_names(vs) -> frozenset:
    """The message names the process's own start events wait for (kept on ``vs``)."""
    names = getattr(vs, "slm_start_messages", None)
    if names is None:
        names = frozenset(ts.event_definition.name for ts in vs.spec.task_specs.values()
                          if isinstance(ts, StartEvent)
                          and isinstance(ts.event_definition, MessageEventDefinition))
        vs.slm_start_messages = names
    return names


def processes_started_by(engine, session: Session, name: str) -> list[str]:
    """The process ids whose latest version starts on the message ``name``."""
    latest = (select(ProcessVersion.process_id, func.max(ProcessVersion.version).label("v"))
              .group_by(ProcessVersion.process_id).subquery())
    rows = session.execute(select(ProcessVersion.id, ProcessVersion.process_id).join(
        latest, (latest.c.process_id == ProcessVersion.process_id)
        & (latest.c.v == ProcessVersion.version)).order_by(ProcessVersion.process_id)).all()
    return [pid for vid, pid in rows if name in start_names(engine.version_spec(session, vid))]


def start_for(engine, session: Session, name: str, *, actor: str, now: datetime) -> list[int]:
    """Start an instance of each process that a message ``name`` starts; their ids."""
    return [engine.start(session, pid, actor=actor, now=now, title=f"{pid}: message {name}")
            for pid in processes_started_by(engine, session, name)]
