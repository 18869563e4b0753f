"""Read queries of the delivery pages (no Flask)."""
from __future__ import annotations

from sqlalchemy import case, select

from handlers.agreements.models import ServiceLevelAgreement
from handlers.paging import paginate

#: SLAs whose delivery is measured: agreed ones, current or past
MEASURED = ("agreed", "active", "expired", "terminated")


def slas_page(session, page: int, per_page: int):
    """Agreed SLAs, active first, then by priority (1 = highest) and reference."""
    sla = ServiceLevelAgreement
    active_first = case((sla.status == "active", 0), else_=1)
    stmt = (select(sla).where(sla.status.in_(MEASURED))
            .order_by(active_first, sla.priority, sla.reference))
    return paginate(session, stmt, page, per_page)


def accepting_slas(session, limit: int = 10) -> list[ServiceLevelAgreement]:
    """A few SLAs that accept measurements now, for the import page's hint."""
    sla = ServiceLevelAgreement
    return list(session.scalars(select(sla).where(sla.status.in_(("agreed", "active")))
                                .order_by(sla.priority, sla.reference).limit(limit)))
