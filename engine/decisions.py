"""DMN decision tables deployed with a diagram, for its business rule tasks.

A business rule task names a decision (``spiffworkflow:calledDecisionId``); the decision is a
DMN file deployed with the diagram (beside it, or in the same set). The files a diagram uses
are stored with its version and are part of its content hash. SpiffWorkflow's own DMN
support reads them (``BpmnDmnParser``, one decision table per file) and evaluates them at
run time through the workflow's script engine: every input, rule and output expression of
a table goes through engine.sandbox_env like any other diagram code (the in-process path
only for what engine.safe_expr allows), so nothing of a DMN runs unchecked in the engine.

At deploy, each file is parsed with the hardened XML parser and each expression is checked
as the engine will run it (syntax, and what the sandbox refuses), each problem naming the
file and the decision, input, rule or output concerned.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from SpiffWorkflow.dmn.parser.BpmnDmnParser import BpmnDmnParser

from .errors import DeployError, Problem
from .i18n import _
from .validation import _syntax, parse_problem
from .xmlsafe import DEFAULT_MAX_BYTES, parse_xml

#: the DMN namespaces SpiffWorkflow reads (DMN 1.1, 1.2, 1.3)
DMN_NAMESPACES = (
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
)
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
#: the most DMN files looked at for one deploy
MAX_DECISION_FILES = 50
#: the most rules one table may have (each is evaluated at run time)
MAX_RULES = 500
HIT_POLICIES = ("UNIQUE", "COLLECT")
DMN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._ -]{0,120}\.dmn$")
# DMNEngine's "?" (the input's value) outside quotes
_QUESTION = re.compile(r'(\?)(?=(?:[^\'"]|[\'"][^\'"]*[\'"])*$)')


@dataclass
class DecisionFile:
    """One checked DMN file: its name, text, root element and its decision's id."""

    name: str
    text: str
    root: object
    decision_id: str


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def read_decision_file(data: bytes, name: str, max_bytes: int = DEFAULT_MAX_BYTES
                       ) -> DecisionFile:
    """Parse and check one DMN file; raise DeployError listing every problem."""
    try:
        root = parse_xml(data, name, max_bytes)
    except DeployError as exc:
        raise DeployError([Problem(p.element_id, p.message, name)
                           for p in exc.problems]) from None
    ns = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    if _local(root.tag) != "definitions" or ns not in DMN_NAMESPACES:
        raise DeployError([Problem(name, _("not a DMN document (a DMN 1.1, 1.2 or 1.3 "
                                           "<definitions> element)"), name)])
    decisions = root.findall(f"{{{ns}}}decision")
    if len(decisions) != 1:
        raise DeployError([Problem(name, _("a DMN file must hold exactly one decision, this "
                                           "one has %(value)s",
                                           value=len(decisions)), name)])
    decision = decisions[0]
    did = decision.get("id") or ""
    if not did:
        raise DeployError([Problem(name, _("the decision has no id"), name)])
    tables = decision.findall(f"{{{ns}}}decisionTable")
    if len(tables) != 1:
        raise DeployError([Problem(did, _("the decision must be one decision table (other "
                                          "decision logic is not supported)"), name)])
    table = tables[0]
    problems = _structure_problems(table, did, name) or _expression_problems(table, name)
    if problems:
        raise DeployError(problems)
    parser = BpmnDmnParser()
    try:
        parser.add_dmn_xml(root, filename=name)
        parser.dmn_parsers[did].parse()
    except Exception as exc:  # Spiff raises a variety of errors on broken tables
        problem = parse_problem(exc, did)
        raise DeployError([Problem(problem.element_id, problem.message, name)]) from None
    return DecisionFile(name, data.decode("utf-8"), root, did)


