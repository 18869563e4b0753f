"""Acceptance: the SLM process as customers, managers, process owners and the timer runner
live it, on the real diagrams (workflows/bpmn), forms (workflows/forms) and handlers.

Every step is its own transaction on a fresh ``Engine(build_registry())``, so each step
reloads the instance from the database (both backends); the clock is always a fixed
datetime and timers are fired with ``run_due`` at a chosen ``now``. The catalogue is built
with the catalogue functions themselves: metrics with data sources (and one without),
a live e-mail service with Bronze/Silver/Gold levels, their costs and targets, and a live
hosting service whose capacity management is still undefined.

This module is the product driven step by step, the ``slm`` fixture and the helpers shared
by test_slm_acceptance_agreement.py (scenarios 1-4) and test_slm_acceptance_delivery.py
(scenarios 5-8).
"""
from __future__ import annotations

import io
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from engine.decisions import decisions_in
from engine.deploy import deploy
from engine.instances import start_instance
from engine.models import DueTimer, HumanTask, Incident, ProcessInstance
from engine.runner import run_due
from engine.runtime import Engine
from engine.tasks import Actor, complete_task, task_data
from handlers.agreements.models import ServiceLevelAgreement
from handlers.catalogue import operations as catalogue
from handlers.catalogue.models import Service
from handlers.people.models import Organisation
from handlers.registry import build_registry
from handlers.requirements.operations import submit_slr
from handlers.reviews.models import Review

ROOT = Path(__file__).resolve().parents[2]
BPMN_DIR = ROOT / "workflows" / "bpmn"
FORMS_DIR = ROOT / "workflows" / "forms"
DATA = ROOT / "tests" / "data"
PROCESSES = {"sla_agreement", "service_performance_review", "slm_process_definition",
             "slm_process_management"}

T0 = datetime(2026, 1, 5, 9, 0)  # a Monday
H = timedelta(hours=1)
CUSTOMER = Actor("carol", frozenset({"Customer"}), "acme")
MANAGER = Actor("mike", frozenset({"Service Level Manager"}))
OWNER = Actor("olivia", frozenset({"Process Owner"}))

# task names, as the diagrams call them
CHOOSE = "Choose a service level option"
CLARIFY = "Clarify the customer's wish"
GATE = "Define the missing supporting processes"
REVIEW_DRAFT = "Review the SLA draft"
REVISE = "Revise the SLA"
APPROVE = "Approve the agreement"
DISCUSS = "Discuss the results"
RECORD = "Record the review"
DECIDE = "Decide on improvements"

#: e-mail levels: name, monthly cost, availability >= %, resolution <= hours, hours, timezone
EMAIL_LEVELS = (
    ("Bronze", "500.00", 99.0, 24.0, "Mon-Fri 08:00-18:00", "Europe/Berlin"),
    ("Silver", "800.00", 99.5, 8.0, "Mon-Fri 08:00-18:00", "Europe/Berlin"),
    ("Gold", "1200.00", 99.9, 4.0, "24x7", "UTC"),
)


# -- the product, driven step by step -----------------------------------------------------
def load_form(name: str) -> bytes | None:
    path = FORMS_DIR / name
    return path.read_bytes() if "/" not in name and path.is_file() else None


class Slm:
    """The application as its users and its timer runner drive it: every call is one step
    in its own session on a fresh engine (nothing survives in memory between steps)."""

    def __init__(self, factory):
        self.factory = factory

    @staticmethod
    def engine() -> Engine:
        return Engine(build_registry())

    def deploy(self, now: datetime = T0) -> None:
        engine, deployed = self.engine(), set()
        with self.factory() as s:
            for path in sorted(BPMN_DIR.glob("*.bpmn")):
                for r in deploy(s, path.read_bytes(), path.name, registry=engine.registry,
                                known_lanes=engine.known_lanes, form_loader=load_form,
                                actor="olivia", now=now,
                                decisions=decisions_in(ROOT / "workflows" / "dmn")):
                    deployed.add(r.process_id)
            s.commit()
        assert deployed == PROCESSES

    def check(self) -> None:
        """No step so far raised an incident (a failing handler or script)."""
        with self.factory() as s:
            incidents = s.scalars(select(Incident)).all()
            assert not incidents, [i.message for i in incidents]

    def start(self, process_id: str, data: dict, organisation: str | None,
              now: datetime) -> int:
        with self.factory() as s:
            iid = start_instance(self.engine(), s, process_id, actor="carol", now=now,
                                 data=data, organisation=organisation)
            s.commit()
        self.check()
        return iid

    def ready(self, iid: int) -> list[HumanTask]:
        with self.factory() as s:
            return list(s.scalars(select(HumanTask).where(
                HumanTask.instance_id == iid, HumanTask.status == "ready")
                .order_by(HumanTask.id)))

    def task(self, iid: int, name: str) -> HumanTask:
        """The ready task ``name`` of instance ``iid`` (fails listing what is ready)."""
        with self.factory() as s:
            found = s.scalars(select(HumanTask).where(
                HumanTask.instance_id == iid, HumanTask.name == name,
                HumanTask.status == "ready")).all()
        assert len(found) == 1, (name, [t.name for t in self.ready(iid)])
        return found[0]

    def data(self, iid: int, name: str, now: datetime) -> dict:
        """The task data the form of ready task ``name`` is shown with."""
        task = self.task(iid, name)
        with self.factory() as s:
            return task_data(self.engine(), s, task, now)

    def complete(self, iid: int, name: str, actor: Actor, data: dict, now: datetime) -> str:
        """Complete the ready task ``name`` of instance ``iid`` as ``actor`` with ``data``."""
        task = self.task(iid, name)
        with self.factory() as s:
            status = complete_task(self.engine(), s, task.id, data, actor, now)
            s.commit()
        self.check()
        return status

    def run_due(self, now: datetime) -> int:
        fired = run_due(self.engine(), self.factory, now)
        self.check()
        return fired

    def instance(self, iid: int) -> ProcessInstance:
        with self.factory() as s:
            return s.get(ProcessInstance, iid)

    def timers(self, iid: int) -> list[DueTimer]:
        with self.factory() as s:
            return list(s.scalars(select(DueTimer).where(DueTimer.instance_id == iid)))


