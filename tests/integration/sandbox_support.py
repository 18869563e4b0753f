"""Diagrams, fixtures and helpers shared by the sandbox tests (test_sandbox_scripts.py,
test_sandbox_expressions.py, test_sandbox_hostile.py, test_bounds.py).
"""
from __future__ import annotations

from xml.sax.saxutils import escape

import pytest
from conftest import T0
from sqlalchemy import MetaData, func, select

from engine.audit import instance_events, verify_chain
from engine.instances import open_incidents, start_instance
from engine.models import AuditEvent, ProcessInstance
from engine.runtime import Engine

HEADER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="defs_{pid}" targetNamespace="http://example.org/slm-test">
  <bpmn:process id="{pid}" isExecutable="true">
"""


def script_diagram(script: str, pid: str = "sandbox") -> bytes:
    """start -> prep (sets ``prepared``) -> evil (``script``) -> end."""
    return (HEADER.format(pid=pid) + f"""
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="prep"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>prepared = 1</bpmn:script></bpmn:scriptTask>
    <bpmn:scriptTask id="evil"><bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:script>{escape(script)}</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f3</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="prep" />
    <bpmn:sequenceFlow id="f2" sourceRef="prep" targetRef="evil" />
    <bpmn:sequenceFlow id="f3" sourceRef="evil" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
""").encode()


def gateway_diagram(condition: str, pid: str = "sandbox_cond") -> bytes:
    return (HEADER.format(pid=pid) + f"""
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:exclusiveGateway id="route" default="f_no">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f_yes</bpmn:outgoing>
      <bpmn:outgoing>f_no</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:endEvent id="end_yes"><bpmn:incoming>f_yes</bpmn:incoming></bpmn:endEvent>
    <bpmn:endEvent id="end_no"><bpmn:incoming>f_no</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="route" />
    <bpmn:sequenceFlow id="f_yes" sourceRef="route" targetRef="end_yes">
      <bpmn:conditionExpression>{escape(condition)}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_no" sourceRef="route" targetRef="end_no" />
  </bpmn:process>
</bpmn:definitions>
""").encode()


def service_diagram(param_expr: str, pid: str = "sandbox_param") -> bytes:
    """A service task calling the fixture's ``score`` handler with ``amount=param_expr``."""
    value = escape(param_expr, {'"': "&quot;"})
    return (HEADER.format(pid=pid) + f"""
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:serviceTask id="call">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="score" resultVariable="scored">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="amount" type="int" value="{value}" />
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:serviceTask>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="call" />
    <bpmn:sequenceFlow id="f2" sourceRef="call" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
""").encode()


def prescript_diagram(prescript: str, pid: str = "sandbox_pre") -> bytes:
    """A plain task whose Spiff preScript is ``prescript`` (in a lane: a person confirms it)."""
    return (HEADER.format(pid=pid) + f"""
    <bpmn:laneSet id="lanes"><bpmn:lane id="lane" name="Service Level Manager">
      <bpmn:flowNodeRef>noted</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:task id="noted">
      <bpmn:extensionElements>
        <spiffworkflow:preScript>{escape(prescript)}</spiffworkflow:preScript>
      </bpmn:extensionElements>
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:task>
    <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="noted" />
    <bpmn:sequenceFlow id="f2" sourceRef="noted" targetRef="end" />
  </bpmn:process>
</bpmn:definitions>
""").encode()


# -- helpers ---------------------------------------------------------------------------------
def snapshot(factory) -> dict:
    """Every row of every table in the database (reflected, so domain tables count too)."""
    with factory() as s:
        meta = MetaData()
        meta.reflect(bind=s.connection())
        return {name: (list(t.columns.keys()),
                       sorted((tuple(r) for r in s.execute(select(t)).all()), key=repr))
                for name, t in meta.tables.items()}


def without_instance(snap: dict, iid: int, head_seq: int) -> dict:
    """``snap`` minus the rows that belong to instance ``iid`` or were appended after it
    (``head_seq``: the last audit event's id before)."""
    out = {}
    for name, (cols, rows) in snap.items():
        if name == "audit_head":
            continue
        keep = []
        for row in rows:
            r = dict(zip(cols, row, strict=True))
            if name == "process_instance" and r["id"] == iid:
                continue
            if name == "audit_event":
                if r["id"] > head_seq:
                    continue
            elif r.get("instance_id") == iid:
                continue
            keep.append(row)
        out[name] = keep
    return out


@pytest.fixture
def refuse_deploy(factory, engine):
    """refuse_deploy(name) -> the problems of a refused deploy of tests/data/<name>."""
    from conftest import DATA, load_form

    from engine.deploy import deploy
    from engine.errors import DeployError

    def _refuse(name):
        with factory() as s, pytest.raises(DeployError) as info:
            deploy(s, (DATA / name).read_bytes(), name, registry=engine.registry,
                   known_lanes=engine.known_lanes, form_loader=load_form, actor="o", now=T0)
        return info.value.problems

    return _refuse


@pytest.fixture
def bystander(full_instance):
    """Another process's instance that must not be touched by the sandboxed ones."""
    return full_instance


def head_seq(factory) -> int:
    """The id of the last audit event appended so far (sealed or not)."""
    with factory() as s:
        return s.scalar(select(func.max(AuditEvent.id))) or 0


def start(engine, factory, pid, data=None) -> int:
    with factory() as s:
        iid = start_instance(engine, s, pid, actor="dave", now=T0, data=data or {})
        s.commit()
    return iid


def instance(factory, iid):
    with factory() as s:
        inst = s.get(ProcessInstance, iid)
        s.expunge(inst)
        return inst


def task_data(engine, factory, iid, element_id) -> dict:
    """The data of the (single) task of ``element_id``, loaded by a fresh engine."""
    with factory() as s:
        loaded = Engine(engine.registry).load(s, iid, actor="test", now=T0)
        found = [t.data for t in loaded.workflow.get_tasks() if t.task_spec.name == element_id]
    assert len(found) == 1, found
    return found[0]


def the_incident(factory, iid):
    with factory() as s:
        incidents = open_incidents(s, iid)
        for i in incidents:
            s.expunge(i)
    assert len(incidents) == 1, [i.message for i in incidents]
    return incidents[0]


def assert_isolated(factory, before, seq_before, iid):
    after = snapshot(factory)
    assert without_instance(after, iid, seq_before) == without_instance(before, iid, seq_before)
    with factory() as s:
        assert verify_chain(s).ok
        kinds = [e.kind for e in instance_events(s, iid)]
    assert kinds[-2:] == ["incident_raised", "instance_error"]
