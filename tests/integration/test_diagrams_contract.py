"""The product's SLM diagrams run along their paths in the engine (sandboxed scripts,
conditions, timers, form validation with data-driven choices) against handlers that answer
exactly what docs/handlers.md promises: this checks the diagrams' data flow, not the handlers.
"""
from __future__ import annotations

from datetime import timedelta

import pytest
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
from engine.errors import FormValidationError
from engine.models import ProcessInstance
from engine.registry import HandlerRegistry
from engine.runtime import Engine
from engine.tasks import task_data


# -- runs along its paths against the handler contract ------------------------------------
class ContractHandlers:
    """Handlers answering as docs/handlers.md says; every call is recorded."""

    def __init__(self):
        self.calls: list[tuple[str, dict]] = []
        self.supporting_checks = 0
        self.drafts = 0
        self.due_checks = 0
        self.to_clarify: list[str] = []  # texts of the wishes waiting for an answer

    def registry(self) -> HandlerRegistry:
        reg = HandlerRegistry()
        for name in ("assess_requirements", "match_catalogue", "record_choice",
                     "design_specification", "check_supporting_processes", "draft_sla",
                     "activate_sla", "review_due", "start_review", "compute_attainment",
                     "build_customer_report", "record_review", "propose_improvements",
                     "raise_change_request", "catalogue_readiness", "build_management_report",
                     "verify_service_levels", "set_priorities", "next_clarification",
                     "record_clarification"):
            reg.add(name, self._recording(name, getattr(self, name)))
        return reg

    def _recording(self, name, func):
        def handler(params, ctx):
            self.calls.append((name, params))
            return func(params, ctx)
        return handler

    def called(self, name) -> list[dict]:
        return [p for n, p in self.calls if n == name]

    def assess_requirements(self, p, ctx):
        return {"measurable": [], "flagged": [], "measurable_count": 0, "flagged_count": 0}

    def next_clarification(self, p, ctx):
        if not self.to_clarify:
            return {"pending": False, "remaining": 0, "metrics": []}
        return {"pending": True, "remaining": len(self.to_clarify), "index": 3,
                "text": self.to_clarify[0], "reason": "asked", "metric": None,
                "comparator": None, "value": None, "period": None, "requirement": "Mail",
                "metrics": [{"key": "availability", "label": "Availability (%)"}]}

    def record_clarification(self, p, ctx):
        text = self.to_clarify.pop(0)
        return {"index": p["index"], "text": text, "measurable": bool(p["metric"]),
                "remaining": len(self.to_clarify)}

    def match_catalogue(self, p, ctx):
        std = {"key": "opt-1", "label": "E-mail Gold", "service_id": 1, "service_key": "email",
               "service": "E-mail", "option_id": 1, "level": "Gold", "monthly_cost": "1200.00",
               "fully_meets": False, "customer_specific": False, "per_requirement": []}
        custom = dict(std, key="custom", label="Customer-specific service", service_id=None,
                      option_id=None, customer_specific=True, monthly_cost="1900.00")
        return {"options": [std, custom], "fully_met": False}

    def record_choice(self, p, ctx):
        custom = p["option_key"] == "custom"
        return {"option_key": p["option_key"], "customer_specific": custom,
                "service_id": None if custom else 1, "option_id": None if custom else 1,
                "monthly_cost": "1900.00" if custom else "1200.00"}

    def design_specification(self, p, ctx):
        return {"design_spec_id": 7, "service_id": 9, "estimated_monthly_cost": "1900.00"}

    def check_supporting_processes(self, p, ctx):
        self.supporting_checks += 1
        ready = self.supporting_checks > 1
        return {"ready": ready, "missing": [] if ready else ["incident"], "message": "..."}

    def draft_sla(self, p, ctx):
        self.drafts += 1
        return {"sla_id": 5, "reference": "SLA-2026-0005", "version": self.drafts, "diff": [],
                "diff_text": "", "metrics": ["availability", "resolution_hours"]}

    def activate_sla(self, p, ctx):
        return {"status": "active", "valid_from": "2026-01-05", "valid_until": "2027-01-05",
                "review_interval": "P1M"}

    def review_due(self, p, ctx):
        self.due_checks += 1
        return {"continue": self.due_checks < 2}

    def start_review(self, p, ctx):
        iid = ctx.start_process("service_performance_review",
                                {"review_id": 3, "sla_id": p["sla_id"], "organisation": "acme"},
                                "acme", "review")
        return {"review_id": 3, "instance_id": iid, "period_start": "2026-01-01",
                "period_end": "2026-01-31"}

    def compute_attainment(self, p, ctx):
        return {"targets": [], "observations": [], "observation_count": 0, "breaches": 0}

    def build_customer_report(self, p, ctx):
        return {"report_id": 4, "title": "Report"}

    def record_review(self, p, ctx):
        return {"review_id": p["review_id"], "status": "closed"}

    def propose_improvements(self, p, ctx):
        return {"proposals": [{"id": 11, "title": "More monitoring", "reason": "breach"},
                              {"id": 12, "title": "Faster fixes", "reason": "manager"}]}

    def raise_change_request(self, p, ctx):
        return {"change_requests": [{"id": 1, "reference": "CR-2026-0001", "title": "x"}]}

    def catalogue_readiness(self, p, ctx):
        return {"services": [], "not_ready": 0}

    def build_management_report(self, p, ctx):
        return {"report_id": 2, "slas": 1, "breaches": 0}

    #: what verify_service_levels answers, when a test sets it
    verification: dict | None = None

    def verify_service_levels(self, p, ctx):
        if self.verification is not None:
            return self.verification
        return {"slas": [{"sla_id": 5, "reference": "SLA-2026-0005", "priority": 3,
                          "delivered": "met"}],
                "can_raise": [], "sla_count": 1, "met": 1, "breached": 0, "no_data": 0}

    def set_priorities(self, p, ctx):
        return {"updated": [], "count": 0}