@pytest.fixture
def slm(factory) -> Slm:
    """A catalogue built with the catalogue functions, and the four diagrams deployed."""
    with factory() as s:
        build_catalogue(s, T0 - timedelta(days=30))
        s.commit()
    app = Slm(factory)
    app.deploy(T0 - timedelta(days=30))
    return app


def build_catalogue(s, now: datetime) -> None:
    s.add_all([Organisation(key="acme", name="Acme Ltd", kind="customer"),
               Organisation(key="it", name="IT Services", kind="provider")])
    s.flush()
    catalogue.create_metric(s, "availability", "Availability", "%", "higher",
                            data_source="monitoring")
    catalogue.create_metric(s, "resolution_hours", "Resolution time", "hours", "lower",
                            aggregation="max", data_source="service desk")
    catalogue.create_metric(s, "satisfaction", "Customer satisfaction", "score", "higher")
    email = catalogue.create_service(s, "email", "E-mail", "olivia", status="live")
    for rank, (name, cost, avail, hours, service_hours, tz) in enumerate(EMAIL_LEVELS, 1):
        option = catalogue.create_option(s, email, name, cost, rank=rank,
                                         service_hours=service_hours, timezone=tz)
        catalogue.set_target(s, option, "availability", avail, "month")
        catalogue.set_target(s, option, "resolution_hours", hours, "month")
    hosting = catalogue.create_service(s, "hosting", "Hosting", "olivia", status="live",
                                       supporting=(*catalogue.BASELINE_KINDS, "capacity"))
    standard = catalogue.create_option(s, hosting, "Standard", "2000.00")
    catalogue.set_target(s, standard, "availability", 99.5, "month")
    for service in (email, hosting):
        define_baseline(s, service, now)
    # hosting's capacity management is required but not defined yet (mission rule 5)


def define_baseline(s, service: Service, now: datetime) -> None:
    for kind in catalogue.BASELINE_KINDS:
        catalogue.define_supporting_process(s, service, kind, owner=f"{kind} manager",
                                            agreement=f"OLA-{service.key}-{kind}", now=now)


def wish(text: str, metric=None, comparator=None, value=None, period="month") -> dict:
    return {"text": text, "metric": metric, "comparator": comparator, "value": value,
            "period": period}


AVAILABLE = wish("Mail is there whenever sales works", "availability", ">=", 99.5)
FIXED_SOON = wish("A broken mailbox is fixed within a working day", "resolution_hours", "<=",
                  8)


def submit(slm: Slm, now: datetime, *wishes: dict) -> int:
    with slm.factory() as s:
        acme = s.scalars(select(Organisation).where(Organisation.key == "acme")).one()
        slr = submit_slr(s, acme.id, "carol", "E-mail for the sales team",
                         "Our sales team lives in its mailboxes and tools on hosting.",
                         list(wishes), now)
        s.commit()
        return slr.id


def option_key(options: list[dict], label: str) -> str:
    [key] = [o["key"] for o in options if o["label"] == label]
    return key


def agree(slm: Slm, slr_id: int, label: str, start: datetime, approve_at: datetime,
          ) -> tuple[int, int]:
    """Drive sla_agreement the shortest way to an active SLA; (instance id, SLA id)."""
    iid = slm.start("sla_agreement", {"slr_id": slr_id, "organisation": "acme"}, "acme", start)
    options = slm.data(iid, CHOOSE, start)["options"]
    slm.complete(iid, CHOOSE, CUSTOMER, {"option_key": option_key(options, label)}, start + H)
    slm.complete(iid, REVIEW_DRAFT, CUSTOMER, {"decision": "accept"}, start + 2 * H)
    slm.complete(iid, APPROVE, MANAGER, {"decision": "approve"}, approve_at)
    with slm.factory() as s:
        sla = s.scalars(select(ServiceLevelAgreement).where(
            ServiceLevelAgreement.slr_id == slr_id)).one()
        assert sla.status == "active"
        return iid, sla.id


def csv_for(tmp_path: Path, template: str, reference: str) -> Path:
    """A copy of tests/data/``template`` with the SLA reference filled in."""
    path = tmp_path / template.replace("slm_", "")
    path.write_text((DATA / template).read_text().replace("{sla}", reference))
    return path


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def reviews(slm: Slm, sla_id: int) -> list[Review]:
    with slm.factory() as s:
        return list(s.scalars(select(Review).where(Review.sla_id == sla_id)
                              .order_by(Review.period_start, Review.id)))


def by_metric(targets: list[dict]) -> dict[str, dict]:
    return {t["metric"]: t for t in targets}
