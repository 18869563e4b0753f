"""The product's SLM diagrams (workflows/bpmn); their generator is tested in
test_bpmn_generator.py.

* Each diagram deploys with the real handler registry and the forms of workflows/forms.
* Each is readable: named elements, a shape for every node and an edge for every flow,
  lanes that are roles, instructions and a due time on every user task.
* Each runs along its paths in the engine (sandboxed scripts, conditions, timers, form
  validation with data-driven choices) against handlers that answer exactly what
  docs/handlers.md promises: this checks the diagrams' data flow, not the handlers.
"""
from __future__ import annotations

import importlib.util
import json
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import T0
from lxml import etree
from sqlalchemy import select

from engine.db import make_engine, make_session_factory
from engine.deploy import deploy
from engine.errors import DeployError, FormValidationError
from engine.instances import start_instance
from engine.models import DueTimer, HumanTask, Incident, ProcessInstance
from engine.registry import HandlerRegistry
from engine.runner import run_due
from engine.runtime import DEFAULT_ROLES, Engine
from engine.tasks import Actor, complete_task
from handlers.registry import build_registry

ROOT = Path(__file__).resolve().parents[2]
BPMN_DIR = ROOT / "workflows" / "bpmn"
FORMS_DIR = ROOT / "workflows" / "forms"
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
              "scriptTask", "exclusiveGateway")

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


# -- deploy ------------------------------------------------------------------------------
@pytest.mark.parametrize("fname", DIAGRAMS)
def test_diagram_deploys_with_the_real_registry(fname, sessions):
    registry = build_registry()
    with sessions() as s:
        try:
            results = deploy(s, (BPMN_DIR / fname).read_bytes(), fname, registry=registry,
                             known_lanes=DEFAULT_ROLES, form_loader=load_form, actor="test",
                             now=T0)
        except DeployError as exc:
            pytest.fail(f"{fname} refused:\n" + "\n".join(
                f"  {p.element_id}: {p.message}" for p in exc.problems))
        s.rollback()
    assert [(r.process_id, r.created) for r in results] == [(DIAGRAMS[fname], True)]


# -- readable ----------------------------------------------------------------------------
@pytest.mark.parametrize("fname", DIAGRAMS)
def test_diagram_is_readable(fname):
    root = parse(fname)
    [proc] = root.findall("bpmn:process", NS)
    assert proc.get("id") == DIAGRAMS[fname] and proc.get("name")
    [participant] = root.findall("bpmn:collaboration/bpmn:participant", NS)
    assert participant.get("processRef") == proc.get("id")
    nodes = [el for tag in FLOW_NODES for el in proc.findall(f"bpmn:{tag}", NS)]
    flows = proc.findall("bpmn:sequenceFlow", NS)
    shapes = {s.get("bpmnElement"): s for s in root.iterfind(".//bpmndi:BPMNShape", NS)}
    edges = {e.get("bpmnElement"): e for e in root.iterfind(".//bpmndi:BPMNEdge", NS)}

    for el in nodes:
        tag, eid = etree.QName(el).localname, el.get("id")
        merge = tag == "exclusiveGateway" and len(el.findall("bpmn:outgoing", NS)) == 1
        assert merge or (el.get("name") or "").strip(), f"{eid} ({tag}) has no name"
        assert eid in shapes, f"{eid} is not drawn"
    for f in flows:
        assert f.get("id") in edges, f"flow {f.get('id')} is not drawn"
        assert len(edges[f.get("id")].findall("di:waypoint", NS)) >= 2
    assert participant.get("id") in shapes

    lanes = proc.findall("bpmn:laneSet/bpmn:lane", NS)
    names = [lane.get("name") for lane in lanes]
    assert names and set(names) <= set(DEFAULT_ROLES), names
    for lane in lanes:
        assert lane.get("id") in shapes, f"lane {lane.get('name')} is not drawn"
    refs = [r.text for lane in lanes for r in lane.findall("bpmn:flowNodeRef", NS)]
    assert sorted(refs) == sorted(el.get("id") for el in nodes), "each node in exactly one lane"

    operators = {op.get("id") for op in proc.iterfind(".//spiff:serviceTaskOperator", NS)}
    ids = {el.get("id") for el in root.iter(f"{{{NS['bpmn']}}}*", f"{{{NS['bpmndi']}}}*")
           if el.get("id")}
    assert not (ids & (operators | set(build_registry().names()))), \
        "an element id equals a handler name"
    for task in proc.findall("bpmn:userTask", NS):
        props = {p.get("name"): p.get("value")
                 for p in task.iterfind(".//spiff:property", NS)}
        assert props.get("formJsonSchemaFilename"), task.get("id")
        assert props.get("dueIn", "").startswith("P"), task.get("id")
        instructions = task.find(".//spiff:instructionsForEndUser", NS)
        assert instructions is not None and len(instructions.text) > 40, task.get("id")


def test_lanes_of_the_agreement_are_the_three_roles():
    lanes = parse("sla_agreement.bpmn").findall(".//bpmn:lane", NS)
    assert [lane.get("name") for lane in lanes] == ["Customer", "Service Level Manager",
                                                    "Process Owner"]


def test_every_form_is_used_and_every_used_form_exists():
    used = set()
    for fname in DIAGRAMS:
        used |= {p.get("value") for p in parse(fname).iterfind(".//spiff:property", NS)
                 if p.get("name") == "formJsonSchemaFilename"}
    assert used == {p.name for p in FORMS_DIR.glob("*.schema.json")}


# -- runs along its paths against the handler contract ------------------------------------
class ContractHandlers:
    """Handlers answering as docs/handlers.md says; every call is recorded."""

    def __init__(self):
        self.calls: list[tuple[str, dict]] = []
        self.supporting_checks = 0
        self.drafts = 0
        self.due_checks = 0

    def registry(self) -> HandlerRegistry:
        reg = HandlerRegistry()
        for name in ("assess_requirements", "match_catalogue", "record_choice",
                     "design_specification", "check_supporting_processes", "draft_sla",
                     "activate_sla", "review_due", "start_review", "compute_attainment",
                     "build_customer_report", "record_review", "propose_improvements",
                     "raise_change_request", "catalogue_readiness", "build_management_report",
                     "verify_service_levels", "set_priorities"):
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

    def verify_service_levels(self, p, ctx):
        return {"slas": [{"sla_id": 5, "reference": "SLA-2026-0005", "priority": 3}],
                "can_raise": []}

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
                   known_lanes=engine.known_lanes, form_loader=load_form, actor="test", now=T0)
        s.commit()
    return handlers, engine


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


def test_forms_are_valid_object_schemas():
    from engine.forms import schema_problems

    for path in FORMS_DIR.glob("*.schema.json"):
        assert schema_problems(json.loads(path.read_text())) == [], path.name


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
                   known_lanes=engine.known_lanes, form_loader=load_form, actor="test", now=T0)
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
                   known_lanes=engine.known_lanes, form_loader=load_form, actor="test", now=T0)
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
