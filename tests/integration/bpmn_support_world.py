"""A process owner's view of one small diagram: deploy it, start it, complete its user
tasks, let the runner fire its timers and deliver messages, and read what happened."""
from __future__ import annotations

from datetime import timedelta

from conftest import T0, load_form, recorded
from sqlalchemy import select

from engine.deploy import deploy
from engine.instances import start_instance
from engine.models import AuditEvent, HumanTask, Incident, ProcessInstance
from engine.runner import run_due
from engine.tasks import Actor, complete_task

OWNER = Actor("olivia", frozenset({"Process Owner"}))


class World:
    def __init__(self, engine, factory):
        self.engine, self.factory, self.now = engine, factory, T0
        self.id: int | None = None

    def deploy(self, data: bytes, name: str = "support.bpmn"):
        with self.factory() as s:
            out = deploy(s, data, name, registry=self.engine.registry,
                         known_lanes=self.engine.known_lanes, form_loader=load_form,
                         actor="owner", now=self.now)
            s.commit()
        return out

    def start(self, process_id: str = "p", data: dict | None = None) -> int:
        with self.factory() as s:
            iid = start_instance(self.engine, s, process_id, actor="test", now=self.now,
                                 data=data or {})
            s.commit()
        self.id = self.id or iid
        return iid

    def ready(self, iid: int | None = None) -> list[str]:
        with self.factory() as s:
            return sorted(s.scalars(select(HumanTask.element_id).where(
                HumanTask.instance_id == (iid or self.id), HumanTask.status == "ready")))

    def complete(self, element_id: str, data: dict | None = None, iid: int | None = None):
        with self.factory() as s:
            htid = s.scalars(select(HumanTask.id).where(
                HumanTask.instance_id == (iid or self.id), HumanTask.element_id == element_id,
                HumanTask.status == "ready")).one()
            complete_task(self.engine, s, htid, data or {"approved": True}, OWNER, self.now)
            s.commit()

    def later(self, delta: timedelta) -> int:
        """Move the clock on and let a runner fire what is due; returns how many fired."""
        self.now += delta
        return run_due(self.engine, self.factory, self.now, runner="support-runner")

    def status(self, iid: int | None = None) -> str:
        with self.factory() as s:
            return s.get(ProcessInstance, iid or self.id).status

    def data(self, iid: int | None = None) -> dict:
        """The data of the instance's last completed task."""
        with self.factory() as s:
            loaded = self.engine.load(s, iid or self.id, actor="test", now=self.now, lock=False)
            s.rollback()
        return dict(loaded.workflow.last_task.data) if loaded.workflow.last_task else {}

    def incidents(self, iid: int | None = None) -> list[str]:
        with self.factory() as s:
            return list(s.scalars(select(Incident.message).where(
                Incident.instance_id == (iid or self.id))))

    def events(self, kind: str) -> list[AuditEvent]:
        with self.factory() as s:
            return recorded(s, kind=kind)