@pytest.fixture
def contract(sessions):
    """(handlers, engine) with all four diagrams deployed on the contract handlers."""
    handlers = ContractHandlers()
    engine = Engine(handlers.registry())
    with sessions() as s:
        for fname in DIAGRAMS:
            deploy(s, (BPMN_DIR / fname).read_bytes(), fname, registry=engine.registry,
                   known_lanes=engine.known_lanes, form_loader=load_form, actor="test", now=T0,
                   decisions=product_decisions())
        s.commit()
    return handlers, engine


def test_sla_agreement_runs_through_every_branch(contract, sessions):
    handlers, engine = contract
    run = Run(engine, sessions, "sla_agreement", {"slr_id": 1, "organisation": "acme"}, "acme")
    task = run.task()
    assert (task.lane, task.form, task.due_at) == ("Customer", "choose_option.schema.json",
                                                   T0 + timedelta(days=5))
    with pytest.raises(FormValidationError, match="option_key"):  # only listed options
        run.complete("Choose a service level option", CUSTOMER, {"option_key": "opt-99"})
    run.complete("Choose a service level option", CUSTOMER, {"option_key": "custom"})
    [build] = handlers.called("raise_change_request")
    assert build["design_spec_id"] == 7 and build["proposal_ids"] == []
    assert handlers.called("check_supporting_processes") == [{"service_id": 9}]

    run.complete("Define the missing supporting processes", OWNER, {"done": True})
    assert len(handlers.called("check_supporting_processes")) == 2
    assert handlers.called("draft_sla")[0] == {
        "slr_id": 1, "option_key": "custom", "sla_id": None, "changes": None, "comment": "",
        "author": "system"}

    wanted = {"targets": [{"metric": "availability", "threshold": 99.95}],
              "review_cycle": "P3M"}
    with pytest.raises(FormValidationError, match="metric"):  # metrics come from the draft
        run.complete("Review the SLA draft", CUSTOMER, {
            "decision": "counter-propose",
            "requested_changes": {"targets": [{"metric": "beauty", "threshold": 1}]}})
    with pytest.raises(FormValidationError):  # a counter-proposal says what it wants
        run.complete("Review the SLA draft", CUSTOMER, {"decision": "counter-propose"})
    run.complete("Review the SLA draft", CUSTOMER,
                 {"decision": "counter-propose", "requested_changes": wanted})
    run.complete("Revise the SLA", MANAGER, {"comment": "as the customer asked"})
    assert handlers.called("draft_sla")[1] == {
        "slr_id": 1, "option_key": "custom", "sla_id": 5, "changes": wanted,
        "comment": "as the customer asked", "author": "manager"}

    run.complete("Review the SLA draft", CUSTOMER, {"decision": "accept"})
    with pytest.raises(FormValidationError, match="comment"):  # say why it goes back
        run.complete("Approve the agreement", MANAGER, {"decision": "revise"})
    run.complete("Approve the agreement", MANAGER, {"decision": "revise", "comment": "cost"})
    run.complete("Revise the SLA", MANAGER, {"comment": "cheaper", "changes": {}})
    assert handlers.called("draft_sla")[2]["changes"] == {}
    run.complete("Review the SLA draft", CUSTOMER, {"decision": "accept"})
    run.complete("Approve the agreement", MANAGER, {"decision": "approve"})
    assert handlers.called("activate_sla") == [{"sla_id": 5, "months": 12}]

    run.wait("next_review_due", timedelta(days=31))  # P1M from 5 January
    assert handlers.called("start_review") == [{"sla_id": 5}]
    with sessions() as s:  # the review started as its own instance
        review = s.scalars(select(ProcessInstance).where(
            ProcessInstance.process_id == "service_performance_review")).one()
        assert review.organisation == "acme"
    run.wait("next_review_due", timedelta(days=28))  # 5 February + P1M
    assert run.status == "completed"
    assert len(handlers.called("start_review")) == 1


