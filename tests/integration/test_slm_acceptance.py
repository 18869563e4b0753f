"""Acceptance: the SLM process as customers, managers, process owners and the timer runner
live it, on the real diagrams (workflows/bpmn), forms (workflows/forms) and handlers.

Every step is its own transaction on a fresh ``Engine(build_registry())``, so each step
reloads the instance from the database (both backends); the clock is always a fixed
datetime and timers are fired with ``run_due`` at a chosen ``now``. The catalogue is built
with the catalogue functions themselves: metrics with data sources (and one without),
a live e-mail service with Bronze/Silver/Gold levels, their costs and targets, and a live
hosting service whose capacity management is still undefined.
"""
from __future__ import annotations

import io
import json
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from engine.deploy import deploy
from engine.instances import start_instance
from engine.models import DueTimer, HumanTask, Incident, ProcessInstance
from engine.runner import run_due
from engine.runtime import Engine
from engine.tasks import Actor, complete_task, task_data
from handlers.agreements.models import ServiceLevelAgreement, SLAVersion
from handlers.agreements.operations import sla_versions, version_diff
from handlers.catalogue import operations as catalogue
from handlers.catalogue.models import Service, ServiceLevelOption
from handlers.delivery.measurements import import_csv, record_observation
from handlers.delivery.models import Measurement, Observation
from handlers.errors import DomainError, ValidationError
from handlers.outputs.models import ChangeRequest, DesignSpecification
from handlers.people.models import Organisation
from handlers.registry import build_registry
from handlers.reports.models import CustomerReport
from handlers.requirements.models import ServiceLevelRequirement
from handlers.requirements.operations import submit_slr
from handlers.reviews.models import ImprovementProposal, Review

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
                                actor="olivia", now=now):
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
                         "Our sales team lives in its mailboxes.", list(wishes), now)
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


