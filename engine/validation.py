"""The checks a diagram must pass before it is stored as a version.

Every check reports ``Problem(element_id, message)``; callers collect them all so the
author sees every problem at once, element by element.
"""
from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.intermediate_event import BoundaryEvent
from SpiffWorkflow.bpmn.specs.mixins.script_task import ScriptTask
from SpiffWorkflow.bpmn.specs.mixins.service_task import ServiceTask
from SpiffWorkflow.bpmn.specs.mixins.user_task import UserTask
from SpiffWorkflow.exceptions import SpiffWorkflowException

from . import timer_policy
from .errors import Problem
from .form_rules import MAX_FORM_BYTES
from .forms import schema_problems
from .i18n import _
from .lanes import xml_lane_problems
from .registry import HandlerRegistry
from .ui_forms import ui_schema_problems

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {"bpmn": BPMN_NS}
FORM_PROPERTY = "formJsonSchemaFilename"
DUE_PROPERTY = "dueIn"
FLOW_NODES = (
    "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
    "businessRuleTask", "callActivity", "subProcess", "transaction", "exclusiveGateway",
    "parallelGateway", "inclusiveGateway", "eventBasedGateway", "startEvent", "endEvent",
    "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent", "complexGateway",
    "adHocSubProcess",
)

_ISO_LIKE = re.compile(r"^(R\d*/)?P[0-9YMWDTHS.]+$|^\d{4}-\d{2}-\d{2}")

FormLoader = Callable[[str], bytes | None]


def element_id(spec) -> str:
    return getattr(spec, "bpmn_id", None) or spec.name


def properties(spec) -> dict:
    return (getattr(spec, "extensions", None) or {}).get("properties", {}) or {}


def check_document(root, name: str) -> list[Problem]:
    """Structure checks on the raw XML: BPMN root, executable process, dangling flows."""
    if root.tag != f"{{{BPMN_NS}}}definitions":
        return [Problem(name, _("not a BPMN 2.0 document (root element is %(tag)s)",
                                tag=repr(root.tag)))]
    processes = root.findall("bpmn:process", NS)
    if not any(p.get("isExecutable") == "true" for p in processes):
        return [Problem(name, _("no executable process (set isExecutable=\"true\" on a "
                                "process)"))]
    problems = []
    for proc in processes:
        problems.extend(_check_flows(proc))
        problems.extend(xml_lane_problems(proc))
    return problems


def _check_flows(container) -> list[Problem]:
    problems = []
    nodes = {}
    for tag in FLOW_NODES:
        for el in container.findall(f"bpmn:{tag}", NS):
            nodes[el.get("id")] = (tag, el)
    incoming, outgoing = set(), set()
    for flow in container.findall("bpmn:sequenceFlow", NS):
        fid, src, tgt = flow.get("id"), flow.get("sourceRef"), flow.get("targetRef")
        if src not in nodes:
            problems.append(Problem(fid, _("sequence flow starts at unknown element %(src)s",
                                           src=repr(src))))
        if tgt not in nodes:
            problems.append(Problem(fid, _("sequence flow ends at unknown element %(tgt)s",
                                           tgt=repr(tgt))))
        outgoing.add(src)
        incoming.add(tgt)
    for nid, (tag, el) in nodes.items():
        # An event sub-process is started by its event, not by a flow; a boundary event
        # without an outgoing flow ends its path there (an implicit end, which BPMN allows).
        triggered = el.get("triggeredByEvent") == "true"
        if tag not in ("startEvent", "boundaryEvent") and nid not in incoming and not triggered:
            problems.append(Problem(nid, _("has no incoming sequence flow")))
        if (tag not in ("endEvent", "boundaryEvent") and nid not in outgoing
                and not triggered):
            problems.append(Problem(nid, _("has no outgoing sequence flow")))
        if tag in ("subProcess", "transaction"):
            problems.extend(_check_flows(el))
    return problems


#: SpiffWorkflow's wording -> what a process owner reads
_PARSER_WORDS = (
    ("perhaps a form has the same ID", "a sequence flow from here leads to an element that is "
                                       "not in this process"),
    ("Multiple outgoing flows are not supported", "has more than one outgoing flow; only "
                                                  "gateways may split the flow"),
    ("No start event found", "the process has no start event"),
    ("no support implemented for this task type", "this kind of element is not supported"),
    ("Duplicate process ID", "two processes have the same id"),
    ("must contain an End event", "the subprocess has no end event"),
    ("is not executable", "the process is not executable"),
    ("A Service Task must have an operator", "the service task has no handler: choose one "
                                              "in its Engine properties"),
)
_REPR = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*(Error|Exception)\((.*)\)\.?\s*$", re.S)


