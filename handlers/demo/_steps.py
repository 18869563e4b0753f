"""The seed run's machinery: its clock, the people and catalogue it loads, the engine steps
the scenarios are made of (start an instance, complete a task, check for incidents) and the
summary it returns.

The scenarios are in :mod:`handlers.demo._agreements` and :mod:`handlers.demo._reviews`;
:mod:`handlers.demo.seed` puts them together.
"""
from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from engine.i18n import _
from engine.instances import open_incidents, start_instance
from engine.models import HumanTask, ProcessInstance
from engine.tasks import Actor, complete_task
from handlers.agreements.models import ServiceLevelAgreement
from handlers.catalogue.models import Service, ServiceLevelOption
from handlers.catalogue.operations import (
    create_ci,
    create_metric,
    create_option,
    create_service,
    link_ci,
    set_target,
)
from handlers.catalogue.supporting import define_supporting_process, register_supporting_process
from handlers.delivery.models import Observation
from handlers.delivery.periods import period_before
from handlers.errors import DomainError
from handlers.outputs.models import ChangeRequest, DesignSpecification
from handlers.people import operations as people
from handlers.people.models import Organisation
from handlers.requirements.models import ServiceLevelRequirement
from handlers.requirements.operations import submit_slr

from ._data import (
    CIS,
    CUSTOMERS,
    DEMO_USERS,
    EXTRA_SUPPORT,
    LANGUAGES,
    LONDON,
    METRICS,
    MISSING,
    PROVIDER,
    SERVICES,
    SUPPORT,
)

#: who loads the demo people (audit log); the diagrams are deployed by "seed" too
SEED_ACTOR = "seed"
MANAGER = Actor("manager", frozenset({"Service Level Manager"}))
OWNER = Actor("owner", frozenset({"Process Owner"}))


class SeedError(DomainError):
    """A demo step did not go as planned (an incident, an unexpected task...)."""


def customer(username: str) -> Actor:
    org = next(u[3] for u in DEMO_USERS if u[0] == username)
    return Actor(username, frozenset({"Customer"}), org)


