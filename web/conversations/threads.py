"""Helpers of the conversation pages: who writes, where a subject's page is, a comment as
JSON, and the thread partial's context (``thread_context``) for any subject page."""
from __future__ import annotations

from flask import request, url_for
from flask import session as flask_session
from flask_login import current_user

from handlers.conversations import operations as conversations

from ..nav import url_if

#: the role shown beside a comment, most specific first
ROLE_ORDER = ("Customer", "Service Level Manager", "Process Owner", "Admin", "Auditor")


def author(session) -> conversations.Author:
    role = next((r for r in ROLE_ORDER if r in current_user.roles), "")
    return conversations.Author(current_user.username, current_user.display_name, role,
                                current_user.organisation_name or "")


def subject_url(subject_type: str, subject_id: int) -> str | None:
    """The page of the subject the current user may open, or None."""
    customer = current_user.is_customer
    if subject_type == "requirement":
        return url_if("portal.requirement" if customer else "requirements.show",
                      slr_id=subject_id)
    if subject_type == "sla":
        return url_if("portal.sla" if customer else "agreements.show", sla_id=subject_id)
    if subject_type == "review":
        return url_if("reviews.detail", review_id=subject_id)
    if subject_type == "change_request":
        return url_if("reviews.change_request", change_id=subject_id)
    return None


def back_to_subject(subject_type: str, subject_id: int) -> str:
    target = None
    raw = request.form.get("next", "")
    if raw.startswith("/") and not raw.startswith("//") and "\\" not in raw:
        target = raw
    return target or subject_url(subject_type, subject_id) or url_for("home.index")


def save_errors(errors: dict, text: str) -> None:
    flask_session["comment_errors"] = {"errors": errors, "text": text[:4000]}


def comment_json(c) -> dict:
    return {"id": c.id, "author": c.author, "author_name": c.author_name, "role": c.role,
            "organisation": c.author_organisation, "text": c.text, "source": c.source,
            "created_at": c.created_at.isoformat(),
            "attachments": [{"id": a.id, "filename": a.filename,
                             "content_type": a.content_type, "size": a.size,
                             "url": url_for("conversations.download", attachment_id=a.id)}
                            for a in c.attachments]}


def thread_context(session, subject_type: str, subject_id: int, next_url: str = "") -> dict:
    """What templates/conversations/_thread.html needs for one subject."""
    pending = flask_session.pop("comment_errors", None) or {}
    return {"subject_type": subject_type, "subject_id": subject_id,
            "comments": conversations.thread(session, subject_type, subject_id),
            "may_post": not current_user.is_auditor and url_if(
                "conversations.post", subject_type=subject_type, subject_id=subject_id),
            "errors": pending.get("errors") or {}, "text": pending.get("text") or "",
            "next": next_url}
