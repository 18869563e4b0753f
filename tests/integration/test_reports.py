"""Customer and management reports: HTML with inline SVG charts, PDF whose text carries the
attained figures, the breaches and the customer's observations."""
from __future__ import annotations

import io
import json
from datetime import date, datetime

import pytest
from pypdf import PdfReader
from sla_builders import add_measurements, make_sla

from engine.registry import HandlerContext
from handlers.delivery.measurements import record_observation
from handlers.errors import DomainError
from handlers.registry import build_registry
from handlers.reports.models import CustomerReport, ManagementReport
from handlers.reports.pdf import _fonts
from handlers.reviews.models import Review

NOW = datetime(2026, 2, 3, 8, 0)


def _ctx(session):
    return HandlerContext(session=session, now=NOW, instance_id=1, task_id="t",
                          element_id="report", actor="mike", data={})


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)


def _call(session, name: str, params: dict) -> dict:
    return build_registry().get(name).func(params, _ctx(session))


@pytest.fixture
def review_id(factory):
    with factory() as s:
        sla = make_sla(s, [("availability", ">=", 99.5), ("resolution_time", "<=", 8)])
        add_measurements(s, sla, "availability", [
            (datetime(2025, 12, 10, 10), 99.8), (datetime(2026, 1, 10, 10), 99.1),
            (datetime(2026, 1, 11, 10), 99.25)])
        add_measurements(s, sla, "resolution_time", [(datetime(2026, 1, 12, 10), 6.5)])
        record_observation(s, sla.id, "complaint", "Mail <b>bounced</b> for the sales team",
                           datetime(2026, 1, 14, 9, 30), 45, "carol", NOW)
        record_observation(s, sla.id, "outage", "No mail at all on Friday",
                           datetime(2026, 1, 16, 15, 0), 120, "carol", NOW)
        review = Review(sla_id=sla.id, period_start=date(2026, 1, 1),
                        period_end=date(2026, 1, 31), status="open", created_at=NOW)
        s.add(review)
        s.commit()
        return review.id


def test_customer_report_pdf_and_html(factory, review_id):
    with factory() as s:
        result = _call(s, "build_customer_report", {"review_id": review_id})
        s.commit()
    with factory() as s:
        report = s.get(CustomerReport, result["report_id"])
        review = s.get(Review, review_id)
        assert report.title == result["title"]
        assert report.review_id == review_id and report.sla_id == review.sla_id
        assert review.status == "reported"
        assert json.loads(review.attainment)["breaches"] == 1  # computed for the report
        html, pdf = report.html, report.pdf
    assert pdf.startswith(b"%PDF")
    text = _pdf_text(pdf)
    for figure in ("99.175%", "-0.325", "6.5 hours", "99.8"):  # attained, margin, trend
        assert figure in text, figure
    assert "BREACHED" in text
    assert "Availability: attained 99.175% against a target of >= 99.5%" in text
    assert "Mail <b>bounced</b> for the sales team" in text
    assert "No mail at all on Friday" in text
    assert "2 customer observations: 1 complaint, 1 outage seen" in text
    assert html.startswith("<!DOCTYPE html>")
    assert html.count("<svg") == 2 and "target &gt;= 99.5%" in html
    assert "99.175%" in html and "BREACHED" in html
    assert "Mail &lt;b&gt;bounced&lt;/b&gt; for the sales team" in html
    assert "<b>bounced" not in html
    assert "src=" not in html and "href=" not in html  # self-contained


@pytest.mark.skipif(_fonts()[0] == "Helvetica", reason="no Unicode TrueType font installed")
def test_customer_words_in_any_language_reach_the_pdf(factory, review_id):
    with factory() as s:
        review = s.get(Review, review_id)
        record_observation(s, review.sla_id, "slow", "Почта работала медленно",
                           datetime(2026, 1, 20, 9), None, "carol", NOW)
        result = _call(s, "build_customer_report", {"review_id": review_id})
        pdf = s.get(CustomerReport, result["report_id"]).pdf
    assert "Почта работала медленно" in _pdf_text(pdf)


def test_customer_report_uses_the_stored_attainment(factory, review_id):
    with factory() as s:
        _call(s, "compute_attainment", {"review_id": review_id})
        s.commit()
        add_measurements(s, s.get(Review, review_id).sla, "availability",
                         [(datetime(2026, 1, 20, 10), 10.0)])  # arrives after the step
        result = _call(s, "build_customer_report", {"review_id": review_id})
        text = _pdf_text(s.get(CustomerReport, result["report_id"]).pdf)
    assert "99.175%" in text


def test_unknown_review_is_a_domain_error(factory):
    with factory() as s, pytest.raises(DomainError, match="review 404 does not exist"):
        _call(s, "build_customer_report", {"review_id": 404})


def test_management_report_covers_the_portfolio(factory, review_id):
    with factory() as s:
        other = make_sla(s, [("availability", ">=", 99.0)], org="globex", service="crm",
                         level="Silver", cost="800.00", priority=1)
        add_measurements(s, other, "availability", [(datetime(2026, 1, 5, 10), 99.95)])
        s.commit()
        result = _call(s, "build_management_report",
                       {"period_start": "2026-01-01", "period_end": "2026-01-31"})
        s.commit()
    assert (result["slas"], result["breaches"]) == (2, 1)
    with factory() as s:
        report = s.get(ManagementReport, result["report_id"])
        content = json.loads(report.content)
        html, pdf = report.html, report.pdf
        assert (report.period_start, report.period_end) == (date(2026, 1, 1), date(2026, 1, 31))
    assert [e["reference"] for e in content["slas"]] == ["SLA-2026-0002", "SLA-2026-0001"]
    assert content["totals"]["monthly_cost"] == "2050.00"
    assert content["totals"]["observations"] == 2
    text = _pdf_text(pdf)
    for word in ("SLA-2026-0001", "SLA-2026-0002", "Acme Ltd", "Globex Ltd", "Crm service",
                 "Silver", "800.00", "99.95%", "99.175%", "BREACHED", "monthly cost 2050.00"):
        assert word in text, word
    assert "<svg" in html and "Globex Ltd" in html and "99.175%" in html


def test_management_report_defaults_to_the_month_before(factory, review_id):
    with factory() as s:
        result = _call(s, "build_management_report", {})
        report = s.get(ManagementReport, result["report_id"])
        assert (report.period_start, report.period_end) == (date(2026, 1, 1), date(2026, 1, 31))
        with pytest.raises(DomainError, match="both"):
            _call(s, "build_management_report", {"period_start": "2026-01-01"})
