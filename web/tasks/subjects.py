"""What each human task is about: the one registry of task subjects.

``SUBJECTS`` maps the element id of every user task of the four diagrams in
workflows/bpmn to its subject: which record it is about (read from the task data), which
conversation it belongs to, and how it is shown (``view``, the partial
templates/tasks/subjects/<view>.html renders it; the API returns the same dict).
docs/handlers.md lists them. A task whose element is not listed (a diagram deployed by a
process owner) shows the records its data names, as before (``context.references``).
"""
from __future__ import annotations

from dataclasses import dataclass

from engine.i18n import N_, _

from . import subject_views as views


@dataclass(frozen=True)
class SubjectKind:
    #: what the task is about, in words
    what: str
    #: how it is shown: a function (session, data, viewer) -> dict, and its partial template
    view: str
    #: the conversation it belongs to: (subject type, data key of the subject's id) or None
    conversation: tuple[str, str] | None = None


SUBJECTS: dict[str, SubjectKind] = {
    # SLA agreement
    "choose_option": SubjectKind(N_("the customer's requirement and its ranked options"),
                                 "options", ("requirement", "slr_id")),
    "clarify_wish": SubjectKind(N_("a wish the customer could not make measurable"), "wish",
                                ("requirement", "slr_id")),
    "define_supporting": SubjectKind(N_("the chosen service's missing supporting processes"),
                                     "supporting", ("requirement", "slr_id")),
    "review_draft": SubjectKind(N_("the SLA draft"), "draft", ("sla", "sla_id")),
    "approve_agreement": SubjectKind(N_("the SLA draft"), "draft", ("sla", "sla_id")),
    "revise_sla": SubjectKind(N_("the SLA draft"), "draft", ("sla", "sla_id")),
    # service performance review
    "discuss_results": SubjectKind(N_("the review's report"), "review", ("review", "review_id")),
    "record_the_review": SubjectKind(N_("the review's report"), "review", ("review", "review_id")),
    "decide_improvements": SubjectKind(N_("the review's improvement proposals"), "proposals",
                                       ("review", "review_id")),
    # process definition
    "plan_process": SubjectKind(N_("the SLM process and its service catalogue"), "catalogue"),
    "maintain_catalogue": SubjectKind(N_("the service catalogue and costs"), "catalogue"),
    "register_supporting": SubjectKind(N_("the services whose supporting processes are missing"),
                                       "catalogue"),
    "approve_definition": SubjectKind(N_("the process definition: the catalogue's readiness"),
                                      "catalogue"),
    "improve_process": SubjectKind(N_("the SLM process: its improvement proposals"),
                                   "process_ideas"),
    # process management
    "set_priorities_task": SubjectKind(N_("the delivered service levels of every active SLA"),
                                       "levels"),
    "review_management": SubjectKind(N_("the management report"), "management"),
}

BUILDERS = {"wish": views.wish, "options": views.options, "supporting": views.supporting,
            "draft": views.draft,
            "review": views.review, "proposals": views.proposals, "catalogue": views.catalogue,
            "process_ideas": views.process_ideas, "levels": views.levels,
            "management": views.management}


def conversation_of(element_id: str, data: dict) -> tuple[str, int] | None:
    """(subject type, id) of the task's conversation, or None."""
    kind = SUBJECTS.get(element_id)
    if kind is None or kind.conversation is None:
        return None
    subject_type, key = kind.conversation
    ident = data.get(key)
    if isinstance(ident, int) and not isinstance(ident, bool):
        return subject_type, ident
    return None


def task_subject(session, element_id: str, data: dict, customer: bool) -> dict | None:
    """The subject of a task as a JSON-safe dict ``{what, view, title, link, ...}``, or None
    for a task not in the registry. ``customer``: the viewer is a customer (links go to the
    customer's pages)."""
    kind = SUBJECTS.get(element_id)
    if kind is None:
        return None
    shown = BUILDERS[kind.view](session, data, customer)
    conversation = conversation_of(element_id, data)
    return {"what": _(kind.what), "view": kind.view,
            "conversation": None if conversation is None else
            {"type": conversation[0], "id": conversation[1]}, **shown}