# -- 1. the standard path -----------------------------------------------------------------
def test_standard_path_from_requirements_to_a_change_request(slm, tmp_path):
    slr_id = submit(slm, T0, AVAILABLE, FIXED_SOON)
    iid = slm.start("sla_agreement", {"slr_id": slr_id, "organisation": "acme"}, "acme", T0)

    # assessment and the options with their costs
    shown = slm.data(iid, CHOOSE, T0)
    assert shown["assessment"]["measurable_count"] == 2
    assert shown["assessment"]["flagged"] == []
    options = shown["options"]
    costs = {o["label"]: o["monthly_cost"] for o in options}
    assert {"E-mail Bronze": "500.00", "E-mail Silver": "800.00",
            "E-mail Gold": "1200.00"}.items() <= costs.items()
    assert [o["label"] for o in options[:2]] == ["E-mail Silver", "E-mail Gold"]  # cheapest fit
    assert options[0]["fully_meets"] and not any(o["customer_specific"] for o in options)
    task = slm.task(iid, CHOOSE)
    assert (task.lane, task.organisation) == ("Customer", "acme")

    # the customer chooses; SLA version 1 is drafted
    silver = option_key(options, "E-mail Silver")
    slm.complete(iid, CHOOSE, CUSTOMER, {"option_key": silver, "comment": "Silver will do"},
                 T0 + H)
    first = slm.data(iid, REVIEW_DRAFT, T0 + H)["draft"]
    assert first["version"] == 1 and first["diff"] == []
    with slm.factory() as s:
        sla = s.get(ServiceLevelAgreement, first["sla_id"])
        assert (sla.status, sla.current_version, sla.reference) == (
            "negotiating", 1, first["reference"])
        reference, sla_id = sla.reference, sla.id

    # the customer counter-proposes, the manager revises: version 2 with its diff
    slm.complete(iid, REVIEW_DRAFT, CUSTOMER, {
        "decision": "counter-propose", "comment": "Sales cannot live with 99.5",
        "requested_changes": {"targets": [{"metric": "availability", "threshold": 99.7}]}},
        T0 + 2 * H)
    assert slm.task(iid, REVISE).lane == "Service Level Manager"
    slm.complete(iid, REVISE, MANAGER, {"comment": "Availability 99.7 % as asked"}, T0 + 5 * H)
    second = slm.data(iid, REVIEW_DRAFT, T0 + 5 * H)["draft"]
    assert (second["sla_id"], second["version"]) == (sla_id, 2)
    [change] = second["diff"]
    assert change["field"] == "targets.availability"
    assert "99.5" in change["before"] and "99.7" in change["after"]
    assert "99.7" in second["diff_text"]

    # accepted, approved: active
    accepted_at, approved_at = datetime(2026, 1, 6, 9), datetime(2026, 1, 6, 10)
    slm.complete(iid, REVIEW_DRAFT, CUSTOMER, {"decision": "accept"}, accepted_at)
    slm.complete(iid, APPROVE, MANAGER, {"decision": "approve"}, approved_at)
    with slm.factory() as s:
        sla = s.get(ServiceLevelAgreement, sla_id)
        assert (sla.status, sla.current_version) == ("active", 2)
        assert (sla.valid_from, sla.valid_until) == (date(2026, 1, 6), date(2027, 1, 6))
        assert s.get(ServiceLevelRequirement, slr_id).status == "agreed"
    [timer] = slm.timers(iid)
    assert (timer.element_id, timer.due_at) == ("next_review_due", datetime(2026, 2, 6, 10))

    # January's delivery data arrives before the review is due
    with slm.factory() as s:
        summary = import_csv(s, csv_for(tmp_path, "slm_january_2026.csv", reference),
                             now=datetime(2026, 2, 2, 8))
        s.commit()
    assert (summary["imported"], summary["rejected"]) == (6, [])

    # the review timer: not a minute early, then exactly one review instance
    assert slm.run_due(datetime(2026, 2, 6, 9, 59)) == 0
    assert slm.run_due(datetime(2026, 2, 6, 10)) == 1
    [review] = reviews(slm, sla_id)
    assert (review.period_start, review.period_end) == (date(2026, 1, 1), date(2026, 1, 31))
    rid = review.instance_id
    instance = slm.instance(rid)
    assert (instance.process_id, instance.organisation) == ("service_performance_review", "acme")

    # attainment from the imported measurements (within Mon-Fri 08:00-18:00 Berlin)
    discussed = slm.data(rid, DISCUSS, datetime(2026, 2, 6, 10))
    attained = by_metric(discussed["attainment"]["targets"])
    assert (attained["availability"]["attained"], attained["availability"]["samples"]) == (
        99.6, 3)  # the Saturday's 90.0 is outside the service hours
    assert attained["availability"]["threshold"] == 99.7
    assert attained["availability"]["met"] is False
    assert (attained["resolution_hours"]["attained"], attained["resolution_hours"]["met"]) == (
        6.25, True)

    # the customer report carries the figures
    with slm.factory() as s:
        report = s.scalars(select(CustomerReport).where(
            CustomerReport.review_id == review.id)).one()
        assert report.id == discussed["report"]["report_id"]
        text = pdf_text(report.pdf)
    for words in (reference, "Acme Ltd", "99.6%", "6.25 hours", ">= 99.7%", "BREACHED",
                  "Availability: attained 99.6% against a target of >= 99.7%"):
        assert words in text, words

    # discussion with the customer, the review record, improvement proposals, decision
    slm.complete(rid, DISCUSS, CUSTOMER,
                 {"agree": True, "notes": "Availability was below what we agreed"},
                 datetime(2026, 2, 9, 10))
    idea = "Add a monthly service call with the sales team"
    slm.complete(rid, RECORD, MANAGER, {
        "discussion": "Went through the report with Carol", "record": "Availability breached",
        "ideas": [idea]}, datetime(2026, 2, 9, 15))
    proposals = slm.data(rid, DECIDE, datetime(2026, 2, 9, 15))["proposals"]
    reasons = {p["title"]: p["reason"] for p in proposals}
    assert reasons[idea] == "manager"
    assert "breach" in reasons.values()
    accepted = [p["id"] for p in proposals]
    assert slm.complete(rid, DECIDE, MANAGER, {"accepted": accepted},
                        datetime(2026, 2, 10, 9)) == "completed"
    with slm.factory() as s:
        changes = s.scalars(select(ChangeRequest).order_by(ChangeRequest.id)).all()
        assert sorted(c.proposal_id for c in changes) == sorted(accepted)
        assert {(c.status, c.sla_id) for c in changes} == {("open", sla_id)}
        assert set(s.scalars(select(ImprovementProposal.status).where(
            ImprovementProposal.id.in_(accepted)))) == {"accepted"}
        review = s.get(Review, review.id)
        assert (review.status, review.record) == ("closed", "Availability breached")
    # and the agreement waits for the next review
    assert slm.instance(iid).status == "running"
    [timer] = slm.timers(iid)
    assert timer.due_at == datetime(2026, 3, 6, 10)


