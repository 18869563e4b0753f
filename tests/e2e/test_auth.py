"""Signing in and out, sessions, CSRF, the /api/ rules, error pages and security headers."""
from __future__ import annotations

import re

import pytest
from flask import jsonify
from sqlalchemy import select

from engine.errors import ConflictError, NotFoundError, PermissionDeniedError
from handlers.errors import ValidationError
from handlers.people import operations as people
from handlers.people.models import User
from web.auth.access import ALL_ROLES, roles_required, undeclared_views

from .support import SETUP, client_login, csrf_token


# -- in the browser ----------------------------------------------------------------------------
def test_login_and_logout_in_the_browser(page, demo, login, screenshot):
    customer = demo.users["Customer"]
    login(page, customer)
    who = page.get_by_test_id("who")
    assert customer.display_name in who.inner_text()
    assert "Acme Retail Ltd" in who.inner_text()  # a customer sees their organisation
    assert "Welcome" in page.get_by_test_id("flashes").inner_text()
    screenshot(page, "login-customer-start-page")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login$"))
    assert "signed out" in page.get_by_test_id("flashes").inner_text()
    page.goto("/")
    assert "/login" in page.url  # the session is gone


def test_wrong_password_shows_an_error(page, demo, screenshot):
    page.goto("/login")
    page.get_by_label("Username").fill(demo.users["Admin"].username)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    error = page.get_by_test_id("login-error")
    error.wait_for()
    assert "Wrong username or password" in error.inner_text()
    assert page.get_by_label("Username").input_value() == demo.users["Admin"].username
    assert page.get_by_label("Password").input_value() == ""
    screenshot(page, "login-wrong-password")
    page.goto("/")
    assert "/login" in page.url


def test_a_deep_link_survives_the_login(page, demo, login):
    page.goto("/admin/organisations")
    assert "/login?next=" in page.url
    login(page, demo.users["Admin"], goto=False)
    assert page.url.endswith("/admin/organisations")


def test_the_nav_follows_the_role_and_bootstrap_is_served(page, demo, login):
    login(page, demo.users["Admin"])
    assert "Admin" in page.get_by_test_id("nav").inner_text()
    # Bootstrap from node_modules (make install) styles the primary button
    colour = page.eval_on_selector("button.btn-outline-secondary",
                                   "b => getComputedStyle(b).borderTopStyle")
    assert colour == "solid", "Bootstrap CSS not loaded: run `make install` (npm ci)"
    page.get_by_role("button", name="Sign out").click()
    login(page, demo.users["Service Level Manager"])
    assert "Admin" not in page.get_by_test_id("nav").inner_text()


def test_the_layout_is_responsive(page, demo, login, screenshot):
    page.set_viewport_size({"width": 390, "height": 800})
    login(page, demo.users["Admin"])
    toggler = page.locator(".navbar-toggler")
    assert toggler.is_visible()
    assert not page.get_by_role("button", name="Sign out").is_visible()
    toggler.click()
    page.get_by_role("button", name="Sign out").wait_for(state="visible")
    page.wait_for_selector("#main-nav.show:not(.collapsing)")
    screenshot(page, "layout-phone-menu-open")


# -- with the Flask test client ----------------------------------------------------------------
def test_post_without_csrf_token_is_refused(client, demo):
    response = client.post("/login", data={"username": "admin", "password": "x" * 12})
    assert response.status_code == 400
    assert b"expired or was not sent from this site" in response.data
    client_login(client, demo.users["Admin"])
    response = client.post("/admin/organisations", data={"key": "x-co", "name": "X Co"})
    assert response.status_code == 400
    assert b"X Co" not in client.get("/admin/organisations").data  # nothing saved


def test_post_with_a_forged_csrf_token_is_refused(client, demo):
    client_login(client, demo.users["Admin"])
    response = client.post("/admin/organisations",
                           data={"key": "x-co", "name": "X Co", "csrf_token": "forged"})
    assert response.status_code == 400


def test_session_cookie_is_httponly_and_samesite_lax(client, demo):
    token = csrf_token(client.get("/login").data)
    response = client.post("/login", data={"csrf_token": token, "username": "admin",
                                           "password": demo.users["Admin"].password})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_login_refuses_an_open_redirect(client, demo):
    token = csrf_token(client.get("/login").data)
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        client.get("/login")
        response = client.post("/login", data={"csrf_token": token, "username": "admin",
                                               "password": demo.users["Admin"].password,
                                               "next": target})
        assert response.headers["Location"] == "/", target
        client.post("/logout", data={"csrf_token": csrf_token(client.get("/").data)})
        token = csrf_token(client.get("/login").data)


