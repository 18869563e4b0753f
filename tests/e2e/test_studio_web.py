"""The process owner's studio (issue 15): the full modeler, deploy with a change note, the
form editor's preview, trying expressions on sample data, readable diffs, diagrams without
a drawing, process health.

Server-side tests use the Flask test client; browser tests drive Debian's Chromium.
"""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from engine.models import AuditEvent, ProcessVersion
from web.services import WORKFLOWS

from .support import client_login

SLA = (WORKFLOWS / "bpmn" / "sla_agreement.bpmn").read_bytes()


def _shorter(xml: bytes) -> bytes:
    """The review of the draft due in 3 days instead of 5."""
    at = xml.index(b"P5D", xml.index(b'id="review_draft"'))
    return xml[:at] + b"P3D" + xml[at + 3:]


SHORTER = _shorter(SLA)
assert SHORTER != SLA


@pytest.fixture
def owner(app, demo, client):
    token = client_login(client, demo.users["Process Owner"])
    [result] = app.extensions["slm"].deploy_file(WORKFLOWS / "bpmn" / "sla_agreement.bpmn",
                                                 "owner")
    client.environ_base["HTTP_X_CSRFTOKEN"] = token
    return client, result.version_id


def deploy_json(client, xml: bytes, note: str = "", forms=None):
    return client.post("/diagrams/deploy", json={
        "xml": xml.decode(), "name": "sla_agreement.bpmn", "note": note, "forms": forms or {}})


def open_modeler(page, login, demo, vid):
    login(page, demo.users["Process Owner"])
    page.goto(f"/diagrams/modeler?version={vid}")
    page.locator("#modeler[data-state=ready]").wait_for()


# -- deploy with a note -----------------------------------------------------------------------
def test_deploy_stores_the_note_with_the_version_and_in_the_audit_trail(app, owner):
    client, _ = owner
    answer = deploy_json(client, SHORTER, "  Reviews  take three days  ")
    assert answer.status_code == 200, answer.get_json()
    [v2] = answer.get_json()["versions"]
    assert v2["version"] == 2 and v2["modeler_url"].endswith(f"version={v2['url'].split('/')[-1]}")
    with app.extensions["slm"].sessions() as s:
        row = s.execute(select(ProcessVersion).where(ProcessVersion.version == 2)).scalar_one()
        assert row.note == "Reviews take three days"
        event = s.execute(select(AuditEvent).where(AuditEvent.kind == "version_deployed",
                                                   AuditEvent.version == 2)).scalar_one()
        assert json.loads(event.data)["note"] == "Reviews take three days"
    assert "Reviews take three days" in client.get("/diagrams").get_data(as_text=True)
    assert "Reviews take three days" in client.get(v2["url"]).get_data(as_text=True)
    assert "Reviews take three days" in client.get(v2["diff_url"]).get_data(as_text=True)


def test_a_note_too_long_or_not_text_is_refused_and_stores_nothing(app, owner):
    client, _ = owner
    too_long = deploy_json(client, SHORTER, "x" * 501)
    assert too_long.status_code == 422
    assert "longer than 500 characters" in json.dumps(too_long.get_json())
    not_text = client.post("/diagrams/deploy", json={"xml": SHORTER.decode(), "note": 5})
    assert not_text.status_code == 400 and "must be text" in not_text.get_json()["error"]
    with app.extensions["slm"].sessions() as s:
        assert len(s.execute(select(ProcessVersion)).all()) == 1
