"""Service performance reviews: opening one per cycle, recording it, proposing improvements.

A review covers the calendar-aligned period of the SLA's review cycle that ended last
before ``now`` (monthly by default: the calendar month before; quarterly: the calendar
quarter before...). There is at most one review per SLA and period.
"""
from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from engine.i18n import _
from handlers.agreements.models import ServiceLevelAgreement, SLAVersion
from handlers.delivery.attainment import review_attainment
from handlers.delivery.periods import review_period
from handlers.errors import DomainError
from handlers.reports.text import breach_sentence, fmt, kind_label, trend_text

from .models import ImprovementProposal, Review

REVIEW_PROCESS = "service_performance_review"
_REVIEWABLE = ("agreed", "active", "expired", "terminated")


def open_review(session, sla: ServiceLevelAgreement, now, start_process=None) -> tuple[Review,
                                                                                      bool]:
    """The review of the period just ended, created (and its process started) if new.

    Returns ``(review, created)``; raises DomainError for an SLA that was never agreed.
    """
    if sla.status not in _REVIEWABLE:
        raise DomainError(_("SLA %(reference)s is %(status)s: only agreed SLAs are reviewed",
                            reference=sla.reference,
                            status=sla.status))
    terms = json.loads(session.scalar(select(SLAVersion.terms).where(
        SLAVersion.sla_id == sla.id, SLAVersion.number == sla.current_version)) or "{}")
    start, end = review_period(terms.get("review_cycle"), now)
    existing = _find(session, sla.id, start)
    if existing is not None:
        return existing, False
    review = Review(sla_id=sla.id, period_start=start, period_end=end, status="open",
                    created_at=now)
    try:
        with session.begin_nested():  # a concurrent start of the same review loses cleanly
            session.add(review)
            session.flush()
    except IntegrityError:
        return _find(session, sla.id, start), False
    if start_process is not None:
        org = sla.organisation.key
        review.instance_id = start_process(
            REVIEW_PROCESS, {"review_id": review.id, "sla_id": sla.id, "organisation": org},
            organisation=org, title=f"Service performance review {sla.reference} "
                                    f"{start.isoformat()} to {end.isoformat()}")
        session.flush()
    return review, True


def _find(session, sla_id: int, start) -> Review | None:
    return session.scalar(select(Review).where(Review.sla_id == sla_id,
                                               Review.period_start == start))


def _review(session, review_id) -> Review:
    review = session.get(Review, int(review_id)) if review_id not in (None, "") else None
    if review is None:
        raise DomainError(_("review %(review_id)s does not exist", review_id=review_id))
    return review


def start_review(params: dict, ctx) -> dict:
    """Open the review of the period just ended and start its process. Params: ``sla_id``.
    Returns ``{review_id, instance_id, period_start, period_end}``; a second call for the
    same period returns the existing review and starts nothing."""
    sla = ctx.session.get(ServiceLevelAgreement, int(params["sla_id"]))
    if sla is None:
        raise DomainError(_("SLA %(sla_id)s does not exist", sla_id=params['sla_id']))
    review, _created = open_review(ctx.session, sla, ctx.now, ctx.start_process)
    return {"review_id": review.id, "instance_id": review.instance_id,
            "period_start": review.period_start.isoformat(),
            "period_end": review.period_end.isoformat()}


def record_review(params: dict, ctx) -> dict:
    """Record the discussion with the customer and the review record. Params: ``review_id,
    discussion="", record=""``. A record closes the review; a discussion alone makes it
    'discussed'. Returns ``{review_id, status}``."""
    review = _review(ctx.session, params.get("review_id"))
    if review.status == "closed":
        raise DomainError(_("review %(id)s is closed; its record cannot change", id=review.id))
    discussion = (params.get("discussion") or "").strip()
    record = (params.get("record") or "").strip()
    if discussion:
        review.discussion = discussion
        review.status = "discussed"
    if record:
        review.record = record
        review.status = "closed"
    ctx.session.flush()
    return {"review_id": review.id, "status": review.status}


