"""One conversation per subject: post a comment (with files), read a thread.

``post_comment`` is the one way into a thread, for comments typed on a subject's page and
for the comment fields of task forms alike; it records ``comment_posted`` and, per file,
``attachment_added`` in the audit log (engine.audit) in the caller's transaction. Files are
kept in the database; their type is judged by their content (``filetype`` for PDF, PNG and
JPEG; text that decodes as UTF-8 for CSV and plain text), never by the name or the type the
browser claimed. Invalid input raises ValidationError by field and stores nothing.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime

import filetype
from sqlalchemy import select

from engine.audit import AuditTrail
from engine.i18n import _
from handlers.agreements.models import ServiceLevelAgreement
from handlers.errors import DomainError, ValidationError
from handlers.outputs.models import ChangeRequest, DesignSpecification
from handlers.requirements.models import ServiceLevelRequirement
from handlers.reviews.models import ImprovementProposal, Review

from .models import SUBJECT_TYPES, Attachment, Comment

MAX_TEXT = 4000
MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FILES = 5
#: what may be attached, by the type found in the content
ALLOWED_TYPES = {"application/pdf": "PDF", "image/png": "PNG", "image/jpeg": "JPEG",
                 "text/csv": "CSV", "text/plain": "plain text"}
_UNSAFE_NAME = re.compile(r"[^\w.\- ()]+")


@dataclass(frozen=True)
class Author:
    """Who writes, as the thread shows them."""

    username: str
    name: str
    role: str
    organisation: str = ""


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes


def subject_organisation(session, subject_type: str, subject_id: int) -> int | None:
    """The customer organisation of the subject (None: a subject of no customer).
    Raises DomainError when there is no such subject."""
    record = _subject(session, subject_type, subject_id)
    if isinstance(record, ServiceLevelRequirement | ServiceLevelAgreement):
        return record.organisation_id
    if isinstance(record, Review):
        return record.sla.organisation_id
    return _change_request_organisation(session, record)


def _subject(session, subject_type: str, subject_id):
    model = {"requirement": ServiceLevelRequirement, "sla": ServiceLevelAgreement,
             "review": Review, "change_request": ChangeRequest}.get(subject_type)
    record = None
    if model is not None and isinstance(subject_id, int) and not isinstance(subject_id, bool):
        record = session.get(model, subject_id)
    if record is None:
        raise DomainError(_("%(subject_type)s %(subject_id)s does not exist",
                            subject_type=subject_type,
                            subject_id=repr(subject_id)))
    return record


def _change_request_organisation(session, cr: ChangeRequest) -> int | None:
    if cr.sla_id:
        return session.scalar(select(ServiceLevelAgreement.organisation_id).where(
            ServiceLevelAgreement.id == cr.sla_id))
    if cr.design_spec_id:
        return session.scalar(select(DesignSpecification.organisation_id).where(
            DesignSpecification.id == cr.design_spec_id))
    if cr.proposal_id:
        sla_id = session.scalar(select(ImprovementProposal.sla_id).where(
            ImprovementProposal.id == cr.proposal_id))
        if sla_id:
            return session.scalar(select(ServiceLevelAgreement.organisation_id).where(
                ServiceLevelAgreement.id == sla_id))
    return None


def sniff(content: bytes) -> str | None:
    """The allowed type of ``content`` by what it is, or None when it is none of them."""
    kind = filetype.guess(content)
    if kind is not None:
        return kind.mime if kind.mime in ALLOWED_TYPES else None
    if b"\x00" in content:
        return None
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    lines = [line for line in text.splitlines()[:20] if line.strip()]
    commas = {line.count(",") for line in lines}
    return "text/csv" if lines and len(commas) == 1 and commas != {0} else "text/plain"


def _file_errors(files: list[Upload]) -> tuple[dict, list[tuple[Upload, str]]]:
    errors, accepted = {}, []
    if len(files) > MAX_FILES:
        errors["files"] = [_("attach at most %(MAX_FILES)s files to one comment",
                             MAX_FILES=MAX_FILES)]
    for upload in files[:MAX_FILES]:
        name = upload.filename or "(no name)"
        if not upload.content:
            errors.setdefault("files", []).append(_("%(name)s is empty", name=name))
        elif len(upload.content) > MAX_FILE_BYTES:
            errors.setdefault("files", []).append(
                _("%(name)s is %(content)s MB: the limit is %(MAX_FILE_BYTES)s MB",
                  name=name,
                  content=format(len(upload.content) / 1048576, '.1f'),
                  MAX_FILE_BYTES=MAX_FILE_BYTES // 1048576))
        elif (kind := sniff(upload.content)) is None:
            errors.setdefault("files", []).append(
                _("%(name)s is not a PDF, PNG, JPEG, CSV or plain text file (judged by its "
                  "content)",
                  name=name))
        else:
            accepted.append((upload, kind))
    return errors, accepted


def safe_filename(name: str) -> str:
    """A file name fit for a download header: no path, no odd characters, bounded."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE_NAME.sub("_", base).strip(" .") or "attachment"
    return base[-120:]


