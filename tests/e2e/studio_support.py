"""The studio's sample diagram, the ``owner`` fixture and helpers shared by the studio
tests (test_studio_*.py).
"""
from __future__ import annotations

import pytest

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


CHECK_FORM = {"title": "Check the draft", "type": "object", "required": ["complete"],
              "properties": {"complete": {"type": "boolean", "title": "Draft complete"},
                             "note": {"type": "string", "title": "What is missing"}}}
