"""Helpers for the JSON API tests: a bearer token for a demo user, and calls with it."""
from __future__ import annotations

from engine.clock import utcnow
from handlers.people import operations as people
from handlers.people import tokens as api_tokens

from .support import DemoUser


def token_for(app, user: DemoUser, name: str = "tests") -> str:
    """A new API token of ``user`` (committed)."""
    with app.extensions["slm"].sessions() as session:
        _, token = api_tokens.create_token(session, people.get_user(session, user.id), name,
                                           utcnow(), actor="test-setup")
        session.commit()
    return token


class Api:
    """The test client, as one token: ``api.get(path)``, ``api.post(path, json)``."""

    def __init__(self, client, token: str):
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def get(self, path: str, **query):
        return self.client.get(path, headers=self.headers, query_string=query)

    def post(self, path: str, body=None):
        return self.client.post(path, headers=self.headers, json={} if body is None else body)


def api_as(app, user: DemoUser) -> Api:
    return Api(app.test_client(), token_for(app, user))
