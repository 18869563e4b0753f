"""Call activities that call a process deployed on its own: the latest version is started
as a child instance, traced as such, and the caller goes on with the child's data; deploy
refuses calls to processes that are nowhere and calls back into the caller's own process."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from bpmn_support_diagrams import bpmn, chain, end, lane, script, start, user
from bpmn_support_world import World
from conftest import load_form
from sqlalchemy import select

from engine.deploy_set import deploy_set
from engine.errors import DeployError
from engine.models import ProcessInstance, ProcessVersion

PO = "Process Owner"


def child(marker: str = "reviewed = True", with_user: bool = True) -> bytes:
    if with_user:
        return bpmn(start() + user("review") + script("mark", marker) + end()
                    + chain("start", "review", "mark", "end"), pid="child",
                    lanes=lane(PO, "review"))
    return bpmn(start() + script("mark", marker) + end() + chain("start", "mark", "end"),
                pid="child")


def caller(pid: str = "parent", called: str = "child", after: str = "got = reviewed") -> bytes:
    return bpmn(start() + f'<bpmn:callActivity id="ask" calledElement="{called}" />'
                + script("after", after) + end() + chain("start", "ask", "after", "end"),
                pid=pid)


@pytest.fixture
def w(engine, factory):
    return World(engine, factory)


def children(w, parent_id):
    with w.factory() as s:
        return list(s.scalars(select(ProcessInstance).where(
            ProcessInstance.parent_instance_id == parent_id)))


def test_call_waits_for_the_child_instance_and_takes_its_data(w):
    w.deploy(child(), "child.bpmn")
    w.deploy(caller(), "parent.bpmn")
    parent = w.start("parent", {"amount": 3})
    [kid] = children(w, parent)
    assert (kid.process_id, kid.version.version, kid.call_depth) == ("child", 1, 1)
    assert w.status(parent) == "running" and w.ready(kid.id) == ["review"]
    w.complete("review", iid=kid.id)
    assert w.status(kid.id) == "completed"
    assert w.status(parent) == "completed"
    data = w.data(parent)
    assert data["got"] is True and data["amount"] == 3
    [started] = w.events("call_started")
    assert started.instance_id == parent and started.element_id == "ask"
    assert json.loads(started.data) == {"child_instance_id": kid.id, "called_process": "child",
                                        "called_version": 1}
    [done] = w.events("call_completed")
    assert done.instance_id == parent and json.loads(done.data)["child_instance_id"] == kid.id
    [kid_start] = [e for e in w.events("instance_started") if e.instance_id == kid.id]
    assert json.loads(kid_start.data)["parent_instance_id"] == parent
    assert json.loads(kid_start.data)["data"]["amount"] == 3  # the caller's data goes in


def test_the_latest_version_of_the_called_process_is_started(w):
    w.deploy(child("reviewed = 1", with_user=False), "child.bpmn")
    w.deploy(caller(), "parent.bpmn")
    w.now += timedelta(minutes=1)
    w.deploy(child("reviewed = 2", with_user=False), "child.bpmn")
    parent = w.start("parent")
    [kid] = children(w, parent)
    assert kid.version.version == 2
    # the child ran to its end at once: the caller went on in the same step
    assert w.status(kid.id) == "completed" and w.status(parent) == "completed"
    assert w.data(parent)["got"] == 2


def test_a_call_to_a_process_that_is_nowhere_is_refused(w):
    with pytest.raises(DeployError) as info:
        w.deploy(caller(called="nowhere"))
    [problem] = [p for p in info.value.problems if p.element_id == "ask"]
    assert "'nowhere' is neither deployed nor in this upload" in problem.message


def test_a_call_back_into_the_callers_process_is_refused(w):
    w.deploy(bpmn(start() + end() + chain("start", "end"), pid="a"), "a.bpmn")
    w.deploy(caller(pid="b", called="a", after="x = 1"), "b.bpmn")
    with pytest.raises(DeployError) as info:  # a new "a" that calls "b", which calls "a"
        w.deploy(caller(pid="a", called="b", after="x = 1"), "a.bpmn")
    [problem] = [p for p in info.value.problems if p.element_id == "ask"]
    assert "calls 'b', which calls back into 'a'" in problem.message


def test_nesting_across_instances_stops_at_the_configured_depth(w, monkeypatch):
    monkeypatch.setenv("SLM_MAX_CALL_DEPTH", "1")
    w.deploy(child(with_user=False), "child.bpmn")
    w.deploy(caller(pid="middle", after="x = 1"), "middle.bpmn")
    w.deploy(caller(pid="top", called="middle", after="y = 1"), "top.bpmn")
    top = w.start("top")
    [middle] = children(w, top)
    assert children(w, middle.id) == []  # depth 2 was not started
    assert w.status(middle.id) == "error"
    assert any("nested more than 1 deep" in m for m in w.incidents(middle.id))
    assert w.status(top) == "running"  # waits for its child, which has an incident


def _deploy_set(w, files):
    with w.factory() as s:
        out = deploy_set(s, files, registry=w.engine.registry,
                         known_lanes=w.engine.known_lanes, form_loader=load_form,
                         actor="owner", now=w.now)
        s.commit()
    return out


def test_a_set_may_call_a_process_of_another_of_its_files(w):
    # neither is deployed yet: the caller's file finds the called process in the upload
    _deploy_set(w, {"parent.bpmn": caller(), "child.bpmn": child(with_user=False)})
    parent = w.start("parent")
    [kid] = children(w, parent)
    assert kid.process_id == "child" and w.status(parent) == "completed"


def test_a_set_refuses_a_call_to_a_process_in_no_file_and_never_deployed(w):
    with pytest.raises(DeployError) as info:
        _deploy_set(w, {"parent.bpmn": caller(called="nowhere"),
                        "child.bpmn": child(with_user=False)})
    [problem] = [p for p in info.value.problems if p.element_id == "ask"]
    assert problem.file == "parent.bpmn"
    assert "'nowhere' is neither deployed nor in this upload" in problem.message
    with w.factory() as s:  # nothing of the set was stored
        assert s.scalars(select(ProcessInstance)).first() is None
        assert s.scalars(select(ProcessVersion)).first() is None


def test_a_set_refuses_a_call_cycle_between_its_files(w):
    with pytest.raises(DeployError) as info:
        _deploy_set(w, {"a.bpmn": caller(pid="a", called="b", after="x = 1"),
                        "b.bpmn": caller(pid="b", called="a", after="x = 1")})
    assert any("calls back into" in p.message for p in info.value.problems)
