"""Deploy checks on the shape of a diagram, run on the XML before SpiffWorkflow parses it.

* size: at most ``SLM_MAX_DIAGRAM_ELEMENTS`` flow elements and flows (default 5000) in one file;
* width: a parallel or inclusive gateway may open at most ``SLM_MAX_PARALLEL_BRANCHES``
  branches (default 100): 5,000 branches deploy fine and then take minutes to start;
* recursion: a call activity may not call its own process, directly or through other
  processes of the file (engine.step_limits stops deeper nesting at run time).

SpiffWorkflow's parser follows a sequential chain recursively (a few Python frames per
task), so a chain of a few hundred tasks exceeds Python's default recursion limit;
``parse_deep`` runs the parser in its own thread with a large stack and a recursion limit
that fits ``SLM_MAX_DIAGRAM_ELEMENTS``. Raising the limit is process-wide while that thread
runs; the code of other threads in this product has bounded depth (task data is limited to
100 levels by engine.sandbox_codec), so the higher limit cannot be reached by them.
"""
from __future__ import annotations

import os
import sys
import threading

from .errors import Problem
from .i18n import _
from .sandbox_pool import _env_number

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
_FLOW = ("task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask",
         "receiveTask", "businessRuleTask", "callActivity", "subProcess", "transaction",
         "exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway",
         "complexGateway", "startEvent", "endEvent", "intermediateCatchEvent",
         "intermediateThrowEvent", "boundaryEvent", "sequenceFlow")
_FLOW_TAGS = {BPMN + t for t in _FLOW}
_PARSE_STACK = 512 << 20
_FRAMES_PER_ELEMENT = 8
_LOCK = threading.Lock()


def max_elements(environ=os.environ) -> int:
    return _env_number("SLM_MAX_DIAGRAM_ELEMENTS", 5000, environ=environ)


def max_parallel_branches(environ=os.environ) -> int:
    return _env_number("SLM_MAX_PARALLEL_BRANCHES", 100, environ=environ)


def check_shape(root, name: str) -> list[Problem]:
    """Size, width and call recursion problems of the document ``root``."""
    problems = []
    count = sum(1 for el in root.iter() if el.tag in _FLOW_TAGS)
    limit = max_elements()
    if count > limit:
        problems.append(Problem(name, _("the diagram has %(count)s elements (tasks, events, "
                                        "gateways and flows); at most %(limit)s may be "
                                        "deployed (SLM_MAX_DIAGRAM_ELEMENTS)",
                                        count=format(count, ','),
                                        limit=format(limit, ','))))
    width = max_parallel_branches()
    for tag in ("parallelGateway", "inclusiveGateway"):
        for gw in root.iter(BPMN + tag):
            out = len(gw.findall(BPMN + "outgoing"))
            if out > width:
                problems.append(Problem(gw.get("id"), _("opens %(out)s parallel branches; at "
                                                        "most %(width)s may "
                                                        "(SLM_MAX_PARALLEL_BRANCHES)",
                                                        out=format(out, ','),
                                                        width=width)))
    problems.extend(_call_cycles(root))
    return problems


def _call_cycles(root) -> list[Problem]:
    calls: dict[str, list[tuple[str, str]]] = {}
    for proc in root.iter(BPMN + "process"):
        calls[proc.get("id")] = [(c.get("id"), c.get("calledElement"))
                                 for c in proc.iter(BPMN + "callActivity")]
    problems = []
    for pid, activities in calls.items():
        for call_id, called in activities:
            if called and _reaches(calls, called, pid):
                via = "itself" if called == pid else f"{called!r}, which calls back into it"
                problems.append(Problem(call_id, _("process %(pid)s calls %(via)s: a process "
                                                   "may not call itself, directly or through "
                                                   "others",
                                                   pid=repr(pid),
                                                   via=via)))
    return problems


def _reaches(calls: dict, start: str, target: str) -> bool:
    seen, stack = set(), [start]
    while stack:
        pid = stack.pop()
        if pid == target:
            return True
        if pid in seen:
            continue
        seen.add(pid)
        stack.extend(c for _i, c in calls.get(pid, ()) if c)
    return False


def parse_deep(fn):
    """``fn()`` in a thread with a large stack and a recursion limit that fits the largest
    diagram allowed; returns its result or raises its exception."""
    box: dict = {}

    def target():
        try:
            box["value"] = fn()
        except BaseException as exc:  # handed to the caller as it is
            box["error"] = exc

    with _LOCK:
        saved = sys.getrecursionlimit()
        previous_stack = threading.stack_size(_PARSE_STACK)
        try:
            thread = threading.Thread(target=target, name="slm-deploy-parse")
            sys.setrecursionlimit(max(saved, max_elements() * _FRAMES_PER_ELEMENT))
            try:
                thread.start()
            finally:
                threading.stack_size(previous_stack)
            thread.join()
        finally:
            sys.setrecursionlimit(saved)
    if "error" in box:
        raise box["error"]
    return box["value"]
