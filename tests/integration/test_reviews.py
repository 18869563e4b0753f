"""Service performance reviews: one per SLA and period, its process started once; the
review record; improvement proposals from breaches, declines, observations and ideas."""
from __future__ import annotations

from datetime import date, datetime

import pytest
from sla_builders import add_measurements, make_sla
from sqlalchemy import func, select

from engine.registry import HandlerContext
from handlers.delivery.measurements import record_observation
from handlers.errors import DomainError
from handlers.registry import build_registry
from handlers.reviews.models import ImprovementProposal, Review

NOW = datetime(2026, 2, 3, 8, 0)


class Starter:
    """Stands in for the engine's start_process and remembers its calls."""

    def __init__(self):
        self.calls = []

    def __call__(self, process_id, data=None, organisation=None, title=""):
        self.calls.append((process_id, data, organisation, title))
        return 500 + len(self.calls)


def _call(session, name: str, params: dict, now=NOW, start_process=None) -> dict:
    ctx = HandlerContext(session=session, now=now, instance_id=7, task_id="t",
                         element_id=name, actor="mike", data={}, start_process=start_process)
    return build_registry().get(name).func(params, ctx)


def test_start_review_opens_last_month_once_and_starts_its_process(factory):
    starter = Starter()
    with factory() as s:
        sla = make_sla(s, [("availability", ">=", 99.5)])
        s.commit()
        first = _call(s, "start_review", {"sla_id": sla.id}, start_process=starter)
        s.commit()
    with factory() as s:
        again = _call(s, "start_review", {"sla_id": sla.id}, start_process=starter,
                      now=datetime(2026, 2, 20))
        s.commit()
        assert s.scalar(select(func.count()).select_from(Review)) == 1
        review = s.get(Review, first["review_id"])
        assert (review.status, review.instance_id, review.created_at) == ("open", 501, NOW)
    assert first == {"review_id": review.id, "instance_id": 501,
                     "period_start": "2026-01-01", "period_end": "2026-01-31"}
    assert again == first
    assert starter.calls == [(
        "service_performance_review",
        {"review_id": review.id, "sla_id": sla.id, "organisation": "acme"}, "acme",
        "Service performance review SLA-2026-0001 2026-01-01 to 2026-01-31")]


def test_review_period_follows_the_review_cycle(factory):
    with factory() as s:
        quarterly = make_sla(s, [("availability", ">=", 99)], cycle="P3M")
        weekly = make_sla(s, [("availability", ">=", 99)], cycle="P1W", org="globex")
        s.commit()
        q = _call(s, "start_review", {"sla_id": quarterly.id}, now=datetime(2026, 5, 10))
        w = _call(s, "start_review", {"sla_id": weekly.id}, now=datetime(2026, 5, 10))
    assert (q["period_start"], q["period_end"]) == ("2026-01-01", "2026-03-31")
    assert q["instance_id"] is None  # no engine, no process
    assert (w["period_start"], w["period_end"]) == ("2026-04-27", "2026-05-03")


def test_only_agreed_slas_are_reviewed(factory):
    with factory() as s:
        draft = make_sla(s, [("availability", ">=", 99)], status="draft")
        s.commit()
        with pytest.raises(DomainError, match="only agreed SLAs are reviewed"):
            _call(s, "start_review", {"sla_id": draft.id})
        with pytest.raises(DomainError, match="does not exist"):
            _call(s, "start_review", {"sla_id": 12345})


def test_record_review_discussion_then_record_closes_it(factory):
    with factory() as s:
        sla = make_sla(s, [("availability", ">=", 99)])
        review_id = _call(s, "start_review", {"sla_id": sla.id})["review_id"]
        assert _call(s, "record_review", {"review_id": review_id}) == {
            "review_id": review_id, "status": "open"}
        assert _call(s, "record_review", {"review_id": review_id,
                                          "discussion": "Customer asked about Fridays"})[
            "status"] == "discussed"
        assert _call(s, "record_review", {"review_id": review_id,
                                          "record": "Agreed: monitor Fridays"})[
            "status"] == "closed"
        review = s.get(Review, review_id)
        assert (review.discussion, review.record) == ("Customer asked about Fridays",
                                                      "Agreed: monitor Fridays")
        with pytest.raises(DomainError, match="is closed"):
            _call(s, "record_review", {"review_id": review_id, "discussion": "later"})


