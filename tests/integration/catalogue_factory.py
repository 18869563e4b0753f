"""A small catalogue for the catalogue, requirement and agreement tests, built with the
catalogue functions themselves (so their validation runs too).

Metrics: availability (%, higher, monitoring), resolution_hours (hours, lower, service
desk), satisfaction (score, higher, *no data source*). Live standard services:
email (Bronze 500 / Silver 800 / Gold 1200) and hosting (Standard 2000); a draft and a
retired service whose options must never be offered.
"""
from __future__ import annotations

from datetime import datetime

from engine.registry import HandlerContext
from handlers.catalogue import operations as catalogue
from handlers.people.models import Organisation
from handlers.requirements.operations import submit_slr

T0 = datetime(2026, 1, 5, 9, 0, 0)

EMAIL_LEVELS = (  # name, cost, availability >=, resolution hours <=
    ("Bronze", "500.00", 99.0, 24.0),
    ("Silver", "800.00", 99.5, 8.0),
    ("Gold", "1200.00", 99.9, 4.0),
)


def ctx(session, now: datetime = T0, actor: str = "mike") -> HandlerContext:
    """The context the engine would pass a handler."""
    return HandlerContext(session=session, now=now, instance_id=None, task_id="t",
                          element_id="e", actor=actor, data={})


def define_all(session, service, now: datetime = T0) -> None:
    for kind in catalogue.BASELINE_KINDS:
        catalogue.define_supporting_process(session, service, kind, owner=f"{kind} manager",
                                            agreement=f"OLA-{kind}", now=now)


def build(session, ready: bool = True) -> dict:
    """Organisations, metrics and services; returns the records by name. Flushed only."""
    acme = Organisation(key="acme", name="Acme Ltd", kind="customer")
    provider = Organisation(key="it", name="IT Services", kind="provider")
    session.add_all([acme, provider])
    made = {"acme": acme, "provider": provider}
    made["availability"] = catalogue.create_metric(
        session, "availability", "Availability", "%", "higher", data_source="monitoring")
    made["resolution_hours"] = catalogue.create_metric(
        session, "resolution_hours", "Resolution time", "hours", "lower",
        aggregation="max", data_source="service desk")
    made["satisfaction"] = catalogue.create_metric(
        session, "satisfaction", "Satisfaction", "score", "higher")
    email = catalogue.create_service(session, "email", "E-mail", "olivia", status="live")
    for rank, (name, cost, avail, hours) in enumerate(EMAIL_LEVELS, start=1):
        option = catalogue.create_option(session, email, name, cost, rank=rank,
                                         service_hours="Mon-Fri 08:00-18:00",
                                         timezone="Europe/Berlin")
        catalogue.set_target(session, option, "availability", avail, "month")
        catalogue.set_target(session, option, "resolution_hours", hours, "month")
        made[f"email-{name.lower()}"] = option
    hosting = catalogue.create_service(session, "hosting", "Hosting", "olivia", status="live")
    standard = catalogue.create_option(session, hosting, "Standard", "2000.00")
    catalogue.set_target(session, standard, "availability", 99.5, "month")
    made["hosting-standard"] = standard
    for key, status in (("pilot", "draft"), ("legacy", "retired")):
        service = catalogue.create_service(session, key, key.title(), "olivia", status=status)
        option = catalogue.create_option(session, service, "Only", "1.00")
        catalogue.set_target(session, option, "availability", 100.0, "month")
        made[key] = service
    made["email"], made["hosting"] = email, hosting
    if ready:
        define_all(session, email)
        define_all(session, hosting)
    session.flush()
    return made


def wish(text: str, metric=None, value=None, period="month", comparator=None,
         clarify=None) -> dict:
    """A wish; ``clarify=True``: the customer asks us to clarify how to measure it."""
    return {"text": text, "metric": metric, "comparator": comparator, "value": value,
            "period": period, "clarify": clarify}


def slr(session, made: dict, *wishes: dict, title: str = "Mail for sales",
        service_id: int | None = None):
    return submit_slr(session, made["acme"].id, "carol", title,
                      "Our sales team needs e-mail that is always there, and hosting for "
                      "its tools.", list(wishes), T0, service_id=service_id)
