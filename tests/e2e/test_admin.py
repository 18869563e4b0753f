"""Administration pages: users (paginated), create/edit with roles and password, organisations."""
from __future__ import annotations

import json
import re

from click.testing import CliRunner
from sqlalchemy import func, select

from engine.audit import verify_chain
from engine.models import AuditEvent
from handlers.people import operations as people
from handlers.people.models import Organisation, User
from web.cli import main

from .support import PASSWORD, SETUP, DemoUser, client_login, seal_all


def count(app, model) -> int:
    with app.extensions["slm"].sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def audit_events(app, after_seq: int = 0) -> list[tuple[str, str, dict]]:
    """(actor, kind, data) of the audit events after ``after_seq``; the chain verifies."""
    seal_all(app.extensions["slm"].sessions)
    with app.extensions["slm"].sessions() as session:
        assert verify_chain(session).ok
        rows = session.scalars(select(AuditEvent).where(AuditEvent.seq > after_seq)
                               .order_by(AuditEvent.seq)).all()
        assert all(e.instance_id is None for e in rows)
        return [(e.actor, e.kind, json.loads(e.data)) for e in rows]


def last_seq(app) -> int:
    seal_all(app.extensions["slm"].sessions)
    with app.extensions["slm"].sessions() as session:
        return session.scalar(select(func.max(AuditEvent.seq))) or 0


def test_admin_creates_a_customer_in_the_browser(app, page, demo, login, screenshot):
    login(page, demo.users["Admin"])
    page.get_by_test_id("nav").get_by_role("link", name="Admin").click()
    page.get_by_role("link", name="New user").click()
    page.get_by_label("Username").fill("Bad Name")
    page.get_by_label("Full name").fill("Nora New")
    page.get_by_label("Customer").check()
    page.locator("#password").fill("short")
    page.get_by_label("Repeat the password").fill("short")
    page.get_by_role("button", name="Create user").click()
    page.get_by_test_id("form-errors").wait_for()
    screenshot(page, "admin-new-user-errors")
    # errors at their fields, typed values kept, nothing saved
    assert "lowercase letters" in page.locator("#username-error").inner_text()
    assert "customer organisation" in page.locator("#organisation-error").inner_text()
    assert "at least 12 characters" in page.locator("#password-error").inner_text()
    assert page.get_by_label("Full name").input_value() == "Nora New"
    assert page.get_by_label("Username").input_value() == "Bad Name"
    assert page.get_by_label("Customer").is_checked()
    assert count(app, User) == 6

    page.get_by_label("Username").fill("nora")
    page.get_by_label("Organisation").select_option(label="Globex Logistics (customer)")
    page.locator("#password").fill("nora's long password")
    page.get_by_label("Repeat the password").fill("nora's long password")
    page.get_by_role("button", name="Create user").click()
    page.wait_for_url(re.compile(r"/admin/users$"))
    assert "User nora created" in page.get_by_test_id("flashes").inner_text()
    assert "Globex Logistics" in page.get_by_test_id("users").inner_text()
    screenshot(page, "admin-users")

    page.get_by_role("button", name="Sign out").click()
    nora = DemoUser(0, "nora", "Nora New", frozenset({"Customer"}), "globex",
                    password="nora's long password")
    login(page, nora)
    assert "Globex Logistics" in page.get_by_test_id("who").inner_text()


def test_edit_user_changes_roles_and_resets_the_password(app, client, demo):
    token = client_login(client, demo.users["Admin"])
    manager = demo.users["Service Level Manager"]
    page = client.get(f"/admin/users/{manager.id}").data
    assert b'value="Service Level Manager" checked' in page
    response = client.post(f"/admin/users/{manager.id}", data={
        "csrf_token": token, "display_name": "Mia M.", "roles": ["Service Level Manager",
                                                                 "Process Owner"],
        "active": "on", "password": "a new long password",
        "password_confirm": "a new long password"})
    assert response.status_code == 302
    with app.extensions["slm"].sessions() as session:
        user = session.get(User, manager.id)
        assert user.display_name == "Mia M."
        assert user.role_set == {"Service Level Manager", "Process Owner"}
        assert people.verify_password(user.password_hash, "a new long password")


def test_admin_changes_are_on_the_audit_log_by_the_admin(app, client, demo):
    token = client_login(client, demo.users["Admin"])
    manager, start = demo.users["Service Level Manager"], last_seq(app)
    form = {"csrf_token": token, "display_name": "Mia M.", "roles": ["Service Level Manager"],
            "organisation": str(demo.orgs["it"]), "active": "on"}
    assert client.post(f"/admin/users/{manager.id}", data={
        **form, "roles": ["Process Owner", "Service Level Manager"], "organisation": "",
        "password": "a new long password",
        "password_confirm": "a new long password"}).status_code == 302
    assert client.post("/admin/users/new", data={
        **form, "username": "nils", "display_name": "Nils", "password": "nils long password",
        "password_confirm": "nils long password"}).status_code == 302
    assert client.post("/admin/organisations", data={
        "csrf_token": token, "key": "initech", "name": "Initech",
        "kind": "customer"}).status_code == 302
    # refused by the web form only (passwords differ): rolled back, no event
    assert client.post(f"/admin/users/{manager.id}", data={
        **form, "display_name": "Someone Else", "password": "one long password",
        "password_confirm": "another long one"}).status_code == 400
    events = audit_events(app, start)
    assert [(actor, kind) for actor, kind, _ in events] == [
        ("admin", "user_updated"), ("admin", "password_set"), ("admin", "user_created"),
        ("admin", "organisation_created")]
    assert events[0][2]["changes"] == {
        "display_name": {"old": "Mia Manager", "new": "Mia M."},
        "roles": {"old": ["Service Level Manager"],
                  "new": ["Process Owner", "Service Level Manager"]},
        "organisation": {"old": "it", "new": None}}
    assert events[2][2]["username"] == "nils" and events[3][2]["key"] == "initech"
    text = json.dumps(events)
    assert "long password" not in text and "argon2" not in text