def test_improvements_from_breaches_declines_observations_and_ideas(factory):
    with factory() as s:
        sla = make_sla(s, [("availability", ">=", 99.0), ("response_time", "<=", 500),
                           ("resolution_time", "<=", 8)])
        add_measurements(s, sla, "availability", [
            (datetime(2025, 11, 10), 99.9), (datetime(2025, 12, 10), 99.8),
            (datetime(2026, 1, 10), 99.5)])                       # declining, within target
        add_measurements(s, sla, "response_time", [(datetime(2026, 1, 10), 700.0)])  # breach
        add_measurements(s, sla, "resolution_time", [(datetime(2026, 1, 10), 4.0)])   # fine
        for kind in ("complaint", "complaint", "complaint", "praise"):
            record_observation(s, sla.id, kind, f"a {kind}", datetime(2026, 1, 12), None,
                               "carol", NOW)
        review_id = _call(s, "start_review", {"sla_id": sla.id})["review_id"]
        result = _call(s, "propose_improvements",
                       {"review_id": review_id, "ideas": ["Publish a status page", " "]})
        s.commit()
    assert [(p["title"], p["reason"]) for p in result["proposals"]] == [
        ("Stop the decline of Availability", "trend"),
        ("Raise Response time to target", "breach"),
        ("Act on customer observations: 3 complaints", "observation"),
        ("Keep what the customer praised (1 observation)", "observation"),
        ("Publish a status page", "manager")]
    with factory() as s:
        rows = s.scalars(select(ImprovementProposal).order_by(ImprovementProposal.id)).all()
        assert {(r.scope, r.review_id, r.sla_id, r.status, r.created_by) for r in rows} == {
            ("service", review_id, sla.id, "proposed", "mike")}
        assert "attained 700 ms against a target of <= 500 ms" in rows[1].description
        assert "a complaint; a complaint; a complaint" in rows[2].description
        again = _call(s, "propose_improvements", {"review_id": review_id,
                                                  "ideas": ["Publish a status page"]})
        assert [p["id"] for p in again["proposals"]] == [r.id for r in rows]


def test_process_improvements_without_a_review(factory):
    with factory() as s:
        result = _call(s, "propose_improvements", {
            "ideas": "Automate the CSV import\nReview the metric catalogue yearly",
            "scope": "process"})
        rows = s.scalars(select(ImprovementProposal)).all()
        assert [(p["title"], p["reason"]) for p in result["proposals"]] == [
            ("Automate the CSV import", "process"),
            ("Review the metric catalogue yearly", "process")]
        assert {(r.scope, r.review_id, r.sla_id) for r in rows} == {("process", None, None)}
        with pytest.raises(DomainError, match="scope"):
            _call(s, "propose_improvements", {"ideas": ["x"], "scope": "everything"})


def test_review_dates_are_dates(factory):
    with factory() as s:
        sla = make_sla(s, [("availability", ">=", 99)])
        review = s.get(Review, _call(s, "start_review", {"sla_id": sla.id})["review_id"])
        assert (review.period_start, review.period_end) == (date(2026, 1, 1), date(2026, 1, 31))


def test_racing_starts_of_one_review_make_one_review(pg_url):
    """PostgreSQL: the loser of the unique (sla, period) race returns the winner's review."""
    import threading

    from engine.db import make_engine, make_session_factory
    from handlers.reviews.operations import open_review

    eng = make_engine(pg_url)
    factory = make_session_factory(eng)
    with factory() as s:
        sla = make_sla(s, [("availability", ">=", 99)])
        s.commit()
    winner = factory()
    first, created = open_review(winner, winner.get(type(sla), sla.id), NOW)
    assert created
    outcome = {}

    def loser():
        with factory() as s:
            review, made = open_review(s, s.get(type(sla), sla.id), NOW, Starter())
            outcome.update(id=review.id, created=made)
            s.commit()

    thread = threading.Thread(target=loser)
    thread.start()
    thread.join(0.5)
    assert thread.is_alive()  # it waits on the winner's uncommitted row
    winner.commit()
    thread.join(10)
    winner.close()
    eng.dispose()
    assert outcome == {"id": first.id, "created": False}
