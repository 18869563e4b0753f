"""The audit log of a process as event logs for process mining, read back with pm4py on the
demo database of both backends: XES (a trace per instance, an event per step) and OCEL 2.0
(instances, tasks and the records they are about), their counts against the database, the
chain head they carry, and a model discovered from the seeded SLA agreement's log whose
activities are the diagram's."""
from __future__ import annotations

import json
from datetime import datetime

import pytest
from demo_db import demo_fixture
from lxml import etree
from sqlalchemy import func, select

from engine.audit import chain_head, parse_anchor, verify_chain
from engine.models import AuditEvent, ProcessInstance, ProcessVersion
from handlers.agreements.models import ServiceLevelAgreement
from handlers.auditlog.ocel import to_ocel
from handlers.auditlog.selection import LIFECYCLE, Case, EventLog, LogFilters, Step, event_log
from handlers.auditlog.xes import NS, to_xes
from handlers.errors import DomainError
from handlers.requirements.models import ServiceLevelRequirement

# pm4py suggests an optional faster reader on first use (a UserWarning): not ours to fix
pytestmark = pytest.mark.filterwarnings(
    "ignore:Install the optional requirement `r4pm`:UserWarning")
pm4py = pytest.importorskip("pm4py")
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
STEP_ELEMENTS = ("userTask", "serviceTask", "scriptTask", "task", "manualTask",
                 "intermediateCatchEvent", "boundaryEvent")


@pytest.fixture(scope="module", params=["sqlite", "pg"])
def demo(request):
    yield from demo_fixture(request)


def _write(tmp_path, name: str, body: bytes):
    path = tmp_path / name
    path.write_bytes(body)
    return str(path)


def _db_steps(s, process: str, organisation: str | None = None) -> dict[int, int]:
    """instance id -> number of its steps, counted in the database."""
    stmt = (select(AuditEvent.instance_id, func.count())
            .join(ProcessInstance, ProcessInstance.id == AuditEvent.instance_id)
            .where(ProcessInstance.process_id == process, AuditEvent.kind.in_(LIFECYCLE))
            .group_by(AuditEvent.instance_id))
    if organisation:
        stmt = stmt.where(ProcessInstance.organisation == organisation)
    return dict(s.execute(stmt).all())


def _diagram_steps(s, process: str) -> dict[str, str]:
    """element id -> name of the diagram's tasks and catching events (latest version)."""
    xml = s.scalar(select(ProcessVersion.bpmn_xml).where(ProcessVersion.process_id == process)
                   .order_by(ProcessVersion.version.desc()).limit(1))
    root = etree.fromstring(xml.encode())
    return {el.get("id"): " ".join(el.get("name").split())
            for kind in STEP_ELEMENTS for el in root.iter(f"{BPMN}{kind}") if el.get("name")}


def test_xes_reads_back_with_one_trace_per_instance_and_one_event_per_step(demo, tmp_path):
    with demo.sessions() as s:
        log = event_log(s, LogFilters("sla_agreement"))
        body = to_xes(log)
        expected = _db_steps(s, "sla_agreement")
        head = "{}:{}".format(*chain_head(s))
    read = pm4py.read_xes(_write(tmp_path, "agreement.xes", body),
                          return_legacy_log_object=True)
    assert len(read) == len(expected) >= 5
    assert {int(t.attributes["concept:name"]): len(t) for t in read} == expected
    assert read.attributes["slm:chain_head"] == head
    first = read[0][0]
    assert set(first) >= {"concept:name", "time:timestamp", "org:resource",
                          "lifecycle:transition"}
    assert first["time:timestamp"].tzinfo is not None
    resources = {e["org:resource"] for t in read for e in t}
    assert {"manager", "bob.contoso", "timer"} <= resources
    roles = {e.get("org:role") for t in read for e in t} - {None}
    assert {"Customer", "Service Level Manager"} <= roles <= {"Customer", "Process Owner",
                                                              "Service Level Manager"}
    orgs = {t.attributes.get("slm:organisation") for t in read}
    assert "Contoso Health" in orgs and "contoso" not in orgs


def test_a_model_discovered_from_the_seeded_agreements_has_the_diagrams_activities(
        demo, tmp_path):
    with demo.sessions() as s:
        body = to_xes(event_log(s, LogFilters("sla_agreement")))
        diagram = _diagram_steps(s, "sla_agreement")
        ran = set(s.scalars(select(AuditEvent.element_id).join(
            ProcessInstance, ProcessInstance.id == AuditEvent.instance_id).where(
            ProcessInstance.process_id == "sla_agreement",
            AuditEvent.kind.in_(LIFECYCLE))).all())
    log = pm4py.read_xes(_write(tmp_path, "agreement.xes", body),
                         return_legacy_log_object=True)
    tree = pm4py.discover_process_tree_inductive(log)
    net, initial, final = pm4py.convert_to_petri_net(tree)
    activities = {t.label for t in net.transitions if t.label}
    # every activity is a task (or timer) of the diagram, by its name; every one that ran
    assert activities == {diagram[e] for e in ran}
    assert {"Choose a service level option", "Review the SLA draft", "Revise the SLA",
            "Approve the agreement", "Draft the SLA", "Activate the SLA"} <= activities
    fitness = pm4py.fitness_token_based_replay(log, net, initial, final)
    assert fitness["log_fitness"] == pytest.approx(1.0)


