"""Roles are data, in the product (issue 14): an admin adds a role, a process owner deploys a
diagram whose lane names it, and a person holding only that role works the task; instructions
are Markdown filled in from the task data. On SQLite and PostgreSQL; the acceptance test
drives Debian's Chromium."""
from __future__ import annotations

import re

import pytest
from lane_diagrams import lane_diagram
from sqlalchemy import select

from engine.clock import utcnow
from engine.models import HumanTask
from handlers.people import operations as people
from handlers.people import roles

from . import role_browser
from .support import PASSWORD, SETUP, DemoUser, client_login, csrf_token

INSTRUCTIONS = ("## Check {{ service }}\n\nCall **{{ contact }}** and note what they say.\n\n"
                "[Service catalogue](https://example.org/catalogue)")
DATA = {"service": "Mail", "contact": "<script>alert('x')</script>Kim"}


def _person(app, username: str, roles_held, org="it") -> DemoUser:
    with app.extensions["slm"].sessions() as s:
        user = people.create_user(s, username, username.title() + " Person", None, roles_held,
                                  org, password_hash=people.hash_password(PASSWORD), **SETUP)
        s.commit()
        return DemoUser(user.id, username, user.display_name, frozenset(roles_held), org)


def _start(app, data=DATA) -> int:
    services = app.extensions["slm"]
    with services.sessions() as s:
        iid = services.engine.start(s, "service_check", actor="owner", now=utcnow(), data=data)
        s.commit()
        return s.scalar(select(HumanTask.id).where(HumanTask.instance_id == iid))


def _deploy(app, xml: bytes) -> None:
    from engine.deploy import deploy
    services = app.extensions["slm"]
    with services.sessions() as s:
        deploy(s, xml, "service_check.bpmn", registry=services.engine.registry,
               known_lanes=roles.active_role_names(s), form_loader=lambda _n: None,
               actor="owner", now=utcnow())
        s.commit()


def test_a_person_of_an_added_role_works_its_tasks_and_no_one_else(app, client, demo):
    token = client_login(client, demo.users["Admin"])
    answer = client.post("/admin/roles", data={"csrf_token": token, "name": "Service Owner",
                                               "description": "Owns one service"})
    assert answer.status_code == 302
    again = client.post("/admin/roles", data={"csrf_token": token, "name": "service owner"})
    assert again.status_code == 400 and b"exists already" in again.data
    _deploy(app, lane_diagram("Service Owner", instructions="Hello {{ ''.__class__ }}"))
    sam = _person(app, "sam", ["Service Owner"])
    task_id = _start(app)
    client.post("/logout", data={"csrf_token": token})

    owner = app.test_client()
    client_login(owner, demo.users["Process Owner"])
    for view in ("unclaimed", "all"):
        assert f"/tasks/{task_id}".encode() not in owner.get(f"/tasks?view={view}").data
    assert owner.get(f"/tasks/{task_id}").status_code == 403

    token = client_login(client, sam)
    assert client.get("/catalogue/").status_code == 403  # access rules stay on built-in roles
    listing = client.get("/tasks")
    assert listing.status_code == 200 and f"/tasks/{task_id}".encode() in listing.data
    page = client.get(f"/tasks/{task_id}")
    assert page.status_code == 200  # a hostile template is a message, not an error page
    assert b"not allowed: access to attribute" in page.data
    done = client.post(f"/tasks/{task_id}", data={"csrf_token": csrf_token(page.data)})
    assert done.status_code == 302
    with app.extensions["slm"].sessions() as s:
        assert s.get(HumanTask, task_id).completed_by == "sam"


def test_a_role_in_use_cannot_be_retired_and_the_page_says_why(app, client, demo):
    token = client_login(client, demo.users["Admin"])
    client.post("/admin/roles", data={"csrf_token": token, "name": "Finance"})
    _deploy(app, lane_diagram("Finance"))
    with app.extensions["slm"].sessions() as s:
        finance = s.scalar(select(roles.Role).where(roles.Role.name == "Finance"))
        builtin = s.scalar(select(roles.Role).where(roles.Role.name == "Customer"))
    page = client.get("/admin/roles").data.decode()
    assert "in use: cannot be retired" in page and "service_check v1" in page
    answer = client.post(f"/admin/roles/{finance.id}/retire", data={"csrf_token": token},
                         follow_redirects=True)
    assert "Finance was not retired" in answer.data.decode()
    assert "deployed diagram versions (service_check v1)" in answer.data.decode()
    answer = client.post(f"/admin/roles/{builtin.id}/retire", data={"csrf_token": token},
                         follow_redirects=True)
    assert "Customer is a built-in role" in answer.data.decode()


