"""`slm deploy` as a user runs it: the installed console script, in a subprocess, per backend."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import DATA, recorded
from sqlalchemy import func, select

from engine.models import ProcessVersion

SLM = Path(sys.executable).with_name("slm")
FULL = (DATA / "full.bpmn").read_text(encoding="utf-8")


def slm(db_url: str, *args: str, handlers: bool = True) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLM_")}
    env["SLM_DATABASE_URL"] = db_url
    if handlers:
        env["SLM_HANDLER_MODULES"] = "handlers_for_tests"
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(DATA), env.get("PYTHONPATH")]))
    return subprocess.run([str(SLM), *args], env=env, capture_output=True, text=True,
                          timeout=60, check=False)


def counts(factory) -> tuple[int, int]:
    with factory() as s:
        return (s.execute(select(func.count()).select_from(ProcessVersion)).scalar_one(),
                len(recorded(s)))


@pytest.fixture
def workdir(tmp_path) -> Path:
    """A directory with the forms full.bpmn names (the CLI looks for forms beside the file)."""
    for name in ("request.schema.json", "approve.schema.json"):
        shutil.copy(DATA / name, tmp_path / name)
    return tmp_path


def test_console_script_is_installed():
    assert SLM.is_file(), f"{SLM} missing: pip install -e . in the venv"


def test_deploy_then_redeploy(db_url, factory):
    first = slm(db_url, "deploy", str(DATA / "full.bpmn"))
    assert (first.returncode, first.stderr) == (0, "")
    assert sorted(first.stdout.splitlines()) == [
        "full: version 1 (created)", "totals: version 1 (created)"]
    assert counts(factory) == (2, 2)

    again = slm(db_url, "deploy", "--actor", "ops", str(DATA / "full.bpmn"))
    assert (again.returncode, again.stderr) == (0, "")
    assert sorted(again.stdout.splitlines()) == [
        "full: version 1 (unchanged)", "totals: version 1 (unchanged)"]
    assert counts(factory) == (2, 2)
    with factory() as s:
        actors = set(s.execute(select(ProcessVersion.deployed_by)).scalars())
    assert actors == {"cli"}


def test_bad_diagrams_exit_nonzero_with_one_line_per_problem(db_url, factory, workdir):
    bad = workdir / "bad.bpmn"
    bad.write_text(FULL.replace('serviceTaskOperator id="score"',
                                'serviceTaskOperator id="no_such_handler"')
                   .replace("<bpmn:flowNodeRef>submit</bpmn:flowNodeRef>", "")
                   .replace("request.schema.json", "missing.schema.json"), encoding="utf-8")
    hostile = DATA / "bad" / "external_entity.bpmn"
    result = slm(db_url, "deploy", str(bad), str(hostile))
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines.index(f"{hostile}: refused, nothing stored") == 4, lines
    assert lines[0] == f"{bad}: refused, nothing stored"
    handler_line, *submit_lines = sorted(lines[1:4])
    # "known:" lists every registered handler: the product's and "score" from the test module
    assert handler_line.startswith(
        "score_request: no handler registered as 'no_such_handler' (known: ")
    assert "score" in handler_line.split("(known: ")[1].rstrip(")").split(", ")
    assert submit_lines == [
        "submit: form file 'missing.schema.json' not found",
        "submit: user task is not in a lane, so no one could ever work it: put it in the "
        "lane of the role that does it",
    ]
    assert lines[5:] == ["external_entity.bpmn: DOCTYPE and entity declarations are not allowed"]
    assert counts(factory) == (0, 0)
