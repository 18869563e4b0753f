"""The auditor's pages: instance search, the trace of a negotiated SLA agreement in the
browser, tamper detection in the UI, and the exports.

The world is real: the ``sla_agreement`` process walked with the engine, with one
negotiation round (the customer counter-proposes, the manager revises, the customer
accepts), so "Review the SLA draft" runs twice.
"""
from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from sqlalchemy import select, text

from engine.audit import AuditTrail
from engine.clock import utcnow
from engine.models import AuditEvent, ProcessInstance
from handlers.agreements.models import ServiceLevelAgreement
from handlers.requirements.models import ServiceLevelRequirement

from . import sla_world
from .sla_world import MANAGER, complete, customer
from .support import SETUP, client_login, seal_all


def negotiated_agreement(app, demo) -> int:
    """An agreed sla_agreement instance with one negotiation loop; returns its id.

    The agreement is done (approved, SLA active): the instance waits at the review timer
    for the SLA's life, so it is running with its agreement path completed."""
    options = sla_world.build_catalogue(app)
    user = demo.users["Customer"]
    start = utcnow() - timedelta(days=2)
    _, iid = sla_world.submit(app, demo, user, "Email for the audit", now=start)
    complete(app, iid, "choose_option", customer(user), {"option_key": options["Gold"]},
             start + timedelta(hours=1))
    complete(app, iid, "review_draft", customer(user),
             {"decision": "counter-propose", "comment": "We need 3 hours, not 4."},
             start + timedelta(hours=2))
    complete(app, iid, "revise_sla", MANAGER,
             {"comment": "Resolution within 3 hours, as asked.",
              "changes": {"targets": [{"metric": "incident_resolution", "threshold": 3}]}},
             start + timedelta(hours=3))
    complete(app, iid, "review_draft", customer(user), {"decision": "accept"},
             start + timedelta(hours=4))
    complete(app, iid, "approve_agreement", MANAGER, {"decision": "approve"},
             start + timedelta(hours=5))
    with app.extensions["slm"].sessions() as s:
        assert s.get(ProcessInstance, iid).status == "running"
    seal_all(app.extensions["slm"].sessions)  # as the runners' sealer does within a second
    return iid


def test_auditor_traces_a_negotiated_agreement(app, demo, page, login, screenshot):
    iid = negotiated_agreement(app, demo)
    login(page, demo.users["Auditor"])
    page.goto("/audit?process=sla_agreement&status=running")
    page.get_by_role("link", name=f"Trace instance {iid}").click()
    page.wait_for_selector("#trace-diagram[data-state=ready]")
    assert page.get_by_test_id("instance-status").inner_text() == "running"
    # the completed path is marked; the negotiation loop is counted
    for element in ("choose_option", "review_draft", "revise_sla", "approve_agreement"):
        marked = page.locator(f"[data-element-id={element}].slm-done")
        assert marked.count() == 1, f"{element} is not marked completed"
    assert page.get_by_test_id("count-review_draft").inner_text() == "2"
    assert page.get_by_test_id("count-choose_option").count() == 0
    assert page.locator("[data-element-id=next_review_due].slm-current").count() == 1
    assert page.get_by_test_id("instance-verify").get_attribute("data-ok") == "true"
    # the timeline names each person's actions
    timeline = page.get_by_test_id("timeline")
    completed = timeline.locator("tr[data-kind=task_completed]")
    actors = [completed.nth(i).locator("td").nth(2).inner_text()
              for i in range(completed.count())]
    assert actors == ["acme", "acme", "manager", "acme", "manager"]
    screenshot(page, "audit-trace")
    # clicking a task shows its events and the data submitted there
    page.locator("[data-element-id=revise_sla]").first.click(force=True)
    assert page.get_by_test_id("timeline-filter").is_visible()
    visible = timeline.locator(":scope > tbody > tr:visible")
    assert visible.count() >= 1
    assert all(visible.nth(i).get_attribute("data-element") == "revise_sla"
               for i in range(visible.count()))
    data = timeline.locator(":scope > tbody > tr:visible [data-testid=event-data]")
    assert "Resolution within 3 hours" in data.first.inner_text()
    screenshot(page, "audit-trace-revise-sla")
    page.get_by_role("button", name="show all").click()
    rows = timeline.locator(":scope > tbody > tr")
    assert timeline.locator(":scope > tbody > tr:visible").count() == rows.count()