def test_each_wish_to_clarify_is_a_manager_task_before_the_options(contract, sessions):
    handlers, engine = contract
    handlers.to_clarify = ["Mail feels fast", "Users are happy"]
    run = Run(engine, sessions, "sla_agreement", {"slr_id": 1, "organisation": "acme"}, "acme")
    task = run.task()
    assert (task.name, task.lane, task.form) == (
        "Clarify the customer's wish", "Service Level Manager", "clarify_wish.schema.json")
    assert handlers.called("match_catalogue") == []  # the options wait for the answers
    with pytest.raises(FormValidationError, match="answer"):  # an answer in words
        run.complete("Clarify the customer's wish", MANAGER, {"metric": "availability"})
    with pytest.raises(FormValidationError, match="metric"):  # only metrics that measure
        run.complete("Clarify the customer's wish", MANAGER, {"answer": "x", "metric": "nps"})
    run.complete("Clarify the customer's wish", MANAGER, {
        "answer": "Fast: available", "metric": "availability", "comparator": ">=",
        "value": 99.5, "period": "month"})
    run.complete("Clarify the customer's wish", MANAGER, {"answer": "We ask them quarterly"})
    assert handlers.called("record_clarification") == [
        {"slr_id": 1, "index": 3, "answer": "Fast: available", "metric": "availability",
         "comparator": ">=", "value": 99.5, "period": "month"},
        {"slr_id": 1, "index": 3, "answer": "We ask them quarterly", "metric": "",
         "comparator": "", "value": None, "period": ""}]  # the form starts empty each time
    assert len(handlers.called("match_catalogue")) == 1
    assert run.task().name == "Choose a service level option"


def test_standard_option_goes_straight_to_the_supporting_process_gate(contract, sessions):
    handlers, engine = contract
    handlers.supporting_checks = 1  # ready at once
    run = Run(engine, sessions, "sla_agreement", {"slr_id": 1, "organisation": "acme"}, "acme")
    run.complete("Choose a service level option", CUSTOMER,
                 {"option_key": "opt-1", "comment": "Gold please"})
    assert handlers.called("design_specification") == []
    assert handlers.called("check_supporting_processes") == [{"service_id": 1}]
    assert run.task().name == "Review the SLA draft"


@pytest.mark.parametrize("accept", [[11], []])
def test_service_performance_review_runs(contract, sessions, accept):
    handlers, engine = contract
    run = Run(engine, sessions, "service_performance_review",
              {"review_id": 3, "sla_id": 5, "organisation": "acme"}, "acme")
    run.complete("Discuss the results", CUSTOMER, {"agree": False, "notes": "too slow"})
    run.complete("Record the review", MANAGER, {"record": "Agreed to watch resolution times"})
    assert handlers.called("record_review") == [
        {"review_id": 3, "discussion": "", "record": "Agreed to watch resolution times"}]
    assert handlers.called("propose_improvements") == [
        {"review_id": 3, "ideas": [], "scope": "service"}]
    with pytest.raises(FormValidationError, match="accepted"):  # only the proposals on the list
        run.complete("Decide on improvements", MANAGER, {"accepted": [99]})
    run.complete("Decide on improvements", MANAGER, {"accepted": accept} if accept else {})
    assert run.status == "completed"
    raised = handlers.called("raise_change_request")
    assert raised == ([{"proposal_ids": [11], "design_spec_id": None, "title": "",
                        "description": ""}] if accept else [])


