"""API tokens and how the JSON API authenticates (SQLite and PostgreSQL).

- no token, another scheme, an unknown, revoked or inactive user's token: 401 JSON;
- a session cookie alone does not authenticate /api/, and a token needs no CSRF token;
- the token page (CSRF like every form) shows a new token once, lists and revokes them;
  another user's token cannot be revoked there;
- `slm api-token create|list|revoke`.
"""
from __future__ import annotations

import json
import re

from click.testing import CliRunner
from sqlalchemy import select

from engine.audit import verify_chain
from engine.models import AuditEvent
from handlers.people import operations as people
from handlers.people.models import ApiToken
from web.cli import main

from .api_support import Api, token_for
from .support import client_login, csrf_token, seal_all


def token_events(app) -> list[tuple[str, str, dict]]:
    """(actor, kind, data) of the API token events in chain order (after sealing what is
    committed, as the runners' sealer would); the audit chain verifies."""
    seal_all(app.extensions["slm"].sessions)
    with app.extensions["slm"].sessions() as s:
        assert verify_chain(s).ok
        rows = s.scalars(select(AuditEvent).where(AuditEvent.kind.like("api_token_%"))
                         .order_by(AuditEvent.seq)).all()
        return [(e.actor, e.kind, json.loads(e.data)) for e in rows]


def _me(client, headers=None):
    return client.get("/api/v1/me", headers=headers or {})


def test_no_bad_or_revoked_token_is_401_json(app, client, demo):
    token = token_for(app, demo.users["Customer"])
    assert _me(client, {"Authorization": f"Bearer {token}"}).status_code == 200
    for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": f"Basic {token}"},
                    {"Authorization": "Bearer not-a-token"},
                    {"Authorization": f"Bearer {token}x"}):
        response = _me(client, headers)
        assert response.status_code == 401, headers
        assert response.get_json()["error"] == "authentication required"
    with app.extensions["slm"].sessions() as s:
        row = s.scalar(select(ApiToken).where(ApiToken.user_id == demo.users["Customer"].id))
        assert row.last_used_at is not None  # noted on use
        row.revoked_at = row.created_at
        s.commit()
    assert _me(client, {"Authorization": f"Bearer {token}"}).status_code == 401


def test_an_inactive_users_token_is_refused(app, client, demo):
    user = demo.users["Service Level Manager"]
    api = Api(client, token_for(app, user))
    assert api.get("/api/v1/me").get_json()["username"] == "manager"
    with app.extensions["slm"].sessions() as s:
        people.get_user(s, user.id).active = False
        s.commit()
    assert api.get("/api/v1/me").status_code == 401


def test_me_names_the_caller_roles_and_organisation(app, client, demo):
    body = Api(client, token_for(app, demo.users["Customer"])).get("/api/v1/me").get_json()
    assert body["username"] == "acme" and body["roles"] == ["Customer"]
    assert body["organisation"]["key"] == "acme"


def test_a_session_cookie_does_not_authenticate_the_api_and_a_token_needs_no_csrf(
        app, client, demo):
    client_login(client, demo.users["Customer"])
    assert client.get("/portal").status_code == 200  # signed in for the pages
    assert client.get("/api/v1/me").status_code == 401
    assert client.post("/api/v1/slrs", json={"title": "x"}).status_code == 401
    api = Api(client, token_for(app, demo.users["Customer"]))
    # no csrf_token anywhere: the answer is about the data, not about CSRF
    response = api.post("/api/v1/slrs", {"title": "", "need": ""})
    assert response.status_code == 422 and "title" in response.get_json()["errors"]


def test_the_token_page_creates_shows_once_and_revokes(app, client, demo):
    user = demo.users["Auditor"]  # any role may manage their own tokens, auditors too
    csrf = client_login(client, user)
    page = client.get("/account/tokens")
    assert page.status_code == 200 and b"No API tokens yet" in page.data
    assert client.post("/account/tokens", data={"name": "nightly export"}).status_code == 400
    refused = client.post("/account/tokens", data={"csrf_token": csrf, "name": " "})
    assert refused.status_code == 400 and b"give the token a name" in refused.data
    created = client.post("/account/tokens", data={"csrf_token": csrf,
                                                   "name": "nightly export"})
    assert created.status_code == 200
    token = re.search(rb'data-testid="token-value">([^<]+)<', created.data).group(1).decode()
    assert Api(app.test_client(), token).get("/api/v1/me").get_json()["username"] == "auditor"
    listed = client.get("/account/tokens")
    assert b"nightly export" in listed.data and token.encode() not in listed.data
    with app.extensions["slm"].sessions() as s:
        row = s.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
        assert row.token_hash != token and len(row.token_hash) == 64
        token_id = row.id
    # another user cannot revoke it
    other = app.test_client()
    other_csrf = client_login(other, demo.users["Customer"])
    assert other.post(f"/account/tokens/{token_id}/revoke",
                      data={"csrf_token": other_csrf}).status_code == 404
    revoked = client.post(f"/account/tokens/{token_id}/revoke",
                          data={"csrf_token": csrf_token(listed.data)})
    assert revoked.status_code == 302
    assert b"revoked" in client.get("/account/tokens").data
    assert Api(app.test_client(), token).get("/api/v1/me").status_code == 401
    # on the audit log, by the owner, without the token: the refused attempts left nothing
    recorded = {"token_id": token_id, "name": "nightly export", "user_id": user.id,
                "username": "auditor"}
    events = token_events(app)
    assert events == [("auditor", "api_token_created", recorded),
                      ("auditor", "api_token_revoked", recorded)]
    assert token not in json.dumps(events)


def test_the_nav_links_the_token_page(app, client, demo):
    client_login(client, demo.users["Service Level Manager"])
    assert b'data-testid="api-tokens-link"' in client.get("/tasks").data


def test_the_cli_creates_lists_and_revokes_tokens(app, db_url, demo):
    def slm(*args):
        return CliRunner().invoke(main, ["api-token", *args], env={"SLM_DATABASE_URL": db_url})

    created = slm("create", "manager", "monitoring import")
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert len(token) >= 40 and "shown only now" in created.stderr
    api = Api(app.test_client(), token)
    assert api.get("/api/v1/me").get_json()["username"] == "manager"
    listed = slm("list")
    assert listed.exit_code == 0 and "\tmanager\tmonitoring import\t" in listed.stdout
    assert token not in listed.stdout and "active" in listed.stdout
    token_id = listed.stdout.split("\t")[0]
    assert slm("revoke", token_id).exit_code == 0
    assert "revoked" in slm("list").stdout
    assert api.get("/api/v1/me").status_code == 401
    assert slm("create", "nobody", "x").exit_code == 1
    assert slm("revoke", "999999").exit_code == 1
    assert slm("revoke", token_id, "--actor", "root").exit_code == 0  # again: no event
    events = token_events(app)
    assert [(actor, kind) for actor, kind, _ in events] == [
        ("cli", "api_token_created"), ("cli", "api_token_revoked")]
    assert events[0][2]["username"] == "manager" and token not in json.dumps(events)