def test_tampering_shows_as_failed_verification(app, demo, client, page, login):
    iid = negotiated_agreement(app, demo)
    client_login(client, demo.users["Auditor"])
    assert b'data-ok="true"' in client.get("/audit/verify").data
    with app.extensions["slm"].sessions() as s:
        seq = s.scalar(select(AuditEvent.seq).where(
            AuditEvent.instance_id == iid, AuditEvent.kind == "task_completed",
            AuditEvent.element_id == "approve_agreement"))
    with app.extensions["slm"].db.begin() as conn:
        conn.execute(text("UPDATE audit_event SET data = :d WHERE seq = :s"),
                     {"d": '{"decision":"reject"}', "s": seq})
    login(page, demo.users["Auditor"])
    page.goto("/audit/verify")
    result = page.get_by_test_id("verify-result")
    assert result.get_attribute("data-ok") == "false"
    assert result.get_attribute("data-first-bad") == str(seq)
    assert f"event {seq}" in result.inner_text()
    page.goto(f"/audit/instances/{iid}")
    check = page.get_by_test_id("instance-verify")
    assert check.get_attribute("data-ok") == "false"
    assert str(seq) in check.inner_text()


def csv_rows(text: str) -> list[dict]:
    """The rows of an audit CSV export, whose first line names the chain head it was cut at."""
    head, _, body = text.partition("\n")
    assert head.startswith("# chain head ") and "slm audit verify --anchor" in head, head
    return list(csv.DictReader(io.StringIO(body)))


def sla_ref(app, iid: int) -> str:
    with app.extensions["slm"].sessions() as s:
        slr = select(ServiceLevelRequirement.id).where(ServiceLevelRequirement.instance_id == iid)
        return s.scalar(select(ServiceLevelAgreement.reference).where(
            ServiceLevelAgreement.slr_id.in_(slr)))


def test_exports_and_search(app, demo, client):
    iid = negotiated_agreement(app, demo)
    client_login(client, demo.users["Auditor"])
    trace = client.get(f"/audit/instances/{iid}/trace.json")
    assert trace.status_code == 200 and "attachment" in trace.headers["Content-Disposition"]
    body = trace.get_json() or json.loads(trace.data)
    assert body["instance"]["id"] == iid and body["verification"]["ok"] is True
    kinds = [e["kind"] for e in body["events"]]
    assert kinds[0] == "instance_started" and "task_completed" in kinds
    submitted = [e["data"] for e in body["events"]
                 if e["kind"] == "task_completed" and e["element_id"] == "review_draft"]
    assert len(submitted) == 2
    rows = csv_rows(client.get(f"/audit/instances/{iid}/trace.csv").data.decode())
    assert [int(r["seq"]) for r in rows] == [e["seq"] for e in body["events"]]
    log = csv_rows(client.get("/audit/log.csv").data.decode())
    assert len(log) > len(rows)
    today = utcnow().date()
    future = client.get(f"/audit/log.csv?from={today + timedelta(days=3)}").data.decode()
    assert len(csv_rows(future)) == 0
    assert client.get("/audit/log.csv?from=yesterday").status_code == 400
    link = f'href="/audit/instances/{iid}"'.encode()
    # search: by who acted, by customer, by SLA, by date range; paginated
    assert link in client.get("/audit?actor=manager").data
    assert link not in client.get("/audit?actor=nobody").data
    assert link in client.get("/audit?customer=acme").data
    assert link not in client.get("/audit?customer=globex").data
    assert link not in client.get(f"/audit?from={today + timedelta(days=1)}").data
    assert link in client.get(f"/audit?from={today - timedelta(days=3)}&to={today}").data
    assert link in client.get(f"/audit?sla={sla_ref(app, iid)}").data
    assert link not in client.get("/audit?sla=NO-SUCH").data
    assert client.get("/audit?status=running&version=1&page=9").status_code == 200


