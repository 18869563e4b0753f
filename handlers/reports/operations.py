"""Reports: the customer's service performance report and the management portfolio report.

Both are stored as HTML (self-contained, inline SVG charts) and PDF (reportlab, with
charts); the figures come from handlers.delivery.attainment.
"""
from __future__ import annotations

import json

from sqlalchemy import select

from engine.i18n import _, use_language
from handlers.delivery.attainment import portfolio_attainment, review_attainment
from handlers.delivery.periods import parse_date, period_before
from handlers.errors import DomainError
from handlers.people.models import Organisation
from handlers.reviews.models import Review

from .html import customer_html, management_html
from .models import CustomerReport, ManagementReport
from .pdf import customer_pdf, management_pdf
from .text import customer_title, totals


def customer_report(session, review: Review, now) -> CustomerReport:
    """Build and store the customer report of ``review``; its attainment is computed first
    if the review has none yet. The review becomes 'reported' if it was 'open'."""
    att = json.loads(review.attainment or "{}")
    if not att:
        att = review_attainment(session, review)
    generated = now.strftime("%Y-%m-%d %H:%M UTC")
    # in the customer's language (its organisation's), whoever makes it
    organisation = review.sla.organisation if review.sla is not None else None
    with use_language(organisation.language if organisation is not None else None):
        report = CustomerReport(review_id=review.id, sla_id=review.sla_id,
                                title=customer_title(att)[:200],
                                html=customer_html(att, generated),
                                pdf=customer_pdf(att, generated), created_at=now)
    session.add(report)
    if review.status == "open":
        review.status = "reported"
    session.flush()
    return report


def management_report(session, period_start, period_end, now) -> ManagementReport:
    """Build and store the portfolio report of every active SLA for the period."""
    start, end = parse_date(period_start, "period_start"), parse_date(period_end, "period_end")
    portfolio = portfolio_attainment(session, start, end)
    content = {"period_start": start.isoformat(), "period_end": end.isoformat(),
               "totals": totals(portfolio), "slas": portfolio}
    generated = now.strftime("%Y-%m-%d %H:%M UTC")
    # in the provider's language (the organisation of kind 'provider', if one is recorded)
    provider = session.scalar(select(Organisation.language).where(
        Organisation.kind == "provider").order_by(Organisation.id).limit(1))
    with use_language(provider):
        report = ManagementReport(period_start=start, period_end=end,
                                  content=json.dumps(content),
                                  html=management_html(content, generated),
                                  pdf=management_pdf(content, generated), created_at=now)
    session.add(report)
    session.flush()
    return report


def build_customer_report(params: dict, ctx) -> dict:
    """Customer report (HTML and PDF with charts) of a review. Params: ``review_id``.
    Returns ``{report_id, title}``."""
    review = ctx.session.get(Review, int(params["review_id"]))
    if review is None:
        raise DomainError(_("review %(review_id)s does not exist",
                            review_id=params['review_id']))
    report = customer_report(ctx.session, review, ctx.now)
    return {"report_id": report.id, "title": report.title}


def build_management_report(params: dict, ctx) -> dict:
    """Portfolio report of all active SLAs. Params: ``period_start, period_end`` (ISO dates;
    both absent = the calendar month before now). Returns ``{report_id, slas, breaches}``."""
    start, end = params.get("period_start"), params.get("period_end")
    if not start and not end:
        start, end = period_before(ctx.now)
    elif not start or not end:
        raise DomainError(_("give both period_start and period_end, or neither"))
    report = management_report(ctx.session, start, end, ctx.now)
    tot = json.loads(report.content)["totals"]
    return {"report_id": report.id, "slas": tot["slas"], "breaches": tot["breaches"]}


def register(registry) -> None:
    registry.add("build_customer_report", build_customer_report,
                 {"review_id": "the review to report to the customer"})
    registry.add("build_management_report", build_management_report,
                 {"period_start": "first day (ISO date)", "period_end": "last day (ISO date)"})
