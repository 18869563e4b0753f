"""The task list and task pages: forms rendered from the diagrams' JSON Schemas, server-side
validation with errors at their fields, claiming races, 10,000 open tasks, organisations kept
apart. In Chromium (screenshots in test-output/) and with the Flask test client.
"""
from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from engine.clock import utcnow
from engine.models import HumanTask, ProcessInstance
from handlers.agreements.models import ServiceLevelAgreement
from handlers.demo.seed import DEMO_PASSWORD, DEMO_USERS
from handlers.demo.seed import seed_demo as seed_slm_demo
from handlers.people import operations as people
from web.tasks.queries import TaskQuery, Viewer, list_tasks

from . import task_records
from .support import PASSWORD, SETUP, DemoUser, client_login, csrf_token

MANAGER_LANE = "Service Level Manager"


def task_row(app, task_id: int) -> HumanTask:
    with app.extensions["slm"].sessions() as session:
        task = session.get(HumanTask, task_id)
        session.expunge(task)
        return task


def revision(app, instance_id: int) -> int:
    with app.extensions["slm"].sessions() as session:
        return session.get(ProcessInstance, instance_id).revision


def add_user(app, username: str, role: str, org: str | None = None) -> DemoUser:
    with app.extensions["slm"].sessions() as session:
        user = people.create_user(session, username, username.title(), PASSWORD, [role], org,
                                  **SETUP)
        session.commit()
        return DemoUser(user.id, username, username.title(), frozenset({role}), org)


@pytest.fixture
def world(app, demo):
    """Open tasks on the real diagrams: the manager's priorities, the owner's plan, and a
    choice of option for each customer organisation."""
    return {
        "priorities": task_records.ready_task(
            app, task_records.start(app, "slm_process_management", "manager")),
        "plan": task_records.ready_task(
            app, task_records.start(app, "slm_process_definition", "owner")),
        "acme": task_records.ready_task(
            app, task_records.requirement(app, "acme", "acme", "Point of sale uptime")),
        "globex": task_records.ready_task(
            app, task_records.requirement(app, "globex", "globex", "Warehouse scanners")),
    }


@pytest.fixture
def slm_demo(app):
    """The product's demo data (handlers.demo.seed): SLAs to prioritise, customers' tasks."""
    services = app.extensions["slm"]
    with services.sessions() as session:
        seed_slm_demo(session, services.engine, utcnow())
        session.commit()
    users = {u[0]: DemoUser(0, u[0], u[1], frozenset({u[2]}), u[3], password=DEMO_PASSWORD)
             for u in DEMO_USERS}
    with services.sessions() as session:
        task_id = session.scalar(select(HumanTask.id).where(
            HumanTask.name == "Set service level priorities", HumanTask.status == "ready"))
    return users, task_id


# -- in the browser --------------------------------------------------------------------------
def test_invalid_form_shows_each_error_at_its_field_and_saves_nothing(
        app, page, slm_demo, login, screenshot):
    users, task_id = slm_demo
    task = task_row(app, task_id)
    before = revision(app, task.instance_id)
    login(page, users["manager"])
    page.get_by_test_id("nav").get_by_role("link", name="Tasks").click()
    page.get_by_role("link", name="Set service level priorities").click()
    page.get_by_test_id("diagram").and_(page.locator("[data-state=ready]")).wait_for()
    marked = page.locator('[data-element-id="set_priorities_task"].slm-current-task')
    assert marked.count() == 1, "the current task is marked in the diagram"

    # row 1 loses its SLA (required), row 2 gets a priority out of bounds (1..5)
    first_sla = page.get_by_label("SLA, row 1").input_value()
    second_sla = page.get_by_label("SLA, row 2").input_value()
    # the priority proposed for row 1 (the decision table's, for a breached SLA)
    first_priority = page.get_by_label("Priority, row 1").input_value()
    page.get_by_label("SLA, row 1").select_option("")
    page.get_by_label("Priority, row 2").fill("9")
    page.get_by_role("button", name="Complete task").click()
    page.get_by_test_id("form-errors").wait_for()
    screenshot(page, "task-form-errors")

    assert page.locator("#f-priorities-0-sla_reference-error").inner_text() == \
        "This field is required."
    assert page.locator("#f-priorities-1-priority-error").inner_text() == "At most 5."
    assert page.get_by_label("Priority, row 2").input_value() == "9"
    assert page.get_by_label("Priority, row 1").input_value() == first_priority
    assert page.get_by_label("SLA, row 2").input_value() == second_sla
    assert page.locator(".is-invalid").count() == 2
    after = task_row(app, task_id)
    assert (after.status, after.assignee) == ("ready", None)
    assert revision(app, task.instance_id) == before

    page.get_by_label("SLA, row 1").select_option(first_sla)
    page.get_by_label("Priority, row 1").fill("1")
    page.get_by_label("Priority, row 2").fill("5")
    page.get_by_role("button", name="Complete task").click()
    page.wait_for_url(re.compile(r"/management$"))  # back to the task's subject
    flashes = page.get_by_test_id("flashes").inner_text()
    assert "is done (you claimed it on completing)" in flashes
    assert task_row(app, task_id).status == "completed"
    with app.extensions["slm"].sessions() as session:
        priorities = dict(session.execute(select(ServiceLevelAgreement.reference,
                                                 ServiceLevelAgreement.priority)).all())
    assert priorities[first_sla] == 1 and priorities[second_sla] == 5


