"""Paths, namespaces, actors and the ``sessions`` fixture shared by the tests of the
product's SLM diagrams (test_diagrams_*.py, test_bpmn_generator.py).
"""
from __future__ import annotations

import importlib.util
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import T0
from lxml import etree
from sqlalchemy import select

from engine.db import make_engine, make_session_factory
from engine.decisions import decisions_in
from engine.instances import start_instance
from engine.models import DueTimer, HumanTask, Incident, ProcessInstance
from engine.runner import run_due
from engine.tasks import Actor, complete_task

ROOT = Path(__file__).resolve().parents[2]
BPMN_DIR = ROOT / "workflows" / "bpmn"
FORMS_DIR = ROOT / "workflows" / "forms"
DMN_DIR = ROOT / "workflows" / "dmn"
DIAGRAMS = {
    "sla_agreement.bpmn": "sla_agreement",
    "service_performance_review.bpmn": "service_performance_review",
    "slm_process_definition.bpmn": "slm_process_definition",
    "slm_process_management.bpmn": "slm_process_management",
}
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
      "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dc": "http://www.omg.org/spec/DD/20100524/DC",
      "di": "http://www.omg.org/spec/DD/20100524/DI",
      "spiff": "http://spiffworkflow.org/bpmn/schema/1.0/core"}
FLOW_NODES = ("startEvent", "endEvent", "intermediateCatchEvent", "userTask", "serviceTask",
              "scriptTask", "businessRuleTask", "exclusiveGateway")

CUSTOMER = Actor("carol", frozenset({"Customer"}), "acme")
MANAGER = Actor("mike", frozenset({"Service Level Manager"}))
OWNER = Actor("olivia", frozenset({"Process Owner"}))


def _load_layout():
    spec = importlib.util.spec_from_file_location("bpmn_layout", ROOT / "tools" / "bpmn_layout.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bpmn_layout", module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


layout = _load_layout()


def product_decisions():
    """The decision tables of the product's diagrams (workflows/dmn)."""
    return decisions_in(DMN_DIR)


def load_form(name: str) -> bytes | None:
    path = FORMS_DIR / name
    return path.read_bytes() if "/" not in name and path.is_file() else None


@pytest.fixture
def sessions(sqlite_url):
    eng = make_engine(sqlite_url)
    yield make_session_factory(eng)
    eng.dispose()


def parse(fname: str):
    return etree.fromstring((BPMN_DIR / fname).read_bytes())


class Run:
    def __init__(self, engine, sessions, process_id, data, organisation=None):
        self.engine, self.sessions, self.now = engine, sessions, T0
        with sessions() as s:
            self.id = start_instance(engine, s, process_id, actor="test", now=T0, data=data,
                                     organisation=organisation)
            s.commit()
        self.check()

    def check(self):
        with self.sessions() as s:
            incidents = s.scalars(select(Incident).where(Incident.instance_id == self.id)).all()
            assert not incidents, [i.message for i in incidents]

    def task(self) -> HumanTask:
        with self.sessions() as s:
            [task] = s.scalars(select(HumanTask).where(HumanTask.instance_id == self.id,
                                                       HumanTask.status == "ready")).all()
            return task

    def complete(self, name: str, actor: Actor, data: dict) -> None:
        task = self.task()
        assert task.name == name
        with self.sessions() as s:
            complete_task(self.engine, s, task.id, data, actor, self.now)
            s.commit()
        self.check()

    def wait(self, element_id: str, duration: timedelta) -> None:
        with self.sessions() as s:
            [timer] = s.scalars(select(DueTimer).where(DueTimer.instance_id == self.id)).all()
        assert timer.element_id == element_id
        assert timer.due_at == self.now + duration
        self.now = timer.due_at
        assert run_due(self.engine, self.sessions, self.now) == 1
        self.check()

    @property
    def status(self) -> str:
        with self.sessions() as s:
            return s.get(ProcessInstance, self.id).status
