"""Deploy checks: every refused diagram names its problem and stores nothing, on both backends.

Hostile and broken files live in tests/data/bad; model errors are small string edits of
tests/data/full.bpmn. After each refusal the session is *committed* anyway, so anything the
deploy had flushed would show up in the row counts.
"""
from __future__ import annotations

import pytest
from conftest import DATA, T0, load_form, seal_all
from sqlalchemy import func, select

from engine.deploy import deploy
from engine.errors import DeployError, Problem
from engine.models import AuditEvent, AuditHead, ProcessVersion

BAD = DATA / "bad"
FULL = (DATA / "full.bpmn").read_text(encoding="utf-8")
SUBMIT_LANE_REF = "<bpmn:flowNodeRef>submit</bpmn:flowNodeRef>"
WAIT_TIMER = '<bpmn:timeDuration>"PT1H"</bpmn:timeDuration>'


def bad_or_data_forms(name: str) -> bytes | None:
    path = BAD / name
    return path.read_bytes() if path.is_file() else load_form(name)


def full_with(*edits: tuple[str, str]) -> bytes:
    """full.bpmn with each (old, new) edit applied; every ``old`` must be present."""
    text = FULL
    for old, new in edits:
        assert old in text, f"fixture drifted: {old!r} is not in full.bpmn"
        text = text.replace(old, new)
    return text.encode("utf-8")


def stored(factory) -> tuple[int, int, int]:
    """(process versions, audit events, audit head seq) currently in the database, once
    every committed event is sealed."""
    seal_all(factory)
    with factory() as s:
        return (s.execute(select(func.count()).select_from(ProcessVersion)).scalar_one(),
                s.execute(select(func.count()).select_from(AuditEvent)).scalar_one(),
                s.execute(select(AuditHead.seq)).scalar() or 0)


@pytest.fixture
def try_deploy(engine, factory):
    """try_deploy(data, name, **kw) -> results; commits whether or not the deploy was refused."""

    def _try(data: bytes, name: str = "diagram.bpmn", form_loader=bad_or_data_forms, **kw):
        with factory() as s:
            try:
                return deploy(s, data, name, registry=engine.registry,
                              known_lanes=engine.known_lanes, form_loader=form_loader,
                              actor="owner", now=T0, **kw)
            finally:
                s.commit()

    return _try


@pytest.fixture
def refused(try_deploy, factory):
    """refused(data, name, **kw) -> problems; asserts DeployError and that nothing is stored."""

    def _refused(data: bytes, name: str = "diagram.bpmn", **kw) -> list[Problem]:
        with pytest.raises(DeployError) as info:
            try_deploy(data, name, **kw)
        assert info.value.problems, "DeployError without problems"
        assert stored(factory) == (0, 0, 0)
        return info.value.problems

    return _refused


def assert_named(problems: list[Problem], element_id: str, *fragments: str) -> Problem:
    """Exactly one problem about ``element_id`` mentions all ``fragments``; return it."""
    hits = [p for p in problems if p.element_id == element_id
            and all(f in p.message for f in fragments)]
    assert len(hits) == 1, f"want one problem {element_id}: {fragments}, got {problems}"
    return hits[0]


# -- the baseline: the counters see a successful deploy ----------------------------------

def test_good_diagram_is_stored_with_one_audit_event_per_version(try_deploy, factory):
    results = try_deploy(FULL.encode(), "full.bpmn")
    assert sorted((r.process_id, r.version, r.created) for r in results) == [
        ("full", 1, True), ("totals", 1, True)]
    assert stored(factory) == (2, 2, 2)
    with factory() as s:
        kinds = s.execute(select(AuditEvent.kind, AuditEvent.process_id)).all()
    assert sorted(kinds) == [("version_deployed", "full"), ("version_deployed", "totals")]


# -- files that are not (safe) BPMN: the problem names the file --------------------------

@pytest.mark.parametrize(("fixture", "fragment"), [
    ("malformed.bpmn", "malformed XML"),
    ("external_entity.bpmn", "DOCTYPE and entity declarations are not allowed"),
    ("billion_laughs.bpmn", "DOCTYPE and entity declarations are not allowed"),
    ("not_bpmn.xml", "not a BPMN 2.0 document"),
    ("no_executable.bpmn", "no executable process"),
])
def test_unusable_file_is_refused_naming_the_file(refused, fixture, fragment):
    problems = refused((BAD / fixture).read_bytes(), fixture)
    assert problems == [assert_named(problems, fixture, fragment)]


def test_malformed_xml_names_the_line(refused):
    [problem] = refused((BAD / "malformed.bpmn").read_bytes(), "malformed.bpmn")
    # </bpmn:process> on line 8 meets the startEvent left open on line 5
    assert "line 8" in problem.message and "startEvent" in problem.message


def test_not_bpmn_names_the_root_element(refused):
    [problem] = refused((BAD / "not_bpmn.xml").read_bytes(), "page.xml")
    assert problem.element_id == "page.xml" and "html" in problem.message


def test_external_entity_is_never_read(refused):
    [problem] = refused((BAD / "external_entity.bpmn").read_bytes(), "xxe.bpmn")
    assert "root:" not in problem.message


