"""In the browser: the manager's bell counts a new task; opening it leads to the task."""
from __future__ import annotations

import re

from . import task_records


def test_the_bell_counts_a_new_task_and_opening_it_leads_to_the_task(
        app, page, demo, login, screenshot):
    login(page, demo.users["Service Level Manager"])
    assert page.get_by_test_id("bell-count").inner_text() == "0"
    iid = task_records.start(app, "slm_process_management", "owner")
    task_id = task_records.ready_task(app, iid)
    page.reload()
    assert page.get_by_test_id("bell-count").inner_text() == "1"
    page.get_by_test_id("bell").click()
    item = page.get_by_test_id("notification").first
    assert "Set service level priorities" in item.inner_text()
    screenshot(page, "notifications-bell")
    item.get_by_role("button", name="Open").click()
    page.wait_for_url(re.compile(rf"/tasks/{task_id}$"))
    assert page.get_by_test_id("bell-count").inner_text() == "0"
    # the customer of another organisation heard nothing of it
    page.get_by_role("button", name="Sign out").click()
    login(page, demo.users["Customer"])
    assert page.get_by_test_id("bell-count").inner_text() == "0"