def test_a_new_password_ends_other_sessions(app, client, demo):
    client_login(client, demo.users["Customer"])
    assert client.get("/tasks").status_code == 200
    with app.extensions["slm"].sessions() as session:
        people.set_password(session, demo.users["Customer"].id, "a changed password",
                            **SETUP)
        session.commit()
    response = client.get("/tasks")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_disabled_user_is_signed_out(app, client, demo):
    client_login(client, demo.users["Process Owner"])
    with app.extensions["slm"].sessions() as session:
        session.get(User, demo.users["Process Owner"].id).active = False
        session.commit()
    assert client.get("/").status_code == 302
    token = csrf_token(client.get("/login").data)
    response = client.post("/login", data={"csrf_token": token, "username": "owner",
                                           "password": demo.users["Process Owner"].password})
    assert response.status_code == 401


def test_security_headers(client, demo):
    response = client.get("/login")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path, code", [
    ("/vendor/bootstrap/css/bootstrap.min.css", 200),
    ("/vendor/bootstrap/js/bootstrap.bundle.min.js", 200),
    ("/vendor/bootstrap/../package.json", 404),
    ("/vendor/bootstrap/%2e%2e/package.json", 404),
    ("/vendor/@popperjs/core/package.json", 404),
    ("/vendor/.bin/anything", 404),
])
def test_vendor_serves_only_allowed_packages(client, path, code):
    with client.get(path) as response:
        assert response.status_code == code, "missing? run `make install` (npm ci)"


# -- the /api/ prefix ----------------------------------------------------------------------------
@pytest.fixture
def api_app(app, demo):
    """The app with a token-authenticated /api/ping route (as the JSON API will have)."""

    @roles_required(*ALL_ROLES)
    def ping():
        from flask_login import current_user

        return jsonify(user=current_user.username)

    app.add_url_rule("/api/ping", "api.ping", ping, methods=["GET", "POST"])

    def by_token(request):
        if request.headers.get("Authorization") != "Bearer test-token":
            return None
        with app.extensions["slm"].sessions() as session:
            return session.scalar(select(User).where(User.username == "manager"))

    app.extensions["slm_api_auth"] = by_token
    return app


def test_api_is_token_authenticated_and_csrf_exempt(api_app, demo):
    client = api_app.test_client()
    response = client.post("/api/ping", headers={"Authorization": "Bearer test-token"})
    assert response.status_code == 200 and response.json == {"user": "manager"}
    anonymous = client.post("/api/ping")
    assert anonymous.status_code == 401 and anonymous.json["error"]


def test_api_ignores_the_session_cookie(api_app, demo):
    client = api_app.test_client()
    client_login(client, demo.users["Admin"])
    assert client.get("/").status_code == 200
    response = client.post("/api/ping")  # signed in by cookie, no CSRF token: not accepted
    assert response.status_code == 401


# -- deny by default and error pages -------------------------------------------------------------
def test_a_view_without_a_role_declaration_is_found(app):
    app.add_url_rule("/forgotten", "forgotten", lambda: "oops")
    assert undeclared_views(app) == ["forgotten"]


@pytest.fixture
def raising_app(app, demo):
    errors = {
        "conflict": ConflictError("task 7 was claimed by mia first"),
        "missing": NotFoundError("instance 9 does not exist"),
        "denied": PermissionDeniedError("task 7 is for the role 'Customer'"),
        "invalid": ValidationError({"threshold": ["a number is required"]}),
        "crash": RuntimeError("bug"),
    }
    for name, exc in errors.items():
        def view(exc=exc):
            raise exc
        app.add_url_rule(f"/raise/{name}", f"raise_{name}",
                         roles_required(*ALL_ROLES)(view))
    return app


@pytest.mark.parametrize("name, code, text", [
    ("conflict", 409, b"task 7 was claimed by mia first"),
    ("missing", 404, b"instance 9 does not exist"),
    ("denied", 403, b"for the role"),
    ("invalid", 400, b"a number is required"),
    ("crash", 500, b"Something went wrong on our side"),
])
def test_domain_errors_become_friendly_pages(raising_app, demo, name, code, text):
    client = raising_app.test_client()
    client_login(client, demo.users["Service Level Manager"])
    response = client.get(f"/raise/{name}")
    assert response.status_code == code
    assert text in response.data
    assert b'data-testid="who"' in response.data  # inside the layout, with the nav
    assert b"Traceback" not in response.data


def test_unknown_page_is_a_friendly_404(client, demo):
    client_login(client, demo.users["Customer"])
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert b"There is nothing at this address" in response.data


def test_auditor_refusal_explains_itself(client, demo):
    token = client_login(client, demo.users["Auditor"])
    response = client.post("/admin/organisations", data={"csrf_token": token})
    assert response.status_code == 403
    assert b"Auditors read everything and change nothing" in response.data
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
