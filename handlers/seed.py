"""Demo data: a small but realistic SLM installation, driven through the real diagrams.

``seed_demo(session, engine, now)`` loads, once:

* a provider and two customer organisations (Northwind Logistics, Contoso Health) and a demo
  user for every role, all with the password :data:`DEMO_PASSWORD` (see :data:`DEMO_USERS`);
* the metric registry (each metric with unit, direction, aggregation and data source; one
  without a data source, to show mission rule 6), six live services with Bronze/Silver/Gold
  options, their monthly costs and measurable targets, supporting processes all defined
  except *continuity* of ERP Hosting (mission rule 5), and configuration items linked to them;
* process instances in several stages, run by the engine on the product's diagrams
  (deployed first when missing) with the real handlers, exactly as people would have worked
  them: two active SLAs with three months of measurements (some breached) and customer
  observations, one with its last review completed (improvement proposals and change
  requests), one with its review waiting for the customer's discussion; one SLA in
  negotiation (version 2 drafted); a customer-specific service (design specification, change
  request, first draft waiting for the customer); a requirement waiting at the supporting
  process gate; one waiting for the customer to choose an option; and the process definition
  and process management instances at their first human tasks.

Every date is a fixed offset from ``now``, so the data always looks recent, and the steps run
in time order, so the audit trail reads like history. Demo data is recognised by the
customer organisations' keys: a second run changes nothing. Firing the review timers commits
the session (as a runner would); the caller commits the rest.
"""
from __future__ import annotations

import heapq
import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import select

from engine.clock import as_utc
from engine.deploy import deploy
from engine.errors import NotFoundError
from engine.instances import open_incidents, start_instance
from engine.models import DueTimer, HumanTask, ProcessInstance
from engine.runner import Claimed, fire_timer
from engine.tasks import Actor, complete_task

from . import people
from .catalogue import create_ci, create_metric, create_option, create_service, link_ci, set_target
from .errors import DomainError
from .measurements import import_rows, record_observation
from .models import (
    ChangeRequest,
    DesignSpecification,
    ImprovementProposal,
    Observation,
    Organisation,
    Review,
    Service,
    ServiceLevelAgreement,
    ServiceLevelOption,
    ServiceLevelRequirement,
)
from .periods import period_before
from .requirements import submit_slr
from .service_hours import parse_service_hours, utc_windows
from .supporting import define_supporting_process, register_supporting_process

WORKFLOWS = Path(__file__).resolve().parent.parent / "workflows"
PROCESSES = {"sla_agreement": "sla_agreement.bpmn",
             "service_performance_review": "service_performance_review.bpmn",
             "slm_process_definition": "slm_process_definition.bpmn",
             "slm_process_management": "slm_process_management.bpmn"}

#: the password of every demo user (documented in README.md; change it outside a demo)
DEMO_PASSWORD = "demo-password-1"
PROVIDER = ("fabrikam-it", "Fabrikam IT Services")
CUSTOMERS = (("northwind", "Northwind Logistics"), ("contoso", "Contoso Health"))
#: username, display name, role, organisation key, e-mail
DEMO_USERS = (
    ("admin", "Ada Admin", "Admin", "fabrikam-it", "admin@fabrikam.example"),
    ("owner", "Oscar Owner", "Process Owner", "fabrikam-it", "owner@fabrikam.example"),
    ("manager", "Maya Manager", "Service Level Manager", "fabrikam-it",
     "manager@fabrikam.example"),
    ("auditor", "Aldo Auditor", "Auditor", None, "auditor@audit.example"),
    ("alice.northwind", "Alice Walker", "Customer", "northwind", "alice@northwind.example"),
    ("nils.northwind", "Nils Berg", "Customer", "northwind", "nils@northwind.example"),
    ("bob.contoso", "Bob Chen", "Customer", "contoso", "bob@contoso.example"),
    ("clara.contoso", "Clara Diaz", "Customer", "contoso", "clara@contoso.example"),
)