# -- 2. beyond the catalogue --------------------------------------------------------------
def test_a_requirement_beyond_the_catalogue_gets_a_customer_specific_service(slm):
    slr_id = submit(slm, T0, wish("Mail never stops", "availability", ">=", 99.99),
                    wish("Fixed within two hours", "resolution_hours", "<=", 2))
    iid = slm.start("sla_agreement", {"slr_id": slr_id, "organisation": "acme"}, "acme", T0)
    options = slm.data(iid, CHOOSE, T0)["options"]
    assert options and not any(o["fully_meets"] for o in options if not o["customer_specific"])
    assert options[0]["label"] == "E-mail Gold"  # the nearest standard option first
    custom = options[-1]
    assert (custom["key"], custom["customer_specific"], custom["fully_meets"]) == (
        "custom", True, True)
    # Gold (1200.00) misses 99.99 by 0.09/99.99 and 2 hours by 100 %, plus the design fee
    assert Decimal(custom["monthly_cost"]) == Decimal("2651.08")
    assert "E-mail Gold" in custom["cost_basis"]

    slm.complete(iid, CHOOSE, CUSTOMER, {"option_key": "custom"}, T0 + H)
    with slm.factory() as s:
        spec = s.scalars(select(DesignSpecification)).one()
        content = json.loads(spec.content)
        assert spec.slr_id == slr_id and spec.estimated_monthly_cost == Decimal("2651.08")
        assert {r["metric"] for r in content["requirements"]} == {"availability",
                                                                  "resolution_hours"}
        service = s.get(Service, spec.service_id)
        acme = s.scalars(select(Organisation).where(Organisation.key == "acme")).one()
        assert (service.status, service.organisation_id) == ("draft", acme.id)
        [change] = s.scalars(select(ChangeRequest)).all()
        assert change.design_spec_id == spec.id and change.status == "open"
        assert s.scalar(select(func.count()).select_from(ServiceLevelAgreement)) == 0
        service_id = spec.service_id

    # the instance waits at the supporting-process gate for the new service
    gate = slm.task(iid, GATE)
    assert gate.lane == "Process Owner"
    data = slm.data(iid, GATE, T0 + H)
    assert data["service_id"] == service_id
    assert data["gate"]["ready"] is False
    assert set(data["gate"]["missing"]) == set(catalogue.BASELINE_KINDS)

    # once they are defined, the customer-specific SLA is drafted at the estimated cost
    with slm.factory() as s:
        define_baseline(s, s.get(Service, service_id), T0 + 3 * H)
        s.commit()
    slm.complete(iid, GATE, OWNER, {"done": True}, T0 + 4 * H)
    draft = slm.data(iid, REVIEW_DRAFT, T0 + 4 * H)["draft"]
    with slm.factory() as s:
        terms = json.loads(s.scalars(select(SLAVersion.terms).where(
            SLAVersion.sla_id == draft["sla_id"])).one())
    assert (terms["level"], terms["monthly_cost"]) == ("Custom", "2651.08")
    assert {t["metric"]: t["threshold"] for t in terms["targets"]} == {
        "availability": 99.99, "resolution_hours": 2.0}


