"""Form schemas stay data: no reference leaves the form, patterns cannot backtrack, sizes
are bounded. Deploy cases run on SQLite and PostgreSQL."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from bounds_diagrams import late_cycle
from conftest import T0
from sqlalchemy import func, select

from engine.deploy import deploy
from engine.errors import DeployError, FormValidationError
from engine.forms import check_task_form, validate_form
from engine.models import ProcessVersion

FORM = "approve.schema.json"


@pytest.fixture
def server():
    """A local HTTP server that counts the requests it gets."""
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server name
            hits.append(self.path)
            body = json.dumps({"type": "string", "pattern": "^fetched$"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args):
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", hits
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "secret.json"
    path.write_text(json.dumps({"type": "string", "title": "TOP-SECRET-CONTENT"}))
    return path


def form(**fields) -> dict:
    return {"type": "object", "properties": {"approved": {"type": "boolean"}, **fields}}


@pytest.fixture
def deploy_form(factory, engine):
    """deploy_form(schema) -> the problems of the refused deploy (asserting nothing stored)."""

    def _deploy(schema, raw: bytes | None = None):
        data = raw if raw is not None else json.dumps(schema).encode()
        with factory() as s, pytest.raises(DeployError) as info:
            deploy(s, late_cycle(), "cycle.bpmn", registry=engine.registry,
                   known_lanes=engine.known_lanes, form_loader=lambda n: data if n == FORM
                   else None, actor="owner", now=T0)
        with factory() as s:
            assert s.execute(select(func.count()).select_from(ProcessVersion)).scalar_one() == 0
        assert {p.element_id for p in info.value.problems} == {"work"}
        return [p.message for p in info.value.problems]

    return _deploy


def test_a_ref_to_a_url_or_a_file_is_refused_at_deploy_and_never_fetched(
        deploy_form, server, secret):
    url, hits = server
    problems = deploy_form(form(a={"$ref": f"{url}/evil.json"},
                                b={"$ref": secret.as_uri()}))
    assert sorted(problems) == sorted([
        f"form file '{FORM}': $ref '{secret.as_uri()}' at /properties/b points outside the "
        "form; only references inside it (#/...) are allowed",
        f"form file '{FORM}': $ref '{url}/evil.json' at /properties/a points outside the "
        "form; only references inside it (#/...) are allowed"])
    assert hits == []
    assert not any("TOP-SECRET" in p for p in problems)


def test_the_form_validator_never_fetches_a_reference(server, secret):
    """A form stored before deploy checked references (or written to the database by hand)
    is still never resolved over the network or from a file."""
    url, hits = server
    for ref in (f"{url}/evil.json", secret.as_uri()):
        with pytest.raises(FormValidationError) as info:
            check_task_form(form(a={"$ref": ref}), {}, {"approved": True, "a": "x"})
        text = json.dumps(info.value.errors)
        assert "refers to a schema outside itself, which is never fetched" in text
        assert "TOP-SECRET" not in text
    assert hits == []


def test_a_reference_inside_the_form_works():
    schema = {"type": "object", "$defs": {"yes": {"const": True}},
              "properties": {"approved": {"$ref": "#/$defs/yes"}}}
    validate_form(schema, {"approved": True})
    with pytest.raises(FormValidationError) as info:
        validate_form(schema, {"approved": False})
    assert info.value.errors == {"approved": ["True was expected"]}


def test_a_backtracking_pattern_runs_in_linear_time():
    schema = form(name={"type": "string", "pattern": "^(a+)+$"})
    began = time.monotonic()
    with pytest.raises(FormValidationError) as info:
        validate_form(schema, {"approved": True, "name": "a" * 200_000 + "b"})
    assert time.monotonic() - began < 5  # Python's re would take longer than the universe
    assert info.value.errors == {"name": ["does not match the pattern ^(a+)+$"]}
    validate_form(schema, {"approved": True, "name": "aaaa"})


def test_the_regex_format_is_checked_with_re2():
    schema = form(rx={"type": "string", "format": "regex"})
    validate_form(schema, {"approved": True, "rx": "^a+$"})
    with pytest.raises(FormValidationError) as info:
        validate_form(schema, {"approved": True, "rx": "(a)\\1"})
    assert list(info.value.errors) == ["rx"]


def nested(depth: int) -> dict:
    node: dict = {"type": "string"}
    for _ in range(depth):
        node = {"type": "object", "properties": {"x": node}}
    return node


@pytest.mark.parametrize("schema, raw, expected", [
    (form(n={"type": "string", "pattern": "(a)\\1"}), None,
     "pattern at /properties/n cannot be used"),
    (form(n={"enum": list(range(1001))}), None, "enum at /properties/n has 1,001 values"),
    (form(n=nested(25)), None, "nested more than 20 levels deep"),
    (None, b'{"type": "object", "title": "' + b"x" * 300_000 + b'"}', "larger than 256 KB"),
    (dict(form(), patternProperties={"^(a+)+$": {}}), None,
     "patternProperties at (root) is not supported"),
    (dict(form(), **{"$id": "https://example.org/f"}), None, "$id at (root) is not allowed"),
    (form(n={"$ref": "#/$defs/missing"}), None, "leads nowhere in the form"),
], ids=["back-reference", "enum", "nesting", "file-size", "pattern-properties", "id",
        "dangling-local-ref"])
def test_form_limits_are_deploy_problems(schema, raw, expected, deploy_form):
    problems = deploy_form(schema, raw)
    assert any(expected in p for p in problems), problems
    assert all(p.startswith(f"form file '{FORM}'") for p in problems)
