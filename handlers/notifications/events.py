"""Who is told about what: engine steps and domain events become notifications.

:func:`on_engine_events` is subscribed to the engine's observer seam
(:mod:`engine.observers`) by :func:`register`: it runs inside every step's transaction, so
a notification exists exactly when the step that caused it committed. People are chosen
by role, organisation and assignment; a customer is only ever told about their own
organisation's work.
"""
from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import observers
from engine.i18n import LazyText, lazy_gettext
from engine.lanes import is_owner
from engine.models import HumanTask, ProcessInstance
from handlers.people.models import ROLES, Organisation, Role, User, user_role
from handlers.requirements.clarification import pending
from handlers.requirements.models import ServiceLevelRequirement

from .operations import notify

#: roles whose people see every organisation's work
PROVIDER_ROLES = ("Process Owner", "Service Level Manager")
#: a user task that is more than "a task is ready": element id -> kind
TASK_KINDS = {
    "review_draft": "draft_ready",
    "discuss_results": "review_discussion",
    "revise_sla": "counter_proposal",
    "define_supporting": "clarification",
    "clarify_wish": "clarification",
}


def people_with_role(session: Session, role: str, organisation: str | None = None) -> list[User]:
    """Active users holding ``role``; customers only of ``organisation`` (a key): a customer
    task without an organisation reaches nobody rather than every customer."""
    query = select(User).join(user_role, user_role.c.user_id == User.id).join(
        Role, Role.id == user_role.c.role_id).where(User.active.is_(True), Role.name == role)
    # built-in roles other than the provider's reach one organisation; roles admins added
    # are the provider's staff
    if role == "Customer" or (role in ROLES and role not in PROVIDER_ROLES):
        if not organisation:
            return []
        query = query.join(Organisation, User.organisation_id == Organisation.id).where(
            Organisation.key == organisation)
    return list(session.scalars(query))


def people_named(session: Session, usernames: Iterable[str]) -> list[User]:
    names = [n for n in usernames if n]
    if not names:
        return []
    return list(session.scalars(select(User).where(User.username.in_(names),
                                                   User.active.is_(True))))


def _task(session: Session, ev: dict) -> HumanTask | None:
    return session.scalar(select(HumanTask).where(
        HumanTask.instance_id == ev["instance_id"], HumanTask.task_id == ev["task_id"]))


def _task_ready(session: Session, ev: dict) -> None:
    task = _task(session, ev)
    if task is None or not task.lane:
        return
    kind = TASK_KINDS.get(task.element_id, "task_ready")
    title = task.name
    body = lazy_gettext("The task “%(name)s” is ready in the %(lane)s queue.",
                        name=task.name, lane=LazyText(task.lane))
    if task.element_id == "clarify_wish" and (wish := _wish_to_clarify(session, task)):
        title = lazy_gettext("Clarification needed: “%(wish)s”", wish=wish["text"])
        body = lazy_gettext("The task “%(name)s” is ready in the %(lane)s queue. The "
                            "customer asked how their wish “%(wish)s” can be measured; your "
                            "answer goes back to them.", name=task.name,
                            lane=LazyText(task.lane), wish=wish["text"])
    people = [u for u in people_with_role(session, task.lane, task.organisation)
              if is_owner(task.lane_owners, u.username)]  # a narrowed lane: its people only
    notify(session, people, kind, title, now=ev["at"], link=f"/tasks/{task.id}", body=body)


def _wish_to_clarify(session: Session, task: HumanTask) -> dict | None:
    """The wish a clarification task is about: its requirement's first one without an
    answer (the diagram clarifies them in order). When the first task comes up in the step
    that starts the agreement, the requirement does not name its instance yet: it is then
    the organisation's newest requirement without one (same transaction)."""
    slr = session.scalar(select(ServiceLevelRequirement).where(
        ServiceLevelRequirement.instance_id == task.instance_id))
    if slr is None and task.organisation:
        slr = session.scalar(select(ServiceLevelRequirement).join(
            Organisation, Organisation.id == ServiceLevelRequirement.organisation_id).where(
            ServiceLevelRequirement.instance_id.is_(None), Organisation.key == task.organisation)
            .order_by(ServiceLevelRequirement.id.desc()))
    return None if slr is None else next(iter(pending(json.loads(slr.assessment or "{}"))),
                                         None)


