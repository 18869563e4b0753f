"""The SLA agreement scenarios of the demo: each customer requirement driven through the
``sla_agreement`` diagram to its stage (two agreed, one in negotiation, a customer-specific
service, one at the supporting process gate, one waiting for an option), and the SLM process
definition and management instances at their first human tasks.
"""
from __future__ import annotations

from sqlalchemy import select

from handlers.catalogue.models import Service
from handlers.catalogue.supporting import define_supporting_process
from handlers.outputs.models import DesignSpecification

from ._data import SERVICES, SUPPORT
from ._steps import MANAGER, OWNER, customer


class _AgreementScenarios:
    """Scenario generators for :class:`handlers.demo.seed._Seed` (each yields the time of its next
    step); the steps they use are :class:`handlers.demo._steps._Steps`'s."""

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
              "comparator": "<=", "value": 15, "period": "month"}],
            service="email")
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
              "period": "month"}],
            service="service-desk")
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
              "comparator": "<=", "value": 50, "period": "month"}],
            service="network")
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
              "comparator": ">=", "value": 99.5, "period": "month"}],
            service="erp-hosting")
        yield self.at(4, 10)
        self.complete(iid, "Choose a service level option", customer("clara.contoso"),
                      {"option_key": self.option_key("erp-hosting", "Gold")})

    def identity_for_northwind(self):
        """Two wishes the customer could not measure: the manager clarified them (one became
        measurable), and the customer's choice of an option waits."""
        yield self.at(1, 8)
        iid = self.requirement(
            "identity", "alice.northwind", "Single sign-on for the drivers' handhelds",
            "Drivers log in to the route, scanning and fuel apps many times a day.",
            [{"text": "Sign-in available 99.5 % of the time", "metric": "availability",
              "comparator": ">=", "value": 99.5, "period": "month"},
             {"text": "New drivers get their access within a day",
              "metric": "access_fulfilment", "comparator": "<=", "value": 24,
              "period": "month"},
             {"text": "Drivers are happy with logging in", "metric": "user_satisfaction",
              "comparator": ">=", "value": 4, "period": "month", "clarify": True},
             {"text": "Logging in should be quick", "clarify": True}])
        yield self.at(1, 11)
        self.complete(iid, "Clarify the customer's wish", MANAGER, {
            "answer": "We cannot measure satisfaction with logging in yet: there is no survey "
                      "behind it. We will ask your drivers each quarter after go-live and "
                      "report the score beside the SLA; it is not a target for now."})
        self.complete(iid, "Clarify the customer's wish", MANAGER, {
            "answer": "Quick means the sign-in service answers at once: we measure it as "
                      "availability of the sign-in, at least 99.5 % a month, which the "
                      "Silver level of Identity & Access offers.",
            "metric": "availability", "comparator": ">=", "value": 99.5, "period": "month"})

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