def test_two_people_claim_the_same_task_one_is_told_it_was_taken(
        app, browser, live_server, demo, world, login, screenshot):
    other = add_user(app, "max.manager", MANAGER_LANE)
    contexts = [browser.new_context(base_url=live_server.url) for _ in range(2)]
    try:
        first, second = (c.new_page() for c in contexts)
        for page, user in ((first, demo.users[MANAGER_LANE]), (second, other)):
            login(page, user)
            page.goto("/tasks?view=unclaimed")
        row = f'[data-testid=task-row][data-task-id="{world["priorities"]}"]'
        first.locator(row).get_by_role("button", name="Claim").click()
        first.wait_for_url(re.compile(rf"/tasks/{world['priorities']}$"))
        assert "You claimed" in first.get_by_test_id("flashes").inner_text()

        second.locator(row).get_by_role("button", name="Claim").click()  # a stale list
        second.get_by_test_id("flashes").wait_for()
        screenshot(second, "task-claim-taken")
        assert "was already claimed by Mia Manager" in second.get_by_test_id("flashes").inner_text()
        assert re.search(r"/tasks\?view=unclaimed$", second.url)
        assert second.locator(row).count() == 0
        assert task_row(app, world["priorities"]).assignee == "manager"
    finally:
        for context in contexts:
            context.close()


def test_ten_thousand_open_tasks_first_page_and_pagination(app, page, demo, login, screenshot):
    task_records.bulk_open_tasks(app, 10_000)
    login(page, demo.users[MANAGER_LANE])
    started = time.perf_counter()
    page.goto("/tasks?view=unclaimed")
    seconds = time.perf_counter() - started
    rows, count = page.get_by_test_id("task-row"), page.get_by_test_id("task-count")
    expect(rows).to_have_count(25)
    expect(count).to_have_text("1–25 of 1,000+ tasks")  # counting stops at 1,000
    assert seconds < 5, f"the first page took {seconds:.1f} s"
    expect(page.locator("tr.slm-overdue-row")).to_have_count(25)  # most overdue first
    screenshot(page, "task-list-10000")

    first_ids = rows.evaluate_all("rs => rs.map(r => r.dataset.taskId)")
    page.get_by_role("link", name="Next").click()
    expect(count).to_have_text("26–50 of 1,000+ tasks")
    assert not set(first_ids) & set(rows.evaluate_all("rs => rs.map(r => r.dataset.taskId)"))
    page.get_by_label("Per page").select_option("50")
    page.get_by_role("button", name="Filter").click()
    expect(count).to_have_text("1–50 of 1,000+ tasks")
    expect(rows).to_have_count(50)
    page.get_by_role("link", name="20", exact=True).click()
    expect(count).to_have_text("951–1,000 of 1,000+ tasks")
    page.get_by_role("link", name="Next").click()  # past the count, the list goes on
    expect(count).to_have_text("1,001–1,050 of 1,050+ tasks")
    page.goto("/tasks?view=unclaimed&per_page=50&page=200")
    expect(count).to_have_text("9,951–10,000 of 10,000 tasks")
    expect(page.locator(".page-item", has_text="Next")).to_have_class(re.compile("disabled"))
    page.get_by_label("Overdue only").check()
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(re.compile(r"overdue=1"))
    expect(rows).to_have_count(50)
    expect(page.locator("tr.slm-overdue-row")).to_have_count(50)