def _task_assigned(session: Session, ev: dict) -> None:
    data = json.loads(ev["data"])
    assignee = data.get("assignee")
    task = _task(session, ev)
    if task is None or not assignee or assignee == ev["actor"]:
        return
    # a customer only ever hears of their own organisation's tasks; staff of any
    users = [u for u in people_named(session, [assignee])
             if "Customer" not in u.role_set or task.organisation is None
             or (u.organisation is not None and u.organisation.key == task.organisation)]
    notify(session, users, "task_assigned",
           lazy_gettext("Assigned to you: %(name)s", name=task.name),
           now=ev["at"], link=f"/tasks/{task.id}",
           body=lazy_gettext("%(actor)s assigned the task “%(name)s” to you.",
                             actor=ev["actor"], name=task.name))


def _organisation(session: Session, instance_id) -> str | None:
    if instance_id is None:
        return None
    return session.scalar(select(ProcessInstance.organisation).where(
        ProcessInstance.id == instance_id))


def _handler_run(session: Session, ev: dict) -> None:
    data = json.loads(ev["data"])
    name, inputs, outputs = data.get("handler"), data.get("inputs") or {}, data.get("outputs")
    outputs = outputs if isinstance(outputs, dict) else {}
    org = _organisation(session, ev["instance_id"])
    at = ev["at"]
    if name == "activate_sla":
        sla = inputs.get("sla_id")
        notify(session, people_with_role(session, "Customer", org), "sla_active",
               lazy_gettext("Your SLA is active"), now=at, link=f"/portal/slas/{sla}",
               body=lazy_gettext("The agreement is in force until %(valid_until)s.",
                                 valid_until=outputs.get("valid_until", "?")))
    elif name == "build_customer_report" and outputs.get("report_id"):
        notify(session, people_with_role(session, "Customer", org), "report_ready",
               lazy_gettext("Report ready: %(title)s", title=outputs.get("title", "")), now=at,
               link=f"/portal/reports/{outputs['report_id']}",
               body=lazy_gettext("A new service report is ready to read."))
    elif name == "record_clarification" and outputs.get("text"):
        notify(session, people_with_role(session, "Customer", org), "clarification_answered",
               lazy_gettext("Your wish was clarified: “%(wish)s”", wish=outputs["text"]),
               now=at, link=f"/portal/requirements/{inputs.get('slr_id')}",
               body=lazy_gettext("The service level manager answered how your wish can be "
                                 "measured; the answer is on your requirement."))
    elif name == "review_due" and outputs.get("continue"):
        notify(session, people_with_role(session, "Service Level Manager"), "review_due",
               lazy_gettext("A service review is due"), now=at, link="/reviews",
               body=lazy_gettext("The review cycle of SLA %(sla)s has a review due.",
                                 sla=inputs.get("sla_id")))
    elif name == "raise_change_request":
        for cr in outputs.get("change_requests") or []:
            people = (people_with_role(session, "Service Level Manager")
                      + people_with_role(session, "Process Owner"))
            notify(session, {u.id: u for u in people}.values(), "change_request",
                   lazy_gettext("Change request %(reference)s: %(title)s",
                                reference=cr.get("reference", ""), title=cr.get("title", "")),
                   now=at, link="/change-requests",
                   body=lazy_gettext("A change request was raised."))


#: where staff open a conversation's subject
_STAFF_LINKS = {"sla": "/slas/{}", "review": "/reviews/{}", "change_request": "/change-requests",
                "requirement": "/tasks"}


def _comment_posted(session: Session, ev: dict) -> None:
    """A customer's comment (on a page or with a task) tells the managers: "a comment
    arrived". Staff comments tell nobody (staff read the thread where they work)."""
    data = json.loads(ev["data"])
    if data.get("role") != "Customer":
        return
    kind, subject = data.get("subject_type"), data.get("subject_id")
    link = _STAFF_LINKS.get(kind, "").format(subject)
    notify(session, people_with_role(session, "Service Level Manager"), "counter_proposal",
           f"A comment from {ev['actor']} ({kind} {subject})", now=ev["at"], link=link,
           body=f"{ev['actor']} wrote in the conversation of {kind} {subject}.")


_ROUTES = {"task_ready": _task_ready, "task_assigned": _task_assigned,
           "handler_run": _handler_run, "comment_posted": _comment_posted}


def on_engine_events(session: Session, events: list[dict]) -> None:
    """The observer: notifications for the step's events, in its transaction."""
    for ev in events:
        route = _ROUTES.get(ev["kind"])
        if route is not None:
            route(session, ev)


def register() -> None:
    """Subscribe to the engine's steps (the application's wiring calls this once)."""
    observers.subscribe(on_engine_events)
