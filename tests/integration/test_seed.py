"""The demo data (handlers.demo.seed) on both backends: what it promises, and only once."""
from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from conftest import seal_all
from demo_db import NOW, demo_fixture
from sqlalchemy import func, select

from engine.audit import verify_chain
from engine.db import Base
from engine.models import AuditEvent, DueTimer, HumanTask, Incident, ProcessInstance
from engine.registry import HandlerContext
from handlers.agreements.models import ServiceLevelAgreement
from handlers.catalogue.models import Service
from handlers.catalogue.supporting import catalogue_readiness, readiness, readiness_message
from handlers.delivery.models import Measurement, Observation
from handlers.delivery.periods import add_months
from handlers.demo.seed import DEMO_PASSWORD, DEMO_USERS, seed_demo
from handlers.outputs.models import ChangeRequest, DesignSpecification
from handlers.people import operations as people
from handlers.people.models import ROLES, Organisation, User
from handlers.reports.models import CustomerReport
from handlers.requirements.models import ServiceLevelRequirement
from handlers.reviews.models import ImprovementProposal, Review


@pytest.fixture(scope="module", params=["sqlite", "pg"])
def demo(request):
    yield from demo_fixture(request)


def test_catalogue_lists_every_level_with_its_cost_and_measurable_targets(demo):
    with demo.sessions() as s:
        services = s.scalars(select(Service).where(Service.organisation_id.is_(None))).all()
        assert len(services) >= 5
        for service in services:
            assert service.status == "live"
            assert [o.name for o in service.options] == ["Bronze", "Silver", "Gold"]
            costs = [o.monthly_cost for o in service.options]
            assert all(c > 0 for c in costs) and costs == sorted(costs), service.key
            for option in service.options:
                assert option.targets, f"{service.key} {option.name} has no targets"
                for t in option.targets:  # mission rule 6: every target can be measured
                    assert t.metric.data_source and t.metric.unit and t.period == "month"
                    assert t.metric.direction in ("higher", "lower")
                    assert t.comparator == (">=" if t.metric.direction == "higher" else "<=")
            assert service.cis, f"{service.key} runs on no configuration item"


def test_exactly_one_catalogue_service_waits_for_a_supporting_process(demo):
    with demo.sessions() as s:
        standard = s.scalars(select(Service).where(Service.organisation_id.is_(None))
                             .order_by(Service.key)).all()
        not_ready = [(sv, readiness(s, sv)[1]) for sv in standard if not readiness(s, sv)[0]]
        assert [(sv.key, missing) for sv, missing in not_ready] == [
            ("erp-hosting", ["continuity"])]
        assert "continuity" in readiness_message(*not_ready[0])
        ctx = HandlerContext(s, NOW, None, "", "", "test", {})
        result = catalogue_readiness({}, ctx)  # the customer-specific service is ready too
        assert result["not_ready"] == 1
        assert [r["key"] for r in result["services"] if not r["ready"]] == ["erp-hosting"]


def test_three_customers_one_russian_speaking_and_a_user_for_every_role(demo):
    with demo.sessions() as s:
        customers = s.scalars(select(Organisation).where(Organisation.kind == "customer")
                              .order_by(Organisation.key)).all()
        assert [(o.name, o.language) for o in customers] == [
            ("Contoso Health", "en"), ("Northwind Logistics", "en"),
            ("ООО «Волжская логистика»", "ru")]
        users = s.scalars(select(User)).all()
        roles = {r for u in users for r in u.role_set}
        assert roles == set(ROLES)
        for org in customers:
            members = [u for u in users if u.organisation_id == org.id
                       and u.role_set == {"Customer"}]
            assert len(members) >= (1 if org.language == "ru" else 2)
        irina = people.find_user(s, "irina.volga")
        assert (irina.display_name, irina.language, irina.time_zone) == (
            "Ирина Соколова", "ru", "Europe/Moscow")
        for username, *_ in DEMO_USERS:  # the documented password works for each
            user = people.find_user(s, username)
            assert user.active and people.verify_password(user.password_hash, DEMO_PASSWORD)
            assert not people.verify_password(user.password_hash, "wrong-password")
    assert {u["username"] for u in demo.summary["users"] if u["created"]} == {
        u[0] for u in DEMO_USERS}


def test_three_months_of_measurements_with_breaches_and_observations(demo):
    with demo.sessions() as s:
        active = s.scalars(select(ServiceLevelAgreement).where(
            ServiceLevelAgreement.status == "active")).all()
        assert len(active) == 2
        this_month = date(NOW.year, NOW.month, 1)
        for sla in active:
            first, last, count = s.execute(select(
                func.min(Measurement.measured_at), func.max(Measurement.measured_at),
                func.count()).where(Measurement.sla_id == sla.id)).one()
            assert count > 150 and first <= NOW - timedelta(days=89), sla.reference
            assert last >= NOW - timedelta(days=4) and last <= NOW
            for back in (1, 2, 3):  # each of the three full months before this one
                start = add_months(this_month, -back)
                end = add_months(start, 1)
                n = s.scalar(select(func.count()).where(
                    Measurement.sla_id == sla.id, Measurement.measured_at >= start,
                    Measurement.measured_at < end))
                assert n >= 15, (sla.reference, start, n)
            assert s.scalar(select(func.count()).where(Observation.sla_id == sla.id)) >= 2
        reviews = s.scalars(select(Review).order_by(Review.id)).all()
        assert len(reviews) == 2
        assert {(r.period_start, r.period_end) for r in reviews} == {
            (date(2026, 2, 1), date(2026, 2, 28))}
        breached = {json.loads(r.attainment)["breaches"] for r in reviews}
        assert breached == {1}  # one breach each: email availability, desk resolution
        assert s.scalar(select(func.count()).select_from(CustomerReport)) == 2


