"""Administration pages: users (paginated), create/edit with roles and password, organisations."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from handlers import people
from handlers.models import Organisation, User

from .support import PASSWORD, DemoUser, client_login


def count(app, model) -> int:
    with app.extensions["slm"].sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


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
    assert "at least 10 characters" in page.locator("#password-error").inner_text()
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
        assert (user.display_name, user.roles) == (owner.display_name, "Process Owner")
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
                               password_hash=shared)
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
        people.create_user(session, "root", "Root", PASSWORD, ["Admin"])
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