def test_file_over_the_size_limit_is_refused_before_parsing(refused, try_deploy, factory):
    data = FULL.encode()
    problems = refused(data, "big.bpmn", max_bytes=len(data) - 1)
    assert_named(problems, "big.bpmn", f"{len(data)} bytes", f"limit of {len(data) - 1}")
    # not even parsed: a malformed file over the limit reports only the size
    problems = refused(b"<not xml" * 100, "junk.bpmn", max_bytes=100)
    assert problems == [assert_named(problems, "junk.bpmn", "over the limit of 100")]
    # the limit itself is allowed
    assert len(try_deploy(data, "full.bpmn", max_bytes=len(data))) == 2


# -- model errors: the problem names the element ------------------------------------------

MODEL_ERRORS = {
    "unknown-handler": (
        [('serviceTaskOperator id="score"', 'serviceTaskOperator id="no_such_handler"')],
        "score_request", ["no handler registered as 'no_such_handler'", "known: score"]),
    "lane-not-a-role": (
        [('name="Customer"', 'name="Janitor"')],
        "submit", ["lane 'Janitor' (lane element lane_customer) is not a role",
                    "Service Level Manager"]),
    "task-outside-lanes": (
        [(SUBMIT_LANE_REF, "")],
        "submit", ["not in a lane"]),
    "form-file-missing": (
        [("request.schema.json", "missing.schema.json")],
        "submit", ["form file 'missing.schema.json' not found"]),
    "form-not-json": (
        [("request.schema.json", "not_json.schema.json")],
        "submit", ["form file 'not_json.schema.json' is not valid JSON"]),
    "form-not-a-json-schema": (
        [("approve.schema.json", "bad_type.schema.json")],
        "approve", ["form file 'bad_type.schema.json'", "invalid JSON Schema", "properties/a"]),
    "timer-bad-duration": (
        [('"PT1H"', '"PTXYZ"')],
        "wait", ["'PTXYZ'", "not a valid ISO 8601"]),
    "timer-bad-date": (
        [(WAIT_TIMER, '<bpmn:timeDate>"next tuesday-ish"</bpmn:timeDate>')],
        "wait", ["'next tuesday-ish'", "not a valid ISO 8601"]),
    "timer-not-python": (
        [('"PT1H"', '"PT1H')],
        "wait", ["timer expression has a syntax error"]),
    "dangling-flow": (
        [('targetRef="approve"', 'targetRef="nowhere"')],
        "f10", ["sequence flow ends at unknown element 'nowhere'"]),
}


@pytest.mark.parametrize("case", sorted(MODEL_ERRORS))
def test_model_error_is_refused_naming_the_element(refused, case):
    edits, element_id, fragments = MODEL_ERRORS[case]
    problems = refused(full_with(*edits), "full.bpmn")
    assert_named(problems, element_id, *fragments)


def test_every_problem_is_reported_at_once(refused):
    problems = refused(full_with(
        ('serviceTaskOperator id="score"', 'serviceTaskOperator id="no_such_handler"'),
        (SUBMIT_LANE_REF, "")), "full.bpmn")
    assert_named(problems, "score_request", "no handler registered as 'no_such_handler'")
    assert_named(problems, "submit", "not in a lane")
    assert len(problems) == 2, problems


def test_problems_in_a_called_process_are_reported(refused):
    problems = refused(full_with(("total = sum(", "total = sum((")), "full.bpmn")
    assert_named(problems, "t_sum", "script has a syntax error")


def test_dangling_flow_also_names_the_stranded_task(refused):
    problems = refused(full_with(('targetRef="approve"', 'targetRef="nowhere"')), "full.bpmn")
    assert_named(problems, "approve", "no incoming sequence flow")


# -- encodings and wording ---------------------------------------------------------------

LATIN1 = FULL.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').replace(
    "Engine test process", "Caf\u00e9 process").encode("latin-1")
UTF16_XXE = FULL.replace('encoding="UTF-8"', 'encoding="UTF-16"').replace(
    "<bpmn:definitions", '<!DOCTYPE d [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'
    "<bpmn:definitions", 1).encode("utf-16")


@pytest.mark.parametrize("data", [LATIN1, UTF16_XXE], ids=["latin-1", "utf-16-doctype"])
def test_non_utf8_diagram_is_refused_naming_the_file(refused, data):
    problems = refused(data, "encoded.bpmn")
    assert [p.element_id for p in problems] == ["encoded.bpmn"]
    assert "UTF-8" in problems[0].message


def test_unquoted_iso_timer_is_refused_with_a_hint(refused):
    problems = refused(full_with(('"PT1H"', 'PT1H')), "full.bpmn")
    assert_named(problems, "wait", 'write it quoted: "PT1H"')


def test_timer_message_names_the_kind_in_words(refused):
    problems = refused(full_with(('"PT1H"', '"PTXYZ"')), "full.bpmn")
    assert_named(problems, "wait", "'PTXYZ' is not a valid ISO 8601 duration")
    assert not any("durationtimer" in p.message for p in problems)