def test_slm_process_definition_runs(contract, sessions):
    handlers, engine = contract
    run = Run(engine, sessions, "slm_process_definition", {})
    plan = {"default_review_cycle": "P3M", "objectives": "Agreed levels, met"}
    run.complete("Plan the SLM process", OWNER, plan)
    run.complete("Maintain the service catalogue and costs", MANAGER, {"catalogue_ready": True})
    assert handlers.called("catalogue_readiness") == [{}]
    run.complete("Register the supporting processes", OWNER, {"registered": True})
    run.complete("Approve the process definition", OWNER,
                 {"decision": "rework", "comment": "add continuity"})
    run.complete("Plan the SLM process", OWNER, plan)
    run.complete("Maintain the service catalogue and costs", MANAGER, {})
    run.complete("Register the supporting processes", OWNER, {})
    run.complete("Approve the process definition", OWNER, {"decision": "approve"})
    run.wait("quarter_passed", timedelta(days=90))  # 5 January + P3M = 5 April
    run.complete("Improve the SLM process", OWNER, {"ideas": ["shorter reviews"]})
    run.wait("quarter_passed", timedelta(days=91))
    run.complete("Improve the SLM process", OWNER, {"stop": True})
    assert run.status == "completed"
    assert handlers.called("propose_improvements") == [
        {"review_id": None, "ideas": ["shorter reviews"], "scope": "process"},
        {"review_id": None, "ideas": [], "scope": "process"}]


def test_slm_process_management_runs(contract, sessions):
    handlers, engine = contract
    run = Run(engine, sessions, "slm_process_management", {})
    assert handlers.called("verify_service_levels") == [{}]
    assert handlers.called("build_management_report") == [
        {"period_start": None, "period_end": None}]
    with pytest.raises(FormValidationError, match="sla_reference"):
        run.complete("Set service level priorities", MANAGER,
                     {"priorities": [{"sla_reference": "SLA-X", "priority": 1}]})
    run.complete("Set service level priorities", MANAGER,
                 {"priorities": [{"sla_reference": "SLA-2026-0005", "priority": 1}]})
    assert handlers.called("set_priorities") == [
        {"priorities": [{"sla_reference": "SLA-2026-0005", "priority": 1}]}]
    run.complete("Review the management report", OWNER, {"actions": ["automate reports"]})
    run.wait("month_passed", timedelta(days=31))
    run.complete("Set service level priorities", MANAGER, {})  # keeps the current ones
    assert handlers.called("set_priorities")[1] == {
        "priorities": [{"sla_reference": "SLA-2026-0005", "priority": 3}]}
    run.complete("Review the management report", OWNER, {"stop": True})
    assert run.status == "completed"
    assert [p["ideas"] for p in handlers.called("propose_improvements")] == [
        ["automate reports"], []]


@pytest.mark.parametrize(("breached", "proposed"), [(0, 3), (2, 2), (3, 1)])
def test_the_decision_table_proposes_the_priority_of_breached_slas(contract, sessions, breached,
                                                                   proposed):
    """workflows/dmn/service_level_priorities.dmn: the more SLAs breached, the higher the
    priority proposed for each breached one; the others keep theirs."""
    handlers, engine = contract
    handlers.verification = {
        "slas": [{"sla_id": 5, "reference": "SLA-5", "priority": 4,
                  "delivered": "breached" if breached else "met"},
                 {"sla_id": 6, "reference": "SLA-6", "priority": 5, "delivered": "met"}],
        "can_raise": [], "sla_count": 2, "met": 2 - min(breached, 1), "breached": breached,
        "no_data": 0}
    run = Run(engine, sessions, "slm_process_management", {})
    with sessions() as s:
        data = task_data(engine, s, run.task(), T0)
    assert data["breach_priority"] == proposed
    assert data["priorities"] == [
        {"sla_reference": "SLA-5", "priority": proposed if breached else 4},
        {"sla_reference": "SLA-6", "priority": 5}]
    assert "breached" in data["priority_advice"]
