"""Business rule tasks evaluate the DMN decision tables deployed with their diagram, on both
backends: the decision drives a gateway, the table travels and versions with the diagram,
every broken table or missing decision is refused at deploy naming its file and element,
and the table's expressions run in the sandbox."""
from __future__ import annotations

import json

import pytest
from conftest import DATA, T0
from sqlalchemy import func, select

from engine.decisions import DecisionSource, decisions_in, read_decision_file
from engine.deploy import deploy
from engine.errors import DeployError
from engine.instances import start_instance
from engine.models import HumanTask, Incident, ProcessInstance, ProcessVersion
from engine.tasks import Actor, complete_task

SET = DATA / "dmn"
BPMN = (SET / "risk_route.bpmn").read_bytes()
DMN = (SET / "risk_route.dmn").read_text(encoding="utf-8")
MANAGER = Actor("mike", frozenset({"Service Level Manager"}))


def load(name: str) -> bytes | None:
    path = SET / name
    return path.read_bytes() if path.is_file() else None


def dmn_with(*edits: tuple[str, str]) -> bytes:
    text = DMN
    for old, new in edits:
        assert old in text, f"fixture drifted: {old!r}"
        text = text.replace(old, new)
    return text.encode("utf-8")


def deploy_with(engine, factory, decisions: dict[str, bytes] | None, bpmn: bytes = BPMN):
    with factory() as s:
        results = deploy(s, bpmn, "risk_route.bpmn", registry=engine.registry,
                         known_lanes=engine.known_lanes, form_loader=load, actor="olivia",
                         now=T0, decisions=DecisionSource(decisions) if decisions is not None
                         else None)
        s.commit()
    return results


def problems_of(engine, factory, decisions, bpmn: bytes = BPMN) -> list[str]:
    with pytest.raises(DeployError) as err:
        deploy_with(engine, factory, decisions, bpmn)
    with factory() as s:
        assert s.execute(select(func.count()).select_from(ProcessVersion)).scalar_one() == 0
    return [str(p) for p in err.value.problems]


def start(engine, factory, data: dict) -> int:
    with factory() as s:
        iid = start_instance(engine, s, "risk_route", actor="olivia", now=T0, data=data)
        s.commit()
    return iid


def state(factory, iid: int) -> tuple[str, list[str], list[str]]:
    with factory() as s:
        status = s.get(ProcessInstance, iid).status
        tasks = s.scalars(select(HumanTask.element_id).where(HumanTask.instance_id == iid,
                                                             HumanTask.status == "ready")).all()
        incidents = s.scalars(select(Incident.message).where(Incident.instance_id == iid)).all()
    return status, list(tasks), list(incidents)


def test_the_decision_drives_the_gateway(engine, factory):
    [result] = deploy_with(engine, factory, {"risk_route.dmn": DMN.encode()})
    assert result.created
    risky = start(engine, factory, {"amount": 5000})
    assert state(factory, risky) == ("running", ["review_change"], [])
    cheap = start(engine, factory, {"amount": 10})
    assert state(factory, cheap) == ("completed", [], [])
    with factory() as s:
        [task_id] = s.scalars(select(HumanTask.id).where(HumanTask.instance_id == risky)).all()
        complete_task(engine, s, task_id, {"approved": True}, MANAGER, T0)
        s.commit()
    assert state(factory, risky) == ("completed", [], [])


def test_the_table_is_stored_with_the_version_and_in_its_hash(engine, factory):
    [v1] = deploy_with(engine, factory, {"risk_route.dmn": DMN.encode(), "unused.dmn": b"<x/>"})
    [same] = deploy_with(engine, factory, {"risk_route.dmn": DMN.encode()})
    assert (same.created, same.version) == (False, 1)
    stricter = dmn_with(("&gt; 1000", "&gt; 100"))
    [v2] = deploy_with(engine, factory, {"risk_route.dmn": stricter})
    assert (v2.created, v2.version) == (True, 2)
    with factory() as s:
        rows = s.scalars(select(ProcessVersion).order_by(ProcessVersion.version)).all()
        assert [json.loads(r.dmn_json) for r in rows] == [
            {"risk_route.dmn": DMN}, {"risk_route.dmn": stricter.decode()}]
        assert rows[0].content_hash != rows[1].content_hash
    # instances started now follow the new table; the version they run keeps its own
    assert state(factory, start(engine, factory, {"amount": 500}))[1] == ["review_change"]