def _from_review(att: dict) -> list[tuple[str, str, str]]:
    """(title, description, reason) proposals from breaches, declines and observations."""
    out = []
    for t in att.get("targets", []):
        decline = f"it has worsened for 3 periods ({trend_text(t)})"
        if t["status"] == "breached":
            out.append((f"Raise {t['name']} to target", breach_sentence(t) + (
                f"; {decline}." if t["worsening"] else "."), "breach"))
        elif t["worsening"]:
            out.append((f"Stop the decline of {t['name']}",
                        f"{t['name']} is {fmt(t['attained'], t['unit'])}, still within target, "
                        f"but {decline}.", "trend"))
    by_kind = att.get("observations_by_kind") or {}
    for kind, n in by_kind.items():
        seen = [o["description"] for o in att.get("observations", []) if o["kind"] == kind]
        title = (f"Keep what the customer praised ({n} observation{'s' if n != 1 else ''})"
                 if kind == "praise" else f"Act on customer observations: {kind_label(kind, n)}")
        out.append((title, f"{n} {kind} observation(s) recorded by the customer: "
                    + "; ".join(seen[:10]), "observation"))
    return out


def propose_improvements(params: dict, ctx) -> dict:
    """Improvement proposals from a review (breaches, 3-period declines, each kind of
    customer observation with its count) and from the manager's ``ideas``.

    Params: ``review_id=None, ideas=[], scope="service"`` ('process' = improve SLM itself).
    Returns ``{proposals: [{id, title, reason}]}``; a proposal already made for the same
    review (or a still open one with the same title) is returned, not repeated.
    """
    scope = params.get("scope") or "service"
    if scope not in ("service", "process"):
        raise DomainError(_("scope %(scope)s must be 'service' or 'process'", scope=repr(scope)))
    ideas = params.get("ideas") or []
    if isinstance(ideas, str):
        ideas = ideas.splitlines()
    review = None
    items: list[tuple[str, str, str]] = []
    if params.get("review_id") not in (None, ""):
        review = _review(ctx.session, params["review_id"])
        att = json.loads(review.attainment or "{}") or review_attainment(ctx.session, review)
        items += _from_review(att)
    reason = "process" if scope == "process" else "manager"
    items += [(idea.strip()[:200], idea.strip(), reason) for idea in ideas
              if isinstance(idea, str) and idea.strip()]
    proposals = []
    for title, description, why in items:
        proposal = _existing(ctx.session, review, title[:200], scope)
        if proposal is None:
            proposal = ImprovementProposal(
                scope=scope, review_id=review.id if review else None,
                sla_id=review.sla_id if review else None, title=title[:200],
                description=description, reason=why, status="proposed",
                created_by=ctx.actor or "system", created_at=ctx.now)
            ctx.session.add(proposal)
            ctx.session.flush()
        proposals.append({"id": proposal.id, "title": proposal.title, "reason": proposal.reason})
    return {"proposals": proposals}


def _existing(session, review, title: str, scope: str) -> ImprovementProposal | None:
    query = select(ImprovementProposal).where(ImprovementProposal.title == title,
                                              ImprovementProposal.scope == scope)
    if review is not None:
        query = query.where(ImprovementProposal.review_id == review.id)
    else:
        query = query.where(ImprovementProposal.review_id.is_(None),
                            ImprovementProposal.status == "proposed")
    return session.scalars(query.order_by(ImprovementProposal.id)).first()


def register(registry) -> None:
    registry.add("start_review", start_review, {"sla_id": "the SLA to review"})
    registry.add("record_review", record_review,
                 {"review_id": "the review", "discussion": "notes of the discussion with the "
                  "customer", "record": "the review record (closes the review)"})
    registry.add("propose_improvements", propose_improvements,
                 {"review_id": "the review (optional)", "ideas": "the manager's ideas",
                  "scope": "'service' or 'process'"})