def plain_parser_message(text: str) -> str:
    """SpiffWorkflow's message without its internal wording or Python reprs."""
    for needle, words in _PARSER_WORDS:
        if needle.lower() in text.lower():
            return words
    match = _REPR.match(text.strip())
    if match:  # "%r" of an exception the parser did not expect
        return "this element could not be read by the BPMN parser"
    return re.sub(r"\s*\((None|'[^']*')\)\s*$", "", text).strip() or "cannot be read"


def parse_problem(exc: Exception, fallback: str) -> Problem:
    """A parse failure as a problem at its element, in plain words (no exception names)."""
    if isinstance(exc, ValidationException):
        text = str(exc.args[0]) if exc.args else str(exc)
        return Problem(exc.id or fallback, plain_parser_message(text))
    if isinstance(exc, SpiffWorkflowException):
        return Problem(fallback, plain_parser_message(str(exc)))
    return Problem(fallback, _("this diagram could not be read by the BPMN parser"))


SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"


def xml_code_problems(root) -> list[Problem]:
    """The code checks of check_specs, read from the XML: used when SpiffWorkflow's parser
    stops at another problem, so that the author still sees every problem at once."""
    b, sp = f"{{{BPMN_NS}}}", f"{{{SPIFF_NS}}}"
    problems: list[Problem] = []
    for task in root.iter(b + "scriptTask"):
        script = task.find(b + "script")
        if script is not None and script.text:
            problems.extend(_syntax(script.text, "exec", task.get("id"), "script"))
    for tag, what in (("preScript", "pre-script"), ("postScript", "post-script")):
        for code in root.iter(sp + tag):
            owner = code.getparent().getparent() if code.getparent() is not None else None
            if code.text and owner is not None:
                problems.extend(_syntax(code.text, "exec", owner.get("id"), what))
    for flow in root.iter(b + "sequenceFlow"):
        cond = flow.find(b + "conditionExpression")
        if cond is not None and cond.text:
            problems.extend(_syntax(cond.text, "eval", flow.get("sourceRef"), "condition"))
    for tag in ("timeDuration", "timeDate", "timeCycle"):
        for expr in root.iter(b + tag):
            event = expr.getparent().getparent() if expr.getparent() is not None else None
            if expr.text and event is not None:
                problems.extend(_syntax(expr.text, "eval", event.get("id"),
                                        "timer expression"))
    return problems


def check_specs(specs: Iterable, *, registry: HandlerRegistry, form_loader: FormLoader,
                forms_out: dict) -> list[Problem]:
    """Semantic checks on parsed specs; fills ``forms_out`` with the schemas found.
    (Lanes are checked by :mod:`engine.lanes`.)"""
    problems: list[Problem] = []
    for spec in specs:
        for task_spec in spec.task_specs.values():
            eid = element_id(task_spec)
            if isinstance(task_spec, UserTask):
                problems.extend(_check_user_task(task_spec, eid, form_loader, forms_out))
            elif isinstance(task_spec, ServiceTask):
                problems.extend(_check_service_task(task_spec, eid, registry))
            elif isinstance(task_spec, ScriptTask):
                problems.extend(_syntax(task_spec.script or "", "exec", eid, "script"))
            for attr, what in (("prescript", "pre-script"), ("postscript", "post-script")):
                code = getattr(task_spec, attr, None)
                if code:
                    problems.extend(_syntax(code, "exec", eid, what))
            for cond, _target in getattr(task_spec, "cond_task_specs", None) or []:
                expr = cond if isinstance(cond, str) else (getattr(cond, "args", None) or [None])[0]
                if isinstance(expr, str):
                    problems.extend(_syntax(expr, "eval", eid, "condition"))
            ev = getattr(task_spec, "event_definition", None)
            if isinstance(ev, TimerEventDefinition):
                problems.extend(_check_timer(ev, eid, task_spec))
    return problems


