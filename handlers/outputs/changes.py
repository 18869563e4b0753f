"""Change requests: an output of the process, raised for accepted improvement proposals and
for customer-specific services to be built from their design specification."""
from __future__ import annotations

import json
import uuid
from datetime import datetime

from sqlalchemy import select

from engine.i18n import _
from handlers.catalogue.operations import load
from handlers.errors import DomainError
from handlers.reviews.models import ImprovementProposal

from .models import ChangeRequest, DesignSpecification


def _new(session, now: datetime, actor: str, **fields) -> ChangeRequest:
    change = ChangeRequest(reference=f"tmp-{uuid.uuid4().hex[:24]}", status="open",
                           created_by=actor, created_at=now, **fields)
    session.add(change)
    session.flush()
    change.reference = f"CR-{now.year}-{change.id:04d}"
    session.flush()
    return change


def _existing(session, **where) -> ChangeRequest | None:
    query = select(ChangeRequest).filter_by(**where).order_by(ChangeRequest.id)
    return session.execute(query).scalars().first()


def for_proposal(session, proposal: ImprovementProposal, now: datetime, actor: str,
                 title: str = "", description: str = "",
                 instance_id: int | None = None) -> ChangeRequest:
    """The change request of an accepted ``proposal`` (the existing one if already raised).

    A proposal still 'proposed' becomes 'accepted'; a rejected one raises DomainError.
    """
    if proposal.status == "rejected":
        raise DomainError(_("improvement proposal %(id)s was rejected: no change request",
                            id=proposal.id))
    existing = _existing(session, proposal_id=proposal.id)
    if existing is not None:
        return existing
    if proposal.status == "proposed":
        proposal.status = "accepted"
    text = "\n\n".join(p for p in (proposal.description, description) if p)
    return _new(session, now, actor, title=title or f"Improvement: {proposal.title}",
                description=text, proposal_id=proposal.id, sla_id=proposal.sla_id,
                instance_id=instance_id)


def for_design(session, spec: DesignSpecification, now: datetime, actor: str,
               title: str = "", description: str = "",
               instance_id: int | None = None) -> ChangeRequest:
    """The change request to build the service of ``spec`` (the existing one if raised)."""
    existing = _existing(session, design_spec_id=spec.id)
    if existing is not None:
        return existing
    content = json.loads(spec.content or "{}")
    summary = [f"Build the customer-specific service designed in {spec.title!r}.",
               f"Estimated monthly cost: {spec.estimated_monthly_cost:.2f} "
               f"({content.get('estimate', {}).get('basis', 'no basis recorded')})."]
    summary += [f"- {r['metric']} {r['comparator']} {r['threshold']:g} per {r['period']}"
                for r in content.get("requirements", [])]
    if description:
        summary.append(description)
    return _new(session, now, actor, title=title or spec.title, description="\n".join(summary),
                design_spec_id=spec.id, instance_id=instance_id)


def raise_change_request(params: dict, ctx) -> dict:
    """Params: ``proposal_ids=[], design_spec_id=None, title="", description=""``.

    One change request (status 'open', reference ``CR-<year>-<id:04d>``) per proposal and
    one for the design specification; with neither, one stand-alone request when ``title``
    is given. Each new request remembers the calling instance (its trace). Returns
    ``{change_requests: [{id, reference, title}]}``; raises DomainError for an unknown or
    rejected proposal or an unknown specification.
    """
    s, title, description = ctx.session, params.get("title") or "", params.get("description")
    actor, changes = ctx.actor or "system", []
    for ident in params.get("proposal_ids") or []:
        proposal = load(s, ImprovementProposal, ident, "improvement proposal")
        changes.append(for_proposal(s, proposal, ctx.now, actor, "", description or "",
                                    ctx.instance_id))
    if params.get("design_spec_id") not in (None, ""):
        spec = load(s, DesignSpecification, params["design_spec_id"], "design specification")
        changes.append(for_design(s, spec, ctx.now, actor, title, description or "",
                                  ctx.instance_id))
    elif not changes and title.strip():
        changes.append(_new(s, ctx.now, actor, title=title.strip(),
                            description=description or "", instance_id=ctx.instance_id))
    return {"change_requests": [{"id": c.id, "reference": c.reference, "title": c.title}
                                for c in changes]}


def list_change_requests(session, status: str | None = None) -> list[ChangeRequest]:
    """Change requests, newest first, optionally only those with ``status``."""
    query = select(ChangeRequest).order_by(ChangeRequest.id.desc())
    if status:
        query = query.where(ChangeRequest.status == status)
    return list(session.execute(query).scalars())


def register(registry) -> None:
    registry.add("raise_change_request", raise_change_request, {
        "proposal_ids": "ids of the accepted improvement proposals",
        "design_spec_id": "id of a design specification to build",
        "title": "title (for a design specification or a stand-alone request)",
        "description": "added to each request's description"})
