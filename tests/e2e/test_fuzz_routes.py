"""Issue 12: every route of the URL map, for every role, with hostile values, never gives a 500
(SQLite and PostgreSQL): ids beyond 32 and 64 bits, NUL and CR/LF in path parts, query
parameters and form fields, an off-site ``next``, and for the API hostile JSON.

The world, the signed-in clients and the API tokens are the role matrix's (same fixtures).
"""
from __future__ import annotations

import pytest
from flask import url_for
from werkzeug.routing import AnyConverter, IntegerConverter

from .test_role_matrix import ACTORS, clients, matrix_app, world  # noqa: F401 (fixtures)

QUERY = {"page": str(2**63), "per_page": str(2**31), "q": "\x00", "next": "\r\n//evil.com",
         "with": str(10**30), "version": str(2**31), "service": str(2**31),
         "organisation": str(2**63), "status": "\x00", "from": "\x00", "view": "\x01"}
FORM = {"next": "/%09/evil.com", "name": "a\x00b", "title": "\x00", "username": "x\x00",
        "target": str(2**63), "instance": str(2**31), "ci_id": str(2**63),
        "assignee": "\x00"}
JSON_BODIES = ('{"title": NaN}', "[" * 3000 + "]" * 3000, '{"wishes": [' + ", ".join(
    ['{"text": "x"}'] * 50) + '], "title": "t", "need": "n"}', '{"rows": [{"value": 1e400}]}',
    '{"data": {"x": "\\u0000"}}')


def _urls(app, rule) -> list[str]:
    """The rule's URL with every int part at 2**31 and 2**63, every other part with NUL (a
    part that takes one of a few words keeps a word it takes: no other URL reaches the view)."""
    ints = {a for a, c in rule._converters.items() if isinstance(c, IntegerConverter)}
    words = {a: sorted(c.items)[0] for a, c in rule._converters.items()
             if isinstance(c, AnyConverter)}
    variants = []
    for number in (2**31, 2**63):
        args = {a: number if a in ints else words.get(a, "x") for a in rule.arguments}
        variants.append(args)
    variants.append({a: 1 if a in ints else words.get(a, "a\x00b") for a in rule.arguments})
    with app.test_request_context():
        return sorted({url_for(rule.endpoint, **args) for args in variants})


@pytest.mark.parametrize("actor", ACTORS)
def test_no_route_answers_hostile_input_with_a_500(matrix_app, world, clients,  # noqa: F811
                                                    actor):
    failures, sent = [], 0
    for rule in matrix_app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            for url in _urls(matrix_app, rule):
                # signing in or out changes the session: those get a client of their own
                client, token = clients(actor, fresh=rule.endpoint.startswith("auth."))
                for response in _send(client, token, world, actor, method, url):
                    sent += 1
                    with response:
                        if response.status_code >= 500:
                            failures.append(f"{method} {url}: {response.status_code}")
    assert sent > 400  # every route, several variants each
    assert not failures, f"{actor}: {failures}"


def _send(client, token, world, actor, method, url):  # noqa: F811
    if url.startswith("/api/"):
        headers = {} if actor == "anonymous" else {
            "Authorization": f"Bearer {world.extra['api_tokens'][actor]}"}
        yield client.open(url, method=method, headers=headers, query_string=QUERY)
        if method != "GET":
            for body in JSON_BODIES:
                yield client.open(url, method=method, data=body, headers={
                    **headers, "Content-Type": "application/json"})
        return
    yield client.open(url, method=method, query_string=QUERY)
    if method != "GET":
        yield client.open(url, method=method, data={"csrf_token": token, **FORM})
        yield client.open(url, method=method, data={"csrf_token": token, "next": "//evil",
                                                    "page": str(2**63)})