def test_a_missing_or_unnamed_decision_is_a_problem_at_the_task(engine, factory):
    assert problems_of(engine, factory, None) == [
        "risk_route.bpmn: assess_risk: no DMN file deployed with the diagram has the decision "
        "'risk_route'"]
    other = dmn_with(('decision id="risk_route"', 'decision id="other"'))
    assert problems_of(engine, factory, {"other.dmn": other}) == [
        "risk_route.bpmn: assess_risk: no DMN file deployed with the diagram has the decision "
        "'risk_route'"]
    unnamed = BPMN.replace(b"<spiffworkflow:calledDecisionId>risk_route</spiffworkflow:"
                           b"calledDecisionId>", b"")
    assert problems_of(engine, factory, {"risk_route.dmn": DMN.encode()}, unnamed) == [
        "risk_route.bpmn: assess_risk: the business rule task names no decision: set its "
        "decision id (calledDecisionId)"]


@pytest.mark.parametrize(("edits", "expected"), [
    ((("&gt; 1000", "&gt; &gt; 1000"),),
     "risk_route.dmn: rule_costly: rule 1, input 'Cost of the change' has a syntax error on "
     "line 1: invalid syntax"),
    ((('"review"', "route.__class__"),),
     "risk_route.dmn: rule_costly: rule 1, output 'Route', line 1: '__class__' starts with an "
     "underscore, which diagram code may not use"),
    ((("<text>amount</text>", "<text>import os</text>"),),
     "risk_route.dmn: input_amount: input 'Cost of the change' has a syntax error on line 1: "
     "invalid syntax"),
    ((('hitPolicy="UNIQUE"', 'hitPolicy="PRIORITY"'),),
     "risk_route.dmn: risk_route: hit policy PRIORITY is not supported (UNIQUE: the first rule "
     "that matches; COLLECT: every rule that matches)"),
    ((('<outputEntry id="rule_cheap_route"><text>"auto"</text></outputEntry>', ""),),
     "risk_route.dmn: rule_cheap: rule 2 has 1 input and 0 output cells; the table has 1 "
     "inputs and 1 outputs"),
    ((("</decision>", '</decision><decision id="second"><decisionTable id="t2"/></decision>'),),
     "risk_route.dmn: a DMN file must hold exactly one decision, this one has 2"),
    ((("https://www.omg.org/spec/DMN/20191111/MODEL/", "urn:not-dmn"),),
     "risk_route.dmn: not a DMN document (a DMN 1.1, 1.2 or 1.3 <definitions> element)"),
    ((("<definitions", "<!DOCTYPE x [<!ENTITY e 'x'>]><definitions"),),
     "risk_route.dmn: DOCTYPE and entity declarations are not allowed"),
])
def test_a_broken_table_is_refused_naming_file_and_element(engine, factory, edits, expected):
    with pytest.raises(DeployError) as err:
        read_decision_file(dmn_with(*edits), "risk_route.dmn")
    assert expected in [str(p) for p in err.value.problems]
    # deployed with the diagram, the table's problems are the deploy's problems
    problems = problems_of(engine, factory, {"risk_route.dmn": dmn_with(*edits)})
    assert expected in problems, problems


def test_decision_expressions_run_in_the_sandbox(engine, factory):
    """A table cell that the in-process rule does not accept goes to a sandbox worker: one
    that would build a gigabyte is stopped there and becomes an incident."""
    huge = dmn_with(('"review"', '"x" * (10 ** 9)'))
    deploy_with(engine, factory, {"risk_route.dmn": huge})
    status, tasks, incidents = state(factory, start(engine, factory, {"amount": 5000}))
    assert (status, tasks) == ("error", [])
    # the sandbox's own guard (RestrictedPython's, only in the worker) stopped it
    [incident] = incidents
    assert incident.startswith("expression failed at assess_risk: ScriptSandboxError: this "
                               "would build a str of 1,000,000,000 items"), incident


def test_decisions_in_a_folder_are_read_only_when_named(tmp_path, engine, factory):
    (tmp_path / "broken.dmn").write_text("not xml")  # not named: not read into the deploy
    (tmp_path / "risk_route.dmn").write_text(DMN)
    with factory() as s:
        [result] = deploy(s, BPMN, "risk_route.bpmn", registry=engine.registry,
                          known_lanes=engine.known_lanes, form_loader=load, actor="olivia",
                          now=T0, decisions=decisions_in(tmp_path))
        s.commit()
        row = s.get(ProcessVersion, result.version_id)
        assert list(json.loads(row.dmn_json)) == ["risk_route.dmn"]