#: key, name, unit, direction, aggregation, data source (None: cannot be measured), text
METRICS = (
    ("availability", "Availability", "%", "higher", "avg",
     "Zabbix monitoring (synthetic checks every minute)",
     "Share of service hours the service was usable, per day."),
    ("first_response", "First response time", "minutes", "lower", "avg",
     "ServiceNow incident records", "Minutes from a ticket's creation to the first answer."),
    ("incident_resolution", "Incident resolution time", "hours", "lower", "avg",
     "ServiceNow incident records", "Hours from a ticket's creation to its resolution."),
    ("first_contact_resolution", "First contact resolution", "%", "higher", "avg",
     "ServiceNow incident records", "Share of tickets solved in the first contact."),
    ("batch_on_time", "ERP batch jobs on time", "%", "higher", "avg",
     "SAP job scheduler log", "Share of scheduled batch jobs finished by their deadline."),
    ("latency", "Round-trip latency", "ms", "lower", "avg", "PRTG network monitoring",
     "Round-trip time between the sites and the data centre."),
    ("rpo", "Recovery point (age of the last good backup)", "hours", "lower", "max",
     "Veeam backup reports", "Worst age of the last restorable backup."),
    ("restore_success", "Restore test success", "%", "higher", "avg",
     "Veeam restore tests", "Share of weekly restore tests that succeeded."),
    ("access_fulfilment", "Access request fulfilment time", "hours", "lower", "avg",
     "SailPoint access request log", "Hours from an access request to its fulfilment."),
    ("user_satisfaction", "User satisfaction", "score 1-5", "higher", "avg", None,
     "No survey tool yet: this cannot be measured, so no target may use it."),
)

LONDON = "Europe/London"
#: key, name, owner, description, [(level, monthly cost, service hours, {metric: threshold})]
SERVICES = (
    ("email", "Email & Collaboration", "Priya Nair",
     "Mail, calendars, Teams and SharePoint for every employee.", (
         ("Bronze", "900.00", "Mon-Fri 08:00-18:00",
          {"availability": 99.0, "first_response": 60, "incident_resolution": 24}),
         ("Silver", "1500.00", "Mon-Sat 07:00-20:00",
          {"availability": 99.5, "first_response": 30, "incident_resolution": 8}),
         ("Gold", "2400.00", "24x7",
          {"availability": 99.9, "first_response": 15, "incident_resolution": 4}))),
    ("service-desk", "Service Desk", "Tomás Reyes",
     "Single point of contact for incidents and requests, by phone, portal and chat.", (
         ("Bronze", "1200.00", "Mon-Fri 08:00-18:00",
          {"first_response": 60, "incident_resolution": 24, "first_contact_resolution": 60}),
         ("Silver", "2100.00", "Mon-Fri 07:00-19:00",
          {"first_response": 30, "incident_resolution": 12, "first_contact_resolution": 70}),
         ("Gold", "3400.00", "24x7",
          {"first_response": 10, "incident_resolution": 6, "first_contact_resolution": 80}))),
    ("erp-hosting", "ERP Hosting", "Hannah Okafor",
     "SAP S/4HANA hosted in our data centres, including batch operations.", (
         ("Bronze", "3000.00", "Mon-Fri 07:00-19:00",
          {"availability": 99.0, "incident_resolution": 12, "batch_on_time": 95}),
         ("Silver", "4800.00", "Mon-Sat 06:00-22:00",
          {"availability": 99.5, "incident_resolution": 8, "batch_on_time": 98}),
         ("Gold", "7200.00", "24x7",
          {"availability": 99.9, "incident_resolution": 4, "batch_on_time": 99.5}))),
    ("network", "Network Connectivity", "Lars Petersen",
     "LAN, Wi-Fi and WAN links between the customer's sites and our data centres.", (
         ("Bronze", "800.00", "Mon-Fri 08:00-18:00", {"availability": 99.0, "latency": 80}),
         ("Silver", "1400.00", "24x7", {"availability": 99.5, "latency": 50}),
         ("Gold", "2300.00", "24x7", {"availability": 99.95, "latency": 30}))),
    ("backup", "Backup & Restore", "Grace Kim",
     "Backups of servers and databases with tested restores.", (
         ("Bronze", "500.00", "24x7", {"rpo": 24, "restore_success": 95}),
         ("Silver", "850.00", "24x7", {"rpo": 12, "restore_success": 98}),
         ("Gold", "1400.00", "24x7", {"rpo": 4, "restore_success": 99.5}))),
    ("identity", "Identity & Access", "Ines Duarte",
     "Accounts, single sign-on, multi-factor authentication and access requests.", (
         ("Bronze", "600.00", "Mon-Fri 08:00-18:00",
          {"availability": 99.0, "access_fulfilment": 48}),
         ("Silver", "1000.00", "24x7", {"availability": 99.5, "access_fulfilment": 24}),
         ("Gold", "1600.00", "24x7", {"availability": 99.9, "access_fulfilment": 8}))),
)