def test_a_customer_cannot_open_another_organisations_task(app, page, demo, world, login,
                                                            screenshot):
    login(page, demo.users["Customer"])  # Acme
    page.goto("/tasks")
    listed = page.get_by_test_id("task-row").evaluate_all("rs => rs.map(r => r.dataset.taskId)")
    assert listed == [str(world["acme"])]
    for url in (f"/tasks/{world['globex']}", f"/tasks/{world['globex']}/diagram",
                f"/tasks/{world['priorities']}"):
        response = page.goto(url)
        assert response.status == 404, url
    screenshot(page, "task-other-organisation")
    assert page.get_by_test_id("error").get_attribute("data-code") == "404"
    response = page.goto(f"/tasks/{world['acme']}")
    assert response.status == 200
    assert page.get_by_test_id("context").get_by_text("Acme Retail Ltd").count() == 1


# -- with the test client --------------------------------------------------------------------
def test_a_customer_chooses_an_option_and_the_process_moves_on(app, client, demo, world):
    token = client_login(client, demo.users["Customer"])
    page = client.get(f"/tasks/{world['acme']}").text
    assert 'name="option_key"' in page and "Customer-specific" in page
    assert 'data-testid="options"' in page  # the ranked options to compare
    response = client.post(f"/tasks/{world['acme']}", data={
        "csrf_token": token, "option_key": "custom", "comment": "Please design it",
        "unexpected": "ignored"})
    assert response.status_code == 302
    done = task_row(app, world["acme"])
    assert (done.status, done.completed_by) == ("completed", "acme")
    with app.extensions["slm"].sessions() as session:
        assert session.scalar(select(HumanTask.name).where(
            HumanTask.instance_id == done.instance_id, HumanTask.status == "ready")) is not None


def test_completed_by_someone_else_meanwhile_is_a_plain_409(app, client, demo, world):
    other = add_user(app, "olga.owner", "Process Owner")
    token = client_login(client, demo.users["Process Owner"])
    assert client.get(f"/tasks/{world['plan']}").status_code == 200
    second = app.test_client()
    second_token = client_login(second, other)
    answer = {"default_review_cycle": "P3M", "objectives": "Agreed levels, kept"}
    assert second.post(f"/tasks/{world['plan']}",
                       data={"csrf_token": second_token, **answer}).status_code == 302
    response = client.post(f"/tasks/{world['plan']}", data={"csrf_token": token, **answer})
    assert response.status_code == 409
    assert "was already completed by Olga.Owner" in response.text
    assert task_row(app, world["plan"]).completed_by == "olga.owner"


def test_completing_a_task_leads_to_my_next_task_of_the_instance(app, client, world):
    with app.extensions["slm"].sessions() as session:
        people.create_user(session, "pat", "Pat Both", PASSWORD,
                           ["Process Owner", MANAGER_LANE], **SETUP)
        session.commit()
    both = DemoUser(0, "pat", "Pat Both", frozenset({"Process Owner", MANAGER_LANE}), None)
    token = client_login(client, both)
    response = client.post(f"/tasks/{world['plan']}", data={
        "csrf_token": token, "default_review_cycle": "P1M", "objectives": "Levels kept"})
    follow = task_records.ready_task(app, task_row(app, world["plan"]).instance_id)
    assert response.headers["Location"] == f"/tasks/{follow}"
    page = client.get(response.headers["Location"]).text
    assert "Next in this process for you" in page and "Maintain the service catalogue" in page