# -- the steps -------------------------------------------------------------------------------
@dataclass
class _Steps:
    """The run's state and clock, and the steps the scenarios are made of."""

    session: object
    engine: object
    now: datetime
    password: str
    clock: datetime | None = None
    users: list = field(default_factory=list)
    slas: dict = field(default_factory=dict)
    instances: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)

    def __post_init__(self):
        self.clock = self.now
        #: the review timers fire at fire_at: the reviews cover the month before it
        self.fire_at = self.at(2, 6)
        self.period = period_before(self.fire_at)

    def at(self, days_ago: int, hour: int, minute: int = 0) -> datetime:
        """``days_ago`` days before now at ``hour``:``minute`` (never later than now)."""
        when = (self.now - timedelta(days=days_ago)).replace(hour=hour, minute=minute,
                                                              second=0, microsecond=0)
        return min(when, self.now)

    def day(self, day: date, hour: int) -> datetime:
        return datetime.combine(day, time(hour))

    def chronologically(self, scenarios: list[Iterator[datetime]]) -> None:
        """Run the scenarios' steps in time order: each yields the time of its next step."""
        queue = []
        for i, scenario in enumerate(scenarios):
            first = next(scenario, None)
            if first is not None:
                queue.append((first, i, scenario))
        heapq.heapify(queue)
        while queue:
            when, i, scenario = heapq.heappop(queue)
            self.clock = when
            following = next(scenario, None)
            if following is not None:
                if following < when:
                    raise SeedError(_("demo scenario %(i)s goes back in time at %(following)s",
                                      i=i,
                                      following=following))
                heapq.heappush(queue, (following, i, scenario))

    # -- people and catalogue ----------------------------------------------------------------
    def organisations(self) -> None:
        key, name = PROVIDER
        audited = {"actor": SEED_ACTOR, "now": self.at(120, 8)}  # when the diagrams deploy
        if not self.session.scalar(select(Organisation.id).where(Organisation.key == key)):
            people.create_organisation(self.session, key, name, kind="provider", **audited)
        for key, name in CUSTOMERS:
            org = people.create_organisation(self.session, key, name, **audited)
            if key in LANGUAGES:
                org.language = LANGUAGES[key][0]

    def staff_and_customers(self) -> None:
        if len(self.password or "") < people.MIN_PASSWORD:
            raise DomainError(_("the demo password needs at least %(MIN_PASSWORD)s characters",
                                MIN_PASSWORD=people.MIN_PASSWORD))
        shared_hash = people.hash_password(self.password)  # once: argon2 is slow on purpose
        for username, name, role, org, email in DEMO_USERS:
            created = people.find_user(self.session, username) is None
            if created:
                user = people.create_user(self.session, username, name, None, [role], org,
                                          email=email, password_hash=shared_hash,
                                          actor=SEED_ACTOR, now=self.at(120, 8))
                user.language, user.time_zone = LANGUAGES.get(username, (None, None))
            self.users.append({"username": username, "name": name, "role": role,
                               "organisation": org, "created": created})

    def catalogue(self) -> None:
        s, when = self.session, self.at(120, 9)
        for key, name, unit, direction, aggregation, source, text in METRICS:
            create_metric(s, key, name, unit, direction, aggregation, source, text)
        by_key = {}
        for n, (key, name, owner, text, levels) in enumerate(SERVICES, start=1):
            service = create_service(s, key, name, owner, text, status="live")
            by_key[key] = service
            for kind in ("incident", "change", "availability", "continuity",
                         *EXTRA_SUPPORT.get(key, ())):
                if (key, kind) == MISSING:
                    register_supporting_process(s, service, kind)
                    continue
                who, agreement = SUPPORT[kind]
                define_supporting_process(s, service, kind, who, agreement.format(n=n), when)
            for rank, (level, cost, hours, targets) in enumerate(levels, start=1):
                option = create_option(s, service, level, cost, rank=rank, service_hours=hours,
                                       timezone=LONDON,
                                       description=f"{name} {level}: {hours}, {LONDON} time")
                for metric, threshold in targets.items():
                    set_target(s, option, metric, threshold, "month")
        for key, name, ci_type, status, location, services in CIS:
            ci = create_ci(s, key, name, ci_type, status, location)
            for service_key in services:
                link_ci(s, by_key[service_key], ci)

    def option(self, service_key: str, level: str) -> ServiceLevelOption:
        return self.session.scalar(select(ServiceLevelOption).join(Service).where(
            Service.key == service_key, ServiceLevelOption.name == level))

    def option_key(self, service_key: str, level: str) -> str:
        return f"opt-{self.option(service_key, level).id}"

    def org_id(self, key: str) -> int:
        return self.session.scalar(select(Organisation.id).where(Organisation.key == key))

    # -- engine steps -----------------------------------------------------------------------
    def requirement(self, name: str, who: str, title: str, need: str, wishes: list,
                    service: str | None = None) -> int:
        """Submit an SLR as customer ``who`` (started from catalogue ``service``, a key, when
        given) and start its SLA agreement; the instance id."""
        org = customer(who).organisation
        service_id = None if service is None else self.session.scalar(
            select(Service.id).where(Service.key == service))
        slr = submit_slr(self.session, self.org_id(org), who, title, need, wishes, self.clock,
                         service_id=service_id)
        iid = start_instance(self.engine, self.session, "sla_agreement", actor=who,
                             now=self.clock, data={"slr_id": slr.id, "organisation": org},
                             organisation=org, title=f"SLA agreement: {title}")
        slr.instance_id = iid
        self.instances[name] = iid
        self.check(iid)
        return iid

    def start(self, name: str, process_id: str, who: str, title: str) -> int:
        iid = start_instance(self.engine, self.session, process_id, actor=who, now=self.clock,
                             data={}, title=title)
        self.instances[name] = iid
        self.check(iid)
        return iid

    def waiting(self, iid: int) -> list[tuple[int, str]]:
        return [tuple(r) for r in self.session.execute(
            select(HumanTask.id, HumanTask.name).where(HumanTask.instance_id == iid,
                                                       HumanTask.status == "ready")
            .order_by(HumanTask.id))]

    def complete(self, iid: int, task_name: str, actor: Actor, data: dict) -> None:
        ready = self.waiting(iid)
        task = next((t for t in ready if t[1] == task_name), None)
        if task is None:
            raise SeedError(_("instance %(iid)s is not waiting at %(task_name)s (waiting: "
                              "%(t)s)",
                              iid=iid,
                              task_name=repr(task_name),
                              t=[t[1] for t in ready]))
        complete_task(self.engine, self.session, task[0], data, actor, self.clock)
        self.check(iid)

    def check(self, iid: int) -> None:
        incidents = open_incidents(self.session, iid)
        if incidents:
            raise SeedError(_("demo instance %(iid)s failed: %(message)s",
                              iid=iid,
                              message=incidents[0].message))

    def slr_id(self, iid: int) -> int:
        return self.session.scalar(select(ServiceLevelRequirement.id).where(
            ServiceLevelRequirement.instance_id == iid))

    def draft_of(self, iid: int) -> ServiceLevelAgreement:
        """The SLA drafted for the requirement of agreement instance ``iid``."""
        return self.session.scalar(select(ServiceLevelAgreement).where(
            ServiceLevelAgreement.slr_id == self.slr_id(iid)))

    # -- summary ---------------------------------------------------------------------------------
    def summary(self) -> dict:
        s = self.session
        slas = s.scalars(select(ServiceLevelAgreement).order_by(ServiceLevelAgreement.id))
        instances = []
        for name, iid in self.instances.items():
            row = s.get(ProcessInstance, iid)
            instances.append({"id": iid, "name": name, "process_id": row.process_id,
                              "title": row.title, "status": row.status,
                              "waiting": [t[1] for t in self.waiting(iid)]})
        instances.sort(key=lambda i: i["id"])

        def count(model) -> int:
            return len(s.scalars(select(model.id)).all())

        return {
            "created": True, "password": self.password, "users": self.users,
            "organisations": [PROVIDER[1], *(name for _, name in CUSTOMERS)],
            "metrics": len(METRICS), "services": len(SERVICES),
            "options": sum(len(levels) for *_, levels in SERVICES), "cis": len(CIS),
            "slas": [{"reference": a.reference, "organisation": a.organisation.name,
                      "service": a.service.name, "title": a.title, "status": a.status,
                      "version": a.current_version} for a in slas],
            "measurements": self.counts.get("measurements", 0),
            "observations": count(Observation),
            "design_specifications": count(DesignSpecification),
            "change_requests": count(ChangeRequest),
            "instances": instances,
        }

