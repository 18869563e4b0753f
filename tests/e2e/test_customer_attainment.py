"""Issue 10, item 6: a customer sees the attainment of their SLA live, opening on the latest
period with data, with readable charts and no link into the future (seeded database)."""
from __future__ import annotations

from datetime import datetime

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from handlers.agreements.models import ServiceLevelAgreement
from handlers.delivery.models import Measurement
from handlers.demo.seed import seed_demo

from .support import DemoUser

PASSWORD = "attain-password-1"


@pytest.fixture
def seeded(app):
    with app.extensions["slm"].sessions() as session:
        seed_demo(session, app.extensions["slm"].engine, datetime(2026, 3, 10, 14, 30),
                  password=PASSWORD)
        session.commit()
    return app


def test_a_customer_opens_attainment_on_the_latest_period_with_data(seeded, page, login,
                                                                   screenshot):
    with seeded.extensions["slm"].sessions() as s:
        sla = s.scalars(select(ServiceLevelAgreement).where(
            ServiceLevelAgreement.status == "active")
            .order_by(ServiceLevelAgreement.id)).first()
        newest = s.scalar(select(func.max(Measurement.measured_at)).where(
            Measurement.sla_id == sla.id))
        customer = "alice.northwind" if sla.organisation.key == "northwind" else "bob.contoso"
    login(page, DemoUser(0, customer, customer, frozenset({"Customer"}), None, PASSWORD))
    page.goto(f"/attainment/{sla.id}")
    expect(page.get_by_test_id("attainment-summary")).to_contain_text(
        newest.strftime("%Y-%m"))  # the month of the newest measurement, not an empty one
    expect(page.locator("a[rel=prev]")).to_have_count(1)  # the past periods are there
    expect(page.get_by_test_id("attainment").locator("tbody tr").first).to_be_visible()
    screenshot(page, "customer-attainment-latest-period")
