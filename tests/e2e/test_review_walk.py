"""Issue 10, acceptance: the review after the negotiation, in the browser. The customer
reads the period's report on *Discuss the results* and writes notes; the manager reads
them and the report on *Record the review*; the review page shows the discussion and both
sides' words. (The negotiation with its counter-proposal is test_sla_agreement_walk.)"""
from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from engine.clock import utcnow
from engine.instances import start_instance
from handlers.agreements.models import ServiceLevelAgreement
from handlers.reviews.operations import open_review

from . import sla_world
from .test_sla_agreement_walk import browse as browse  # the fixture
from .test_sla_agreement_walk import complete, open_task


def _review(app, sla_id: int) -> int:
    """Start the review process of the SLA's next period (as the review cycle's timer does)."""
    services = app.extensions["slm"]
    later = utcnow() + timedelta(days=62)
    with services.sessions() as s:
        sla = s.get(ServiceLevelAgreement, sla_id)

        def begin(process_id, data=None, organisation=None, title=""):
            return start_instance(services.engine, s, process_id, actor="system", now=later,
                                  data=data, organisation=organisation, title=title)

        review, created = open_review(s, sla, later, begin)
        s.commit()
        assert created
        return review.id


def test_the_review_discussion_in_the_browser(app, demo, browse, screenshot):
    options = sla_world.build_catalogue(app)
    carla, mia = demo.users["Customer"], demo.users["Service Level Manager"]
    made = sla_world.agreed_sla(app, demo, carla, options)
    review_id = _review(app, made["sla_id"])
    with app.extensions["slm"].sessions() as s:
        reference = s.scalar(select(ServiceLevelAgreement.reference).where(
            ServiceLevelAgreement.id == made["sla_id"]))

    customer = browse(carla)
    open_task(customer, "Discuss the results")
    subject = customer.get_by_test_id("subject")
    expect(subject).to_contain_text(reference)
    expect(subject.get_by_test_id("review-targets")).to_contain_text("Availability")
    customer.locator('[name="notes"]').fill("Mondays are bad for us: mail is slow at 9.")
    screenshot(customer, "review-walk-1-customer-discusses")
    complete(customer)

    manager = browse(mia)
    open_task(manager, "Record the review")
    expect(manager.get_by_test_id("subject").get_by_test_id("review-targets")).to_be_visible()
    expect(manager.get_by_test_id("thread")).to_contain_text("Mondays are bad for us")
    manager.locator('[name="discussion"]').fill(
        "Agreed with the customer: Monday mornings get an extra mail relay.")
    manager.locator('[name="record"]').fill("Targets met; Monday peak to be watched.")
    screenshot(manager, "review-walk-2-manager-records")
    complete(manager)

    manager.goto(f"/reviews/{review_id}")
    expect(manager.get_by_role("heading", name="Discussion with the customer")).to_be_visible()
    expect(manager.locator("main, body").first).to_contain_text(
        "Monday mornings get an extra mail relay.")
    thread = manager.get_by_test_id("thread")
    expect(thread).to_contain_text("Mondays are bad for us: mail is slow at 9.")  # customer
    expect(thread).to_contain_text("Monday mornings get an extra mail relay.")  # manager
    expect(manager.get_by_text("Not discussed yet.")).to_have_count(0)
    screenshot(manager, "review-walk-3-review-page")