def test_the_cli_records_users_and_passwords_as_cli(app, db_url, demo):
    def slm(*args):
        return CliRunner().invoke(main, ["users", *args], env={"SLM_DATABASE_URL": db_url})

    start = last_seq(app)
    created = slm("create", "olga", "--name", "Olga Ops", "--role", "Process Owner",
                  "--password", "olga long password")
    assert created.exit_code == 0, created.output
    assert slm("password", "olga", "--password", "olga new password",
               "--actor", "root@host").exit_code == 0
    assert slm("create", "olga", "--name", "Again", "--role", "Auditor",
               "--password", "olga long password").exit_code == 1  # taken: no event
    events = audit_events(app, start)
    assert [(actor, kind) for actor, kind, _ in events] == [
        ("cli", "user_created"), ("root@host", "password_set")]
    assert "olga long password" not in json.dumps(events)
    assert "olga new password" not in json.dumps(events)


def test_edit_user_errors_keep_the_values_and_save_nothing(app, client, demo):
    token = client_login(client, demo.users["Admin"])
    owner = demo.users["Process Owner"]
    response = client.post(f"/admin/users/{owner.id}", data={
        "csrf_token": token, "display_name": "Changed Name", "roles": ["Customer"],
        "active": "on", "password": "one long password", "password_confirm": "another one!"})
    assert response.status_code == 400
    html = response.data.decode()
    assert 'value="Changed Name"' in html
    assert "the two passwords differ" in html
    assert "a customer belongs to one customer organisation" in html
    with app.extensions["slm"].sessions() as session:
        user = session.get(User, owner.id)
        assert (user.display_name, user.role_set) == (owner.display_name, {"Process Owner"})
        assert people.verify_password(user.password_hash, PASSWORD)


def test_an_admin_cannot_lock_themselves_out(client, demo):
    admin = demo.users["Admin"]
    token = client_login(client, admin)
    response = client.post(f"/admin/users/{admin.id}", data={
        "csrf_token": token, "display_name": admin.display_name, "roles": ["Auditor"]})
    assert response.status_code == 400
    assert b"you cannot remove your own Admin role" in response.data
    assert b"you cannot deactivate yourself" in response.data


def test_unknown_user_is_404(client, demo):
    client_login(client, demo.users["Admin"])
    assert client.get("/admin/users/9999").status_code == 404


def test_users_list_is_paginated(app, client, demo):
    with app.extensions["slm"].sessions() as session:
        shared = people.hash_password(PASSWORD)
        for n in range(30):
            people.create_user(session, f"zz-user{n:02d}", f"User {n}", None, ["Auditor"],
                               password_hash=shared, **SETUP)
        session.commit()
    client_login(client, demo.users["Admin"])
    first = client.get("/admin/users").data.decode()
    # 6 demo users sort before "zz-": page 1 ends at zz-user18
    assert "36 users, page 1 of 2" in first and "zz-user18" in first and "zz-user19" not in first
    second = client.get("/admin/users?page=2").data.decode()
    assert "page 2 of 2" in second and "zz-user19" in second and "zz-user29" in second


def test_organisations_create_with_errors_at_fields(app, client, demo):
    token = client_login(client, demo.users["Admin"])
    response = client.post("/admin/organisations", data={
        "csrf_token": token, "key": "Bad Key", "name": "Initech", "kind": "customer"})
    assert response.status_code == 400
    html = response.data.decode()
    assert 'id="key-error"' in html and 'value="Initech"' in html
    assert count(app, Organisation) == 3
    response = client.post("/admin/organisations", data={
        "csrf_token": token, "key": "initech", "name": "Initech", "kind": "customer"})
    assert response.status_code == 302
    listing = client.get("/admin/organisations").data.decode()
    assert "Initech" in listing and "Organisation Initech created" in listing


def test_organisations_empty_state_explains_what_to_do(db_url):
    from .support import make_app

    app = make_app(db_url)
    with app.extensions["slm"].sessions() as session:
        people.create_user(session, "root", "Root", PASSWORD, ["Admin"], **SETUP)
        session.commit()
    client = app.test_client()
    client_login(client, DemoUser(0, "root", "Root", frozenset({"Admin"}), None))
    html = client.get("/admin/organisations").data.decode()
    assert 'data-testid="empty-state"' in html and "Create one customer organisation" in html
    app.extensions["slm"].db.dispose()


def test_auditors_read_the_lists_without_the_means_to_change(client, demo):
    token = client_login(client, demo.users["Auditor"])
    users = client.get("/admin/users").data.decode()
    assert "acme" in users and "New user" not in users and ">Edit<" not in users
    organisations = client.get("/admin/organisations").data.decode()
    assert "Globex Logistics" in organisations and "organisation-form" not in organisations
    assert client.get("/admin/users/new").status_code == 403
    assert client.post("/admin/organisations", data={"csrf_token": token, "key": "x-co",
                                                     "name": "X"}).status_code == 403
