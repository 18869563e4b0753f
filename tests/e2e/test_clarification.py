"""Issue 10, item 5: wishes are never lost. A wish the customer cannot measure is ticked
"clarify it with me"; the service level manager answers it in a task whose subject is the
wish; the answer goes back to the customer (their requirement, its conversation, a
notification), and the options are matched afterwards, with the wish when it became
measurable."""
from __future__ import annotations

import json
from collections import defaultdict

import pytest
from playwright.sync_api import expect
from smtp_sink import SmtpSink
from sqlalchemy import func, select

from engine.models import HumanTask
from handlers.conversations.models import Comment
from handlers.notifications.models import Notification
from handlers.people.models import User
from handlers.requirements.models import ServiceLevelRequirement

from . import sla_world
from .notify_world import address, deliver, give_addresses
from .sla_world import MANAGER, complete
from .support import client_login
from .test_sla_agreement_walk import browse as browse  # the fixture
from .test_sla_agreement_walk import nav, open_task
from .test_subjects_and_conversations import NONSENSE, _token


def test_a_clarification_is_mailed_to_the_managers_and_its_answer_to_the_customers(app, demo):
    give_addresses(app, demo)
    sla_world.build_catalogue(app)
    _, iid = sla_world.submit(app, demo, demo.users["Customer"], "Email for the depot",
                              wishes=sla_world.WISHES)  # "Happy users": clarify it with me
    sla_world.submit(app, demo, demo.users["Customer 2"], "Mail for Globex")  # nothing asked
    with app.extensions["slm"].sessions() as s:
        waiting = [t.element_id for t in s.scalars(select(HumanTask).where(
            HumanTask.instance_id == iid, HumanTask.status == "ready"))]
    assert waiting == ["clarify_wish"]  # the options wait for the answer
    complete(app, iid, "clarify_wish", MANAGER,
             {"answer": "We will ask your users every quarter and report the score."})

    with SmtpSink() as sink:
        sent = deliver(app, sink.url).sent
        sink.wait_for(sent)
        got, subjects = defaultdict(set), defaultdict(set)
        for rcpts, msg in sink.messages:
            got[msg["X-SLM-Kind"]].update(rcpts)
            subjects[msg["X-SLM-Kind"]].add(str(msg["Subject"]))
    assert got["clarification"] == {address("manager"), address("manager2")}
    assert any("Happy users" in s for s in subjects["clarification"]), subjects
    assert got["clarification_answered"] == {address("acme"), address("acme2")}
    assert any("Happy users" in s for s in subjects["clarification_answered"])
    told = got["clarification"] | got["clarification_answered"]
    for nobody in ("globex", "owner", "admin", "auditor"):
        assert address(nobody) not in told
    with app.extensions["slm"].sessions() as s:  # in the notification centre as well
        links = set(s.scalars(select(Notification.link).join(
            User, User.id == Notification.user_id).where(
            Notification.kind == "clarification_answered", User.username == "acme")))
    assert links == {f"/portal/requirements/{_slr_of(app, iid)}"}


def _slr_of(app, iid: int) -> int:
    with app.extensions["slm"].sessions() as s:
        return s.scalar(select(ServiceLevelRequirement.id).where(
            ServiceLevelRequirement.instance_id == iid))


