"""Process instances and human tasks for the task tests and the role matrix.

Instances run on the product's diagrams (workflows/bpmn) through the engine with the real
handlers; ``bulk_open_tasks`` instead writes many task rows at once with Core inserts
(state "{}": only the task list reads them, and it never opens a workflow).
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from engine.clock import utcnow
from engine.instances import start_instance
from engine.models import HumanTask, ProcessInstance
from engine.serialization import SERIALIZER_VERSION
from engine.tasks import Actor, claim_task
from handlers.catalogue import operations as catalogue
from handlers.catalogue.models import Metric
from handlers.demo.seed import deploy_diagrams
from handlers.people.models import Organisation
from handlers.requirements.operations import submit_slr

PI = ProcessInstance.__table__
HT = HumanTask.__table__


def _services(app):
    return app.extensions["slm"]


def deploy(app) -> None:
    services = _services(app)
    with services.sessions() as session:
        deploy_diagrams(session, services.engine, utcnow() - timedelta(days=30))
        session.commit()


def start(app, process_id: str, actor: str, title: str = "") -> int:
    """Start ``process_id`` (deployed first when needed); the instance id."""
    deploy(app)
    services = _services(app)
    with services.sessions() as session:
        iid = start_instance(services.engine, session, process_id, actor=actor, now=utcnow(),
                             data={}, title=title)
        session.commit()
    return iid


def requirement(app, org_key: str, username: str, title: str) -> int:
    """A customer's SLR and its SLA agreement instance (waits at "Choose a service level
    option" for the customer); the instance id."""
    deploy(app)
    services = _services(app)
    with services.sessions() as session:
        org_id = session.scalar(select(Organisation.id).where(Organisation.key == org_key))
        if session.scalar(select(Metric.id).where(Metric.key == "availability")) is None:
            catalogue.create_metric(session, "availability", "Availability", "%", "higher",
                                    data_source="monitoring")  # a wish names a real metric
        slr = submit_slr(session, org_id, username, title, f"{title}, in our words",
                         [{"text": "Available in office hours", "metric": "availability",
                           "comparator": ">=", "value": 99, "period": "month"}], utcnow())
        iid = start_instance(services.engine, session, "sla_agreement", actor=username,
                             now=utcnow(), data={"slr_id": slr.id, "organisation": org_key},
                             organisation=org_key, title=f"SLA agreement: {title}")
        slr.instance_id = iid
        session.commit()
    return iid


def ready_task(app, instance_id: int) -> int:
    """The id of the instance's (only) open human task."""
    with _services(app).sessions() as session:
        return session.scalars(select(HumanTask.id).where(
            HumanTask.instance_id == instance_id, HumanTask.status == "ready")).one()


def claim(app, task_id: int, username: str, role: str) -> None:
    with _services(app).sessions() as session:
        claim_task(session, task_id, Actor(username, frozenset({role})), utcnow())
        session.commit()


def bulk_open_tasks(app, count: int, lane: str = "Service Level Manager",
                    organisation: str | None = None, start: int = 0) -> None:
    """``count`` instances of the management process, each with one open task in ``lane``;
    due dates spread from 10 days ago (overdue) to 20 days ahead."""
    deploy(app)
    now = utcnow()
    with _services(app).sessions() as session:
        version_id = _services(app).engine.latest_version(
            session, "slm_process_management").version_id
        conn = session.connection()
        ids = conn.execute(PI.insert().returning(PI.c.id, sort_by_parameter_order=True), [
            dict(version_id=version_id, process_id="slm_process_management", status="running",
                 state="{}", serializer_version=SERIALIZER_VERSION, revision=1,
                 started_by="bulk", organisation=organisation, title=f"Bulk instance {start + i}",
                 started_at=now - timedelta(days=30), updated_at=now, timers="[]")
            for i in range(count)]).scalars().all()
        conn.execute(HT.insert(), [
            dict(instance_id=iid, task_id=f"00000000-0000-0000-0000-{iid:012d}",
                 element_id="set_priorities_task", name=f"Bulk task {start + i}", lane=lane,
                 organisation=organisation, process_id="slm_process_management",
                 form="set_priorities.schema.json", instructions="", status="ready",
                 due_at=now + timedelta(minutes=(i * 37) % (30 * 24 * 60) - 10 * 24 * 60),
                 created_at=now - timedelta(days=1))
            for i, iid in enumerate(ids)])
        session.commit()


def matrix_tasks(app) -> dict:
    """Open tasks for the role matrix, one per state-changing route so that each change
    happens once: ``claim`` (unclaimed, Service Level Manager), ``unclaim`` (claimed by the
    manager), ``assign`` (unclaimed) and ``task`` ("Plan the SLM process", Process Owner)."""
    ids = {key: ready_task(app, start(app, "slm_process_management", "manager"))
           for key in ("claim", "unclaim", "assign")}
    claim(app, ids["unclaim"], "manager", "Service Level Manager")
    ids["task"] = ready_task(app, start(app, "slm_process_definition", "owner"))
    return ids