def post_comment(session, subject_type: str, subject_id: int, author: Author, text: str,
                 now: datetime, files: list[Upload] | None = None,
                 source: str = "page") -> Comment:
    """Add a comment (and its files) to the subject's thread; audit events in the same
    transaction (caller commits). Raises ValidationError (text empty without files, too
    long; a file too big, empty or of a type not allowed) or DomainError (no subject)."""
    if subject_type not in SUBJECT_TYPES:
        raise DomainError(_("%(subject_type)s has no conversation",
                            subject_type=repr(subject_type)))
    organisation_id = subject_organisation(session, subject_type, subject_id)
    text = (text or "").replace("\r\n", "\n").strip()
    files = list(files or [])
    errors, accepted = _file_errors(files)
    if not text and not files:
        errors["text"] = [_("write a comment or attach a file")]
    elif len(text) > MAX_TEXT:
        errors["text"] = [_("a comment has at most %(MAX_TEXT)s characters (%(value)s given)",
                            MAX_TEXT=MAX_TEXT,
                            value=len(text))]
    if errors:
        raise ValidationError(errors)
    comment = Comment(subject_type=subject_type, subject_id=subject_id,
                      organisation_id=organisation_id, author=author.username,
                      author_name=author.name, role=author.role,
                      author_organisation=author.organisation, text=text,
                      source=source[:200], created_at=now)
    session.add(comment)
    for upload, kind in accepted:
        comment.attachments.append(Attachment(
            filename=safe_filename(upload.filename), content_type=kind,
            size=len(upload.content), sha256=hashlib.sha256(upload.content).hexdigest(),
            content=upload.content))
    session.flush()
    trail = AuditTrail()
    subject = {"subject_type": subject_type, "subject_id": subject_id}
    trail.add("comment_posted", at=now, actor=author.username,
              data={**subject, "comment_id": comment.id, "role": author.role,
                    "source": comment.source, "text": text})
    for a in comment.attachments:
        trail.add("attachment_added", at=now, actor=author.username,
                  data={**subject, "comment_id": comment.id, "attachment_id": a.id,
                        "filename": a.filename, "content_type": a.content_type,
                        "size": a.size, "sha256": a.sha256})
    trail.flush(session)
    return comment


def thread(session, subject_type: str, subject_id: int) -> list[Comment]:
    """The subject's comments, oldest first, with their attachments."""
    return list(session.scalars(select(Comment).where(
        Comment.subject_type == subject_type, Comment.subject_id == subject_id)
        .order_by(Comment.created_at, Comment.id)))


def latest_comments(session, subject_type: str, subject_id: int, limit: int = 50
                    ) -> list[Comment]:
    """The last ``limit`` comments of the thread, oldest first (for task pages)."""
    rows = list(session.scalars(select(Comment).where(
        Comment.subject_type == subject_type, Comment.subject_id == subject_id)
        .order_by(Comment.created_at.desc(), Comment.id.desc()).limit(limit)))
    return rows[::-1]


def attachment(session, attachment_id: int) -> Attachment:
    """The attachment; DomainError when there is none."""
    found = session.get(Attachment, attachment_id)
    if found is None:
        raise DomainError(_("attachment %(attachment_id)s does not exist",
                            attachment_id=attachment_id))
    return found
