""""A review is due": the agreement diagram's own review-cycle timer fires in the runner
(``run_timers``: claim the due timer, run the step), its ``review_due`` service task
notifies, and the mail reaches the service level managers through a real SMTP server on
loopback, and nobody else."""
from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from smtp_sink import SmtpSink
from sqlalchemy import select

from engine.models import DueTimer
from handlers.notifications.models import Notification

from . import sla_world
from .notify_world import address, deliver, give_addresses, notified

MANAGERS = {address("manager"), address("manager2")}


def test_the_review_cycle_timer_firing_in_the_runner_mails_the_managers(app, demo):
    give_addresses(app, demo)
    world = sla_world.agreed_sla(app, demo, demo.users["Customer"],
                                 sla_world.build_catalogue(app))
    services = app.extensions["slm"]
    with services.sessions() as s:
        [timer] = s.scalars(select(DueTimer).where(
            DueTimer.instance_id == world["instance_id"])).all()
        assert timer.element_id == "next_review_due"
        due = timer.due_at
    with SmtpSink() as sink:  # everything before the timer went out first
        deliver(app, sink.url, due - timedelta(minutes=1))
    assert services.run_timers(due - timedelta(minutes=1)) == 0  # not due yet
    assert notified(app, "review_due") == []
    assert services.run_timers(due + timedelta(minutes=1)) == 1  # the runner fires it
    assert notified(app, "review_due") == ["manager", "manager2"]
    with services.sessions() as s:
        note = s.scalar(select(Notification).where(Notification.kind == "review_due"))
        assert note.link == "/reviews"
    with SmtpSink() as sink:
        sent = deliver(app, sink.url, due + timedelta(minutes=2)).sent
        sink.wait_for(sent)
        got = defaultdict(set)
        for rcpts, msg in sink.messages:
            got[msg["X-SLM-Kind"]].update(rcpts)
    assert got["review_due"] == MANAGERS
    # the step goes on into the review (its report and discussion reach Acme only)
    everyone = set().union(*got.values())
    assert address("globex") not in everyone and address("admin") not in everyone
    assert everyone <= MANAGERS | {address("acme"), address("acme2"), address("owner")}
