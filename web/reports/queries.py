"""Read queries of the report pages (no Flask). Lists never load report bodies."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import load_only

from handlers.agreements.models import ServiceLevelAgreement
from handlers.paging import paginate
from handlers.reports.models import CustomerReport, ManagementReport


def customer_reports_page(session, page: int, per_page: int):
    """Customer reports, newest first, as (report without its bodies, SLA reference)."""
    stmt = (select(CustomerReport, ServiceLevelAgreement.reference)
            .join(ServiceLevelAgreement, ServiceLevelAgreement.id == CustomerReport.sla_id)
            .options(load_only(CustomerReport.id, CustomerReport.title,
                               CustomerReport.review_id, CustomerReport.created_at))
            .order_by(CustomerReport.created_at.desc(), CustomerReport.id.desc()))
    return paginate(session, stmt, page, per_page, scalars=False)


def management_reports_page(session, page: int, per_page: int):
    """Management reports, newest first, without their bodies."""
    stmt = (select(ManagementReport)
            .options(load_only(ManagementReport.id, ManagementReport.period_start,
                               ManagementReport.period_end, ManagementReport.created_at))
            .order_by(ManagementReport.created_at.desc(), ManagementReport.id.desc()))
    return paginate(session, stmt, page, per_page)


def latest_management_report_id(session) -> int | None:
    return session.scalar(select(ManagementReport.id).order_by(
        ManagementReport.created_at.desc(), ManagementReport.id.desc()).limit(1))
