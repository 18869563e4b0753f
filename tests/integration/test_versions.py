"""Versions: identical content is not stored twice, any change is a new version, and an
instance stays on the version it started on while new instances use the latest one."""
from __future__ import annotations

import json

import pytest
from conftest import DATA, T0, load_form, recorded
from sqlalchemy import func, select

from engine.instances import start_instance
from engine.models import HumanTask, ProcessInstance, ProcessVersion
from engine.runtime import Engine
from engine.tasks import Actor, complete_task

CUSTOMER = Actor("carol", frozenset({"Customer"}), "acme")
FULL = (DATA / "full.bpmn").read_bytes()

REVIEW_TASK = """
    <bpmn:userTask id="review" name="Review request">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="approve.schema.json" />
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="r1" sourceRef="draft" targetRef="review" />
    <bpmn:sequenceFlow id="r2" sourceRef="review" targetRef="end" />"""
DIRECT_FLOW = '<bpmn:sequenceFlow id="d1" sourceRef="draft" targetRef="end" />'
REQUEST_TEMPLATE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="defs_request" targetNamespace="http://example.org/slm-test">
  <bpmn:process id="request" name="Request" isExecutable="true">
    <bpmn:laneSet id="lanes">
      <bpmn:lane id="lane_customer" name="Customer">
        <bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>draft</bpmn:flowNodeRef>
      </bpmn:lane>
      <bpmn:lane id="lane_manager" name="Service Level Manager">
        <bpmn:flowNodeRef>review</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef>
      </bpmn:lane>
    </bpmn:laneSet>
    <bpmn:startEvent id="start" />
    <bpmn:userTask id="draft" name="DRAFT_NAME">
      <bpmn:extensionElements><spiffworkflow:properties>
        <spiffworkflow:property name="formJsonSchemaFilename" value="request.schema.json" />
      </spiffworkflow:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="end" />
    <bpmn:sequenceFlow id="s1" sourceRef="start" targetRef="draft" />
    REST
  </bpmn:process>