def _ready_tasks(s) -> dict[str, list[HumanTask]]:
    tasks: dict[str, list] = {}
    for t in s.scalars(select(HumanTask).where(HumanTask.status == "ready")):
        tasks.setdefault(t.element_id, []).append(t)
    return tasks


def test_instances_wait_in_many_stages_of_the_process(demo):
    with demo.sessions() as s:
        tasks = _ready_tasks(s)
        assert {k: len(v) for k, v in tasks.items()} == {
            "choose_option": 1, "define_supporting": 1, "review_draft": 2,
            "discuss_results": 1, "plan_process": 1, "set_priorities_task": 1}
        lanes = {k: v[0].lane for k, v in tasks.items()}
        assert lanes["choose_option"] == lanes["review_draft"] == "Customer"
        assert lanes["define_supporting"] == lanes["plan_process"] == "Process Owner"
        assert lanes["set_priorities_task"] == "Service Level Manager"
        assert all(t.due_at and t.due_at > NOW - timedelta(days=1)
                   for v in tasks.values() for t in v), "demo tasks are recent"
        assert tasks["choose_option"][0].organisation == "northwind"
        assert tasks["discuss_results"][0].organisation == "contoso"

        assert s.scalar(select(func.count()).select_from(Incident)) == 0
        statuses = dict(s.execute(select(ProcessInstance.process_id, func.count()).where(
            ProcessInstance.status == "error").group_by(ProcessInstance.process_id)).all())
        assert statuses == {}
        timers = s.scalars(select(DueTimer)).all()  # the next reviews of both active SLAs
        assert len(timers) == 2 and all(t.due_at > NOW for t in timers)
        assert {t.element_id for t in timers} == {"next_review_due"}


def test_gate_negotiation_and_customer_specific_service(demo):
    with demo.sessions() as s:
        [gate] = _ready_tasks(s)["define_supporting"]
        slr = s.scalar(select(ServiceLevelRequirement).where(
            ServiceLevelRequirement.instance_id == gate.instance_id))
        assert slr.title == "ERP for the hospital supply chain"

        slas = {a.service.key: a for a in s.scalars(select(ServiceLevelAgreement))}
        network = slas["network"]
        assert (network.status, network.current_version) == ("negotiating", 2)
        v1, v2 = (json.loads(v.terms) for v in network.versions)
        assert (v1["review_cycle"], v2["review_cycle"]) == ("P1M", "P3M")
        assert [t["threshold"] for t in v2["targets"] if t["metric"] == "availability"] == [99.8]
        assert slas["service-desk"].current_version == 2  # negotiated before agreement

        [spec] = s.scalars(select(DesignSpecification)).all()
        custom = s.get(Service, spec.service_id)
        assert custom.organisation_id is not None and readiness(s, custom)[0]
        assert slas[custom.key].status == "negotiating"
        changes = s.scalars(select(ChangeRequest).order_by(ChangeRequest.id)).all()
        assert [c.design_spec_id is not None for c in changes].count(True) == 1
        proposals = s.scalars(select(ImprovementProposal)).all()
        accepted = [p for p in proposals if p.status == "accepted"]
        assert len(accepted) == 2 and any(p.reason == "breach" for p in accepted)
        assert sorted(c.proposal_id for c in changes if c.proposal_id) == sorted(
            p.id for p in accepted)

        identity = s.scalar(select(ServiceLevelRequirement).where(
            ServiceLevelRequirement.title.like("Single sign-on%")))
        assessment = json.loads(identity.assessment)  # mission rule 6, kept as typed
        flagged = {f["text"]: f for f in assessment["flagged"]}
        assert flagged["Drivers are happy with logging in"]["metric"] == "user_satisfaction"
        assert all(f["asked"] and f["answer"] and f["answered_by"] == "manager"
                   for f in flagged.values())  # both clarified by the manager
        assert flagged["Logging in should be quick"]["clarified"]["metric"] == "availability"
        assert "Logging in should be quick" in [r["text"] for r in assessment["measurable"]]


def test_audit_trail_is_intact_and_in_time_order(demo):
    seal_all(demo.sessions)
    with demo.sessions() as s:
        assert verify_chain(s).ok
        times = s.scalars(select(AuditEvent.at).order_by(AuditEvent.seq)).all()
        assert times == sorted(times) and times[-1] <= NOW
        people_events = s.execute(select(AuditEvent.actor, AuditEvent.kind).where(
            AuditEvent.kind.in_(("organisation_created", "user_created")))).all()
        assert sorted(people_events) == sorted(
            [("seed", "organisation_created")] * 4 + [("seed", "user_created")] * len(DEMO_USERS))


def _counts(s) -> dict[str, int]:
    return {t.name: s.scalar(select(func.count()).select_from(t))
            for t in Base.metadata.sorted_tables}


def test_seeding_again_changes_nothing(demo):
    with demo.sessions() as s:
        before = _counts(s)
        assert seed_demo(s, demo.engine, NOW + timedelta(days=1)) == {"created": False}
        s.commit()
        assert _counts(s) == before
    summary = demo.summary
    assert summary["created"] and summary["services"] == 6 and summary["options"] == 18
    assert len({i["process_id"] for i in summary["instances"]}) == 4