#: supporting process kind -> (owner, agreement); {n} is the service's number
SUPPORT = {
    "incident": ("Incident Management (Tomás Reyes)",
                 "OLA-INC-{n:02d}: P1 answered in 15 minutes and worked 24x7, P2 in 1 hour"),
    "problem": ("Problem Management (Tomás Reyes)",
                "OLA-PRB-{n:02d}: root cause of every P1 within 10 working days"),
    "change": ("Change Management (Hannah Okafor)",
               "OLA-CHG-{n:02d}: weekly CAB; emergency changes approved within 4 hours"),
    "availability": ("Availability Management (Lars Petersen)",
                     "OLA-AVM-{n:02d}: monitoring of every CI, monthly availability report"),
    "capacity": ("Capacity Management (Lars Petersen)",
                 "OLA-CAP-{n:02d}: quarterly capacity plan, alerts at 80 % utilisation"),
    "continuity": ("IT Service Continuity (Grace Kim)",
                   "OLA-SCM-{n:02d}: disaster recovery plan tested twice a year, RTO 4 hours"),
    "security": ("Information Security (Ines Duarte)",
                 "OLA-SEC-{n:02d}: access reviews every quarter, incident response 24x7"),
    "supplier": ("Supplier Management (Grace Kim)",
                 "UC-WAN-2025: carrier contract, 4-hour fix on every WAN link"),
}
#: supporting processes beyond the baseline (incident, change, availability, continuity)
EXTRA_SUPPORT = {"email": ("problem", "capacity"), "service-desk": ("problem",),
                 "erp-hosting": ("problem", "capacity"),
                 "network": ("problem", "capacity", "supplier"), "backup": ("problem",),
                 "identity": ("problem", "security")}
#: the one gap in the register: ERP Hosting has no continuity process yet (mission rule 5)
MISSING = ("erp-hosting", "continuity")

#: key, name, type, status, location, services
CIS = (
    ("CI-MAIL-01", "Exchange Online tenant", "SaaS tenant", "operational",
     "Microsoft cloud (EU)", ("email",)),
    ("CI-MAIL-02", "Mail gateway (Proofpoint)", "Appliance", "operational", "DC London",
     ("email",)),
    ("CI-COLLAB-01", "Teams and SharePoint tenant", "SaaS tenant", "operational",
     "Microsoft cloud (EU)", ("email",)),
    ("CI-SD-01", "ServiceNow instance", "Application", "operational", "ServiceNow cloud (EU)",
     ("service-desk",)),
    ("CI-SD-02", "Contact centre telephony", "Application", "operational", "DC London",
     ("service-desk",)),
    ("CI-ERP-APP-01", "SAP S/4HANA application server 1", "Virtual server", "operational",
     "DC London", ("erp-hosting",)),
    ("CI-ERP-APP-02", "SAP S/4HANA application server 2", "Virtual server", "operational",
     "DC London", ("erp-hosting",)),
    ("CI-ERP-DB-01", "SAP HANA database", "Database", "operational", "DC London",
     ("erp-hosting", "backup")),
    ("CI-NET-CORE-01", "Core switch stack London", "Network device", "operational",
     "DC London", ("network", "email", "erp-hosting")),
    ("CI-NET-WAN-01", "MPLS WAN router", "Network device", "operational", "DC London",
     ("network",)),
    ("CI-NET-FW-01", "Perimeter firewall cluster", "Network device", "operational",
     "DC London", ("network", "identity")),
    ("CI-BKP-01", "Veeam backup server", "Physical server", "operational", "DC Manchester",
     ("backup",)),
    ("CI-BKP-02", "LTO-9 tape library", "Storage", "operational", "DC Manchester",
     ("backup",)),
    ("CI-IAM-01", "Entra ID tenant", "SaaS tenant", "operational", "Microsoft cloud (EU)",
     ("identity", "email")),
    ("CI-IAM-02", "Domain controller DC01", "Virtual server", "operational", "DC London",
     ("identity",)),
    ("CI-IAM-03", "Domain controller DC02", "Virtual server", "maintenance", "DC Manchester",
     ("identity",)),
)

MANAGER = Actor("manager", frozenset({"Service Level Manager"}))
OWNER = Actor("owner", frozenset({"Process Owner"}))


class SeedError(DomainError):
    """A demo step did not go as planned (an incident, an unexpected task...)."""


def customer(username: str) -> Actor:
    org = next(u[3] for u in DEMO_USERS if u[0] == username)
    return Actor(username, frozenset({"Customer"}), org)


