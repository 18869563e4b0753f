"""The service delivery scenarios of the demo: three months of measurements of the two
active SLAs, the customers' observations, the review timers firing, and Northwind's completed
review of the month with the outage.
"""
from __future__ import annotations

import json
import random
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select

from engine.models import DueTimer
from engine.runner import Claimed, fire_timer
from handlers.agreements.models import ServiceLevelAgreement
from handlers.delivery.measurements import import_rows, record_observation
from handlers.delivery.service_hours import parse_service_hours, utc_windows
from handlers.reviews.models import ImprovementProposal, Review

from ._data import METRICS
from ._steps import MANAGER, SeedError, customer


class _ReviewScenarios:
    """Scenario generators for :class:`handlers.demo.seed._Seed` (each yields the time of its next
    step) and their helpers; the steps they use are :class:`handlers.demo._steps._Steps`'s."""

    def measurements(self):
        """Daily measurements of both active SLAs: imported before the reviews, and since."""
        yield self.fire_at - timedelta(hours=1)
        rows = self.delivery_data()
        early = [r for r in rows if r["measured_at"] < self.clock]
        late = [r for r in rows if r["measured_at"] >= self.clock]
        self.load(early)
        yield self.now
        self.load(late)

    def load(self, rows: list[dict]) -> None:
        by_source: dict[str, list] = {}
        for row in rows:
            by_source.setdefault(row.pop("source"), []).append(row)
        for source, batch in sorted(by_source.items()):
            result = import_rows(self.session, batch, f"demo: {source}", self.clock)
            if result["rejected"]:
                raise SeedError(f"demo measurements rejected: {result['rejected'][:3]}")
            self.counts["measurements"] = self.counts.get("measurements", 0) + \
                result["imported"]

    def delivery_data(self) -> list[dict]:
        """Deterministic daily values: email breaches availability in the reviewed month
        (an outage), the service desk's resolution time worsens month by month and breaches."""
        start, rows = self.period[0], []
        outage = start + timedelta(days=9)
        sources = {m[0]: m[5] for m in METRICS}
        resolution = {-3: 7.6, -2: 8.3, -1: 9.1, 0: 10.6, 1: 9.8}
        for name, sla_id in self.slas.items():
            sla = self.session.get(ServiceLevelAgreement, sla_id)
            terms = json.loads(sla.versions[-1].terms)
            hours = parse_service_hours(terms["service_hours"], terms["timezone"])
            for target in terms["targets"]:
                metric = target["metric"]
                rng = random.Random(f"{name}:{metric}")
                day = sla.valid_from + timedelta(days=1)
                while day < self.now.date():
                    at = self.day(day, 12)
                    month = (day.year * 12 + day.month) - (start.year * 12 + start.month)
                    noise = rng.uniform(-1, 1)
                    if name == "email":
                        value = {"availability": 97.6 if day == outage else
                                 min(100.0, 99.965 + 0.03 * noise),
                                 "first_response": 9 + 3 * noise,
                                 "incident_resolution": 6.5 if day == outage
                                 else 2.8 + 0.8 * noise}[metric]
                    else:
                        value = {"first_response": 20 + 5 * noise,
                                 "incident_resolution": resolution[max(-3, min(1, month))]
                                 + 1.2 * noise,
                                 "first_contact_resolution": 74 + 4 * noise}[metric]
                    if _in_hours(hours, at):
                        rows.append({"sla": sla.reference, "metric": metric, "measured_at": at,
                                     "value": round(value, 3), "source": sources[metric]})
                    day += timedelta(days=1)
        return rows

    def observations(self):
        """What the customers saw, recorded as fact (mission rule 1)."""
        start = self.period[0]
        notes = [
            ("email", start + timedelta(days=9), 10, "outage", "alice.northwind", 150,
             "Outlook and Teams were down for the dispatch office from 09:40 until about "
             "12:10; drivers did not get their routes by mail."),
            ("service-desk", start + timedelta(days=12), 15, "complaint", "bob.contoso", None,
             "The ticket for the label printer on ward 4 waited two days for a fix."),
            ("email", start + timedelta(days=17), 15, "slow", "alice.northwind", 45,
             "Shared mailboxes took minutes to open all afternoon."),
            ("service-desk", start + timedelta(days=20), 11, "complaint", "clara.contoso",
             None, "Password reset requests were passed between two teams."),
        ]
        for service, day, hour, kind, who, minutes, text in sorted(notes, key=lambda n: n[1]):
            yield self.day(day, hour + 2)
            record_observation(self.session, self.slas[service], kind, text,
                               self.day(day, hour), minutes, who, self.clock)
        yield self.at(1, 11)
        record_observation(self.session, self.slas["email"], "praise",
                           "The calendar sync problem on the drivers' phones was fixed within "
                           "the hour.", self.at(1, 9), None, "nils.northwind", self.clock)

    def review_timers(self):
        """The review cycle timers of both active SLAs fire: their reviews start."""
        yield self.fire_at
        self.fire_timers([self.instances["email"], self.instances["service-desk"]])

    def fire_timers(self, instance_ids: list[int]) -> None:
        """Fire the due timers of ``instance_ids`` as a runner would (each commits)."""
        runner = f"seed:{uuid.uuid4().hex[:8]}"
        due = self.session.scalars(select(DueTimer).where(
            DueTimer.instance_id.in_(instance_ids), DueTimer.due_at <= self.clock,
            DueTimer.claimed_by.is_(None)).order_by(DueTimer.due_at)).all()
        claims = [Claimed(t.id, t.instance_id, t.task_id, t.element_id, t.due_at) for t in due]
        for timer in due:
            timer.claimed_by, timer.claim_expires_at = runner, self.clock + timedelta(minutes=5)
        self.session.flush()
        for claim in claims:
            if not fire_timer(self.engine, self.session, claim, runner, self.clock):
                raise SeedError(f"the timer of instance {claim.instance_id} did not fire")
            self.check(claim.instance_id)

    def review_instance(self, service: str) -> int:
        return self.session.scalar(select(Review.instance_id).where(
            Review.sla_id == self.slas[service]))

    def email_review(self):
        """Northwind's review of the month with the outage: discussed, recorded, improvements
        decided and change requests raised. (Contoso's review waits for the customer.)"""
        yield self.fire_at + timedelta(hours=4)
        iid = self.review_instance("email")
        self.instances["email-review"] = iid
        self.instances["service-desk-review"] = self.review_instance("service-desk")
        self.complete(iid, "Discuss the results", customer("alice.northwind"), {
            "agree": False,
            "notes": "The outage stopped our dispatch office for a morning. We want to know "
                     "what prevents it from happening again."})
        yield self.fire_at + timedelta(days=1, hours=3)
        self.complete(iid, "Record the review", MANAGER, {
            "discussion": "Alice Walker (Northwind) does not accept the availability figure "
                          "as normal: the outage hit the dispatch office at its busiest.",
            "record": "Availability missed its target by the outage of the mail gateway. "
                      "Agreed: a second gateway in Manchester and a status page for the "
                      "dispatch office; response and resolution times were met.",
            "ideas": ["Add a second mail gateway in DC Manchester for automatic failover",
                      "Publish a service status page for the Northwind dispatch office"]})
        yield self.fire_at + timedelta(days=1, hours=4)
        proposals = self.session.execute(select(
            ImprovementProposal.id, ImprovementProposal.reason, ImprovementProposal.title)
            .where(ImprovementProposal.review_id == self.session.scalar(select(Review.id).where(
                Review.instance_id == iid))).order_by(ImprovementProposal.id)).all()
        accepted = [p.id for p in proposals
                    if p.reason == "breach" or p.title.startswith("Add a second mail")]
        self.complete(iid, "Decide on improvements", MANAGER, {"accepted": accepted})


def _in_hours(hours, at: datetime) -> bool:
    return any(lo <= at < hi for lo, hi in utc_windows(hours, at, at + timedelta(minutes=1)))
