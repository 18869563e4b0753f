"""Issue 12: schemathesis (pinned in setup.cfg) generates requests from /api/openapi.json and
sends them to the real app on SQLite and PostgreSQL, as a customer and as a service level
manager: no answer is a 5xx. Bounded in time: a few derandomized examples per operation.
(Driven through hypothesis directly: schemathesis's lazy pytest fixture loader does not run
under pytest 9.)"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from engine.clock import utcnow
from handlers.people import operations as people
from handlers.people import tokens as api_tokens

from . import task_records
from .support import make_app, seed_demo
from .test_role_matrix import _reset

ACTORS = ("Customer", "Service Level Manager")


@pytest.fixture(scope="module", params=["sqlite", "pg"])
def api_app(request):
    url = request.getfixturevalue(f"{request.param}_server_url")
    _reset(url)
    app = make_app(url)
    demo = seed_demo(app)
    task_records.deploy(app)  # the agreement process: a valid SLR starts it
    with app.extensions["slm"].sessions() as s:
        tokens = {actor: api_tokens.create_token(s, people.get_user(s, demo.users[actor].id),
                                                 "schemathesis", utcnow(), actor="test")[1]
                  for actor in ACTORS}
        s.commit()
    yield app, tokens
    app.extensions["slm"].db.dispose()


def test_the_api_never_answers_with_a_server_error(api_app):
    app, tokens = api_app
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10  # every operation of /api/v1 (test_api_* checks the set)
    failures = []
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=6, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def call(case):
            for actor in ACTORS:
                response = case.call(headers={"Authorization": f"Bearer {tokens[actor]}"})
                if response.status_code >= 500:
                    failures.append((actor, case.method, case.formatted_path,
                                     response.status_code, response.text[:200]))

        call()
    assert not failures, failures
