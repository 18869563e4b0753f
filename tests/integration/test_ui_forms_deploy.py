"""formUiSchemaFilename at deploy (issue 14, item 7): a ui schema file the task names must
exist and be a JSON object; it is stored with the version beside the form and read back for
the task page. On SQLite and PostgreSQL."""
from __future__ import annotations

import json

import pytest
from conftest import DATA, T0
from lane_diagrams import lane_diagram

from engine.deploy import deploy
from engine.errors import DeployError
from engine.models import ProcessVersion
from engine.ui_forms import task_ui_schema

UI = {"ui:order": ["comment", "approved"], "comment": {"ui:widget": "textarea"}}
DIAGRAM = lane_diagram("Service Level Manager", task="userTask", form="approve.schema.json",
                       ui_form="approve.ui.json")


def _loader(files: dict):
    base = {"approve.schema.json": (DATA / "approve.schema.json").read_bytes()}
    return lambda name: {**base, **files}.get(name)


def _deploy(session, engine, files):
    return deploy(session, DIAGRAM, "service_check.bpmn", registry=engine.registry,
                  known_lanes=engine.known_lanes, form_loader=_loader(files), actor="owner",
                  now=T0)


@pytest.mark.parametrize("files, message", [
    ({}, "ui schema file 'approve.ui.json' not found (property formUiSchemaFilename)"),
    ({"approve.ui.json": b"{nope"}, "ui schema file 'approve.ui.json' is not valid JSON"),
    ({"approve.ui.json": b"[1, 2]"}, "ui schema file 'approve.ui.json' must be a JSON object"),
    ({"approve.ui.json": b" " * (300 * 1024)}, "is larger than 256 KB"),
])
def test_a_missing_or_bad_ui_schema_is_a_deploy_problem_naming_the_task(factory, engine,
                                                                        files, message):
    with factory() as s, pytest.raises(DeployError) as caught:
        _deploy(s, engine, files)
    assert [(p.element_id, message in p.message) for p in caught.value.problems] == [
        ("check_service", True)], caught.value.problems
    with factory() as s:
        assert s.query(ProcessVersion).count() == 0


def test_the_ui_schema_travels_with_the_version(factory, engine):
    with factory() as s:
        [result] = _deploy(s, engine, {"approve.ui.json": json.dumps(UI).encode()})
        s.commit()
        row = s.get(ProcessVersion, result.version_id)
        assert json.loads(row.forms_json)["approve.ui.json"] == UI
        iid = engine.start(s, "service_check", actor="owner", now=T0)
        s.commit()
        assert task_ui_schema(engine, s, iid, "check_service") == UI
        assert task_ui_schema(engine, s, iid, "no_such_task") is None
    changed = {**UI, "approved": {"ui:widget": "radio"}}
    with factory() as s:  # another ui schema is another version
        [again] = _deploy(s, engine, {"approve.ui.json": json.dumps(changed).encode()})
        assert (again.created, again.version) == (True, 2)