def test_a_manager_assigns_to_someone_with_the_role_and_unclaims(app, client, demo, world):
    token = client_login(client, demo.users[MANAGER_LANE])
    page = client.get(f"/tasks/{world['plan']}").text
    assert '<option value="owner">Otto Owner</option>' in page
    assert 'value="acme"' not in page  # only people holding the task's role
    refused = client.post(f"/tasks/{world['plan']}/assign",
                          data={"csrf_token": token, "assignee": "acme"})
    assert refused.status_code == 400
    assert 'id="assignee-error"' in refused.text and task_row(app, world["plan"]).assignee is None

    assert client.post(f"/tasks/{world['plan']}/assign",
                       data={"csrf_token": token, "assignee": "owner"}).status_code == 302
    assert task_row(app, world["plan"]).assignee == "owner"
    owner = app.test_client()
    client_login(owner, demo.users["Process Owner"])
    mine = owner.get("/tasks").text  # "My tasks" first when there are some
    assert f'data-task-id="{world["plan"]}"' in mine
    assert re.search(r'nav-link active" aria-current="page"\s+href="/tasks\?view=mine"', mine)

    back = client.post(f"/tasks/{world['plan']}/unclaim",
                       data={"csrf_token": token, "next": "https://evil.example/"})
    assert back.status_code == 302 and back.headers["Location"] == "/tasks"
    assert task_row(app, world["plan"]).assignee is None


def test_a_page_past_the_end_goes_back_to_the_first(app, client, demo, world):
    client_login(client, demo.users[MANAGER_LANE])
    response = client.get("/tasks?view=unclaimed&page=99&per_page=50")
    assert response.status_code == 302
    assert response.headers["Location"] == "/tasks?view=unclaimed&per_page=50"


def test_an_auditor_reads_every_task_and_changes_nothing(app, client, demo, world):
    client_login(client, demo.users["Auditor"])
    listed = client.get("/tasks").text
    assert all(f'data-task-id="{world[k]}"' in listed for k in world)
    assert ">Claim<" not in listed
    page = client.get(f"/tasks/{world['plan']}").text
    assert "<fieldset disabled>" in page and "Complete task" not in page
    token = csrf_token(page)
    assert client.post(f"/tasks/{world['plan']}/claim",
                       data={"csrf_token": token}).status_code == 403


# -- the list's order and filters (the read model itself) --------------------------------------
def test_list_order_due_first_undated_last_merged_over_lanes(app, demo):
    task_records.bulk_open_tasks(app, 30, lane="Process Owner", start=0)
    task_records.bulk_open_tasks(app, 30, lane=MANAGER_LANE, start=30)
    now = utcnow()
    with app.extensions["slm"].sessions() as session:
        session.execute(HumanTask.__table__.update().where(
            HumanTask.name.in_(["Bulk task 3", "Bulk task 40"])).values(due_at=None))
        session.commit()
        both = Viewer("x", frozenset({"Process Owner", MANAGER_LANE}))
        pages = [list_tasks(session, both, TaskQuery(page=n), now) for n in (1, 2, 3)]
        rows = [r for p in pages for r in p.rows]
        assert [len(p.rows) for p in pages] == [25, 25, 10] and pages[0].total == 60
        assert (pages[0].has_next, pages[2].has_next) == (True, False)
        dated = [r.due_at for r in rows[:-2]]
        assert dated == sorted(dated) and None not in dated
        assert [r.name for r in rows[-2:]] == ["Bulk task 3", "Bulk task 40"]
        assert {r.lane for r in rows} == {"Process Owner", MANAGER_LANE}

        manager = Viewer("x", frozenset({MANAGER_LANE}))
        found = list_tasks(session, manager, TaskQuery(search="task 4"), now)
        assert sorted(r.name for r in found.rows) == [f"Bulk task {n}" for n in range(40, 50)]
        overdue = list_tasks(session, manager, TaskQuery(overdue=True), now)
        assert overdue.rows and all(r.due_at < now for r in overdue.rows)
        assert list_tasks(session, manager, TaskQuery(role="Process Owner"), now).rows == []
        assert list_tasks(session, manager, TaskQuery(process="nothing"), now).total == 0
        customer = Viewer("acme", frozenset({"Customer"}), organisation="acme")
        assert list_tasks(session, customer, TaskQuery(), now).total == 0
        later = list_tasks(session, manager, TaskQuery(overdue=True), now - timedelta(days=30))
        assert later.total == 0
