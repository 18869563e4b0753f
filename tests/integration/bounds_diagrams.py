"""Diagrams for test_bounds.py: timers, loops, call activities and sizes."""
from __future__ import annotations

from xml.sax.saxutils import escape

OPEN = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="defs_bounds" targetNamespace="http://example.org/slm-test">
"""
CLOSE = "</bpmn:definitions>\n"


def timers(pid: str, specs: list[tuple[str, str, str]]) -> bytes:
    """start -> each (id, kind, expression) timer in a row -> end."""
    ids = ["start"] + [eid for eid, _k, _e in specs] + ["end"]
    nodes = ['<bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>']
    for i, (eid, kind, expression) in enumerate(specs):
        nodes.append(f'<bpmn:intermediateCatchEvent id="{eid}"><bpmn:incoming>f{i}'
                     f'</bpmn:incoming><bpmn:outgoing>f{i + 1}</bpmn:outgoing>'
                     f"<bpmn:timerEventDefinition><bpmn:{kind}>{escape(expression)}"
                     f"</bpmn:{kind}></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>")
    n = len(specs)
    nodes.append(f'<bpmn:endEvent id="end"><bpmn:incoming>f{n}</bpmn:incoming></bpmn:endEvent>')
    flows = [f'<bpmn:sequenceFlow id="f{i}" sourceRef="{ids[i]}" targetRef="{ids[i + 1]}" />'
             for i in range(n + 1)]
    return (OPEN + f'<bpmn:process id="{pid}" isExecutable="true">' + "".join(nodes + flows)
            + "</bpmn:process>" + CLOSE).encode()


def late_cycle(cycle: str = '"R100/PT1M"') -> bytes:
    """A user task with a non-interrupting cycle timer on its boundary that runs a script."""
    return (OPEN + f"""<bpmn:process id="cycle" isExecutable="true">
  <bpmn:laneSet><bpmn:lane id="l1" name="Service Level Manager">
    <bpmn:flowNodeRef>work</bpmn:flowNodeRef></bpmn:lane></bpmn:laneSet>
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:userTask id="work"><bpmn:extensionElements><spiffworkflow:properties>
      <spiffworkflow:property name="formJsonSchemaFilename" value="approve.schema.json" />
    </spiffworkflow:properties></bpmn:extensionElements>
    <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:userTask>
  <bpmn:endEvent id="end"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  <bpmn:boundaryEvent id="remind" attachedToRef="work" cancelActivity="false">
    <bpmn:outgoing>f3</bpmn:outgoing>
    <bpmn:timerEventDefinition><bpmn:timeCycle>{escape(cycle)}</bpmn:timeCycle>
    </bpmn:timerEventDefinition></bpmn:boundaryEvent>
  <bpmn:scriptTask id="note"><bpmn:incoming>f3</bpmn:incoming><bpmn:outgoing>f4</bpmn:outgoing>
    <bpmn:script>reminded = True</bpmn:script></bpmn:scriptTask>
  <bpmn:endEvent id="note_end"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="work" />
  <bpmn:sequenceFlow id="f2" sourceRef="work" targetRef="end" />
  <bpmn:sequenceFlow id="f3" sourceRef="remind" targetRef="note" />
  <bpmn:sequenceFlow id="f4" sourceRef="note" targetRef="note_end" />
</bpmn:process>""" + CLOSE).encode()


def endless_loop(script: str = "n = n + 1") -> bytes:
    """start -> count (``script``, n = n + 1) -> gateway (back to count unless n < 0) -> end."""
    return (OPEN + """<bpmn:process id="endless" isExecutable="true">
  <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:scriptTask id="count"><bpmn:incoming>f1</bpmn:incoming><bpmn:incoming>f_back</bpmn:incoming>
    <bpmn:outgoing>f2</bpmn:outgoing><bpmn:script>""" + script + """</bpmn:script></bpmn:scriptTask>
  <bpmn:exclusiveGateway id="again" default="f_back"><bpmn:incoming>f2</bpmn:incoming>
    <bpmn:outgoing>f_back</bpmn:outgoing><bpmn:outgoing>f_done</bpmn:outgoing>
  </bpmn:exclusiveGateway>
  <bpmn:endEvent id="end"><bpmn:incoming>f_done</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="count" />
  <bpmn:sequenceFlow id="f2" sourceRef="count" targetRef="again" />
  <bpmn:sequenceFlow id="f_back" sourceRef="again" targetRef="count" />
  <bpmn:sequenceFlow id="f_done" sourceRef="again" targetRef="end">
    <bpmn:conditionExpression>n &lt; 0</bpmn:conditionExpression></bpmn:sequenceFlow>
