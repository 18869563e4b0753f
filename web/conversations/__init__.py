"""Conversations: a subject's thread on its page, posting a comment (with files) and
downloading an attachment. Customers see and post only on their organisation's subjects
(another organisation's is a 404); auditors read, never post."""
from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, request
from flask_login import current_user

from engine.clock import utcnow
from engine.i18n import _
from handlers.conversations import operations as conversations
from handlers.conversations.models import SUBJECT_TYPES
from handlers.errors import DomainError, ValidationError

from .. import db_session
from ..auth.access import check_organisation, roles_required
from .threads import author, back_to_subject, comment_json, save_errors

bp = Blueprint("conversations", __name__, url_prefix="/conversations")

POSTERS = ("Process Owner", "Service Level Manager", "Customer")
READERS = (*POSTERS, "Auditor")


def _subject(subject_type: str, subject_id: int) -> int | None:
    """The subject's organisation, or 404 (no such subject, or another organisation's)."""
    if subject_type not in SUBJECT_TYPES:
        abort(404)
    try:
        organisation_id = conversations.subject_organisation(db_session(), subject_type,
                                                             subject_id)
    except DomainError:
        abort(404)
    check_organisation(organisation_id)
    return organisation_id


@bp.post("/<subject_type>/<int:subject_id>")
@roles_required(*POSTERS)
def post(subject_type: str, subject_id: int):
    _subject(subject_type, subject_id)
    session = db_session()
    files = [conversations.Upload(f.filename or "", f.read(conversations.MAX_FILE_BYTES + 1))
             for f in request.files.getlist("files") if f and f.filename]
    try:
        conversations.post_comment(session, subject_type, subject_id, author(session),
                                   request.form.get("text", ""), utcnow(), files)
    except ValidationError as exc:
        session.rollback()
        save_errors(exc.errors, request.form.get("text", ""))
        flash(_("Nothing was posted: ") + "; ".join(m for ms in exc.errors.values() for m in ms),
              "danger")
        return redirect(back_to_subject(subject_type, subject_id) + "#conversation")
    session.commit()
    flash(_("Your comment was posted."), "success")
    return redirect(back_to_subject(subject_type, subject_id) + "#conversation")


@bp.get("/<subject_type>/<int:subject_id>")
@roles_required(*READERS)
def thread(subject_type: str, subject_id: int):
    """The thread as JSON (for integration and the browser tests)."""
    _subject(subject_type, subject_id)
    rows = conversations.thread(db_session(), subject_type, subject_id)
    return {"subject": {"type": subject_type, "id": subject_id},
            "comments": [comment_json(c) for c in rows]}


@bp.get("/attachments/<int:attachment_id>")
@roles_required(*READERS)
def download(attachment_id: int):
    session = db_session()
    try:
        found = conversations.attachment(session, attachment_id)
    except DomainError:
        abort(404)
    check_organisation(found.comment.organisation_id)
    if current_user.is_customer and found.comment.organisation_id is None:
        abort(404)
    response = make_response(found.content)
    response.headers["Content-Type"] = found.content_type
    response.headers["Content-Disposition"] = f'attachment; filename="{found.filename}"'
    response.headers["Cache-Control"] = "private, no-store"
    return response
