"""What a task page shows beside the form: the instance, its customer and the SLM records
the task data refers to (no Flask here)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from engine.i18n import _
from engine.models import HumanTask, ProcessInstance, ProcessVersion
from handlers.agreements.models import ServiceLevelAgreement
from handlers.people.models import Organisation
from handlers.requirements.models import ServiceLevelRequirement
from handlers.reviews.models import Review


@dataclass
class InstanceContext:
    instance_id: int
    title: str
    status: str
    process_id: str
    process_name: str
    version: int
    started_at: datetime
    started_by: str
    organisation: str | None
    #: (what, text) of the requirement, agreement, review... the task data names
    references: list = field(default_factory=list)
    #: the catalogue options offered (choose-an-option tasks), as the handlers ranked them
    options: list = field(default_factory=list)


def instance_context(session, task: HumanTask, data: dict,
                     offers_options: bool = False) -> InstanceContext:
    """The instance of ``task``; ``offers_options``: the form chooses from ``data["options"]``,
    so the ranked options are shown to compare."""
    instance, version = session.execute(
        select(ProcessInstance, ProcessVersion)
        .join(ProcessVersion, ProcessVersion.id == ProcessInstance.version_id)
        .where(ProcessInstance.id == task.instance_id)).one()
    org = None
    if instance.organisation:
        org = session.scalar(select(Organisation.name).where(
            Organisation.key == instance.organisation)) or instance.organisation
    options = data.get("options") if offers_options else None
    return InstanceContext(
        instance.id, instance.title, instance.status, version.process_id, version.name,
        version.version, instance.started_at, instance.started_by, org,
        references=references(session, data),
        options=[o for o in options if isinstance(o, dict) and "label" in o]
        if isinstance(options, list) else [])


def _int(value) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def references(session, data: dict) -> list[tuple[str, str]]:
    """The SLM records ``data`` refers to, in words."""
    found = []
    if (slr_id := _int(data.get("slr_id"))) and (slr := session.get(
            ServiceLevelRequirement, slr_id)):
        found.append((_("Service level requirement"), f"{slr.title} ({_(slr.status)})"))
    sla = None
    if sla_id := _int(data.get("sla_id")):
        sla = session.get(ServiceLevelAgreement, sla_id)
    elif isinstance(data.get("sla_reference"), str):
        sla = session.scalar(select(ServiceLevelAgreement).where(
            ServiceLevelAgreement.reference == data["sla_reference"]))
    if sla is not None:
        found.append((_("Service level agreement"),
                      _("%(reference)s · %(title)s · version %(version)s (%(status)s)",
                        reference=sla.reference, title=sla.title,
                        version=sla.current_version, status=_(sla.status))))
    draft = data.get("draft")
    if isinstance(draft, dict) and draft.get("diff_text"):
        found.append((_("Changes in this draft"), str(draft["diff_text"])))
    if (review_id := _int(data.get("review_id"))) and (review := session.get(Review, review_id)):
        found.append((_("Service performance review"),
                      _("%(reference)s, %(start)s to %(end)s (%(status)s)",
                        reference=review.sla.reference, start=review.period_start.isoformat(),
                        end=review.period_end.isoformat(), status=_(review.status))))
    return found