# -- 3. the supporting-process gate (mission rule 5) ----------------------------------------
def test_no_sla_before_every_supporting_process_is_defined(slm):
    slr_id = submit(slm, T0, AVAILABLE)
    iid = slm.start("sla_agreement", {"slr_id": slr_id, "organisation": "acme"}, "acme", T0)
    options = slm.data(iid, CHOOSE, T0)["options"]
    slm.complete(iid, CHOOSE, CUSTOMER, {"option_key": option_key(options, "Hosting Standard")},
                 T0 + H)

    def waiting_at_gate(now):
        task = slm.task(iid, GATE)
        assert task.lane == "Process Owner" and "supporting process" in task.instructions
        gate = slm.data(iid, GATE, now)["gate"]
        assert (gate["ready"], gate["missing"]) == (False, ["capacity"])
        assert "capacity" in gate["message"]
        with slm.factory() as s:
            assert s.scalar(select(func.count()).select_from(ServiceLevelAgreement)) == 0
            assert s.scalar(select(func.count()).select_from(SLAVersion)) == 0

    waiting_at_gate(T0 + H)
    # confirming without defining it changes nothing: the gate asks again
    slm.complete(iid, GATE, OWNER, {"done": True, "note": "on it"}, T0 + 2 * H)
    waiting_at_gate(T0 + 2 * H)

    with slm.factory() as s:
        hosting = s.scalars(select(Service).where(Service.key == "hosting")).one()
        catalogue.define_supporting_process(s, hosting, "capacity", owner="capacity manager",
                                            agreement="OLA-hosting-capacity", now=T0 + 3 * H)
        s.commit()
    slm.complete(iid, GATE, OWNER, {"done": True}, T0 + 4 * H)
    draft = slm.data(iid, REVIEW_DRAFT, T0 + 4 * H)["draft"]
    assert draft["version"] == 1
    with slm.factory() as s:
        sla = s.get(ServiceLevelAgreement, draft["sla_id"])
        assert (sla.service.key, sla.status) == ("hosting", "negotiating")


# -- 4. measurable targets only (mission rule 6) ------------------------------------------
def test_targets_must_be_measurable_and_unmeasurable_wishes_are_flagged(slm):
    with slm.factory() as s:
        silver = s.scalars(select(ServiceLevelOption).where(
            ServiceLevelOption.name == "Silver")).one()
        refusals = {
            "metric": ("satisfaction", 4.0, "month"),
            "threshold": ("availability", None, "month"),
            "period": ("availability", 99.5, None),
        }
        for missing, (metric, threshold, period) in refusals.items():
            with pytest.raises(ValidationError) as refused:
                catalogue.set_target(s, silver, metric, threshold, period)
            assert set(refused.value.errors) == {missing}, refused.value.errors
        messages = {
            "metric": "'satisfaction' has no data source",
            "threshold": "threshold is missing",
            "period": "period is missing",
        }
        with pytest.raises(ValidationError) as refused:
            catalogue.set_target(s, silver, "satisfaction", None, None)
        for field, words in messages.items():
            assert words in " ".join(refused.value.errors[field])
            assert words in str(refused.value)
        with pytest.raises(ValidationError, match="unknown metric 'beauty'"):
            catalogue.set_target(s, silver, "beauty", 1.0, "month")
        s.refresh(silver)
        assert {t.metric.key: t.threshold for t in silver.targets} == {
            "availability": 99.5, "resolution_hours": 8.0}
        s.rollback()

    happy = wish("Users are happy with their mail", "satisfaction", ">=", 4)
    fast = wish("Mail feels fast", value=None, period=None)
    slr_id = submit(slm, T0, AVAILABLE, happy, fast)
    iid = slm.start("sla_agreement", {"slr_id": slr_id, "organisation": "acme"}, "acme", T0)
    shown = slm.data(iid, CHOOSE, T0)
    assessment = shown["assessment"]
    assert (assessment["measurable_count"], assessment["flagged_count"]) == (1, 2)
    assert assessment["measurable"][0]["metric"] == "availability"
    flagged = {f["text"]: f["reason"] for f in assessment["flagged"]}
    assert set(flagged) == {happy["text"], fast["text"]}
    assert "no data source" in flagged[happy["text"]]
    assert "no metric" in flagged[fast["text"]]
    assert shown["options"]  # the customer still gets an answer
    with slm.factory() as s:
        slr = s.get(ServiceLevelRequirement, slr_id)
        assert json.loads(slr.assessment)["flagged"] == assessment["flagged"]
        assert len(json.loads(slr.wishes)) == 3  # nothing the customer said is lost