def demo_present(session) -> bool:
    """True when the demo data was loaded (a demo customer organisation exists)."""
    keys = [key for key, _ in CUSTOMERS]
    return session.scalar(select(Organisation.id).where(Organisation.key.in_(keys))) is not None


def deploy_diagrams(session, engine, now: datetime, actor: str = "seed") -> list:
    """Deploy the product's diagrams that are not deployed yet; the deploy results."""
    results = []
    forms = WORKFLOWS / "forms"

    def load_form(name: str) -> bytes | None:
        path = forms / name
        return path.read_bytes() if "/" not in name and path.is_file() else None

    for process_id, fname in PROCESSES.items():
        try:
            engine.latest_version(session, process_id)
            continue
        except NotFoundError:
            pass
        path = WORKFLOWS / "bpmn" / fname
        results += deploy(session, path.read_bytes(), fname, registry=engine.registry,
                          known_lanes=engine.known_lanes, form_loader=load_form, actor=actor,
                          now=now)
    return results


def seed_demo(session, engine, now: datetime, password: str = DEMO_PASSWORD) -> dict:
    """Load the demo data (see the module docstring) unless it is present.

    Returns ``{created: False}`` when it is, else a summary: ``{created: True, password,
    users: [{username, name, role, organisation, created}] (created False: the user existed
    and keeps its password), organisations, metrics, services, options, cis, slas:
    [{reference, organisation, service, title, status, version}], measurements,
    observations, design_specifications, change_requests, instances: [{id, name,
    process_id, title, status, waiting: [task names]}]}``. Raises DomainError when a step
    fails (SeedError: a demo step did not go as planned).
    """
    if demo_present(session):
        return {"created": False}
    return _Seed(session, engine, as_utc(now), password).run()


