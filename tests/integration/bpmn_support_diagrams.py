"""Small diagrams, one per row of README's "BPMN support" table (tests/integration/
test_bpmn_support.py deploys and runs each). Each is a process body wrapped by ``bpmn``."""
from __future__ import annotations

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
        'id="defs" targetNamespace="http://example.org/slm-test">')


def bpmn(body: str, pid: str = "p", extra: str = "", lanes: str = "") -> bytes:
    """A document with one executable process ``pid`` holding ``body``."""
    lane_set = f"<bpmn:laneSet id=\"ls\">{lanes}</bpmn:laneSet>" if lanes else ""
    return (f'{HEAD}{extra}<bpmn:process id="{pid}" isExecutable="true">{lane_set}{body}'
            "</bpmn:process></bpmn:definitions>").encode()


def flow(fid: str, src: str, tgt: str, cond: str = "") -> str:
    c = f"<bpmn:conditionExpression>{cond}</bpmn:conditionExpression>" if cond else ""
    return (f'<bpmn:sequenceFlow id="{fid}" sourceRef="{src}" targetRef="{tgt}">{c}'
            "</bpmn:sequenceFlow>")


def chain(*ids: str, prefix: str = "f") -> str:
    """Sequence flows along ``ids``."""
    pairs = zip(ids, ids[1:], strict=False)
    return "".join(flow(f"{prefix}{i}", a, b) for i, (a, b) in enumerate(pairs))


def script(sid: str, code: str) -> str:
    return f'<bpmn:scriptTask id="{sid}"><bpmn:script>{code}</bpmn:script></bpmn:scriptTask>'


def start(sid: str = "start", inner: str = "", interrupting: str = "") -> str:
    attr = f' isInterrupting="{interrupting}"' if interrupting else ""
    return f'<bpmn:startEvent id="{sid}"{attr}>{inner}</bpmn:startEvent>'


def end(eid: str = "end", inner: str = "") -> str:
    return f'<bpmn:endEvent id="{eid}">{inner}</bpmn:endEvent>'


def timer(expr: str, kind: str = "timeDuration") -> str:
    return (f"<bpmn:timerEventDefinition><bpmn:{kind}>{expr}</bpmn:{kind}>"
            "</bpmn:timerEventDefinition>")


def user(uid: str, form: str = "approve.schema.json") -> str:
    return (f'<bpmn:userTask id="{uid}"><bpmn:extensionElements><spiffworkflow:properties>'
            f'<spiffworkflow:property name="formJsonSchemaFilename" value="{form}" />'
            "</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>")


def lane(name: str, *refs: str) -> str:
    nodes = "".join(f"<bpmn:flowNodeRef>{r}</bpmn:flowNodeRef>" for r in refs)
    return f'<bpmn:lane id="lane_{len(refs)}" name="{name}">{nodes}</bpmn:lane>'


def message_def(name: str) -> tuple[str, str]:
    """(document-level message element, event definition referring to it)."""
    return (f'<bpmn:message id="msg_{name}" name="{name}" />',
            f'<bpmn:messageEventDefinition messageRef="msg_{name}" />')


def event_sub(sid: str, start_inner: str, body: str, interrupting: bool = True) -> str:
    """An event sub-process: its start event (with ``start_inner``) then ``body``."""
    flag = "true" if interrupting else "false"
    return (f'<bpmn:subProcess id="{sid}" triggeredByEvent="true">'
            f"{start(sid + '_start', start_inner, flag)}{body}</bpmn:subProcess>")