def test_a_clarification_round_trip_in_the_browser(app, demo, browse, screenshot):
    options = sla_world.build_catalogue(app)
    carla, mia = demo.users["Customer"], demo.users["Service Level Manager"]

    # -- Carla: one wish she can measure, one she cannot ---------------------------------
    customer = browse(carla)
    customer.goto("/portal/requirements/new")
    customer.get_by_label("Title").fill("Email for the night shift")
    customer.get_by_label("Your need, in your own words").fill(
        "The night shift mails the depots; slow mail holds up the morning trucks.")
    customer.get_by_label("Wish 1 in your words").fill("Mail up all night")
    customer.get_by_label("Wish 1: what to measure").select_option("availability")
    customer.get_by_label("Wish 1: value").fill("99.5")
    customer.get_by_label("Wish 1: period").select_option("month")
    customer.get_by_label("Wish 2 in your words").fill("Mail feels fast at night")
    customer.get_by_label("Wish 2: value").fill("soon")  # typed, kept, not judged
    customer.get_by_label("Not sure: clarify it with me").nth(1).check()
    customer.get_by_role("button", name="Submit requirements").click()
    expect(customer.get_by_test_id("stage-label")).to_have_text("We are clarifying your wishes")
    wish = customer.get_by_test_id("flagged-wish")
    expect(wish).to_contain_text("Mail feels fast at night")
    expect(wish).to_contain_text("As typed: soon")
    expect(wish).to_contain_text("waiting for the answer")
    screenshot(customer, "clarification-1-customer-asks")

    # -- Mia: the task's subject is the wish; she answers and makes it measurable ---------
    manager = browse(mia)
    open_task(manager, "Clarify the customer's wish")
    subject = manager.get_by_test_id("subject")
    expect(subject.get_by_role("heading")).to_have_text("“Mail feels fast at night”")
    expect(subject).to_contain_text("Email for the night shift")
    expect(manager.get_by_test_id("wish-reason")).to_contain_text("you asked us to clarify")
    manager.get_by_label("Your answer to the customer").fill(
        "Fast means incidents at night are fixed within 4 hours.")
    manager.get_by_label("Measured as (optional)").select_option("incident_resolution")
    manager.get_by_label("Level").fill("4")
    manager.get_by_label("Per").select_option("month")
    screenshot(manager, "clarification-2-manager-answers")
    manager.get_by_role("button", name="Complete task").click()
    expect(manager.get_by_test_id("flashes")).to_contain_text("is done")
    expect(manager.get_by_test_id("clarification-answer")).to_contain_text("within 4 hours")

    # -- Carla sees the answer, in the thread too, and chooses with it counted ------------
    customer.reload()
    expect(customer.get_by_test_id("stage-label")).to_have_text("Choose a service level option")
    answer = customer.get_by_test_id("clarification-answer")
    expect(answer).to_contain_text("Fast means incidents at night are fixed within 4 hours.")
    expect(answer).to_contain_text("Now measured as Incident resolution time at most 4 hours")
    expect(customer.get_by_test_id("thread")).to_contain_text(
        "About your wish “Mail feels fast at night”: Fast means")
    expect(customer.get_by_test_id("measurable")).to_contain_text("clarified")
    screenshot(customer, "clarification-3-customer-reads-the-answer")
    customer.get_by_role("link", name="Compare the options and choose").click()
    gold = customer.locator(f'[data-key="{options["Gold"]}"]')
    expect(gold).to_contain_text("meets all your requirements")  # 99.9 % and 4 h
    expect(customer.locator(f'[data-key="{options["Silver"]}"]')).to_contain_text("short by")
    nav(customer, "My service")


@pytest.mark.parametrize("metric, comparator, threshold, field", NONSENSE)
def test_a_clarification_refuses_a_level_that_makes_no_sense(app, demo, metric, comparator,
                                                             threshold, field):
    """The clarification is an entry point for a target too: on the task page and through
    the API a nonsense level is a field error, and nothing is stored (the task waits, the
    wish has no answer, the conversation is empty)."""
    sla_world.build_catalogue(app)
    slr_id, iid = sla_world.submit(app, demo, demo.users["Customer"], "Email for the depot",
                                   wishes=sla_world.WISHES)
    task_id = sla_world.ready_task(app, iid, "clarify_wish")
    manager = app.test_client()
    token = client_login(manager, demo.users["Service Level Manager"])
    response = manager.post(f"/tasks/{task_id}", data={
        "csrf_token": token, "answer": "Measured as asked.", "metric": metric,
        "comparator": comparator, "value": str(threshold), "period": "month"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    form_field = "value" if field == "threshold" else "comparator"
    assert f'id="{form_field}-error"' in html or f'{form_field}-error' in html
    api = app.test_client().post(
        f"/api/v1/tasks/{task_id}/complete",
        headers={"Authorization": f"Bearer {_token(app, demo.users['Service Level Manager'])}"},
        json={"answer": "Measured as asked.", "metric": metric, "comparator": comparator,
              "value": threshold, "period": "month"})
    assert api.status_code == 422 and form_field in api.get_json()["errors"]
    with app.extensions["slm"].sessions() as s:
        assert s.get(HumanTask, task_id).status == "ready"
        slr = s.get(ServiceLevelRequirement, slr_id)
        assert not any(f.get("answer") for f in json.loads(slr.assessment)["flagged"])
        assert s.scalar(select(func.count()).select_from(Comment)) == 0