def test_ocel_reads_back_with_instances_tasks_and_the_records_they_are_about(demo, tmp_path):
    with demo.sessions() as s:
        log = event_log(s, LogFilters("sla_agreement"))
        document = to_ocel(s, log)
        expected = _db_steps(s, "sla_agreement")
        slas = s.scalar(select(func.count()).select_from(ServiceLevelAgreement).where(
            ServiceLevelAgreement.slr_id.in_(select(ServiceLevelRequirement.id).where(
                ServiceLevelRequirement.instance_id.in_(expected)))))
        slrs = s.scalar(select(func.count()).select_from(ServiceLevelRequirement).where(
            ServiceLevelRequirement.instance_id.in_(expected)))
        head = "{}:{}".format(*chain_head(s))
    assert document["slm:chainHead"] == head
    path = _write(tmp_path, "agreement.jsonocel", json.dumps(document).encode())
    ocel = pm4py.read_ocel2_json(path)
    assert len(ocel.events) == sum(expected.values())
    types = ocel.objects["ocel:type"].value_counts().to_dict()
    assert types["process instance"] == len(expected)
    assert types["SLA"] == slas >= 3 and types["requirement"] == slrs == len(expected)
    assert types["task"] == len({r["objectId"] for e in document["events"]
                                 for r in e["relationships"] if r["qualifier"] == "task"})
    assert types.get("change request", 0) >= 1  # the customer-specific service's request
    # each event belongs to its instance; each instance is about its requirement
    relations = ocel.relations
    per_event = relations[relations["ocel:qualifier"] == "case"]
    assert len(per_event) == len(ocel.events)
    o2o = ocel.o2o
    about = o2o[(o2o["ocel:qualifier"] == "about")
                & o2o["ocel:oid_2"].str.startswith("requirement:")]
    assert len(about) == len(expected)


def test_the_filters_cut_the_log_and_bad_ones_are_named(demo):
    with demo.sessions() as s:
        contoso = event_log(s, LogFilters("sla_agreement", organisation="contoso"))
        assert contoso.cases and {c.instance.organisation for c in contoso.cases} == {
            "contoso"}
        assert {c.instance.id: len(c.steps) for c in contoso.cases} == _db_steps(
            s, "sla_agreement", "contoso")
        assert event_log(s, LogFilters("sla_agreement", version=1)).steps == \
            event_log(s, LogFilters("sla_agreement")).steps
        later = event_log(s, LogFilters("sla_agreement", date_from=datetime(2100, 1, 1)))
        assert later.cases == []
        for bad, field in ((LogFilters("no_such_process"), "process"),
                           (LogFilters("sla_agreement", version=99), "version"),
                           (LogFilters("sla_agreement", organisation="nobody"),
                            "organisation"),
                           (LogFilters("sla_agreement", date_from=datetime(2026, 2, 1),
                                       date_to=datetime(2026, 1, 1)), "from/to"),
                           (LogFilters(""), "process")):
            with pytest.raises(DomainError, match=f"^{field}: "):
                event_log(s, bad)


def test_the_anchor_an_export_carries_verifies_the_log_it_came_from(demo):
    with demo.sessions() as s:
        log = event_log(s, LogFilters("service_performance_review"))
        assert log.cases
        seq, digest = parse_anchor(log.anchor)
        assert all(step.seq <= seq for c in log.cases for step in c.steps)
        assert verify_chain(s, anchors={seq: digest}).ok
        assert not verify_chain(s, anchors={seq: "0" * 64}).ok


def test_xes_holds_any_text_safely():
    """Markup and characters XML cannot hold in names, titles and actors: escaped or
    dropped, never a broken document."""
    instance = ProcessInstance(id=7, title='<b>"Q&A"</b>\x01', status="running",
                               started_by="eve</string><x>", started_at=datetime(2026, 1, 2),
                               organisation="acme")
    step = Step(1, datetime(2026, 1, 2, 3, 4, 5), "a&b\x0b", "task_completed",
                "<script>alert(1)</script>", "t1", "uuid", "complete", "Customer")
    log = EventLog(LogFilters("p"), (1, "a" * 64), [Case(instance, 1, "Acme & Co", [step])],
                   {})
    root = etree.fromstring(to_xes(log))
    trace = root.find(f"{{{NS}}}trace")
    values = {a.get("key"): a.get("value") for a in trace.iter() if a.get("key")}
    assert values["slm:title"] == '<b>"Q&A"</b>'
    assert values["slm:started_by"] == "eve</string><x>"
    assert values["concept:name"] in ("7", "<script>alert(1)</script>")
    event = trace.find(f"{{{NS}}}event")
    assert {a.get("key"): a.get("value") for a in event}["org:resource"] == "a&b"
    assert len(root.findall(f".//{{{NS}}}x")) == 0
