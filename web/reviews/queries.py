"""Read queries of the review pages (no Flask)."""
from __future__ import annotations

from sqlalchemy import func, select

from handlers.agreements.models import ServiceLevelAgreement
from handlers.outputs.models import ChangeRequest, DesignSpecification
from handlers.paging import paginate
from handlers.reports.models import CustomerReport
from handlers.reviews.models import ImprovementProposal, Review

REVIEW_STATUSES = ("open", "reported", "discussed", "closed")
PROPOSAL_STATUSES = ("proposed", "accepted", "rejected", "done")
CHANGE_STATUSES = ("open", "approved", "rejected", "implemented")


def _latest_report():
    return (select(CustomerReport.review_id, func.max(CustomerReport.id).label("report_id"))
            .group_by(CustomerReport.review_id).subquery())


def reviews_page(session, status: str | None, page: int, per_page: int):
    """Reviews, newest period first, each as (review, id of its latest customer report)."""
    latest = _latest_report()
    stmt = (select(Review, latest.c.report_id)
            .outerjoin(latest, latest.c.review_id == Review.id)
            .order_by(Review.period_start.desc(), Review.id.desc()))
    if status:
        stmt = stmt.where(Review.status == status)
    return paginate(session, stmt, page, per_page, scalars=False)


def reports_of(session, review_id: int) -> list:
    """(id, title, created_at) of the review's customer reports, newest first (no bodies)."""
    return session.execute(select(CustomerReport.id, CustomerReport.title,
                                  CustomerReport.created_at)
                           .where(CustomerReport.review_id == review_id)
                           .order_by(CustomerReport.id.desc())).all()


def proposals_of(session, review_id: int) -> list:
    """(proposal, change request reference or None) of the review."""
    return session.execute(
        select(ImprovementProposal, ChangeRequest.reference)
        .outerjoin(ChangeRequest, ChangeRequest.proposal_id == ImprovementProposal.id)
        .where(ImprovementProposal.review_id == review_id)
        .order_by(ImprovementProposal.id)).all()


def proposals_page(session, status: str | None, page: int, per_page: int):
    """Proposals, newest first, as (proposal, SLA reference, change request reference)."""
    stmt = (select(ImprovementProposal, ServiceLevelAgreement.reference, ChangeRequest.reference)
            .outerjoin(ServiceLevelAgreement,
                       ServiceLevelAgreement.id == ImprovementProposal.sla_id)
            .outerjoin(ChangeRequest, ChangeRequest.proposal_id == ImprovementProposal.id)
            .order_by(ImprovementProposal.created_at.desc(), ImprovementProposal.id.desc()))
    if status:
        stmt = stmt.where(ImprovementProposal.status == status)
    return paginate(session, stmt, page, per_page, scalars=False)


def change_requests_page(session, status: str | None, page: int, per_page: int):
    """Change requests, newest first, as (change, SLA reference, proposal title, spec title)."""
    stmt = (select(ChangeRequest, ServiceLevelAgreement.reference, ImprovementProposal.title,
                   DesignSpecification.title)
            .outerjoin(ServiceLevelAgreement, ServiceLevelAgreement.id == ChangeRequest.sla_id)
            .outerjoin(ImprovementProposal, ImprovementProposal.id == ChangeRequest.proposal_id)
            .outerjoin(DesignSpecification,
                       DesignSpecification.id == ChangeRequest.design_spec_id)
            .order_by(ChangeRequest.created_at.desc(), ChangeRequest.id.desc()))
    if status:
        stmt = stmt.where(ChangeRequest.status == status)
    return paginate(session, stmt, page, per_page, scalars=False)