def _check_user_task(task_spec, eid, form_loader, forms_out) -> list[Problem]:
    problems = []
    props = properties(task_spec)
    form = props.get(FORM_PROPERTY)
    if not form:
        problems.append(Problem(eid, _("the user task has no form: choose or make one in its "
                                       "Engine properties")))
    elif form not in forms_out:
        raw = form_loader(form)
        if raw is None:
            problems.append(Problem(eid, _("form file %(form)s not found", form=repr(form))))
        elif len(raw) > MAX_FORM_BYTES:
            problems.append(Problem(eid, _("form file %(form)s is larger than "
                                           "%(MAX_FORM_BYTES)s KB",
                                           form=repr(form),
                                           MAX_FORM_BYTES=MAX_FORM_BYTES // 1024)))
        else:
            try:
                schema = json.loads(raw)
            except RecursionError:
                problems.append(Problem(eid, _("form file %(form)s is nested too deeply",
                                               form=repr(form))))
            except (ValueError, UnicodeDecodeError) as exc:
                problems.append(Problem(eid, _("form file %(form)s is not valid JSON: %(exc)s",
                                               form=repr(form),
                                               exc=exc)))
            else:
                bad = schema_problems(schema)
                problems.extend(Problem(eid, _("form file %(form)s: %(m)s",
                                               form=repr(form),
                                               m=m)) for m in bad)
                if not bad:
                    forms_out[form] = schema
    problems.extend(ui_schema_problems(props, eid, form_loader, forms_out))
    due = props.get(DUE_PROPERTY)
    if due:
        try:
            TimerEventDefinition.parse_iso_duration(due)
        except Exception:
            problems.append(Problem(eid, _("the due time \"%(due)s\" is not an ISO 8601 "
                                           "duration (e.g. P3D for three days)",
                                           due=due)))
    return problems


def _check_service_task(task_spec, eid, registry) -> list[Problem]:
    name = task_spec.operation_name
    handler = registry.get(name) if name else None
    if handler is None:
        return [Problem(eid, _("no handler registered as %(name)s (known: %(value)s)",
                               name=repr(name),
                               value=', '.join(registry.names()) or 'none'))]
    problems = []
    for pname, param in (task_spec.operation_params or {}).items():
        if handler.params and pname not in handler.params:
            problems.append(Problem(eid, _("handler %(name)s takes no parameter %(pname)s",
                                           name=repr(name),
                                           pname=repr(pname))))
        problems.extend(_syntax(param.get("value", ""), "eval", eid, f"parameter {pname!r}"))
    return problems


def _syntax(source: str, mode: str, eid: str, what: str) -> list[Problem]:
    """Syntax errors, and code the sandbox would refuse (imports, names and attributes
    starting with an underscore), each with its line."""
    try:
        tree = ast.parse(source.strip() if mode == "eval" else source, mode=mode)
    except SyntaxError as exc:
        return [Problem(eid, _("%(what)s has a syntax error on line %(lineno)s: %(msg)s",
                               what=what,
                               lineno=exc.lineno,
                               msg=exc.msg))]
    except (ValueError, RecursionError, MemoryError):
        return [Problem(eid, _("%(what)s cannot be read (too deeply nested or not text)",
                               what=what))]
    problems = []
    for node in ast.walk(tree):
        reason = _refused(node)
        if reason:
            problems.append(Problem(eid, _("%(what)s, line %(lineno)s: %(reason)s",
                                           what=what,
                                           lineno=node.lineno,
                                           reason=reason)))
            if len(problems) >= 10:
                break
    return problems


def _refused(node) -> str | None:
    if isinstance(node, ast.Import | ast.ImportFrom):
        return "imports are not allowed in diagram code"
    name = (node.id if isinstance(node, ast.Name) else node.attr
            if isinstance(node, ast.Attribute) else node.name
            if isinstance(node, ast.FunctionDef) else None)
    if name and name.startswith("_") and name != "_":  # a lone _ is a throwaway name
        return f"{name!r} starts with an underscore, which diagram code may not use"
    return None


def _check_timer(ev, eid, task_spec=None) -> list[Problem]:
    problems = _syntax(ev.expression or "", "eval", eid, "timer expression")
    if problems:
        return problems
    expression = ev.expression.strip()
    try:
        value = ast.literal_eval(expression)
    except (ValueError, SyntaxError):
        if _ISO_LIKE.match(expression):
            return [Problem(eid, _("timer expression %(expression)s is read as a variable "
                                   "name; write it quoted: \"%(expression)s\"",
                                   expression=expression))]
        return []  # computed from task data at run time
    if not isinstance(value, str):
        return [Problem(eid, _("timer expression must give an ISO 8601 string"))]
    kind = ("repeating interval" if isinstance(ev, CycleTimerEventDefinition)
            else "duration" if isinstance(ev, DurationTimerEventDefinition) else "date-time")
    now = datetime.now(UTC)
    try:
        if isinstance(ev, CycleTimerEventDefinition):
            timer_policy.cycle(value, now, boundary=isinstance(task_spec, BoundaryEvent))
        elif isinstance(ev, DurationTimerEventDefinition):
            timer_policy.duration(value, now)
        else:
            timer_policy.date_or_duration(value, now)
    except timer_policy.TimerPolicyError as exc:
        if "is not an ISO 8601" in str(exc):
            return [Problem(eid, _("timer value %(value)s is not a valid ISO 8601 %(kind)s",
                                   value=repr(value),
                                   kind=kind))]
        return [Problem(eid, _("timer: %(exc)s", exc=exc))]
    return []