# -- the run ---------------------------------------------------------------------------------
@dataclass
class _Seed:
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

    def run(self) -> dict:
        deploy_diagrams(self.session, self.engine, self.at(120, 8))
        self.organisations()
        self.staff_and_customers()
        self.catalogue()
        self.chronologically([
            self.email_for_northwind(), self.service_desk_for_contoso(),
            self.measurements(), self.observations(), self.review_timers(),
            self.email_review(), self.telemetry_for_contoso(), self.network_for_northwind(),
            self.erp_for_contoso(), self.identity_for_northwind(), self.definition(),
            self.management(),
        ])
        self.session.flush()
        return self.summary()

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
                    raise SeedError(f"demo scenario {i} goes back in time at {following}")
                heapq.heappush(queue, (following, i, scenario))

    # -- people and catalogue ----------------------------------------------------------------
    def organisations(self) -> None:
        key, name = PROVIDER
        if not self.session.scalar(select(Organisation.id).where(Organisation.key == key)):
            people.create_organisation(self.session, key, name, kind="provider")
        for key, name in CUSTOMERS:
            people.create_organisation(self.session, key, name)

    def staff_and_customers(self) -> None:
        if len(self.password or "") < people.MIN_PASSWORD:
            raise DomainError(f"the demo password needs at least {people.MIN_PASSWORD} "
                              "characters")
        shared_hash = people.hash_password(self.password)  # once: argon2 is slow on purpose
        for username, name, role, org, email in DEMO_USERS:
            created = people.find_user(self.session, username) is None
            if created:
                people.create_user(self.session, username, name, None, [role], org,
                                   email=email, password_hash=shared_hash)
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
    def requirement(self, name: str, who: str, title: str, need: str, wishes: list) -> int:
        """Submit an SLR as customer ``who`` and start its SLA agreement; the instance id."""
        org = customer(who).organisation
        slr = submit_slr(self.session, self.org_id(org), who, title, need, wishes, self.clock)
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
            raise SeedError(f"instance {iid} is not waiting at {task_name!r} "
                            f"(waiting: {[t[1] for t in ready]})")
        complete_task(self.engine, self.session, task[0], data, actor, self.clock)
        self.check(iid)

    def check(self, iid: int) -> None:
        incidents = open_incidents(self.session, iid)
        if incidents:
            raise SeedError(f"demo instance {iid} failed: {incidents[0].message}")

    def slr_id(self, iid: int) -> int:
        return self.session.scalar(select(ServiceLevelRequirement.id).where(
            ServiceLevelRequirement.instance_id == iid))

    def draft_of(self, iid: int) -> ServiceLevelAgreement:
        """The SLA drafted for the requirement of agreement instance ``iid``."""
        return self.session.scalar(select(ServiceLevelAgreement).where(
            ServiceLevelAgreement.slr_id == self.slr_id(iid)))

    # -- scenarios (each yields the time of its next step) -------------------------------------
    def email_for_northwind(self):
        """Active SLA: Email Gold for Northwind, agreed without changes 97 days ago."""
        yield self.at(100, 9)
        iid = self.requirement(
            "email", "alice.northwind", "Email for the dispatch and warehouse teams",
            "Our dispatchers plan routes around the clock and talk to drivers by mail and "
            "Teams; if mail stops, trucks wait.",
            [{"text": "Mail and Teams available around the clock, 99.9 % a month",
              "metric": "availability", "comparator": ">=", "value": 99.9, "period": "month"},
             {"text": "Incidents fixed within 4 hours", "metric": "incident_resolution",
              "comparator": "<=", "value": 4, "period": "month"},
             {"text": "Someone answers within a quarter of an hour", "metric": "first_response",
              "comparator": "<=", "value": 15, "period": "month"}])
        yield self.at(99, 10)
        self.complete(iid, "Choose a service level option", customer("alice.northwind"),
                      {"option_key": self.option_key("email", "Gold"),
                       "comment": "Gold: our dispatch office never closes."})
        yield self.at(98, 11)
        self.complete(iid, "Review the SLA draft", customer("alice.northwind"),
                      {"decision": "accept", "comment": "Terms as offered."})
        yield self.at(97, 9, 30)
        self.complete(iid, "Approve the agreement", MANAGER,
                      {"decision": "approve", "comment": "Targets measured by Zabbix and "
                                                         "ServiceNow; cost as listed."})
        self.slas["email"] = self.draft_of(iid).id

    def service_desk_for_contoso(self):
        """Active SLA: Service Desk Silver for Contoso, negotiated to version 2."""
        yield self.at(106, 9)
        iid = self.requirement(
            "service-desk", "bob.contoso", "Service desk for clinical staff",
            "Nurses and doctors need one number to call when a ward PC, printer or "
            "application fails during the day shift.",
            [{"text": "First answer within 30 minutes", "metric": "first_response",
              "comparator": "<=", "value": 30, "period": "month"},
             {"text": "Incidents resolved within 12 hours", "metric": "incident_resolution",
              "comparator": "<=", "value": 12, "period": "month"},
             {"text": "Most calls solved in the first contact (70 %)",
              "metric": "first_contact_resolution", "comparator": ">=", "value": 70,
              "period": "month"}])
        yield self.at(105, 10)
        self.complete(iid, "Choose a service level option", customer("bob.contoso"),
                      {"option_key": self.option_key("service-desk", "Silver")})
        yield self.at(104, 14)
        self.complete(iid, "Review the SLA draft", customer("bob.contoso"), {
            "decision": "counter-propose",
            "comment": "Clinical systems cannot wait 12 hours: we need 10.",
            "requested_changes": {"targets": [{"metric": "incident_resolution",
                                               "threshold": 10}]}})
        yield self.at(103, 11)
        self.complete(iid, "Revise the SLA", MANAGER, {
            "comment": "10 hours agreed at the Silver price: clinical tickets are routed to "
                       "the priority queue."})
        yield self.at(102, 9)
        self.complete(iid, "Review the SLA draft", customer("bob.contoso"),
                      {"decision": "accept"})
        yield self.at(101, 16)
        self.complete(iid, "Approve the agreement", MANAGER, {"decision": "approve"})
        self.slas["service-desk"] = self.draft_of(iid).id

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

    def telemetry_for_contoso(self):
        """Customer-specific service: design specification and change request; supporting
        processes defined by the owner; first draft waiting for the customer's review."""
        yield self.at(10, 10)
        iid = self.requirement(
            "telemetry", "bob.contoso", "Telemetry platform for home-care devices",
            "Blood-pressure and heart monitors of our home-care patients report every few "
            "minutes; a gap in the data is a clinical risk.",
            [{"text": "The platform is up 99.95 % of the time", "metric": "availability",
              "comparator": ">=", "value": 99.95, "period": "month"},
             {"text": "Incidents resolved within 2 hours", "metric": "incident_resolution",
              "comparator": "<=", "value": 2, "period": "month"},
             {"text": "First answer within 5 minutes, day and night", "metric": "first_response",
              "comparator": "<=", "value": 5, "period": "month"}])
        yield self.at(9, 11)
        self.complete(iid, "Choose a service level option", customer("bob.contoso"), {
            "option_key": "custom",
            "comment": "None of the standard options is strict enough for patient data."})
        yield self.at(5, 14)
        service = self.session.get(Service, self.session.scalar(
            select(DesignSpecification.service_id).where(
                DesignSpecification.slr_id == self.slr_id(iid))))
        for kind in ("incident", "change", "availability", "continuity"):
            who, agreement = SUPPORT[kind]
            define_supporting_process(self.session, service, kind, who,
                                      agreement.format(n=len(SERVICES) + 1), self.clock)
        self.complete(iid, "Define the missing supporting processes", OWNER, {
            "done": True, "note": "Incident, change, availability and continuity defined for "
                                  "the telemetry platform (OLAs 07)."})

    def network_for_northwind(self):
        """In negotiation: the customer counter-proposed, version 2 waits for their review."""
        yield self.at(9, 9)
        iid = self.requirement(
            "network", "nils.northwind", "Network for the warehouses",
            "Scanners and label printers in our three warehouses depend on the WAN link to "
            "the data centre.",
            [{"text": "Links available 99.5 % of the time", "metric": "availability",
              "comparator": ">=", "value": 99.5, "period": "month"},
             {"text": "Latency under 50 ms for the scanners", "metric": "latency",
              "comparator": "<=", "value": 50, "period": "month"}])
        yield self.at(8, 15)
        self.complete(iid, "Choose a service level option", customer("nils.northwind"),
                      {"option_key": self.option_key("network", "Silver")})
        yield self.at(6, 10)
        self.complete(iid, "Review the SLA draft", customer("nils.northwind"), {
            "decision": "counter-propose",
            "comment": "Our warehouses work 24x7: we need 99.9 %. Reviews every quarter are "
                       "enough for us.",
            "requested_changes": {"targets": [{"metric": "availability", "threshold": 99.9}],
                                  "review_cycle": "P3M"}})
        yield self.at(4, 16)
        self.complete(iid, "Revise the SLA", MANAGER, {
            "changes": {"targets": [{"metric": "availability", "threshold": 99.8}],
                        "review_cycle": "P3M"},
            "comment": "99.9 % is the Gold level (2300.00 a month). At the Silver price we "
                       "can commit to 99.8 % thanks to the second WAN link; quarterly "
                       "reviews agreed."})

    def erp_for_contoso(self):
        """Waiting at the supporting process gate: ERP Hosting has no continuity process."""
        yield self.at(5, 9)
        iid = self.requirement(
            "erp", "clara.contoso", "ERP for the hospital supply chain",
            "Orders for medicines and consumables run through SAP; the night batch must "
            "finish before the morning rounds.",
            [{"text": "SAP available 99.9 % of the time", "metric": "availability",
              "comparator": ">=", "value": 99.9, "period": "month"},
             {"text": "Incidents resolved within 4 hours", "metric": "incident_resolution",
              "comparator": "<=", "value": 4, "period": "month"},
             {"text": "Night batch on time 99.5 % of nights", "metric": "batch_on_time",
              "comparator": ">=", "value": 99.5, "period": "month"}])
        yield self.at(4, 10)
        self.complete(iid, "Choose a service level option", customer("clara.contoso"),
                      {"option_key": self.option_key("erp-hosting", "Gold")})

    def identity_for_northwind(self):
        """Waiting for the customer to choose an option; one wish cannot be measured yet."""
        yield self.at(1, 8)
        self.requirement(
            "identity", "alice.northwind", "Single sign-on for the drivers' handhelds",
            "Drivers log in to the route, scanning and fuel apps many times a day.",
            [{"text": "Sign-in available 99.5 % of the time", "metric": "availability",
              "comparator": ">=", "value": 99.5, "period": "month"},
             {"text": "New drivers get their access within a day",
              "metric": "access_fulfilment", "comparator": "<=", "value": 24,
              "period": "month"},
             {"text": "Drivers are happy with logging in", "metric": "user_satisfaction",
              "comparator": ">=", "value": 4, "period": "month"},
             {"text": "Logging in should be quick"}])

    def definition(self):
        """The SLM process definition, waiting for the process owner's plan."""
        yield self.at(3, 9)
        self.start("definition", "slm_process_definition", "owner",
                   "SLM process definition")

    def management(self):
        """Process management: verification and management report done, priorities next."""
        yield self.at(1, 7)
        self.start("management", "slm_process_management", "manager",
                   "SLM process management")

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


def _in_hours(hours, at: datetime) -> bool:
    return any(lo <= at < hi for lo, hi in utc_windows(hours, at, at + timedelta(minutes=1)))
