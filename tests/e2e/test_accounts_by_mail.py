"""Accounts by e-mail in the browser: invitation, password reset and the forced change,
with the mails read from a real SMTP server on loopback."""
from __future__ import annotations

import re
from datetime import timedelta

from smtp_sink import SmtpSink
from sqlalchemy import select

from engine.clock import utcnow
from handlers.people import account_links
from handlers.people.models import User

from .notify_world import address, deliver, give_addresses

LINK = re.compile(r"http://127\.0\.0\.1:5000(/account/[a-z]+/[A-Za-z0-9_-]+)")


def _link_in_mail(app, to: str) -> str:
    with SmtpSink() as sink:
        deliver(app, sink.url)
        sink.wait_for(1)
        [msg] = sink.to(to)
    text = msg.get_body(("plain",)).get_content()
    assert "unsubscribe" not in text  # account mails are not notifications
    return LINK.search(text).group(1)


def _sign_in(page, username: str, password: str):
    page.goto("/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_an_invitee_sets_their_password_once(app, page, demo, login, screenshot):
    login(page, demo.users["Admin"])
    page.goto("/admin/users")
    page.get_by_test_id("invite-link").click()
    page.get_by_label("Username").fill("nina")
    page.get_by_label("Full name").fill("Nina New")
    page.get_by_label("E-mail").fill("nina@example.test")
    page.get_by_label("Service Level Manager").check()
    page.get_by_role("button", name="Send the invitation").click()
    assert "is invited" in page.get_by_test_id("flashes").inner_text()
    page.get_by_role("button", name="Sign out").click()

    path = _link_in_mail(app, "nina@example.test")
    page.goto(path)
    page.get_by_label("New password").fill("nina's own password")
    page.get_by_label("Repeat the password").fill("nina's own password")
    screenshot(page, "accept-invitation")
    page.get_by_role("button", name="Set my password").click()
    assert "Your password is set" in page.get_by_test_id("flashes").inner_text()
    _sign_in(page, "nina", "nina's own password")
    page.get_by_test_id("who").wait_for(state="attached")
    assert "Nina New" in page.get_by_test_id("who").inner_text()
    page.get_by_role("button", name="Sign out").click()
    # the link worked once
    page.goto(path)
    assert "already used" in page.get_by_test_id("link-refused").inner_text()


def test_reset_by_mail_does_not_tell_whether_an_address_exists(app, page, demo, screenshot):
    give_addresses(app, demo)
    answers = []
    for email in (address("manager"), "nobody@example.test"):
        page.goto("/login")
        page.get_by_role("link", name="Forgot your password?").click()
        page.get_by_label("E-mail").fill(email)
        page.get_by_role("button", name="Send the link").click()
        answers.append(page.locator("main").inner_text())
    assert answers[0] == answers[1]
    assert "If this address belongs to an account" in answers[0]
    path = _link_in_mail(app, address("manager"))  # and nobody else got one
    page.goto(path)
    page.get_by_label("New password").fill("a brand new secret")
    page.get_by_label("Repeat the password").fill("a brand new secret")
    page.get_by_role("button", name="Set my password").click()
    _sign_in(page, "manager", "a brand new secret")
    page.get_by_test_id("who").wait_for(state="attached")
    page.goto(path)
    assert "already used" in page.get_by_test_id("link-refused").inner_text()


def test_an_expired_reset_link_is_refused_clearly(app, page, demo):
    give_addresses(app, demo)
    with app.extensions["slm"].sessions() as s:
        account_links.request_reset(s, address("owner"), now=utcnow() - timedelta(hours=3),
                                    lifetime=timedelta(hours=2))
        s.commit()
    path = _link_in_mail(app, address("owner"))
    page.goto(path)
    assert "expired" in page.get_by_test_id("link-refused").inner_text()
    assert page.get_by_test_id("set-password-form").count() == 0


def test_a_password_set_by_an_admin_must_be_changed_at_first_sign_in(
        app, page, demo, login, screenshot):
    manager = demo.users["Service Level Manager"]
    login(page, demo.users["Admin"])
    with app.extensions["slm"].sessions() as s:
        uid = s.scalar(select(User.id).where(User.username == manager.username))
    page.goto(f"/admin/users/{uid}")
    page.get_by_label("New password").fill("set by the admin 1")
    page.get_by_label("Repeat the password").fill("set by the admin 1")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Sign out").click()

    _sign_in(page, manager.username, "set by the admin 1")
    page.get_by_test_id("forced-change").wait_for()
    page.goto("/tasks")  # every page leads back to the change form
    page.get_by_test_id("forced-change").wait_for()
    screenshot(page, "forced-password-change")
    page.get_by_label("Current password").fill("set by the admin 1")
    page.locator("input[name=password]").fill("my own password 2")
    page.get_by_label("Repeat the new password").fill("my own password 2")
    page.get_by_role("button", name="Change password").click()
    assert "Your password is changed" in page.get_by_test_id("flashes").inner_text()
    page.goto("/tasks")
    assert page.get_by_test_id("forced-change").count() == 0
    assert "/tasks" in page.url
    page.get_by_role("button", name="Sign out").click()
    _sign_in(page, manager.username, "my own password 2")
    page.get_by_test_id("who").wait_for(state="attached")


def test_bad_invitations_and_organisation_edits_are_refused_and_store_nothing(
        app, client, demo):
    from .support import client_login

    token = client_login(client, demo.users["Admin"])
    page = client.post("/admin/invite", data={
        "csrf_token": token, "username": "x", "display_name": "", "email": "",
        "roles": "Customer"})
    assert page.status_code == 400
    assert b"an invitation needs an e-mail address" in page.data
    with app.extensions["slm"].sessions() as s:
        assert s.scalar(select(User).where(User.username == "x")) is None
    acme = demo.orgs["acme"]
    page = client.post(f"/admin/organisations/{acme}", data={
        "csrf_token": token, "name": "Globex Logistics", "kind": "provider"})
    assert page.status_code == 400
    assert b"exists already" in page.data and b"1 customer user belongs to it" in page.data
    page = client.post(f"/admin/organisations/{acme}", data={
        "csrf_token": token, "name": "Acme Retail Group", "kind": "customer"})
    assert page.status_code == 302
    assert "Acme Retail Group" in client.get("/admin/organisations").get_data(as_text=True)


def test_a_reset_link_sets_the_password_through_the_password_policy(app, demo):
    give_addresses(app, demo)
    now = utcnow()
    with app.extensions["slm"].sessions() as s:
        account_links.request_reset(s, address("owner").upper(), now=now)
        s.commit()
    path = _link_in_mail(app, address("owner"))
    token = path.rsplit("/", 1)[1]
    with app.extensions["slm"].sessions() as s:
        from handlers.errors import ValidationError

        try:
            account_links.redeem(s, "reset", token, "short", "short", now=now)
        except ValidationError as exc:
            assert "password" in exc.errors
        else:
            raise AssertionError("a too short password was accepted")
        s.rollback()
        # an invitation token is no reset token
        try:
            account_links.redeem(s, "invite", token, "long enough pw", "long enough pw",
                                 now=now)
        except account_links.LinkError as exc:
            assert "not valid" in str(exc)
        else:
            raise AssertionError("the reset token worked as an invitation")
