"""Every event kind sends the right mail to the right people, and to nobody else.

One world, two customer organisations (Acme: acme, acme2; Globex: globex), two managers,
a process owner; the mails are read from a real SMTP server on loopback by their
X-SLM-Kind header. Engine steps run on the product's diagrams.

Where each kind of issue 13 is checked through the SMTP server (mails, recipients):

| kind | test |
|---|---|
| task_ready, task_assigned, draft_ready, sla_active, report_ready, review_discussion, counter_proposal, change_request | test_notification_events.py::test_every_event_kind_mails_the_right_people_and_nobody_else |
| review_due (the review-cycle timer firing in the runner) | test_notification_timer.py |
| task_due_soon, task_overdue, task_escalated | test_notifications.py::test_reminders_due_soon_overdue_and_escalation_each_once |
| target_at_risk, target_breached | test_notifications.py::test_an_import_that_puts_a_target_at_risk_notifies_once |
| clarification | issue 10 (the clarification task) |
| task_ready to a customer organisation, with its links and unsubscribe | test_notifications.py::test_a_customer_task_mails_its_organisation_and_nobody_else, test_unsubscribe.py |
"""  # noqa: E501
from __future__ import annotations

import json
from collections import defaultdict
from datetime import datetime, timedelta

from smtp_sink import SmtpSink
from sqlalchemy import select

from engine.clock import utcnow
from engine.instances import start_instance
from engine.models import HumanTask
from engine.tasks import Actor, assign_task
from handlers.agreements.models import ServiceLevelAgreement
from handlers.catalogue.models import Metric
from handlers.delivery.models import Measurement
from handlers.delivery.periods import review_period
from handlers.reviews.models import ImprovementProposal
from handlers.reviews.operations import open_review

from . import sla_world
from .notify_world import address, deliver, give_addresses
from .sla_world import MANAGER, complete, customer

ACME = {address("acme"), address("acme2")}
MANAGERS = {address("manager"), address("manager2")}


def _review_cycle(app, sla_id: int):
    """A review of next month's period, with a breached availability (the process runs
    attainment, the customer report and waits for the customer's discussion)."""
    services = app.extensions["slm"]
    later = utcnow() + timedelta(days=62)
    with services.sessions() as s:
        sla = s.get(ServiceLevelAgreement, sla_id)
        metric = s.scalar(select(Metric).where(Metric.key == "availability"))
        start, _ = _period(s, sla, later)
        s.add(Measurement(sla_id=sla.id, metric_id=metric.id, value=90.0, source="test",
                          measured_at=start + timedelta(days=2)))

        def begin(process_id, data=None, organisation=None, title=""):
            return start_instance(services.engine, s, process_id, actor="system", now=later,
                                  data=data, organisation=organisation, title=title)

        review, created = open_review(s, sla, later, begin)
        s.commit()
        assert created
        return review.instance_id, later


def _period(session, sla, now):
    terms = json.loads(sla.versions[-1].terms)
    start, end = review_period(terms.get("review_cycle"), now)
    return datetime(start.year, start.month, start.day), end


def test_every_event_kind_mails_the_right_people_and_nobody_else(app, demo):
    give_addresses(app, demo)
    options = sla_world.build_catalogue(app)
    world = sla_world.agreed_sla(app, demo, demo.users["Customer"], options)
    # Globex negotiates: its customer counter-proposes, the managers hear of it
    globex = demo.users["Customer 2"]
    _, giid = sla_world.submit(app, demo, globex, "Mail for Globex")
    complete(app, giid, "choose_option", customer(globex), {"option_key": options["Silver"]})
    complete(app, giid, "review_draft", customer(globex),
             {"decision": "counter-propose", "comment": "Cheaper, please"})
    # Acme's review: report, discussion, record, improvements, change request
    riid, later = _review_cycle(app, world["sla_id"])
    complete(app, riid, "discuss_results", customer(demo.users["Customer"]),
             {"agree": False, "notes": "Mondays are bad"}, later)
    complete(app, riid, "record_the_review", MANAGER, {"record": "More monitoring"}, later)
    with app.extensions["slm"].sessions() as s:
        accepted = list(s.scalars(select(ImprovementProposal.id)))
        assigned = s.scalar(select(HumanTask.id).where(
            HumanTask.instance_id == riid, HumanTask.status == "ready"))
    with app.extensions["slm"].sessions() as s:  # the manager hands the decision over
        assign_task(s, assigned, "manager2", MANAGER, later)
        s.commit()
    complete(app, riid, "decide_improvements", Actor("manager2", MANAGER.roles),
             {"accepted": accepted[:1]}, later)
    with SmtpSink() as sink:
        sent = deliver(app, sink.url, later).sent
        sink.wait_for(sent)
        got = defaultdict(set)
        for rcpts, msg in sink.messages:
            got[msg["X-SLM-Kind"]].update(rcpts)
    owner = {address("owner")}
    assert got["draft_ready"] == ACME | {address("globex")}
    assert got["sla_active"] == ACME
    assert got["report_ready"] == ACME
    assert got["review_discussion"] == ACME
    assert got["counter_proposal"] == MANAGERS
    assert got["task_assigned"] == {address("manager2")}
    assert got["change_request"] == MANAGERS | owner
    assert "review_due" not in got  # test_notification_timer.py: the timer fires it
    # new tasks in a queue: the Customer lane only reaches its own organisation
    assert got["task_ready"] == ACME | {address("globex")} | MANAGERS
    # nobody outside the process hears anything: admin and auditor get no mail
    everyone = set().union(*got.values())
    assert address("admin") not in everyone and address("auditor") not in everyone
    for kind in ("sla_active", "report_ready", "review_discussion"):
        assert address("globex") not in got[kind]


def test_a_customer_comment_tells_the_managers_and_a_staff_comment_nobody(app, demo):
    from .support import client_login

    give_addresses(app, demo)
    world = sla_world.agreed_sla(app, demo, demo.users["Customer"],
                                 sla_world.build_catalogue(app))
    with SmtpSink() as sink:  # what the agreement itself sent
        deliver(app, sink.url)
    url = f"/conversations/sla/{world['sla_id']}"
    for who, text in (("Customer", "The depot was offline on Monday"),
                      ("Service Level Manager", "Looking into it")):
        client = app.test_client()
        token = client_login(client, demo.users[who])
        assert client.post(url, data={"csrf_token": token, "text": text}).status_code == 302
    with SmtpSink() as sink:
        sink.wait_for(deliver(app, sink.url).sent)
        got = [(sorted(rcpts), m["X-SLM-Kind"], m["Subject"]) for rcpts, m in sink.messages]
    assert sorted(r for rcpts, _, _ in got for r in rcpts) == sorted(MANAGERS)
    assert {kind for _, kind, _ in got} == {"counter_proposal"}
    assert all("A comment from acme" in subject for _, _, subject in got)
    msg = sink.to(address("manager"))[0]
    assert f"/slas/{world['sla_id']}" in msg.get_body(("plain",)).get_content()