</bpmn:process>""" + CLOSE).encode()


def calls(chain: dict[str, str | None]) -> bytes:
    """One process per key; each calls the process named by its value (None: no call)."""
    procs = []
    for pid, called in chain.items():
        body = (f'<bpmn:callActivity id="call_{pid}" calledElement="{called}">'
                "<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>"
                "</bpmn:callActivity>" if called else
                '<bpmn:scriptTask id="work_' + pid + '"><bpmn:incoming>f1</bpmn:incoming>'
                "<bpmn:outgoing>f2</bpmn:outgoing><bpmn:script>done = True</bpmn:script>"
                "</bpmn:scriptTask>")
        target = f"call_{pid}" if called else f"work_{pid}"
        procs.append(
            f'<bpmn:process id="{pid}" isExecutable="true">'
            '<bpmn:startEvent id="s_' + pid + '"><bpmn:outgoing>f1</bpmn:outgoing>'
            f'</bpmn:startEvent>{body}<bpmn:endEvent id="e_{pid}"><bpmn:incoming>f2'
            f'</bpmn:incoming></bpmn:endEvent><bpmn:sequenceFlow id="f1" sourceRef="s_{pid}" '
            f'targetRef="{target}" /><bpmn:sequenceFlow id="f2" sourceRef="{target}" '
            f'targetRef="e_{pid}" /></bpmn:process>')
    return (OPEN + "".join(procs) + CLOSE).encode()


def chain(n: int, pid: str = "chain") -> bytes:
    """start -> n script tasks in a row -> end."""
    parts = [f'<bpmn:process id="{pid}" isExecutable="true">',
             '<bpmn:startEvent id="start"><bpmn:outgoing>f0</bpmn:outgoing></bpmn:startEvent>']
    for i in range(n):
        parts.append(f'<bpmn:scriptTask id="t{i}"><bpmn:incoming>f{i}</bpmn:incoming>'
                     f'<bpmn:outgoing>f{i + 1}</bpmn:outgoing><bpmn:script>step = {i}'
                     "</bpmn:script></bpmn:scriptTask>")
        source = "start" if i == 0 else f"t{i - 1}"
        parts.append(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{source}" targetRef="t{i}"/>')
    parts.append(f'<bpmn:endEvent id="end"><bpmn:incoming>f{n}</bpmn:incoming></bpmn:endEvent>'
                 f'<bpmn:sequenceFlow id="f{n}" sourceRef="t{n - 1}" targetRef="end"/>')
    parts.append("</bpmn:process>")
    return (OPEN + "".join(parts) + CLOSE).encode()


def fan_out(width: int) -> bytes:
    """A parallel gateway opening ``width`` branches, joined again."""
    parts = ['<bpmn:process id="wide" isExecutable="true">',
             '<bpmn:laneSet id="lanes"><bpmn:lane id="lane" name="Service Level Manager">',
             *[f"<bpmn:flowNodeRef>t{i}</bpmn:flowNodeRef>" for i in range(width)],
             '</bpmn:lane></bpmn:laneSet>',
             '<bpmn:startEvent id="start"><bpmn:outgoing>f_in</bpmn:outgoing></bpmn:startEvent>',
             '<bpmn:parallelGateway id="split"><bpmn:incoming>f_in</bpmn:incoming>']
    parts += [f"<bpmn:outgoing>a{i}</bpmn:outgoing>" for i in range(width)]
    parts.append('</bpmn:parallelGateway><bpmn:parallelGateway id="join">')
    parts += [f"<bpmn:incoming>b{i}</bpmn:incoming>" for i in range(width)]
    parts.append('<bpmn:outgoing>f_out</bpmn:outgoing></bpmn:parallelGateway>'
                 '<bpmn:endEvent id="end"><bpmn:incoming>f_out</bpmn:incoming></bpmn:endEvent>'
                 '<bpmn:sequenceFlow id="f_in" sourceRef="start" targetRef="split"/>'
                 '<bpmn:sequenceFlow id="f_out" sourceRef="join" targetRef="end"/>')
    for i in range(width):
        parts.append(f'<bpmn:task id="t{i}"><bpmn:incoming>a{i}</bpmn:incoming>'
                     f'<bpmn:outgoing>b{i}</bpmn:outgoing></bpmn:task>'
                     f'<bpmn:sequenceFlow id="a{i}" sourceRef="split" targetRef="t{i}"/>'
                     f'<bpmn:sequenceFlow id="b{i}" sourceRef="t{i}" targetRef="join"/>')
    parts.append("</bpmn:process>")
    return (OPEN + "".join(parts) + CLOSE).encode()
