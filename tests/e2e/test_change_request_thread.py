"""Issue 10, item 2: a change request has its page, and its conversation is on it (the
staff who follow change requests post and read; the auditor reads, never posts)."""
from __future__ import annotations

from sqlalchemy import select

from engine.clock import utcnow
from engine.models import AuditEvent
from handlers.outputs.models import ChangeRequest

from .support import client_login, seal_all


def test_a_change_request_page_shows_what_it_asks_and_its_conversation(app, demo):
    with app.extensions["slm"].sessions() as s:
        change = ChangeRequest(reference="CR-2026-0042", title="More monitoring",
                               description="Watch the mail queues every minute.",
                               status="open", created_by="manager", created_at=utcnow())
        s.add(change)
        s.commit()
        change_id = change.id
    manager = app.test_client()
    token = client_login(manager, demo.users["Service Level Manager"])
    listing = manager.get("/change-requests").data.decode()
    assert f'href="/change-requests/{change_id}"' in listing
    posted = manager.post(f"/conversations/change_request/{change_id}", data={
        "csrf_token": token, "text": "Owner: the platform team, by Friday."})
    assert posted.status_code == 302
    assert posted.headers["Location"].endswith(f"/change-requests/{change_id}#conversation")
    page = manager.get(f"/change-requests/{change_id}").data.decode()
    assert "Watch the mail queues every minute." in page
    assert "Owner: the platform team, by Friday." in page and 'data-testid="comment-form"' in page
    auditor = app.test_client()
    client_login(auditor, demo.users["Auditor"])
    read = auditor.get(f"/change-requests/{change_id}").data.decode()
    assert "Owner: the platform team, by Friday." in read
    assert 'data-testid="comment-form"' not in read  # reads, never posts
    assert manager.get("/change-requests/987654").status_code == 404
    seal_all(app.extensions["slm"].sessions)  # what a runner does within a second
    with app.extensions["slm"].sessions() as s:
        assert s.scalar(select(AuditEvent.kind).where(
            AuditEvent.kind == "comment_posted")) == "comment_posted"
