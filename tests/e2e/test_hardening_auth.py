"""Issue 12: sign-in throttling, sessions that really end, expiring tokens, the password
policy and the one check of ``next`` targets (SQLite and PostgreSQL where a database is used).
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from limits import parse_many
from sqlalchemy import select, update

from engine.clock import utcnow
from handlers.people import operations as people
from handlers.people import tokens as api_tokens
from handlers.people.models import ApiToken, UserSession
from handlers.people.passwords import password_problems
from web.auth.throttle import ACCOUNT_LIMITS, limiter
from web.links import is_safe_target

from . import task_records
from .support import SETUP, client_login, csrf_token, make_app, seed_demo


def _login(client, username: str, password: str):
    token = csrf_token(client.get("/login").data)
    return client.post("/login", data={"csrf_token": token, "username": username,
                                       "password": password})


# -- throttling -------------------------------------------------------------------------------
def test_wrong_passwords_lock_the_account_even_for_the_right_one(app, demo, client):
    admin = demo.users["Admin"]
    for _ in range(5):
        assert _login(client, "admin", "wrong password!").status_code == 401
    locked = _login(client, "admin", admin.password)
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not signed in
    # another account from the same address is not locked by this one (per-account key)
    assert _login(app.test_client(), "owner", demo.users["Process Owner"].password
                  ).status_code == 302


def test_the_lock_message_does_not_tell_whether_the_account_exists(app, demo):
    answers = {}
    for username in ("owner", "nobody-here"):
        client = app.test_client()
        for _ in range(5):
            assert _login(client, username, "wrong password!").status_code == 401
        page = _login(client, username, "wrong password!")
        assert page.status_code == 429
        answers[username] = re.findall(r'role="alert"[^>]*>([^<]*)<',
                                       page.get_data(as_text=True))
    assert answers["owner"] == answers["nobody-here"]
    assert "Too many failed sign-ins" in answers["owner"][0]


def test_failures_from_one_address_are_limited_across_usernames(db_url):
    app = make_app(db_url, SLM_LOGIN_ADDRESS_LIMITS="3 per minute")
    demo = seed_demo(app)
    client = app.test_client()
    for name in ("a-one", "a-two", "a-three"):
        assert _login(client, name, "wrong password!").status_code == 401
    assert _login(client, "owner", demo.users["Process Owner"].password).status_code == 429
    app.extensions["slm"].db.dispose()


def test_successful_sign_ins_do_not_count(app, demo):
    for _ in range(8):
        client = app.test_client()
        assert _login(client, "admin", demo.users["Admin"].password).status_code == 302


def test_the_default_limits_grow_from_a_short_wait_to_a_lock():
    limits = parse_many(ACCOUNT_LIMITS)
    windows = [lim.get_expiry() for lim in limits]
    amounts = [lim.amount for lim in limits]
    assert windows == sorted(windows) and windows[0] == 60 and windows[-1] == 3600
    assert amounts == sorted(amounts) and len(set(amounts)) == len(amounts)


def test_redis_is_used_when_configured(monkeypatch, db_url):
    from limits.storage import MemoryStorage, RedisStorage

    app = make_app(db_url)
    assert isinstance(limiter.storage, MemoryStorage)  # the embedded default
    monkeypatch.setenv("SLM_RATELIMIT_STORAGE_URL", "redis://127.0.0.1:6390/0")
    redis_app = make_app(db_url)
    assert isinstance(limiter.storage, RedisStorage)
    for a in (app, redis_app):
        a.extensions["slm"].db.dispose()


# -- sessions ---------------------------------------------------------------------------------
def _copy_cookie(source, target) -> None:
    target.set_cookie("session", source.get_cookie("session").value)


def test_signing_out_ends_the_session_for_a_copied_cookie_too(app, demo):
    browser, thief = app.test_client(), app.test_client()
    token = client_login(browser, demo.users["Service Level Manager"])
    _copy_cookie(browser, thief)
    assert thief.get("/tasks").status_code == 200
    assert browser.post("/logout", data={"csrf_token": token}).status_code == 302
    assert thief.get("/tasks").status_code == 302  # to the login page
    # nor can the copied cookie create an API token
    assert thief.post("/account/tokens", data={"csrf_token": token, "name": "x"}
                      ).status_code in (302, 400)
    with app.extensions["slm"].sessions() as s:
        assert s.scalars(select(ApiToken)).all() == []


def test_signing_out_ends_every_session_of_that_person(app, demo):
    manager = demo.users["Service Level Manager"]
    laptop, phone = app.test_client(), app.test_client()
    token = client_login(laptop, manager)
    client_login(phone, manager)
    other = app.test_client()
    client_login(other, demo.users["Process Owner"])
    assert phone.get("/tasks").status_code == 200
    assert laptop.post("/logout", data={"csrf_token": token}).status_code == 302
    assert phone.get("/tasks").status_code == 302  # signed out there too
    assert other.get("/").status_code == 200  # another person's session is untouched


def test_a_new_password_ends_every_session_and_revokes_every_token(app, demo):
    manager = demo.users["Service Level Manager"]
    one, two = app.test_client(), app.test_client()
    client_login(one, manager)
    client_login(two, manager)
    with app.extensions["slm"].sessions() as s:
        _, token = api_tokens.create_token(s, people.get_user(s, manager.id), "job", utcnow(),
                                           actor="test")
        s.commit()
    bearer = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 200
    with app.extensions["slm"].sessions() as s:
        people.set_password(s, manager.id, "a brand new long password", **SETUP)
        s.commit()
    assert one.get("/tasks").status_code == 302 and two.get("/tasks").status_code == 302
    assert app.test_client().get("/api/v1/me", headers=bearer).status_code == 401


def test_deactivation_ends_every_session(app, demo):
    customer, admin = demo.users["Customer"], demo.users["Admin"]
    client = app.test_client()
    client_login(client, customer)
    assert client.get("/portal").status_code == 200
    with app.extensions["slm"].sessions() as s:
        user = people.get_user(s, customer.id)
        people.update_user(s, customer.id, user.display_name, ["Customer"], "acme",
                           active=False, acting_user_id=admin.id, **SETUP)
        s.commit()
        assert s.scalars(select(UserSession).where(UserSession.user_id == customer.id,
                                                   UserSession.ended_at.is_(None))).all() == []
    assert client.get("/portal").status_code == 302


def test_an_idle_session_expires(app, demo):
    client = app.test_client()
    client_login(client, demo.users["Auditor"])
    assert client.get("/tasks").status_code == 200
    idle = timedelta(minutes=app.config["SLM_SESSION_IDLE_MINUTES"])
    with app.extensions["slm"].sessions() as s:
        s.execute(update(UserSession).values(last_seen_at=utcnow() - idle - timedelta(minutes=1)))
        s.commit()
    assert client.get("/tasks").status_code == 302
    with app.extensions["slm"].sessions() as s:
        assert s.scalar(select(UserSession.ended_at)) is not None


def test_a_person_sees_and_ends_their_other_sessions(app, demo):
    owner = demo.users["Process Owner"]
    laptop, phone, tablet = app.test_client(), app.test_client(), app.test_client()
    token = client_login(laptop, owner)
    client_login(phone, owner)
    client_login(tablet, owner)
    page = laptop.get("/account/sessions").get_data(as_text=True)
    assert page.count("data-session-id=") == 3 and "this browser" in page
    with app.extensions["slm"].sessions() as s:
        phone_id = max(s.scalars(select(UserSession.id)).all()) - 1
    assert laptop.post(f"/account/sessions/{phone_id}/end",
                       data={"csrf_token": token}).status_code == 302
    assert phone.get("/tasks").status_code == 302 and tablet.get("/tasks").status_code == 200
    assert laptop.post("/account/sessions/end-others",
                       data={"csrf_token": token}).status_code == 302
    assert tablet.get("/tasks").status_code == 302 and laptop.get("/tasks").status_code == 200
    # another person's session: 404, and it goes on working
    other = app.test_client()
    client_login(other, demo.users["Service Level Manager"])
    with app.extensions["slm"].sessions() as s:
        other_id = max(s.scalars(select(UserSession.id)).all())
    assert laptop.post(f"/account/sessions/{other_id}/end",
                       data={"csrf_token": token}).status_code == 404
    assert other.get("/tasks").status_code == 200


def test_tokens_may_expire(app, demo):
    client = app.test_client()
    token = client_login(client, demo.users["Auditor"])
    page = client.post("/account/tokens", data={"csrf_token": token, "name": "short",
                                                "expires": "30"})
    assert page.status_code == 200
    with app.extensions["slm"].sessions() as s:
        row = s.scalar(select(ApiToken))
        assert row.expires_at - row.created_at == timedelta(days=30)
        user = people.get_user(s, demo.users["Auditor"].id)
        _, expired = api_tokens.create_token(s, user, "old", utcnow(), actor="test",
                                             expires_at=utcnow() + timedelta(seconds=1))
        s.execute(update(ApiToken).where(ApiToken.name == "old").values(
            expires_at=utcnow() - timedelta(seconds=1)))
        s.commit()
    assert app.test_client().get("/api/v1/me", headers={
        "Authorization": f"Bearer {expired}"}).status_code == 401
    refused = client.post("/account/tokens", data={"csrf_token": token, "name": "x",
                                                   "expires": "99999"})
    assert refused.status_code == 400 and "offered periods" in refused.get_data(as_text=True)


# -- passwords --------------------------------------------------------------------------------
@pytest.mark.parametrize("password, reason", [
    ("aaaaaaaaaa", "at least 12 characters"),
    ("aaaaaaaaaaaa", "Repeats"),
    ("password1234", "common"),
    ("qwertyuiopas", "common"),
    ("mia.manager1", "username"),
])
def test_weak_passwords_are_refused_with_the_reason(password, reason):
    problems = password_problems(password, "mia.manager1", "Mia Manager")
    assert problems and reason.lower() in " ".join(problems).lower()


def test_a_strong_password_passes():
    assert password_problems("correct horse battery staple", "mia", "Mia") == []


def test_the_admin_form_says_why_a_password_is_refused(app, demo):
    client = app.test_client()
    token = client_login(client, demo.users["Admin"])
    page = client.post("/admin/users/new", data={
        "csrf_token": token, "username": "nina", "display_name": "Nina", "roles": "Auditor",
        "password": "aaaaaaaaaaaa", "password_confirm": "aaaaaaaaaaaa", "active": "on"})
    assert page.status_code == 400
    assert "Repeats like" in page.get_data(as_text=True)


# -- next targets ----------------------------------------------------------------------------
@pytest.mark.parametrize("target", [
    "/%09/evil.com", "//evil.com", "/\\evil.com", "\\\\evil.com", "https://evil.com/",
    "/ok\r\nSet-Cookie: x=1", "/%0d%0aLocation: //evil", "/%2f/evil.com", "javascript:alert(1)",
    "", None, "tasks", "/\t/evil.com", "/ /evil.com"])
def test_unsafe_next_targets_are_refused(target):
    assert not is_safe_target(target)


@pytest.mark.parametrize("target", ["/tasks", "/tasks?page=2&lane=x", "/portal/slas/3#top"])
def test_local_paths_are_accepted(target):
    assert is_safe_target(target)


def test_claim_and_login_never_redirect_off_site(app, demo):
    client = app.test_client()
    token = client_login(client, demo.users["Service Level Manager"])
    task_id = task_records.ready_task(app, task_records.start(app, "slm_process_management",
                                                              "manager"))
    for target in ("/%09/evil.com", "//evil.com", "/\\evil.com"):
        for action, back in (("claim", f"/tasks/{task_id}"), ("unclaim", "/tasks"),
                             ("unclaim", "/tasks")):  # the second unclaim is refused: _back()
            response = client.post(f"/tasks/{task_id}/{action}",
                                   data={"csrf_token": token, "next": target})
            assert (response.status_code, response.headers["Location"]) == (302, back)
    fresh = app.test_client()
    login_token = csrf_token(fresh.get("/login").data)
    # in the query string %09 is a tab: refused before any view (a control character)
    assert fresh.get("/login?next=/%09/evil.com").status_code == 400
    response = fresh.post("/login", data={
        "csrf_token": login_token, "username": "admin", "password": demo.users["Admin"].password,
        "next": "/%09/evil.com"})
    assert response.status_code == 302 and response.headers["Location"] == "/"
