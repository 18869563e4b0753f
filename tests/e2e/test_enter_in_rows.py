"""Issue 10, item 10: Enter in a wish row's field never sends a half-filled requirement; it
moves to the next field. In Chromium, on the real requirement form."""
from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import func, select

from handlers.requirements.models import ServiceLevelRequirement

from .sla_world import build_catalogue


def test_enter_in_a_wish_row_moves_on_and_submits_nothing(app, demo, page, login):
    build_catalogue(app)
    login(page, demo.users["Customer"])
    page.goto("/portal/requirements/new")
    page.get_by_label("Title").fill("Email for the depots")
    page.locator("#need").fill("Drivers read dispatch mail on the road.")
    page.locator("#wishes-0-text").fill("Mail up around the clock")
    page.locator("#wishes-0-text").press("Enter")
    expect(page).to_have_url(re.compile(r"/portal/requirements/new$"))
    expect(page.locator("#wishes-0-metric")).to_be_focused()
    with app.extensions["slm"].sessions() as s:
        assert s.scalar(select(func.count()).select_from(ServiceLevelRequirement)) == 0
