"""Instance migration: a running instance moves to a newer version when Spiff's diff allows
it (nothing it has passed or waits at changed) and finishes there; otherwise the move is
refused with the reason and nothing changes. Every move is in the audit log."""
from __future__ import annotations

import json

import pytest
from conftest import T0, recorded
from sqlalchemy import select
from test_versions import complete_ready, ready_task_names, request_bpmn, start

from engine.migration import MigrationRefused, migrate_instance, migrate_version
from engine.models import HumanTask, ProcessInstance
from engine.tasks import Actor, complete_task

DRAFT = {"amount": 5, "reason": "more disk"}


@pytest.fixture
def step_engine(engine):
    return lambda: engine


def migrate(engine, factory, iid, version_id):
    with factory() as s:
        result = migrate_instance(engine, s, iid, version_id, "owner", T0)
        s.commit()
    return result


def migrated_events(factory):
    with factory() as s:
        return [(e.instance_id, e.version, json.loads(e.data))
                for e in recorded(s, kind="instance_migrated")]


def test_instance_before_a_changed_element_moves_and_finishes_there(
        deploy_file, factory, engine, step_engine):
    deploy_file("request.bpmn", request_bpmn())
    iid = start(step_engine, factory)
    [v2] = deploy_file("request.bpmn", request_bpmn(review=True))
    # waiting at the draft; version 2 adds a review after it
    assert migrate(engine, factory, iid, v2.version_id) == 2
    with factory() as s:
        assert s.get(ProcessInstance, iid).version_id == v2.version_id
    assert ready_task_names(factory, iid) == ["Draft request"]
    assert complete_ready(step_engine, factory, iid, DRAFT) == "running"
    assert ready_task_names(factory, iid) == ["Review request"]
    with factory() as s:
        task_id = s.execute(select(HumanTask.id).where(
            HumanTask.instance_id == iid, HumanTask.status == "ready")).scalar_one()
        manager = Actor("mia", frozenset({"Service Level Manager"}), None)
        assert complete_task(engine, s, task_id, {"approved": True}, manager, T0) == "completed"
        s.commit()
    assert migrated_events(factory) == [(iid, 2, {"from_version": 1, "to_version": 2})]


def test_instance_past_a_changed_element_is_refused(deploy_file, factory, engine, step_engine):
    deploy_file("request.bpmn", request_bpmn(review=True))
    iid = start(step_engine, factory)
    assert complete_ready(step_engine, factory, iid, DRAFT) == "running"
    [v2] = deploy_file("request.bpmn", request_bpmn("Draft the request", review=True))
    with pytest.raises(MigrationRefused, match=r"has passed element draft.*changed"):
        migrate(engine, factory, iid, v2.version_id)
    with factory() as s:
        row = s.get(ProcessInstance, iid)
        assert row.version.version == 1 and row.status == "running"
    assert migrated_events(factory) == []
    # the whole version: the same answer per instance, nothing moved
    with factory() as s:
        v1_id = s.get(ProcessInstance, iid).version_id
        result = migrate_version(engine, s, v1_id, v2.version_id, "owner", T0)
        s.commit()
    assert list(result) == [iid] and "has passed element draft" in result[iid]
    assert migrated_events(factory) == []


def test_waiting_at_a_changed_element_completed_or_older_is_refused(
        deploy_file, factory, engine, step_engine):
    [v1] = deploy_file("request.bpmn", request_bpmn())
    iid = start(step_engine, factory)
    [v2] = deploy_file("request.bpmn", request_bpmn("Draft the request"))
    with pytest.raises(MigrationRefused, match=r"waits at element draft"):
        migrate(engine, factory, iid, v2.version_id)
    with pytest.raises(MigrationRefused, match="only move to a newer version"):
        migrate(engine, factory, iid, v1.version_id)
    assert complete_ready(step_engine, factory, iid, DRAFT) == "completed"
    with pytest.raises(MigrationRefused, match="is completed"):
        migrate(engine, factory, iid, v2.version_id)
    assert migrated_events(factory) == []