def test_events_of_no_instance_are_exported_and_verified(app, demo, client, page, login):
    """Administrative events (here: the demo people set up) have no instance: the log
    export and the chain verification include them, and a changed one is caught."""
    iid = negotiated_agreement(app, demo)
    client_login(client, demo.users["Auditor"])
    log = csv_rows(client.get("/audit/log.csv").data.decode())
    admin = [r for r in log if r["kind"] in ("organisation_created", "user_created")]
    assert [r["kind"] for r in admin] == ["organisation_created"] * 3 + ["user_created"] * 6
    assert {(r["actor"], r["instance_id"]) for r in admin} == {(SETUP["actor"], "")}
    assert any(r["instance_id"] == str(iid) for r in log)
    verified = client.get("/audit/verify").data.decode()
    assert 'data-ok="true"' in verified and f"{len(log)} events checked" in verified
    with app.extensions["slm"].sessions() as s:
        seq = s.scalar(select(AuditEvent.seq).where(AuditEvent.kind == "user_created")
                       .order_by(AuditEvent.seq.desc()).limit(1))
    with app.extensions["slm"].db.begin() as conn:
        conn.execute(text("UPDATE audit_event SET data = :d WHERE seq = :s"),
                     {"d": '{"roles":["Admin"]}', "s": seq})
    login(page, demo.users["Auditor"])
    page.goto("/audit/verify")
    result = page.get_by_test_id("verify-result")
    assert result.get_attribute("data-ok") == "false"
    assert result.get_attribute("data-first-bad") == str(seq)
    bad = page.get_by_test_id("bad-event").inner_text()
    assert "user_created" in bad and "Admin" in bad


def test_auditor_changes_nothing_and_others_are_kept_out(app, demo, client):
    iid = negotiated_agreement(app, demo)
    token = client_login(client, demo.users["Auditor"])
    assert client.post("/audit", data={"csrf_token": token}).status_code in (403, 405)
    assert client.post(f"/audit/instances/{iid}", data={"csrf_token": token}).status_code \
        in (403, 405)
    manager = app.test_client()
    client_login(manager, demo.users["Service Level Manager"])
    assert manager.get(f"/audit/instances/{iid}").status_code == 403
    assert manager.get("/audit").status_code == 403
    owner = app.test_client()
    client_login(owner, demo.users["Process Owner"])
    assert owner.get(f"/audit/instances/{iid}").status_code == 200
    assert owner.get("/audit/verify").status_code == 403


def test_anchors_on_the_verification_page_catch_a_rehashed_rewrite(app, demo, client):
    """The page shows the current anchor; checked against it later, a log that was changed
    and re-hashed consistently (which the chain alone accepts) fails at the anchored event."""
    from conftest import rewrite_and_rehash

    negotiated_agreement(app, demo)
    client_login(client, demo.users["Auditor"])
    page = client.get("/audit/verify").data.decode()
    anchor = page.split('data-testid="head-anchor">', 1)[1].split("<", 1)[0]
    seq = int(anchor.split(":")[0])
    ok = client.get("/audit/verify", query_string={"anchors": anchor}).data.decode()
    assert 'data-ok="true"' in ok and "anchor given still holds" in ok

    with app.extensions["slm"].sessions() as s:
        rewrite_and_rehash(s, 3, '{"forged":true}')
    assert 'data-ok="true"' in client.get("/audit/verify").data.decode()
    broken = client.get("/audit/verify", query_string={"anchors": anchor})
    assert broken.status_code == 200
    text_ = broken.data.decode()
    assert 'data-ok="false"' in text_ and f'data-first-bad="{seq}"' in text_
    assert "rewritten" in text_

    bad = client.get("/audit/verify", query_string={"anchors": "12:nothex"})
    assert bad.status_code == 400
    assert 'data-testid="anchor-error"' in bad.data.decode() and "SEQ:HASH" in bad.data.decode()


def test_events_not_sealed_yet_are_shown_as_such(app, demo, client, db_url):
    """A step's events wait for the sealer on PostgreSQL: the trace marks them unsealed and
    the verification page counts them apart. On SQLite a step seals its own events."""
    iid = negotiated_agreement(app, demo)
    with app.extensions["slm"].sessions() as s:
        trail = AuditTrail()
        trail.add("task_ready", at=utcnow(), actor="system", instance_id=iid,
                  process_id="sla_agreement", version=1, element_id="review_sla")
        trail.flush(s)
        s.commit()
    client_login(client, demo.users["Auditor"])
    trace = client.get(f"/audit/instances/{iid}").data.decode()
    verified = client.get("/audit/verify").data.decode()
    assert 'data-ok="true"' in trace and 'data-ok="true"' in verified
    if db_url.startswith("postgresql"):
        assert trace.count('data-testid="unsealed"') == 1
        assert "1 newer event is not sealed into the chain yet" in trace
        assert "1 event appended since is not sealed into the chain yet" in verified
        seal_all(app.extensions["slm"].sessions)
        trace = client.get(f"/audit/instances/{iid}").data.decode()
    assert 'data-testid="unsealed"' not in trace and "not sealed" not in trace
    assert "not sealed" not in client.get("/audit/verify").data.decode()
