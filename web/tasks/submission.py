"""Around completing a task: what the registry of subjects adds to the engine's checks.

``check_submission`` refuses, by form field, target changes that make no sense for their
metric (the same check as every other entry point, ``change_problems``) and a
clarification's answer that cannot be stored (``answer_problems``), before anything is
stored. ``post_form_comments`` puts the comment fields of the form into the subject's
conversation, in the same transaction as the completion.
"""
from __future__ import annotations

from engine.tasks import task_data
from handlers.agreements.models import ServiceLevelAgreement
from handlers.agreements.negotiation import change_problems
from handlers.agreements.operations import current_terms
from handlers.conversations import operations as conversations
from handlers.requirements.clarification import answer_problems

from .subjects import conversation_of

#: per element: the form field holding a counter-proposal or revision of the SLA's terms
CHANGE_FIELDS = {"review_draft": "requested_changes", "revise_sla": "changes"}
#: per element: the form fields whose text joins the subject's conversation
COMMENT_FIELDS = {"discuss_results": ("notes",), "record_the_review": ("discussion",),
                  "define_supporting": ("note",), "clarify_wish": ("answer",)}
#: per element: a check of the whole submission, (session, submitted) -> errors by field
CHECKS = {"clarify_wish": answer_problems}
DEFAULT_COMMENT_FIELDS = ("comment",)


def _comment_texts(element_id: str, submitted: dict) -> list[str]:
    fields = COMMENT_FIELDS.get(element_id, DEFAULT_COMMENT_FIELDS)
    return [submitted[f].strip() for f in fields
            if isinstance(submitted.get(f), str) and submitted[f].strip()]


def check_submission(engine, session, task, submitted: dict, now) -> tuple[dict, dict]:
    """(errors by form field, the task's data) for ``submitted``; the data is read only
    when needed (empty otherwise)."""
    if task.element_id in CHECKS:
        errors = CHECKS[task.element_id](session, submitted)
        return errors, ({} if errors else task_data(engine, session, task, now))
    field = CHANGE_FIELDS.get(task.element_id)
    changes = submitted.get(field) if field else None
    if not isinstance(changes, dict) and not _comment_texts(task.element_id, submitted):
        return {}, {}
    data = task_data(engine, session, task, now)
    if not isinstance(changes, dict):
        return {}, data
    sla_id = data.get("sla_id")
    sla = session.get(ServiceLevelAgreement, sla_id) if isinstance(sla_id, int) else None
    if sla is None or not sla.versions:
        return {}, data
    problems = change_problems(session, current_terms(sla), changes)
    return {f"{field}.{path}": messages for path, messages in problems.items()}, data


def post_form_comments(session, task, submitted: dict, data: dict,
                       author: conversations.Author, now) -> int:
    """Post the form's comment fields to the task's conversation; how many were posted."""
    subject = conversation_of(task.element_id, data)
    if subject is None:
        return 0
    texts = _comment_texts(task.element_id, submitted)
    wish = data.get("clarification") if task.element_id == "clarify_wish" else None
    if isinstance(wish, dict) and wish.get("text"):  # say which wish the answer is about
        texts = [f"About your wish “{wish['text']}”: {text}" for text in texts]
    for text in texts:
        conversations.post_comment(session, subject[0], subject[1], author,
                                   text[:conversations.MAX_TEXT], now, source=task.name)
    return len(texts)
