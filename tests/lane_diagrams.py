"""Small diagrams for the lane and role tests: start -> one human task -> end, the task in a
lane of a given name (or in none), with diagram interchange so the studio can show it."""
from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr


def lane_diagram(lane: str | None = "Service Owner", *, process_id: str = "service_check",
                 task: str = "manualTask", task_id: str = "check_service",
                 name: str = "Check the service", form: str | None = None,
                 instructions: str | None = None, ui_form: str | None = None) -> bytes:
    """The BPMN text; ``lane=None``: the task is outside every lane (the start and end
    events are then in a lane of their own, "Process Owner")."""
    prop = '<spiffworkflow:property name="{}" value={} />'.format
    props = []
    if form:
        props.append(prop("formJsonSchemaFilename", quoteattr(form)))
    if ui_form:
        props.append(prop("formUiSchemaFilename", quoteattr(ui_form)))
    ext = ""
    if props or instructions is not None:
        inner = (f"<spiffworkflow:properties>{''.join(props)}</spiffworkflow:properties>"
                 if props else "")
        if instructions is not None:
            inner += (f"<spiffworkflow:instructionsForEndUser>{escape(instructions)}"
                      "</spiffworkflow:instructionsForEndUser>")
        ext = f"<bpmn:extensionElements>{inner}</bpmn:extensionElements>"
    refs = "<bpmn:flowNodeRef>start</bpmn:flowNodeRef><bpmn:flowNodeRef>end</bpmn:flowNodeRef>"
    if lane is None:
        lanes = f'<bpmn:lane id="lane_owner" name="Process Owner">{refs}</bpmn:lane>'
    else:
        lanes = (f'<bpmn:lane id="lane_work" name={quoteattr(lane)}>{refs}'
                 f"<bpmn:flowNodeRef>{task_id}</bpmn:flowNodeRef></bpmn:lane>")
    lane_element = "lane_owner" if lane is None else "lane_work"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI"
    xmlns:dc="http://www.omg.org/spec/DD/20100524/DC"
    xmlns:di="http://www.omg.org/spec/DD/20100524/DI"
    xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
    id="defs_{process_id}" targetNamespace="http://example.org/slm-test">
  <bpmn:collaboration id="collab_{process_id}">
    <bpmn:participant id="participant_{process_id}" name={quoteattr(name)}
                      processRef="{process_id}" />
  </bpmn:collaboration>
  <bpmn:process id="{process_id}" name={quoteattr(name)} isExecutable="true">
    <bpmn:laneSet id="lanes_{process_id}">{lanes}</bpmn:laneSet>
    <bpmn:startEvent id="start" name="Start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:{task} id="{task_id}" name={quoteattr(name)}>{ext}
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    </bpmn:{task}>
    <bpmn:endEvent id="end" name="Done"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="{task_id}" />
    <bpmn:sequenceFlow id="f2" sourceRef="{task_id}" targetRef="end" />
  </bpmn:process>
  <bpmndi:BPMNDiagram id="diagram_{process_id}">
    <bpmndi:BPMNPlane id="plane_{process_id}" bpmnElement="collab_{process_id}">
      <bpmndi:BPMNShape id="participant_di" bpmnElement="participant_{process_id}"
                        isHorizontal="true">
        <dc:Bounds x="100" y="80" width="560" height="200" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="lane_di" bpmnElement="{lane_element}" isHorizontal="true">
        <dc:Bounds x="130" y="80" width="530" height="200" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="start_di" bpmnElement="start">
        <dc:Bounds x="182" y="162" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="task_di" bpmnElement="{task_id}">
        <dc:Bounds x="300" y="140" width="120" height="80" /></bpmndi:BPMNShape>
      <bpmndi:BPMNShape id="end_di" bpmnElement="end">
        <dc:Bounds x="522" y="162" width="36" height="36" /></bpmndi:BPMNShape>
      <bpmndi:BPMNEdge id="f1_di" bpmnElement="f1">
        <di:waypoint x="218" y="180" /><di:waypoint x="300" y="180" /></bpmndi:BPMNEdge>
      <bpmndi:BPMNEdge id="f2_di" bpmnElement="f2">
        <di:waypoint x="420" y="180" /><di:waypoint x="522" y="180" /></bpmndi:BPMNEdge>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
</bpmn:definitions>
""".encode()
