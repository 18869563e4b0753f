"""The service performance review diagram on the real handlers, both backends: a review
opened for last month starts its process, which computes attainment, builds the customer
report, records the review and turns the accepted proposals into change requests."""
from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from sla_builders import add_measurements, make_sla
from sqlalchemy import select

from engine.deploy import deploy
from engine.instances import start_instance
from engine.models import HumanTask, Incident, ProcessInstance
from engine.runtime import Engine
from engine.tasks import Actor, complete_task
from handlers.delivery.measurements import record_observation
from handlers.outputs.models import ChangeRequest
from handlers.registry import build_registry
from handlers.reports.models import CustomerReport
from handlers.reviews.models import ImprovementProposal, Review
from handlers.reviews.operations import open_review

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 2, 2, 6, 0)
CUSTOMER = Actor("carol", frozenset({"Customer"}), "acme")
MANAGER = Actor("mike", frozenset({"Service Level Manager"}))


def _form(name: str) -> bytes | None:
    path = ROOT / "workflows" / "forms" / name
    return path.read_bytes() if "/" not in name and path.is_file() else None


def _complete(engine, factory, instance_id: int, name: str, actor: Actor, data: dict):
    with factory() as s:
        [task] = s.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                   HumanTask.status == "ready")).all()
        assert task.name == name
        complete_task(engine, s, task.id, data, actor, NOW)
        s.commit()
        assert not s.scalars(select(Incident.message)).all()


def test_review_process_on_the_real_handlers(factory):
    engine = Engine(build_registry())
    with factory() as s:
        fname = "service_performance_review.bpmn"
        deploy(s, (ROOT / "workflows" / "bpmn" / fname).read_bytes(), fname,
               registry=engine.registry, known_lanes=engine.known_lanes, form_loader=_form,
               actor="test", now=NOW)
        sla = make_sla(s, [("availability", ">=", 99.5), ("resolution_time", "<=", 8)])
        add_measurements(s, sla, "availability", [(datetime(2026, 1, 12, 10), 98.75)])
        add_measurements(s, sla, "resolution_time", [(datetime(2026, 1, 12, 10), 5.0)])
        record_observation(s, sla.id, "outage", "Nothing worked on Monday morning",
                           datetime(2026, 1, 12, 8), 120, "carol", NOW)
        s.commit()

    with factory() as s:
        def start(process_id, data=None, organisation=None, title=""):
            return start_instance(engine, s, process_id, actor="system", now=NOW, data=data,
                                  organisation=organisation, title=title)

        review, created = open_review(s, s.get(type(sla), sla.id), NOW, start)
        s.commit()
        assert created
        assert not s.scalars(select(Incident.message)).all()
        instance = s.get(ProcessInstance, review.instance_id)
        assert (instance.process_id, instance.organisation) == ("service_performance_review",
                                                                "acme")
        review_id, instance_id = review.id, review.instance_id

    with factory() as s:
        review = s.get(Review, review_id)
        assert review.status == "reported"
        assert json.loads(review.attainment)["breached"] == ["availability"]
        report = s.scalars(select(CustomerReport)).one()
        assert report.review_id == review_id and "98.75%" in report.html

    _complete(engine, factory, instance_id, "Discuss the results", CUSTOMER,
              {"agree": False, "notes": "Mondays are bad"})
    _complete(engine, factory, instance_id, "Record the review", MANAGER,
              {"record": "Provider will add monitoring on Mondays"})
    with factory() as s:
        proposals = {p.title: p.id for p in s.scalars(select(ImprovementProposal))}
        assert set(proposals) == {"Raise Availability to target",
                                  "Act on customer observations: 1 outage seen"}
        assert s.get(Review, review_id).status == "closed"
    _complete(engine, factory, instance_id, "Decide on improvements", MANAGER,
              {"accepted": [proposals["Raise Availability to target"]]})
    with factory() as s:
        assert s.get(ProcessInstance, instance_id).status == "completed"
        [change] = s.scalars(select(ChangeRequest)).all()
        assert change.proposal_id == proposals["Raise Availability to target"]