def test_acceptance_an_added_role_from_the_admin_to_the_person_who_works_it(
        app, demo, browser, live_server, login, screenshot):
    """An admin creates "Service Owner" and gives it to a person who then holds only it; a
    process owner uploads a diagram with a "Service Owner" lane in the studio and deploys it;
    the person sees and completes the new task; others do not see it."""
    sophie = _person(app, "sophie", ["Process Owner"])

    def browse(user):
        return role_browser.browse(browser, live_server, login, user)

    role_browser.admin_makes_service_owner(browse(demo.users["Admin"]), sophie.id, screenshot)

    owner = browse(demo.users["Process Owner"])
    owner.goto("/diagrams/modeler")
    owner.locator("#modeler[data-state=ready]").wait_for()
    owner.locator("#upload").set_input_files(files=[{
        "name": "service_check.bpmn", "mimeType": "application/xml",
        "buffer": lane_diagram("Service Owner", instructions=INSTRUCTIONS)}])
    owner.get_by_test_id("status").get_by_text("Loaded service_check.bpmn").wait_for()
    owner.get_by_label("Change note").fill("A service owner checks each service")
    owner.get_by_role("button", name="Deploy").click()
    owner.get_by_role("navigation", name="breadcrumb").get_by_role(
        "link", name=re.compile("version 1")).wait_for()

    task_id = _start(app)
    person = browse(sophie)
    person.goto("/tasks")
    person.get_by_role("link", name="Check the service").first.click()
    instructions = person.get_by_test_id("instructions")
    instructions.get_by_role("heading", name="Check Mail").wait_for()
    assert instructions.locator("strong").inner_text() == "<script>alert('x')</script>Kim"
    assert instructions.locator("script").count() == 0
    screenshot(person, "task-of-an-added-role")
    person.get_by_role("button", name="Complete task").click()
    person.get_by_text("“Check the service” is done").wait_for()
    person.context.close()

    owner.goto("/tasks?view=unclaimed")
    assert owner.get_by_role("link", name="Check the service").count() == 0
    owner.context.close()
    with app.extensions["slm"].sessions() as s:
        task = s.get(HumanTask, task_id)
        assert (task.status, task.completed_by, task.lane) == ("completed", "sophie",
                                                               "Service Owner")


@pytest.mark.parametrize("owners, sees", [(["sam"], {"sam"}), (None, {"sam", "tia"})])
def test_lane_owners_show_the_task_to_the_named_people_only(app, client, demo, owners, sees):
    client_login(client, demo.users["Admin"])
    with app.extensions["slm"].sessions() as s:
        roles.create_role(s, "Service Owner", **SETUP)
        s.commit()
    _deploy(app, lane_diagram("Service Owner"))
    people_ = {name: _person(app, name, ["Service Owner"]) for name in ("sam", "tia")}
    data = {"lane_owners": {"Service Owner": owners}} if owners else {}
    task_id = _start(app, data)
    for name, user in people_.items():
        c = app.test_client()
        client_login(c, user)
        listed = f"/tasks/{task_id}".encode() in c.get("/tasks?view=unclaimed").data
        assert listed == (name in sees), name
        assert c.get(f"/tasks/{task_id}").status_code == (200 if name in sees else 403)


def test_the_api_gives_the_instructions_as_the_person_reads_them(app, demo):
    from .api_support import api_as
    with app.extensions["slm"].sessions() as s:
        roles.create_role(s, "Service Owner", "Owns one service", actor="admin", now=utcnow())
        s.commit()
    _deploy(app, lane_diagram("Service Owner", instructions=INSTRUCTIONS))
    sam = _person(app, "sam", ["Service Owner"])
    task_id = _start(app)
    body = api_as(app, sam).get(f"/api/v1/tasks/{task_id}").get_json()
    assert body["instructions"].startswith("## Check Mail\n")  # filled in from the data
    assert "<strong>&lt;script&gt;alert('x')&lt;/script&gt;Kim</strong>" in \
        body["instructions_html"]
    assert "<script>" not in body["instructions_html"] and body["instructions_problem"] is None