# -- 5. customer observations are facts (mission rule 1) ----------------------------------
def test_a_customer_observation_appears_in_the_attainment_and_the_report(slm):
    slr_id = submit(slm, T0, AVAILABLE, FIXED_SOON)
    iid, sla_id = agree(slm, slr_id, "E-mail Silver", T0, T0 + 3 * H)
    said = "Mail bounced for the whole sales team"
    with slm.factory() as s:
        record_observation(s, sla_id, "complaint", said, datetime(2026, 1, 20, 9, 30), 45,
                           "carol", datetime(2026, 1, 20, 10))
        record_observation(s, sla_id, "outage", "No mail on Tuesday morning",
                           datetime(2026, 2, 3, 8), 90, "carol", datetime(2026, 2, 3, 9))
        s.commit()
    assert slm.run_due(T0 + 3 * H + timedelta(days=31)) == 1  # 5 February, 12:00
    [review] = reviews(slm, sla_id)
    rid, now = review.instance_id, datetime(2026, 2, 5, 12)
    att = slm.data(rid, DISCUSS, now)["attainment"]
    assert att["observation_count"] == 1  # February's outage belongs to the next review
    assert att["observations_by_kind"] == {"complaint": 1}
    [seen] = att["observations"]
    assert (seen["description"], seen["impact_minutes"], seen["recorded_by"]) == (
        said, 45, "carol")
    with slm.factory() as s:
        report = s.scalars(select(CustomerReport).where(
            CustomerReport.review_id == review.id)).one()
        text = pdf_text(report.pdf)
    assert said in text
    assert "1 customer observation: 1 complaint" in text
    slm.complete(rid, DISCUSS, CUSTOMER, {"agree": False, "notes": "The bounce hurt"}, now)
    slm.complete(rid, RECORD, MANAGER, {"record": "Bounce investigated"}, now + H)
    proposals = slm.data(rid, DECIDE, now + H)["proposals"]
    assert [p["reason"] for p in proposals] == ["observation"]
    assert "complaint" in proposals[0]["title"]
    with slm.factory() as s:
        assert s.scalar(select(func.count()).select_from(Observation)) == 2


