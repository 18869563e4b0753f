"""Notifications end to end: engine steps -> notification centre and outbox -> a real
SMTP server on loopback (aiosmtpd). Who is told, what the mail holds, retries when the
server is down, reminders and escalation given once, the daily digest."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from smtp_sink import SmtpSink, free_port
from sqlalchemy import select

from engine.clock import utcnow
from engine.models import AuditEvent, HumanTask
from engine.tasks import Actor, assign_task
from handlers.notifications import operations as notes
from handlers.notifications.delivery import backoff
from handlers.notifications.events import on_engine_events
from handlers.notifications.models import DigestSetting, MailMessage
from handlers.notifications.reminders import remind_due_tasks, send_digests
from handlers.people.models import User

from . import sla_world, task_records
from .notify_world import address, deliver, give_addresses, mails, notified
from .support import client_login, csrf_token, seal_all


def test_a_customer_task_mails_its_organisation_and_nobody_else(app, demo, client):
    give_addresses(app, demo)
    iid = task_records.requirement(app, "acme", "acme", "Email for sales")
    task_id = task_records.ready_task(app, iid)
    with SmtpSink() as sink:
        result = deliver(app, sink.url)
        sink.wait_for(2)
    assert result.sent == 2
    # both Acme customers, never Globex's customer nor the provider's people
    assert sink.recipients() == sorted([address("acme"), address("acme2")])
    msg = sink.to(address("acme"))[0]
    assert msg["Subject"] == "Choose a service level option"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert f"http://127.0.0.1:5000/tasks/{task_id}" in text
    assert f'href="http://127.0.0.1:5000/tasks/{task_id}"' in html
    unsubscribe = msg["List-Unsubscribe"].strip().strip("<>")
    assert "/notifications/unsubscribe/" in unsubscribe and unsubscribe in text
    # each sent mail is in the audit log, without its content
    seal_all(app.extensions["slm"].sessions)  # what a runner does within a second
    with app.extensions["slm"].sessions() as s:
        sent = [json.loads(e.data) for e in s.scalars(select(AuditEvent).where(
            AuditEvent.kind == "notification_sent"))]
    assert sorted(e["kind"] for e in sent) == ["task_ready", "task_ready"]
    assert all("Choose" not in json.dumps(e) for e in sent)
    # the one-click link works without signing in; the kind then stays in the app only
    path = unsubscribe.removeprefix("http://127.0.0.1:5000")
    page = client.get(path)
    assert page.status_code == 200
    done = client.post(path)  # one click: no session, no CSRF token (RFC 8058)
    assert b"no more e-mails" in done.data
    with app.extensions["slm"].sessions() as s:
        acme = s.scalar(select(User).where(User.username == "acme"))
        assert notes.preferences(s, acme.id)["task_ready"] == "in_app"
    # a forged token is refused
    assert client.get(path[:-3] + "xyz").status_code == 400


def test_assignment_mails_the_assignee_and_the_queue_hears_of_new_tasks(app, demo):
    give_addresses(app, demo)
    iid = task_records.start(app, "slm_process_management", "manager")
    task_id = task_records.ready_task(app, iid)
    assert notified(app, "task_ready") == ["manager", "manager2"]
    with app.extensions["slm"].sessions() as s:
        assign_task(s, task_id, "manager2", Actor("manager", frozenset({
            "Service Level Manager"})), utcnow())
        s.commit()
    assert notified(app, "task_assigned") == ["manager2"]
    with SmtpSink() as sink:
        deliver(app, sink.url)
        sink.wait_for(3)
    assert sink.recipients() == sorted([address("manager"), address("manager2"),
                                        address("manager2")])
    assigned = [m for m in sink.to(address("manager2")) if m["X-SLM-Kind"] == "task_assigned"]
    assert len(assigned) == 1 and assigned[0]["Subject"].startswith("Assigned to you:")


def test_smtp_down_the_step_commits_and_the_mail_arrives_when_the_server_returns(
        app, demo, client):
    give_addresses(app, demo)
    port = free_port()  # nothing listens there yet
    iid = task_records.start(app, "slm_process_management", "manager")
    assert task_records.ready_task(app, iid)  # the step committed
    now = utcnow()
    first = deliver(app, f"smtp://127.0.0.1:{port}", now)
    assert (first.sent, first.retried, first.failed) == (0, 2, 0)
    assert {(m.status, m.attempts) for m in mails(app)} == {("pending", 1)}
    assert deliver(app, f"smtp://127.0.0.1:{port}", now).retried == 0  # not due yet
    with SmtpSink(port=port) as sink:
        later = deliver(app, sink.url, now + backoff(1))
        sink.wait_for(2)
    assert later.sent == 2
    assert sink.recipients() == sorted([address("manager"), address("manager2")])
    assert {m.status for m in mails(app)} == {"sent"}


def test_after_every_retry_a_mail_is_failed_and_the_admin_sees_it(app, demo, client):
    give_addresses(app, demo)
    task_records.start(app, "slm_process_management", "manager")
    url, now = f"smtp://127.0.0.1:{free_port()}", utcnow()
    for attempt in range(1, 7):
        deliver(app, url, now)
        now += backoff(attempt)
    assert {(m.status, m.attempts) for m in mails(app)} == {("failed", 6)}
    client_login(client, demo.users["Admin"])
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "2 mails could not be delivered" in page and "cannot connect" in page


def test_a_mail_left_sending_by_a_stopped_runner_is_uncertain_and_never_sent_again(
        app, demo, client):
    give_addresses(app, demo)
    task_records.start(app, "slm_process_management", "manager")
    now = utcnow()
    first, second = mails(app)
    with app.extensions["slm"].sessions() as s:  # as a runner leaves it that dies there
        s.get(MailMessage, first.id).status = "sending"
        s.get(MailMessage, first.id).claimed_by = "dead"
        s.get(MailMessage, first.id).claim_expires_at = now + timedelta(minutes=5)
        s.commit()
    with SmtpSink() as sink:
        assert deliver(app, sink.url, now).sent == 1  # its claim still stands: left alone
        assert deliver(app, sink.url, now + timedelta(minutes=6)).sent == 0  # taken over
        sink.wait_for(1)
        assert sink.recipients() == [second.to_addr]  # never sent again
    assert {m.id: m.status for m in mails(app)} == {first.id: "uncertain",
                                                    second.id: "sent"}
    seal_all(app.extensions["slm"].sessions)  # what a runner does within a second
    with app.extensions["slm"].sessions() as s:
        audited = [json.loads(e.data) for e in s.scalars(select(AuditEvent).where(
            AuditEvent.kind == "notification_sent"))]
    assert sorted((a["mail_id"], a["confirmed"]) for a in audited) == [
        (first.id, False), (second.id, True)]
    client_login(client, demo.users["Admin"])
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "1 mail may not have arrived" in page and "uncertain" in page


def test_reminders_due_soon_overdue_and_escalation_each_once(app, demo):
    give_addresses(app, demo)
    iid = task_records.start(app, "slm_process_management", "manager")
    task_id = task_records.ready_task(app, iid)
    due = datetime(2026, 3, 2, 12, 0)
    with app.extensions["slm"].sessions() as s:
        task = s.get(HumanTask, task_id)
        task.due_at, task.assignee = due, "manager2"
        s.commit()

    def remind(at):
        with app.extensions["slm"].sessions() as s:
            given = remind_due_tasks(s, at, timedelta(hours=24), timedelta(hours=8))
            s.commit()
        return given

    assert remind(due - timedelta(hours=30)) == 0
    assert remind(due - timedelta(hours=2)) == 1
    assert remind(due - timedelta(hours=1)) == 0
    assert notified(app, "task_due_soon") == ["manager2"]  # the assignee only
    assert remind(due + timedelta(hours=1)) == 1
    assert notified(app, "task_overdue") == ["manager2"]
    assert notified(app, "task_escalated") == []
    assert remind(due + timedelta(hours=9)) == 1
    assert remind(due + timedelta(hours=30)) == 0
    assert notified(app, "task_escalated") == ["owner"]  # the process owner
    assert _mailed(app, due + timedelta(hours=31), "task_due_soon", "task_overdue",
                   "task_escalated") == {"task_due_soon": [address("manager2")],
                                         "task_overdue": [address("manager2")],
                                         "task_escalated": [address("owner")]}


def _mailed(app, now, *kinds) -> dict:
    """Deliver the outbox to a loopback SMTP server: kind -> recipients (sorted, every
    message counted) for ``kinds``."""
    with SmtpSink() as sink:
        sink.wait_for(deliver(app, sink.url, now).sent)
        got = {kind: [] for kind in kinds}
        for rcpts, msg in sink.messages:
            if msg["X-SLM-Kind"] in got:
                got[msg["X-SLM-Kind"]] += rcpts
    return {kind: sorted(r) for kind, r in got.items()}


def test_preferences_in_app_off_and_a_daily_digest_at_the_persons_hour(app, demo):
    give_addresses(app, demo)
    with app.extensions["slm"].sessions() as s:
        m1 = s.scalar(select(User).where(User.username == "manager"))
        m2 = s.scalar(select(User).where(User.username == "manager2"))
        notes.set_preference(s, m1.id, "task_ready", "digest")
        notes.set_preference(s, m2.id, "task_ready", "off")
        s.add(DigestSetting(user_id=m1.id, timezone="Europe/Zurich", hour=9))
        s.commit()
    task_records.start(app, "slm_process_management", "manager")
    assert notified(app, "task_ready") == ["manager"]  # manager2: off
    assert mails(app) == []  # the digest is not written yet

    def digest(at):
        with app.extensions["slm"].sessions() as s:
            n = send_digests(s, at)
            s.commit()
        return n

    assert digest(datetime(2026, 3, 2, 7, 30)) == 0  # 08:30 in Zurich
    assert digest(datetime(2026, 3, 2, 8, 0)) == 1   # 09:00 in Zurich
    assert digest(datetime(2026, 3, 2, 8, 30)) == 0  # once a day
    [mail] = mails(app)
    assert mail.to_addr == address("manager") and "Set service level priorities" in mail.body


def test_agreement_events_reach_the_customer_organisation_and_the_managers(app, demo):
    give_addresses(app, demo)
    world = sla_world.agreed_sla(app, demo, demo.users["Customer"],
                                 sla_world.build_catalogue(app))
    assert notified(app, "draft_ready") == ["acme", "acme2"]
    assert notified(app, "sla_active") == ["acme", "acme2"]
    # the world builds its report directly; the review diagram's handler step reports so:
    with app.extensions["slm"].sessions() as s:
        on_engine_events(s, [{"kind": "handler_run", "at": utcnow(), "actor": "system",
                              "instance_id": world["instance_id"], "task_id": None,
                              "data": json.dumps({"handler": "build_customer_report",
                                                  "inputs": {}, "outputs": {
                                                      "report_id": world["report_id"],
                                                      "title": "March"}})}])
        s.commit()
    assert notified(app, "report_ready") == ["acme", "acme2"]
    for kind in ("draft_ready", "sla_active", "report_ready", "review_discussion"):
        assert "globex" not in notified(app, kind)
    with SmtpSink() as sink:
        result = deliver(app, sink.url)
        sink.wait_for(result.sent)
    assert address("globex") not in sink.recipients()
    with app.extensions["slm"].sessions() as s:
        assert s.scalar(select(MailMessage).where(MailMessage.status != "sent")) is None


def test_an_import_that_puts_a_target_at_risk_notifies_once(app, demo, client):
    from handlers.agreements.models import ServiceLevelAgreement
    from handlers.delivery.measurements import import_rows

    give_addresses(app, demo)
    world = sla_world.agreed_sla(app, demo, demo.users["Customer"],
                                 sla_world.build_catalogue(app))
    day = datetime(2026, 3, 1)

    def load(values, first_day, now):
        with app.extensions["slm"].sessions() as s:
            ref = s.get(ServiceLevelAgreement, world["sla_id"]).reference
            rows = [{"sla": ref, "metric": "availability",
                     "measured_at": (day + timedelta(days=first_day + i)).isoformat(),
                     "value": v} for i, v in enumerate(values)]
            result = import_rows(s, rows, "test", now)
            s.commit()
        assert result["imported"] == len(values), result

    load([99.99] * 5, 1, day + timedelta(days=5, hours=1))
    assert notified(app, "target_at_risk") == []
    # Gold: availability >= 99.9 %: one day at 99.5 % spends 0.12 h of the 0.744 h budget;
    # the forecast stays within it, but the last 6 h and 3 days burn faster than 1
    load([99.5], 6, day + timedelta(days=6, hours=1))
    told = notified(app, "target_at_risk")
    assert sorted(set(told)) == ["acme", "acme2", "manager", "manager2"]
    assert len(told) == 4
    load([99.6], 7, day + timedelta(days=7, hours=1))  # still at risk: nobody told again
    assert len(notified(app, "target_at_risk")) == 4
    load([90.0], 8, day + timedelta(days=8, hours=1))  # the budget is spent: breached
    assert sorted(notified(app, "target_breached")) == ["acme", "acme2", "manager",
                                                        "manager2"]
    told = sorted(address(u) for u in ("acme", "acme2", "manager", "manager2"))
    assert _mailed(app, day + timedelta(days=8, hours=2), "target_at_risk",
                   "target_breached") == {"target_at_risk": told, "target_breached": told}


def _health_on(client, demo, who: str, url: str) -> str:
    client_login(client, demo.users[who])
    page = client.get(url, follow_redirects=True).get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(page)})
    return page


def test_sla_health_shows_on_the_sla_list_and_the_home_pages(app, demo, client):
    from handlers.agreements.models import ServiceLevelAgreement
    from handlers.delivery.measurements import import_rows

    world = sla_world.agreed_sla(app, demo, demo.users["Customer"],
                                 sla_world.build_catalogue(app))
    now = utcnow()
    with app.extensions["slm"].sessions() as s:
        ref = s.get(ServiceLevelAgreement, world["sla_id"]).reference
        import_rows(s, [{"sla": ref, "metric": "availability", "value": 50.0,
                         "measured_at": (now - timedelta(minutes=5)).isoformat()}],
                    "test", now)
        s.commit()
    for who, url in (("Service Level Manager", "/slas"), ("Service Level Manager", "/"),
                     ("Customer", "/portal")):
        page = _health_on(client, demo, who, url)
        assert 'data-health="breached"' in page, (who, url)
    other = _health_on(client, demo, "Customer 2", "/portal")
    assert ref not in other and 'data-testid="sla-health"' not in other


def test_the_api_lists_ones_own_notifications_newest_first_and_marks_them_read(app, demo):
    from .api_support import api_as

    for i in range(3):
        task_records.start(app, "slm_process_management", "owner", title=f"Run {i}")
    manager = api_as(app, demo.users["Service Level Manager"])
    body = manager.get("/api/v1/notifications", per_page=2).get_json()
    assert (body["total"], body["unread"], len(body["items"])) == (3, 3, 2)
    ids = [n["id"] for n in body["items"]]
    assert ids == sorted(ids, reverse=True)  # newest first
    assert body["items"][0]["link"].startswith("/tasks/")
    read = manager.post(f"/api/v1/notifications/{ids[0]}/read")
    assert read.status_code == 200 and read.get_json()["read_at"]
    assert manager.get("/api/v1/notifications").get_json()["unread"] == 2
    # nobody reads another person's notification, nor learns that it exists
    customer = api_as(app, demo.users["Customer"])
    assert customer.post(f"/api/v1/notifications/{ids[1]}/read").status_code == 404
    assert customer.get("/api/v1/notifications").get_json()["total"] == 0


def test_without_a_mail_server_the_admin_reads_the_mail_in_the_outbox(app, demo, client):
    give_addresses(app, demo)
    task_records.start(app, "slm_process_management", "owner")
    assert deliver(app, None).sent == 2
    assert {(m.status, m.transport) for m in mails(app)} == {("sent", "outbox")}
    client_login(client, demo.users["Admin"])
    listing = client.get("/admin/outbox").get_data(as_text=True)
    assert "manager2@example.test" in listing and "Set service level priorities" in listing
    mail_id = mails(app)[0].id
    shown = client.get(f"/admin/outbox/{mail_id}").get_data(as_text=True)
    assert "is ready in the Service Level Manager queue" in shown


def test_preferences_page_sets_channels_and_the_digest_hour_and_refuses_bad_input(
        app, demo, client):
    token = client_login(client, demo.users["Service Level Manager"])
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert 'name="digest_timezone"' in page and 'value="UTC"' in page
    bad = client.post("/notifications/preferences", data={
        "csrf_token": token, "task_ready": "digest", "digest_timezone": "Mars/Olympus",
        "digest_hour": "25"})
    assert bad.status_code == 400
    text = bad.get_data(as_text=True)
    assert "unknown time zone" in text and "an hour from 0 to 23" in text
    wrong = client.post("/notifications/preferences", data={
        "csrf_token": token, "task_ready": "loud"})
    assert wrong.status_code == 400 and "choose one of" in wrong.get_data(as_text=True)
    with app.extensions["slm"].sessions() as s:
        uid = s.scalar(select(User.id).where(User.username == "manager"))
        assert notes.preferences(s, uid)["task_ready"] == "email"  # nothing half-saved
    ok = client.post("/notifications/preferences", data={
        "csrf_token": token, "task_ready": "digest", "review_due": "off",
        "digest_timezone": "Europe/Zurich", "digest_hour": "9"})
    assert ok.status_code == 302
    with app.extensions["slm"].sessions() as s:
        chosen = notes.preferences(s, uid)
        assert (chosen["task_ready"], chosen["review_due"]) == ("digest", "off")
        assert notes.digest_setting(s, uid) == ("Europe/Zurich", 9)
