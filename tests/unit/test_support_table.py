"""README's "BPMN support" table: every row names a test that exists (a test function of a
test module; for the parametrized rows of test_bpmn_support.py, a case it defines), and
every case of test_bpmn_support.py has a row."""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration"))

import bpmn_support_events  # noqa: E402,F401
import bpmn_support_more  # noqa: E402,F401
from bpmn_support_cases import REFUSED, SUPPORTED  # noqa: E402

TEST = re.compile(r"`(tests/[\w/]+\.py)::(test_\w+)(?:\[(\w+)\])?`")


def rows() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## BPMN support\n", 1)[1].split("\n## ", 1)[0]
    table = [line for line in section.splitlines() if line.startswith("|")][2:]
    return [[c.strip() for c in line.strip("|").split("|")] for line in table]


def test_every_row_names_an_existing_test():
    found = rows()
    assert len(found) >= 40
    for element, supported, _notes, test in found:
        assert supported in ("yes", "refused"), f"row {element!r}: yes or refused"
        match = TEST.fullmatch(test)
        assert match, f"row {element!r}: no test named in {test!r}"
        path, func, case = match.groups()
        source = (ROOT / path).read_text(encoding="utf-8")
        assert f"def {func}(" in source, f"row {element!r}: {path} has no {func}"
        if case is not None:
            cases = SUPPORTED if func == "test_supported" else REFUSED
            assert case in cases, f"row {element!r}: no case {case!r} for {func}"
            assert (supported == "refused") == (func == "test_refused"), element


def test_every_case_has_a_row():
    named = {TEST.fullmatch(r[3]).group(3) for r in rows() if TEST.fullmatch(r[3])}
    assert set(SUPPORTED) | set(REFUSED) <= named, sorted(set(SUPPORTED) | set(REFUSED) - named)