# -- 6. importing delivery data -----------------------------------------------------------
def test_import_takes_the_good_rows_reports_the_bad_and_adds_nothing_twice(slm, tmp_path):
    slr_id = submit(slm, T0, AVAILABLE, FIXED_SOON)
    _iid, sla_id = agree(slm, slr_id, "E-mail Silver", T0, T0 + 3 * H)
    with slm.factory() as s:
        reference = s.get(ServiceLevelAgreement, sla_id).reference
    path = csv_for(tmp_path, "slm_import_mixed.csv", reference)
    now = datetime(2026, 2, 2, 8)
    with slm.factory() as s:
        first = import_csv(s, path, now=now)
        s.commit()
    assert (first["imported"], first["duplicates"], first["total"]) == (4, 0, 12)
    reasons = {r["row"]: r["reason"] for r in first["rejected"]}
    assert sorted(reasons) == list(range(5, 13))
    expected = {5: "101", 6: "satisfaction", 7: "SLA-2099-9999", 8: "yesterday", 9: "n/a",
                10: "negative", 11: "value", 12: "future"}
    for row, words in expected.items():
        assert words in reasons[row], (row, reasons[row])
    with slm.factory() as s:
        stored = s.execute(select(Measurement.measured_at, Measurement.value, Measurement.source)
                           .order_by(Measurement.measured_at)).all()
    assert [(m.measured_at, m.value) for m in stored] == [
        (datetime(2026, 1, 12, 10), 99.9), (datetime(2026, 1, 13, 10), 99.4),
        (datetime(2026, 1, 14, 9), 5.5), (datetime(2026, 1, 20, 10), 99.7)]
    assert {m.source for m in stored} == {f"csv:{path.name}"}

    with slm.factory() as s:
        again = import_csv(s, path, now=now + H)
        s.commit()
    assert (again["imported"], again["duplicates"]) == (0, 4)
    assert again["rejected"] == first["rejected"]
    with slm.factory() as s:
        assert s.scalar(select(func.count()).select_from(Measurement)) == 4


# -- 7. SLA versions ----------------------------------------------------------------------
def test_every_sla_version_is_kept_and_any_two_can_be_compared(slm):
    slr_id = submit(slm, T0, AVAILABLE, FIXED_SOON)
    iid = slm.start("sla_agreement", {"slr_id": slr_id, "organisation": "acme"}, "acme", T0)
    options = slm.data(iid, CHOOSE, T0)["options"]
    slm.complete(iid, CHOOSE, CUSTOMER, {"option_key": option_key(options, "E-mail Silver")},
                 T0 + H)
    sla_id = slm.data(iid, REVIEW_DRAFT, T0 + H)["draft"]["sla_id"]
    with slm.factory() as s:
        v1_terms = s.scalars(select(SLAVersion.terms).where(SLAVersion.sla_id == sla_id)).one()
    # v2: the customer's counter-proposal
    slm.complete(iid, REVIEW_DRAFT, CUSTOMER, {
        "decision": "counter-propose",
        "requested_changes": {"targets": [{"metric": "availability", "threshold": 99.7}]}},
        T0 + 2 * H)
    slm.complete(iid, REVISE, MANAGER, {"comment": "Availability as asked"}, T0 + 3 * H)
    slm.complete(iid, REVIEW_DRAFT, CUSTOMER, {"decision": "accept"}, T0 + 4 * H)
    # v3: the approver sends it back, the manager tightens resolution
    slm.complete(iid, APPROVE, MANAGER,
                 {"decision": "revise", "comment": "Sales needs fixes within 6 hours"},
                 T0 + 5 * H)
    slm.complete(iid, REVISE, MANAGER, {
        "changes": {"targets": [{"metric": "resolution_hours", "threshold": 6}]},
        "comment": "Resolution within 6 hours"}, T0 + 6 * H)
    third = slm.data(iid, REVIEW_DRAFT, T0 + 6 * H)["draft"]
    assert third["version"] == 3 and [d["field"] for d in third["diff"]] == [
        "targets.resolution_hours"]
    slm.complete(iid, REVIEW_DRAFT, CUSTOMER, {"decision": "accept"}, T0 + 7 * H)
    slm.complete(iid, APPROVE, MANAGER, {"decision": "approve"}, T0 + 8 * H)

    with slm.factory() as s:
        versions = sla_versions(s, sla_id)
        assert [v["number"] for v in versions] == [1, 2, 3]
        assert [v["comment"] for v in versions] == [
            "first draft", "Availability as asked", "Resolution within 6 hours"]
        thresholds = [{t["metric"]: t["threshold"] for t in v["terms"]["targets"]}
                      for v in versions]
        assert thresholds == [{"availability": 99.5, "resolution_hours": 8.0},
                              {"availability": 99.7, "resolution_hours": 8.0},
                              {"availability": 99.7, "resolution_hours": 6.0}]
        assert s.scalars(select(SLAVersion.terms).where(
            SLAVersion.sla_id == sla_id, SLAVersion.number == 1)).one() == v1_terms
        assert s.get(ServiceLevelAgreement, sla_id).current_version == 3

        def fields(a, b):
            return sorted(d["field"] for d in version_diff(s, sla_id, a, b))

        assert fields(1, 2) == ["targets.availability"]
        assert fields(2, 3) == ["targets.resolution_hours"]
        assert fields(1, 3) == ["targets.availability", "targets.resolution_hours"]
        assert fields(2, 2) == []
        one_to_three = by_field(version_diff(s, sla_id, 1, 3))
        three_to_one = by_field(version_diff(s, sla_id, 3, 1))
        for field, d in one_to_three.items():
            assert (three_to_one[field]["before"], three_to_one[field]["after"]) == (
                d["after"], d["before"])
        assert "8" in one_to_three["targets.resolution_hours"]["before"]
        assert "6" in one_to_three["targets.resolution_hours"]["after"]
        with pytest.raises(DomainError, match="no version 4"):
            version_diff(s, sla_id, 1, 4)


