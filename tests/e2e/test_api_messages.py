"""POST /api/v1/messages: monitoring reports a breach; the instance waiting for that SLA's
breach takes it, one for another SLA does not; bad bodies are 422 naming the field; a
message nobody waits for is kept; a role that may not send is refused."""
from __future__ import annotations

import sys
from pathlib import Path

from sqlalchemy import select

from engine.clock import utcnow
from engine.deploy import deploy
from engine.instances import start_instance
from engine.models import AuditEvent, BpmnMessage, ProcessInstance

from .api_support import api_as
from .support import seal_all

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))
from message_diagrams import agreement  # noqa: E402


def waiting(app, *slas: int) -> list[int]:
    slm = app.extensions["slm"]
    with slm.sessions() as s:
        deploy(s, agreement(), "agreement.bpmn", registry=slm.engine.registry,
               known_lanes=slm.engine.known_lanes, form_loader=lambda _n: None, actor="owner",
               now=utcnow())
        s.commit()
        ids = [start_instance(slm.engine, s, "agreement", actor="owner", now=utcnow(),
                              data={"sla_id": sla}) for sla in slas]
        s.commit()
    return ids


def status(app, iid: int) -> str:
    with app.extensions["slm"].sessions() as s:
        return s.get(ProcessInstance, iid).status


def test_monitoring_reports_a_breach(app, demo):
    one, two = waiting(app, 1, 2)
    api = api_as(app, demo.users["Service Level Manager"])
    r = api.post("/api/v1/messages", {"name": "breach", "correlation": {"sla": 2},
                                      "payload": {"minutes": 42}})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["status"] == "delivered" and body["delivered_to"] == [two]
    assert status(app, two) == "completed" and status(app, one) == "running"
    seal_all(app.extensions["slm"].sessions)  # what a runner does within a second
    with app.extensions["slm"].sessions() as s:
        sent = s.scalars(select(AuditEvent).where(AuditEvent.kind == "message_sent")).one()
        assert sent.actor == demo.users["Service Level Manager"].username


def test_a_message_nobody_waits_for_is_kept(app, demo):
    api = api_as(app, demo.users["Process Owner"])
    r = api.post("/api/v1/messages", {"name": "breach", "correlation": {"sla": 5}})
    assert r.status_code == 200 and r.get_json()["status"] == "unclaimed"
    assert r.get_json()["delivered_to"] == []
    with app.extensions["slm"].sessions() as s:
        assert s.scalars(select(BpmnMessage.status)).all() == ["unclaimed"]


def test_bad_bodies_name_the_field(app, demo):
    api = api_as(app, demo.users["Process Owner"])
    cases = [({}, "name"), ({"name": ""}, "name"), ({"name": "x", "extra": 1}, "body"),
             ({"name": "x", "correlation": {"sla": {"nested": 1}}}, "correlation.sla"),
             ({"name": "x", "correlation": {"k": "v" * 300}}, "correlation.k"),
             ({"name": "x", "payload": {"blob": "v" * 70_000}}, "payload"),
             ({"name": "x", "payload": [1]}, "payload")]
    for body, field in cases:
        r = api.post("/api/v1/messages", body)
        assert r.status_code == 422, (body, r.get_json())
        assert field in r.get_json()["errors"], (body, r.get_json())
    r = api.client.post("/api/v1/messages", headers=api.headers, data="not json",
                        content_type="application/json")
    assert r.status_code == 400
    with app.extensions["slm"].sessions() as s:
        assert s.scalars(select(BpmnMessage)).all() == []  # nothing half-done


def test_roles_that_may_not_send(app, demo):
    for role in ("Customer", "Auditor", "Admin"):
        r = api_as(app, demo.users[role]).post("/api/v1/messages", {"name": "breach"})
        assert r.status_code == 403, role


def test_the_process_owner_sees_kept_messages(app, demo, page, login, screenshot):
    waiting(app, 3)
    api = api_as(app, demo.users["Service Level Manager"])
    assert api.post("/api/v1/messages", {"name": "breach", "correlation": {"sla": 3},
                                         "payload": {"minutes": 1}}).status_code == 200
    assert api.post("/api/v1/messages", {"name": "breach", "correlation": {"sla": 404},
                                         "payload": {"minutes": 2}}).status_code == 200
    login(page, demo.users["Process Owner"])
    page.goto("/diagrams")
    page.get_by_role("link", name="Messages").click()
    rows = page.get_by_test_id("message-row")
    assert rows.count() == 2
    first = rows.nth(0)  # the kept one comes first
    assert first.get_attribute("data-status") == "unclaimed"
    assert "kept: nobody waited" in first.inner_text() and '"sla": 404' in first.inner_text()
    assert "API, by" in first.inner_text()
    screenshot(page, "messages-kept")
    page.get_by_test_id("filter-delivered").click()
    assert page.get_by_test_id("message-row").count() == 1
