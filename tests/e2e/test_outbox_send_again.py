"""An admin sends a failed or an uncertain mail again from the outbox: it goes back to
pending with its attempts counted afresh, keeps its Message-ID, is audited, and reaches a
real SMTP server (aiosmtpd on loopback); a mail in any other state is refused."""
from __future__ import annotations

import json
from datetime import timedelta

from smtp_sink import SmtpSink, free_port
from sqlalchemy import select

from engine.clock import utcnow
from engine.models import AuditEvent
from handlers.notifications.delivery import backoff
from handlers.notifications.models import MailMessage

from . import task_records
from .notify_world import deliver, give_addresses, mails
from .support import client_login, csrf_token, seal_all


def _fail_every_attempt(app) -> None:
    url, now = f"smtp://127.0.0.1:{free_port()}", utcnow()
    for attempt in range(1, 7):
        deliver(app, url, now)
        now += backoff(attempt)


def _resent_events(app) -> list[dict]:
    seal_all(app.extensions["slm"].sessions)  # what a runner does within a second
    with app.extensions["slm"].sessions() as s:
        return [dict(json.loads(e.data), actor=e.actor) for e in s.scalars(
            select(AuditEvent).where(AuditEvent.kind == "mail_resent").order_by(AuditEvent.id))]


def test_a_failed_mail_sent_again_arrives_once_with_its_message_id(app, demo, client):
    give_addresses(app, demo)
    task_records.start(app, "slm_process_management", "manager")
    _fail_every_attempt(app)
    first = mails(app)[0]
    assert first.status == "failed"
    client_login(client, demo.users["Admin"])
    page = client.get(f"/admin/outbox/{first.id}").get_data(as_text=True)
    assert 'data-testid="send-again"' in page and "Every attempt to send this mail failed" in page
    answer = client.post(f"/admin/outbox/{first.id}/send-again",
                         data={"csrf_token": csrf_token(page)}, follow_redirects=True)
    assert answer.status_code == 200
    assert "will be sent again" in answer.get_data(as_text=True)
    again = {m.id: m for m in mails(app)}[first.id]
    assert (again.status, again.attempts, again.last_error) == ("pending", 0, "")
    assert [(e["mail_id"], e["was"], e["attempts"], e["actor"]) for e in _resent_events(app)] == [
        (first.id, "failed", 6, demo.users["Admin"].username)]
    with SmtpSink() as sink:
        done = deliver(app, sink.url)
        assert done.sent == 1  # only the mail sent again; the other failed one stays failed
        sink.wait_for(1)
        [arrived] = sink.to(first.to_addr)
    statuses = {m.id: m.status for m in mails(app)}
    assert statuses[first.id] == "sent"
    assert sorted(statuses.values()) == ["failed", "sent"]
    assert arrived["X-SLM-Mail-Id"] == str(first.id) and arrived["Message-ID"]


def test_an_uncertain_mail_can_be_sent_again_and_a_sent_one_cannot(app, demo, client):
    give_addresses(app, demo)
    task_records.start(app, "slm_process_management", "manager")
    now = utcnow()
    first, second = mails(app)
    with app.extensions["slm"].sessions() as s:  # as a runner that died while sending leaves it
        row = s.get(MailMessage, first.id)
        row.status, row.claimed_by, row.claim_expires_at = "sending", "dead", now
        s.commit()
    with SmtpSink() as sink:
        deliver(app, sink.url, now + timedelta(minutes=1))  # takes over: uncertain; sends second
        sink.wait_for(1)
    assert {m.id: m.status for m in mails(app)} == {first.id: "uncertain", second.id: "sent"}
    client_login(client, demo.users["Admin"])
    listing = client.get("/admin/outbox").get_data(as_text=True)
    assert "1 mail may not have arrived" in listing and "open it to send it again" in listing
    token = csrf_token(listing)

    refused = client.post(f"/admin/outbox/{second.id}/send-again", data={"csrf_token": token},
                          follow_redirects=True)
    assert "only a failed or uncertain mail can be sent again" in refused.get_data(as_text=True)
    assert {m.id: m.status for m in mails(app)}[second.id] == "sent"
    assert client.post("/admin/outbox/999999/send-again",
                       data={"csrf_token": token}).status_code == 404
    assert client.post(f"/admin/outbox/{first.id}/send-again").status_code == 400  # no CSRF
    assert {m.id: m.status for m in mails(app)}[first.id] == "uncertain"

    client.post(f"/admin/outbox/{first.id}/send-again", data={"csrf_token": token})
    assert [(e["mail_id"], e["was"]) for e in _resent_events(app)] == [(first.id, "uncertain")]
    with SmtpSink() as sink:
        assert deliver(app, sink.url, now + timedelta(minutes=2)).sent == 1
        sink.wait_for(1)
        assert sink.recipients() == [first.to_addr]


def test_only_an_admin_may_send_a_mail_again(app, demo, client):
    give_addresses(app, demo)
    task_records.start(app, "slm_process_management", "manager")
    _fail_every_attempt(app)
    mail_id = mails(app)[0].id
    token = client_login(client, demo.users["Service Level Manager"])
    assert client.post(f"/admin/outbox/{mail_id}/send-again",
                       data={"csrf_token": token}).status_code == 403
    assert {m.id: m.status for m in mails(app)}[mail_id] == "failed"
    assert _resent_events(app) == []


def test_the_admin_sends_a_failed_mail_again_in_the_browser(app, page, demo, login, screenshot):
    give_addresses(app, demo)
    task_records.start(app, "slm_process_management", "manager")
    _fail_every_attempt(app)
    failed = mails(app)
    login(page, demo.users["Admin"])
    page.goto("/admin/outbox")
    assert "2 mails could not be delivered" in page.get_by_test_id("failed-mail").inner_text()
    assert page.get_by_test_id("send-again").count() == 2
    page.get_by_role("link", name=failed[0].subject).first.click()
    screenshot(page, "outbox-mail-failed")
    page.get_by_test_id("send-again").click()
    assert "will be sent again" in page.get_by_test_id("flashes").inner_text()
    assert page.get_by_test_id("send-again").count() == 0  # pending: nothing to send again
    statuses = sorted(m.status for m in mails(app))
    assert statuses == ["failed", "pending"]