def by_field(diff: list[dict]) -> dict[str, dict]:
    return {d["field"]: d for d in diff}


# -- 8. the review cycle over a year ------------------------------------------------------
def test_a_monthly_cycle_reviews_each_month_once_and_stops_when_the_sla_ends(slm):
    start = datetime(2025, 12, 29, 9)
    slr_id = submit(slm, start, AVAILABLE, FIXED_SOON)
    iid, sla_id = agree(slm, slr_id, "E-mail Gold", start, datetime(2026, 1, 1, 9))
    with slm.factory() as s:
        sla = s.get(ServiceLevelAgreement, sla_id)
        assert (sla.valid_from, sla.valid_until) == (date(2026, 1, 1), date(2027, 1, 1))

    months = [datetime(2026 + (1 + m) // 12, (1 + m) % 12 + 1, 1, 12) for m in range(14)]
    assert (months[0], months[-1]) == (datetime(2026, 2, 1, 12), datetime(2027, 3, 1, 12))
    started = []
    for now in months:
        slm.run_due(now)
        assert slm.run_due(now) == 0  # firing again the same day starts nothing
        started.append(len(reviews(slm, sla_id)))

    found = reviews(slm, sla_id)
    starts = [r.period_start for r in found]
    assert len(set(starts)) == len(starts), "a period was reviewed twice"
    assert all(start < date(2027, 1, 1) for start in starts), "reviewed after valid_until"
    # one review instance each, waiting for the customer
    with slm.factory() as s:
        for r in found:
            instance = s.get(ProcessInstance, r.instance_id)
            assert (instance.process_id, instance.status) == ("service_performance_review",
                                                              "running")
    # the SLA ended: its agreement instance completed and no timer is left
    assert slm.instance(iid).status == "completed"
    assert slm.timers(iid) == []
    with slm.factory() as s:
        assert s.get(ServiceLevelAgreement, sla_id).status == "expired"
    assert started[-2:] == [started[-3]] * 2, "reviews went on after the SLA ended"
    # every month of the validity (January to December 2026) was reviewed exactly once
    missing = sorted(set(date(2026, m, 1) for m in range(1, 13)) - set(starts))
    assert not missing, (f"months within the validity never reviewed: {missing}; the cycle "
                         "ended on valid_until before reviewing the last period")
    assert starts == [date(2026, month, 1) for month in range(1, 13)]