def _structure_problems(table, did: str, name: str) -> list[Problem]:
    policy = (table.get("hitPolicy") or "UNIQUE").upper()
    problems = []
    if policy not in HIT_POLICIES:
        problems.append(Problem(did, _("hit policy %(policy)s is not supported (UNIQUE: the "
                                       "first rule that matches; COLLECT: every rule that "
                                       "matches)",
                                       policy=policy),
                                name))
    inputs = [c for c in table if _local(c.tag) == "input"]
    outputs = [c for c in table if _local(c.tag) == "output"]
    rules = [c for c in table if _local(c.tag) == "rule"]
    if not outputs:
        problems.append(Problem(did, _("the decision table has no output column"), name))
    if len(rules) > MAX_RULES:
        problems.append(Problem(did, _("the decision table has %(value)s rules, more than "
                                       "%(MAX_RULES)s",
                                       value=len(rules),
                                       MAX_RULES=MAX_RULES), name))
    for el in (*inputs, *outputs, *rules):
        if not el.get("id"):
            problems.append(Problem(did, _("an %(tag)s of the table has no id",
                                           tag=_local(el.tag)), name))
    for out in outputs:
        if not (out.get("name") or out.get("label")):
            problems.append(Problem(out.get("id") or did, _("the output column has no name "
                                                            "(the task data key it sets)"), name))
    for number, rule in enumerate(rules, 1):
        ins = [c for c in rule if _local(c.tag) == "inputEntry"]
        outs = [c for c in rule if _local(c.tag) == "outputEntry"]
        if len(ins) != len(inputs) or len(outs) != len(outputs):
            problems.append(Problem(rule.get("id") or did, _("rule %(number)s has %(value)s "
                                                             "input and %(value2)s output "
                                                             "cells; the table has "
                                                             "%(value3)s inputs and "
                                                             "%(value4)s outputs",
                                                             number=number,
                                                             value=len(ins),
                                                             value2=len(outs),
                                                             value3=len(inputs),
                                                             value4=len(outputs)), name))
    return problems


def _text(el) -> str | None:
    found = next((c for c in el if _local(c.tag) == "text"), None)
    return found.text if found is not None else None


def _expression_problems(table, name: str) -> list[Problem]:
    """Each expression of the table (read from the XML, so that every problem is found at
    once), checked as SpiffWorkflow's DMNEngine will build it at run time."""
    problems: list[Problem] = []
    inputs, outputs = [], []
    for column in table:
        if _local(column.tag) == "input":
            expr = next((c for c in column if _local(c.tag) == "inputExpression"), None)
            source = _text(expr) if expr is not None else None
            label = column.get("label") or column.get("id")
            inputs.append((label, source))
            if not source or not source.strip():
                problems.append(Problem(column.get("id"), _("input %(label)s has no "
                                                            "expression",
                                                            label=repr(label)),
                                        name))
            else:
                problems.extend(_syntax(source, "eval", column.get("id"), f"input {label!r}"))
        elif _local(column.tag) == "output":
            outputs.append(column.get("label") or column.get("name") or column.get("id"))
    rules = [c for c in table if _local(c.tag) == "rule"]
    for number, rule in enumerate(rules, 1):
        ins = [c for c in rule if _local(c.tag) == "inputEntry"]
        outs = [c for c in rule if _local(c.tag) == "outputEntry"]
        for (label, source), entry in zip(inputs, ins, strict=False):
            problems.extend(_input_entry(rule.get("id"), number, label, source or "",
                                         _text(entry)))
        for label, entry in zip(outputs, outs, strict=False):
            text = _text(entry)
            if text and text.strip():
                problems.extend(_syntax(text, "eval", rule.get("id"),
                                        f"rule {number}, output {label!r}"))
    return [Problem(p.element_id, p.message, name) for p in problems[:50]]


def _input_entry(rule_id, number, label, source, text) -> list[Problem]:
    if text is None or not text.strip() or text.strip() == "-":
        return []
    what = f"rule {number}, input {label!r}"
    replaced = _QUESTION.sub("dmninputexpr", text)
    if "dmninputexpr" in replaced:
        return _syntax(replaced, "eval", rule_id, what)
    try:
        ast.parse(text)
        combined = f"({source}) == ({text})"
    except (SyntaxError, ValueError):
        combined = f"({source}) {text}"
    return _syntax(combined, "eval", rule_id, what)


# -- the decisions a diagram uses --------------------------------------------------------
def decision_refs(root) -> dict[str, str]:
    """{business rule task id: decision id it names ("" when none)} in a BPMN document."""
    refs = {}
    for task in root.iter(f"{{{BPMN_NS}}}businessRuleTask"):
        ref = task.find(f"{{{BPMN_NS}}}extensionElements/{{{SPIFF_NS}}}calledDecisionId")
        # as SpiffWorkflow reads it: the text as written
        refs[task.get("id")] = (ref.text or "") if ref is not None else ""
    return refs


