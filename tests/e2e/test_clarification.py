"""Issue 10, item 5: wishes are never lost. A wish the customer cannot measure is ticked
"clarify it with me"; the service level manager answers it in a task whose subject is the
wish; the answer goes back to the customer (their requirement, its conversation, a
notification), and the options are matched afterwards, with the wish when it became
measurable."""
from __future__ import annotations

from collections import defaultdict

from playwright.sync_api import expect
from smtp_sink import SmtpSink
from sqlalchemy import select

from engine.models import HumanTask
from handlers.notifications.models import Notification
from handlers.people.models import User

from . import sla_world
from .notify_world import address, deliver, give_addresses
from .sla_world import MANAGER, complete
from .test_sla_agreement_walk import browse as browse  # the fixture
from .test_sla_agreement_walk import nav, open_task


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
    from handlers.requirements.models import ServiceLevelRequirement
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
