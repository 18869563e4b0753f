"""Issue 14's acceptance, end to end in Debian's Chromium: an admin creates the role "Service
Owner"; a process owner deploys (as a set, in the studio) a diagram with a lane for it and a
gateway that a DMN decision drives; a person holding only that role completes the new task on
the branch the decision chose, and no one else sees it. On SQLite and PostgreSQL."""
from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from engine.models import HumanTask

from . import role_browser
from .test_decisions_web import SET, start, status, zip_of
from .test_lane_roles import _person


def _set_for(lane: str) -> dict[str, bytes]:
    bpmn = SET["risk_route.bpmn"].replace(b'name="Service Level Manager"',
                                          f'name="{lane}"'.encode())
    assert bpmn != SET["risk_route.bpmn"]  # the diagram's lane is now the new role
    return {**SET, "risk_route.bpmn": bpmn}


def test_an_added_role_works_the_branch_a_decision_chose(app, demo, browser, live_server,
                                                          login, screenshot, tmp_path):
    sophie = _person(app, "sophie", ["Process Owner"])

    def browse(user):
        return role_browser.browse(browser, live_server, login, user)

    role_browser.admin_makes_service_owner(browse(demo.users["Admin"]), sophie.id)

    archive = tmp_path / "risk-routing.zip"
    archive.write_bytes(zip_of(_set_for("Service Owner")))
    owner = browse(demo.users["Process Owner"])
    owner.goto("/diagrams")
    owner.get_by_text("Deploy a set (.zip of diagrams, decisions and forms)").click()
    owner.get_by_label("Set (.zip)").set_input_files(str(archive))
    owner.get_by_label("Change note").fill("Service owners review costly changes")
    owner.get_by_role("button", name="Check and deploy the set").click()
    expect(owner.get_by_text("Deployed risk_route version 1.")).to_be_visible()
    screenshot(owner, "acceptance-14-set-deployed")

    costly, cheap = start(app, 5000), start(app, 10)
    assert status(app, cheap) == ("completed", [])  # the decision chose the automatic branch
    assert status(app, costly) == ("running", ["review_change"])

    # the lane is the new role's alone: the manager (whose lane it was) does not see it
    manager = browse(demo.users["Service Level Manager"])
    for view in ("unclaimed", "mine"):
        manager.goto(f"/tasks?view={view}")
        assert manager.get_by_role("link", name="Review the risky change").count() == 0
    manager.context.close()

    person = browse(sophie)
    person.goto("/tasks")
    person.get_by_role("link", name="Review the risky change").first.click()
    expect(person.get_by_text("The decision table found this change risky")).to_be_visible()
    person.get_by_label("Approve the change").check()
    screenshot(person, "acceptance-14-service-owner-task")
    person.get_by_role("button", name="Complete task").click()
    expect(person.locator(".alert-success")).to_be_visible()
    person.context.close()
    assert status(app, costly) == ("completed", [])

    owner.context.close()
    with app.extensions["slm"].sessions() as s:
        task = s.scalar(select(HumanTask).where(HumanTask.instance_id == costly))
        assert (task.lane, task.completed_by) == ("Service Owner", "sophie")
