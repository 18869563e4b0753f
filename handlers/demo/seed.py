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

The demo data is in :mod:`handlers.demo._data`, the run's steps in :mod:`handlers.demo._steps`
and its scenarios in :mod:`handlers.demo._agreements` and :mod:`handlers.demo._reviews`; this
module puts them together and re-exports their public names.
"""
from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from engine.clock import as_utc
from engine.decisions import decisions_in
from engine.deploy import deploy
from engine.errors import NotFoundError
from handlers.people.models import Organisation
from handlers.people.roles import active_role_names

from ._agreements import _AgreementScenarios
from ._data import (
    CIS,
    CUSTOMERS,
    DEMO_PASSWORD,
    DEMO_USERS,
    EXTRA_SUPPORT,
    LONDON,
    METRICS,
    MISSING,
    PROVIDER,
    SERVICES,
    SUPPORT,
)
from ._reviews import _ReviewScenarios
from ._steps import MANAGER, OWNER, SeedError, _Steps, customer

__all__ = ["CIS", "CUSTOMERS", "DEMO_PASSWORD", "DEMO_USERS", "EXTRA_SUPPORT", "LONDON",
           "MANAGER", "METRICS", "MISSING", "OWNER", "PROCESSES", "PROVIDER", "SERVICES",
           "SUPPORT", "WORKFLOWS", "SeedError", "customer", "demo_present", "deploy_diagrams",
           "seed_demo"]

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
PROCESSES = {"sla_agreement": "sla_agreement.bpmn",
             "service_performance_review": "service_performance_review.bpmn",
             "slm_process_definition": "slm_process_definition.bpmn",
             "slm_process_management": "slm_process_management.bpmn"}


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
                          known_lanes=active_role_names(session), form_loader=load_form,
                          actor=actor, now=now, decisions=decisions_in(WORKFLOWS / "dmn"))
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
class _Seed(_AgreementScenarios, _ReviewScenarios, _Steps):
    """The whole run: the steps of :class:`_Steps` and both families of scenarios."""

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