</bpmn:definitions>
"""


def request_bpmn(draft_name: str = "Draft request", review: bool = False) -> bytes:
    """start -> draft -> end, or start -> draft -> review -> end with ``review``."""
    return (REQUEST_TEMPLATE.replace("DRAFT_NAME", draft_name)
            .replace("REST", REVIEW_TASK if review else DIRECT_FLOW).encode())


def counts(factory) -> tuple[int, int]:
    with factory() as s:
        return (s.execute(select(func.count()).select_from(ProcessVersion)).scalar_one(),
                len(recorded(s)))


def versions(factory, process_id: str) -> list[tuple[int, str]]:
    with factory() as s:
        return s.execute(select(ProcessVersion.version, ProcessVersion.content_hash)
                         .where(ProcessVersion.process_id == process_id)
                         .order_by(ProcessVersion.version)).all()


def summary(results) -> list[tuple[str, int, bool]]:
    return sorted((r.process_id, r.version, r.created) for r in results)


def test_identical_redeploy_stores_nothing(deploy_file, factory):
    first = deploy_file("full.bpmn")
    assert counts(factory) == (2, 2)
    again = deploy_file("full.bpmn", actor="someone-else")
    assert summary(again) == [("full", 1, False), ("totals", 1, False)]
    assert {r.version_id for r in again} == {r.version_id for r in first}
    assert counts(factory) == (2, 2)
    # the file name is not part of the content
    assert summary(deploy_file("renamed.bpmn", FULL)) == [("full", 1, False), ("totals", 1, False)]
    assert counts(factory) == (2, 2)


def test_changed_diagram_is_version_2(deploy_file, factory):
    deploy_file("full.bpmn")
    changed = FULL.replace(b'name="Submit request"', b'name="Submit your request"')
    assert changed != FULL
    results = deploy_file("full.bpmn", changed, now=T0.replace(hour=10))
    # every executable process of the file gets a version for the new file content
    assert summary(results) == [("full", 2, True), ("totals", 2, True)]
    assert counts(factory) == (4, 4)
    [(v1, h1), (v2, h2)] = versions(factory, "full")
    assert (v1, v2) == (1, 2) and h1 != h2
    with factory() as s:
        row = s.get(ProcessVersion, next(r.version_id for r in results if r.process_id == "full"))
        assert "Submit your request" in row.bpmn_xml
        events = [(e.process_id, e.version) for e in recorded(s, kind="version_deployed")]
    assert sorted(events) == [("full", 1), ("full", 2), ("totals", 1), ("totals", 2)]
    # deploying version 2 again changes nothing
    assert summary(deploy_file("full.bpmn", changed)) == [("full", 2, False),
                                                          ("totals", 2, False)]
    assert counts(factory) == (4, 4)


def test_changed_form_schema_alone_is_a_new_version(deploy_file, factory):
    deploy_file("full.bpmn")
    request_schema = json.loads(load_form("request.schema.json"))
    request_schema["properties"]["reason"]["minLength"] = 10

    def edited_forms(name: str) -> bytes | None:
        if name == "request.schema.json":
            return json.dumps(request_schema).encode()
        return load_form(name)

    results = deploy_file("full.bpmn", form_loader=edited_forms)
    # only "full" names forms; "totals" has none, so it is unchanged
    assert summary(results) == [("full", 2, True), ("totals", 1, False)]
    assert counts(factory) == (3, 3)
    with factory() as s:
        rows = s.execute(select(ProcessVersion.version, ProcessVersion.forms_json)
                         .where(ProcessVersion.process_id == "full")
                         .order_by(ProcessVersion.version)).all()
    assert [json.loads(f)["request.schema.json"]["properties"]["reason"]["minLength"]
            for _, f in rows] == [3, 10]
    # the same form content again (whitespace and key order aside) is not new
    reordered = json.dumps(dict(reversed(list(request_schema.items()))), indent=4).encode()
    again = deploy_file("full.bpmn", form_loader=lambda n: reordered
                        if n == "request.schema.json" else load_form(n))
    assert summary(again) == [("full", 2, False), ("totals", 1, False)]
    assert counts(factory) == (3, 3)


def ready_task_names(factory, instance_id: int) -> list[str]:
    with factory() as s:
        return list(s.execute(select(HumanTask.name).where(
            HumanTask.instance_id == instance_id, HumanTask.status == "ready")).scalars())


@pytest.fixture(params=["cached", "reload"])
def step_engine(request, engine, registry):
    """Engine for each step: the same one throughout, or a new one (state and spec reloaded)."""
    return (lambda: engine) if request.param == "cached" else (lambda: Engine(registry))


def start(step_engine, factory) -> int:
    with factory() as s:
        iid = start_instance(step_engine(), s, "request", actor="carol", now=T0,
                             organisation="acme")
        s.commit()
    return iid


def complete_ready(step_engine, factory, instance_id: int, data: dict) -> str:
    """Complete the one ready task of the instance; returns the instance status."""
    with factory() as s:
        task_id = s.execute(select(HumanTask.id).where(
            HumanTask.instance_id == instance_id, HumanTask.status == "ready")).scalar_one()
        status = complete_task(step_engine(), s, task_id, data, CUSTOMER, T0)
        s.commit()
    return status


def test_running_instance_stays_on_its_version(deploy_file, factory, step_engine):
    [v1] = deploy_file("request.bpmn", request_bpmn())
    old = start(step_engine, factory)
    [v2] = deploy_file("request.bpmn", request_bpmn("Draft the request", review=True))
    assert (v1.version, v2.version, v2.created) == (1, 2, True)
    new = start(step_engine, factory)

    with factory() as s:
        assert s.get(ProcessInstance, old).version_id == v1.version_id
        assert s.get(ProcessInstance, new).version_id == v2.version_id
    assert ready_task_names(factory, old) == ["Draft request"]
    assert ready_task_names(factory, new) == ["Draft the request"]

    draft = {"amount": 5, "reason": "more disk"}
    # version 1 has no review: the old instance ends after the draft
    assert complete_ready(step_engine, factory, old, draft) == "completed"
    # version 2 adds the review task
    assert complete_ready(step_engine, factory, new, draft) == "running"
    assert ready_task_names(factory, new) == ["Review request"]
    with factory() as s:
        old_row, new_row = s.get(ProcessInstance, old), s.get(ProcessInstance, new)
        assert (old_row.status, old_row.version_id) == ("completed", v1.version_id)
        assert (new_row.status, new_row.version_id) == ("running", v2.version_id)
        review = s.execute(select(HumanTask).where(HumanTask.instance_id == new,
                                                   HumanTask.status == "ready")).scalar_one()
        assert (review.element_id, review.lane, review.form) == (
            "review", "Service Level Manager", "approve.schema.json")
        started = [(e.instance_id, e.version) for e in recorded(s, kind="instance_started")]
    assert started == [(old, 1), (new, 2)]


def test_redeploying_an_older_diagram_makes_it_current(deploy_file, factory, engine):
    deploy_file("request.bpmn", request_bpmn())
    deploy_file("request.bpmn", request_bpmn(review=True))
    [again] = deploy_file("request.bpmn", request_bpmn())
    assert (again.version, again.created) == (3, True)
    [v1, _v2, v3] = versions(factory, "request")
    assert v1[1] == v3[1]
    with factory() as s:
        iid = start_instance(engine, s, "request", actor="carol", now=T0)
        s.commit()
        inst = s.get(ProcessInstance, iid)
        assert inst.version.version == 3