class DecisionSource:
    """The DMN files a deploy may use, looked up by decision id.

    ``files`` (name -> bytes) come first, then ``fallback`` (a callable giving more files,
    read only when a decision is missing). ``strict``: every file of ``files`` is part of
    the deploy, so its problems are the deploy's problems (a set); otherwise a file that
    cannot be read is skipped unless it is the only one naming a needed decision.
    """

    def __init__(self, files: dict[str, bytes] | None = None, *, fallback=None,
                 strict: bool = False, max_bytes: int = DEFAULT_MAX_BYTES):
        self.files = dict(files or {})
        self.fallback = fallback
        self.strict = strict
        self.max_bytes = max_bytes
        self._by_id: dict[str, DecisionFile] | None = None
        self.problems: list[Problem] = []
        self.broken: dict[str, list[Problem]] = {}

    def _read(self, files: dict[str, bytes], into: dict, strict: bool) -> None:
        for name, data in list(files.items())[:MAX_DECISION_FILES]:
            try:
                checked = read_decision_file(data, name, self.max_bytes)
            except DeployError as exc:
                self.broken[name] = exc.problems
                if strict:
                    self.problems.extend(exc.problems)
                continue
            other = into.get(checked.decision_id)
            if other is not None and strict:
                self.problems.append(Problem(checked.decision_id, _("the decision id is also "
                                                                    "used by %(name)s",
                                                                    name=other.name), name))
            into.setdefault(checked.decision_id, checked)

    def load(self) -> dict[str, DecisionFile]:
        """Read (and check) the files of ``files``; {decision id: file}."""
        if self._by_id is None:
            self._by_id = {}
            self._read(self.files, self._by_id, self.strict)
        return self._by_id

    def lookup(self, decision_id: str) -> DecisionFile | None:
        self.load()
        found = self._by_id.get(decision_id)
        if found is None and self.fallback is not None:
            more = {}
            self._read({k: v for k, v in self.fallback().items() if k not in self.files}, more,
                       False)
            for did, file in more.items():
                self._by_id.setdefault(did, file)
            self.fallback = None
            found = self._by_id.get(decision_id)
        return found


def add_decisions(parser, root, name: str, source: DecisionSource | None,
                  problems: list[Problem]) -> dict[str, str]:
    """Give ``parser`` the DMN files the business rule tasks of ``root`` name.

    Returns {DMN file name: text} of the files used; adds a problem for each task whose
    decision is not found.
    """
    used: dict[str, str] = {}
    if source is not None:  # the files sent with this deploy: their problems are its own
        source.load()
        problems.extend(source.problems)
    for task_id, ref in decision_refs(root).items():
        if not ref.strip():
            problems.append(Problem(task_id, _("the business rule task names no decision: "
                                               "set its decision id (calledDecisionId)"), name))
            continue
        found = source.lookup(ref) if source is not None else None
        if found is None:
            broken = sorted(source.broken) if source is not None else []
            hint = (f": {', '.join(broken[:5])} could not be read (see "
                    f"{'its' if len(broken) == 1 else 'their'} problems)" if broken else "")
            problems.append(Problem(task_id, _("no DMN file deployed with the diagram has "
                                               "the decision %(ref)s%(hint)s",
                                               ref=repr(ref),
                                               hint=hint), name))
            # a file that could not be read may be the one: say why it could not
            for files in (source.broken.values() if source is not None else ()):
                problems.extend(p for p in files if p not in problems)
            continue
        if found.name not in used:
            parser.add_dmn_xml(found.root, filename=found.name)
            used[found.name] = found.text
    return used


def missing_decision(exc: Exception) -> bool:
    """Spiff's own error for a decision it cannot find (already reported by add_decisions)."""
    return "No DMN Diagram available" in str(exc)


def decisions_in(*folders, max_bytes: int = DEFAULT_MAX_BYTES) -> DecisionSource:
    """The ``.dmn`` files of ``folders`` (read only when a diagram names a decision)."""
    def files() -> dict[str, bytes]:
        found: dict[str, bytes] = {}
        for folder in folders:
            if not folder.is_dir():
                continue
            for path in sorted(folder.glob("*.dmn"))[:MAX_DECISION_FILES]:
                if path.is_file() and not path.is_symlink() and path.name not in found:
                    found[path.name] = path.read_bytes()
        return found
    return DecisionSource(fallback=files, max_bytes=max_bytes)
