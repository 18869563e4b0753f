"""What a process instance is about, and the instances of a record.

The links are the records' ``instance_id`` columns (requirement: the agreement instance it
started; SLA: the agreement instance that drafted it; review: its review instance; change
request: the instance that raised it) and, for an SLA, those of its requirement, reviews
and change requests.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.models import ProcessInstance
from handlers.agreements.models import ServiceLevelAgreement
from handlers.outputs.models import ChangeRequest
from handlers.people.models import Organisation
from handlers.requirements.models import ServiceLevelRequirement
from handlers.reviews.models import Review

#: the kinds of record an instance can be about, in the order a page lists them
KINDS = ("requirement", "sla", "review", "change_request")


@dataclass(frozen=True)
class Subject:
    """A record an instance is about: ``kind`` (one of KINDS), its id and a label."""

    kind: str
    id: int
    label: str


def organisation_names(session: Session) -> dict[str, str]:
    """Organisation key -> name (instances and tasks store the key)."""
    return dict(session.execute(select(Organisation.key, Organisation.name)).all())


def subjects_of(session: Session, instance_id: int) -> list[Subject]:
    """The records instance ``instance_id`` is about, requirement first."""
    slrs = list(session.scalars(select(ServiceLevelRequirement).where(
        ServiceLevelRequirement.instance_id == instance_id).order_by(ServiceLevelRequirement.id)))
    reviews = list(session.scalars(select(Review).where(Review.instance_id == instance_id)
                                   .order_by(Review.id)))
    slr_ids = [s.id for s in slrs]
    slas = list(session.scalars(select(ServiceLevelAgreement).where(or_(
        ServiceLevelAgreement.instance_id == instance_id,
        ServiceLevelAgreement.slr_id.in_(slr_ids),
        ServiceLevelAgreement.id.in_([r.sla_id for r in reviews]))).order_by(
        ServiceLevelAgreement.id)))
    changes = session.scalars(select(ChangeRequest).where(
        ChangeRequest.instance_id == instance_id).order_by(ChangeRequest.id))
    return ([Subject("requirement", s.id, f"Requirement {s.id}: {s.title}") for s in slrs]
            + [Subject("sla", s.id, f"{s.reference}: {s.title}") for s in slas]
            + [Subject("review", r.id, f"Review of {r.sla.reference}, {r.period_start} to "
                                       f"{r.period_end}") for r in reviews]
            + [Subject("change_request", c.id, f"{c.reference}: {c.title}") for c in changes])


def _instances(session: Session, ids) -> list[ProcessInstance]:
    wanted = {i for i in ids if i}
    if not wanted:
        return []
    return list(session.scalars(select(ProcessInstance).where(ProcessInstance.id.in_(wanted))
                                .order_by(ProcessInstance.started_at, ProcessInstance.id)))


def instances_of_sla(session: Session, sla: ServiceLevelAgreement) -> list[ProcessInstance]:
    """The instances about ``sla``: its agreement, its reviews, its change requests."""
    ids = [sla.instance_id]
    if sla.slr_id:
        ids.append(session.scalar(select(ServiceLevelRequirement.instance_id).where(
            ServiceLevelRequirement.id == sla.slr_id)))
    ids += session.scalars(select(Review.instance_id).where(Review.sla_id == sla.id))
    ids += session.scalars(select(ChangeRequest.instance_id).where(
        ChangeRequest.sla_id == sla.id))
    return _instances(session, ids)


def instances_of(session: Session, record) -> list[ProcessInstance]:
    """The instances about a requirement, a review or a change request (``instance_id``)."""
    if isinstance(record, ServiceLevelAgreement):
        return instances_of_sla(session, record)
    return _instances(session, [record.instance_id])
