"""The product's SLM diagrams run with the real handlers.
"""
from __future__ import annotations

import json
from datetime import timedelta

from conftest import T0
from diagram_support import (
    BPMN_DIR,
    CUSTOMER,
    DIAGRAMS,
    MANAGER,
    OWNER,
    Run,
    load_form,
    product_decisions,
)
from diagram_support import sessions as sessions  # the fixture
from sqlalchemy import select

from engine.deploy import deploy
from engine.models import ProcessInstance
from engine.runtime import Engine
from handlers.registry import build_registry


# -- with the real handlers --------------------------------------------------------------
def test_an_sla_is_agreed_and_reviewed_with_the_real_handlers(sessions):
    from catalogue_factory import build, slr, wish

    from engine.tasks import task_data
    from handlers.agreements.models import ServiceLevelAgreement, SLAVersion
    from handlers.reviews.models import Review

    with sessions() as s:
        made = build(s)
        requirement = slr(s, made, wish("always there", "availability", 99.5, comparator=">="),
                          wish("fixed within a working day", "resolution_hours", 8,
                               comparator="<="))
        s.commit()
        slr_id = requirement.id
    engine = Engine(build_registry())
    with sessions() as s:
        for fname in DIAGRAMS:
            deploy(s, (BPMN_DIR / fname).read_bytes(), fname, registry=engine.registry,
                   known_lanes=engine.known_lanes, form_loader=load_form, actor="test", now=T0,
                   decisions=product_decisions())
        s.commit()
    run = Run(engine, sessions, "sla_agreement", {"slr_id": slr_id, "organisation": "acme"},
              "acme")
    with sessions() as s:
        options = task_data(engine, s, run.task(), T0)["options"]
    standard = next(o for o in options if not o["customer_specific"] and o["fully_meets"])
    run.complete("Choose a service level option", CUSTOMER, {"option_key": standard["key"]})
    with sessions() as s:
        metrics = task_data(engine, s, run.task(), T0)["metrics"]
    assert "availability" in metrics
    run.complete("Review the SLA draft", CUSTOMER, {
        "decision": "counter-propose", "comment": "We need more",
        "requested_changes": {"targets": [{"metric": "availability", "threshold": 99.9}]}})
    run.complete("Revise the SLA", MANAGER, {"comment": "Availability as asked"})
    run.complete("Review the SLA draft", CUSTOMER, {"decision": "accept"})
    run.complete("Approve the agreement", MANAGER, {"decision": "approve"})
    with sessions() as s:
        sla = s.scalars(select(ServiceLevelAgreement)).one()
        assert (sla.status, sla.current_version) == ("active", 2)
        terms = json.loads(s.scalars(select(SLAVersion.terms).where(
            SLAVersion.sla_id == sla.id, SLAVersion.number == 2)).one())
        avail = next(t for t in terms["targets"] if t["metric"] == "availability")
        assert avail["threshold"] == 99.9
        review_cycle = terms["review_cycle"]
    assert review_cycle == "P1M"
    run.wait("next_review_due", timedelta(days=31))
    with sessions() as s:
        review = s.scalars(select(Review)).one()
        instance = s.get(ProcessInstance, review.instance_id)
        assert (instance.process_id, instance.organisation) == ("service_performance_review",
                                                                "acme")
    reviewing = Run.__new__(Run)
    reviewing.engine, reviewing.sessions, reviewing.now, reviewing.id = \
        engine, sessions, run.now, review.instance_id
    reviewing.check()
    reviewing.complete("Discuss the results", CUSTOMER, {"agree": True, "notes": "Fine"})
    reviewing.complete("Record the review", MANAGER, {
        "discussion": "Went through the report", "record": "Levels met",
        "ideas": ["Add a monthly call"]})
    with sessions() as s:
        proposals = task_data(engine, s, reviewing.task(), run.now)["proposals"]
    assert any(p["title"] == "Add a monthly call" for p in proposals)
    reviewing.complete("Decide on improvements", MANAGER,
                       {"accepted": [p["id"] for p in proposals]})
    assert reviewing.status == "completed"
    with sessions() as s:
        assert s.get(Review, review.id).record == "Levels met"


def test_process_definition_and_management_run_with_the_real_handlers(sessions):
    from catalogue_factory import build
    from sla_builders import make_sla

    from handlers.agreements.models import ServiceLevelAgreement
    from handlers.reviews.models import ImprovementProposal

    with sessions() as s:
        build(s)
        make_sla(s, [("availability", ">=", 99.5)], priority=3)
        s.commit()
    engine = Engine(build_registry())
    with sessions() as s:
        for fname in ("slm_process_definition.bpmn", "slm_process_management.bpmn"):
            deploy(s, (BPMN_DIR / fname).read_bytes(), fname, registry=engine.registry,
                   known_lanes=engine.known_lanes, form_loader=load_form, actor="test", now=T0,
                   decisions=product_decisions())
        s.commit()

    definition = Run(engine, sessions, "slm_process_definition", {})
    definition.complete("Plan the SLM process", OWNER,
                        {"default_review_cycle": "P1M", "objectives": "Business view first"})
    definition.complete("Maintain the service catalogue and costs", MANAGER,
                        {"catalogue_ready": True})
    definition.complete("Register the supporting processes", OWNER, {})
    definition.complete("Approve the process definition", OWNER, {"decision": "approve"})
    definition.wait("quarter_passed", timedelta(days=90))
    definition.complete("Improve the SLM process", OWNER,
                        {"ideas": ["Review the catalogue twice a year"], "stop": True})
    assert definition.status == "completed"

    management = Run(engine, sessions, "slm_process_management", {})
    management.complete("Set service level priorities", MANAGER,
                        {"priorities": [{"sla_reference": "SLA-2026-0001", "priority": 1}]})
    management.complete("Review the management report", OWNER, {"stop": True})
    assert management.status == "completed"
    with sessions() as s:
        assert s.scalars(select(ServiceLevelAgreement.priority)).one() == 1
        titles = set(s.scalars(select(ImprovementProposal.title).where(
            ImprovementProposal.scope == "process")))
        assert titles == {"Review the catalogue twice a year"}
