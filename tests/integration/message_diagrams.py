"""Two processes that talk by message "breach", correlated by the SLA it concerns:
``agreement`` waits for the breach of its own SLA (``sla_id`` in its data), ``monitor``
throws one for the SLA in its data."""
from __future__ import annotations

from bpmn_support_diagrams import HEAD, chain, end, script, start

CORRELATION = ('<bpmn:collaboration id="collab"><bpmn:correlationKey name="breach_key">'
               "<bpmn:correlationPropertyRef>sla</bpmn:correlationPropertyRef>"
               "</bpmn:correlationKey></bpmn:collaboration>"
               '<bpmn:correlationProperty id="sla" name="sla">'
               '<bpmn:correlationPropertyRetrievalExpression messageRef="msg_breach">'
               "<bpmn:formalExpression>sla</bpmn:formalExpression>"
               "</bpmn:correlationPropertyRetrievalExpression></bpmn:correlationProperty>")


def _doc(pid: str, body: str) -> bytes:
    return (f'{HEAD}{CORRELATION}<bpmn:message id="msg_breach" name="breach" />'
            f'<bpmn:process id="{pid}" isExecutable="true">{body}</bpmn:process>'
            "</bpmn:definitions>").encode()


def agreement(pid: str = "agreement") -> bytes:
    """Waits for "breach" of its SLA, then notes what it got."""
    catch = ('<bpmn:intermediateCatchEvent id="wait_breach"><bpmn:messageEventDefinition '
             'messageRef="msg_breach"><bpmn:extensionElements>'
             "<spiffworkflow:processVariableCorrelation><spiffworkflow:propertyId>sla"
             "</spiffworkflow:propertyId><spiffworkflow:expression>sla_id"
             "</spiffworkflow:expression></spiffworkflow:processVariableCorrelation>"
             "<spiffworkflow:messageVariable>breach</spiffworkflow:messageVariable>"
             "</bpmn:extensionElements></bpmn:messageEventDefinition>"
             "</bpmn:intermediateCatchEvent>")
    return _doc(pid, start() + catch + script("note", "minutes_late = breach['minutes']") + end()
                + chain("start", "wait_breach", "note", "end"))


def monitor(pid: str = "monitor") -> bytes:
    """Throws "breach" for ``sla_id`` with ``minutes``."""
    throw = ('<bpmn:intermediateThrowEvent id="throw_breach"><bpmn:messageEventDefinition '
             'messageRef="msg_breach"><bpmn:extensionElements><spiffworkflow:messagePayload>'
             "{'sla': sla_id, 'minutes': minutes}</spiffworkflow:messagePayload>"
             "</bpmn:extensionElements></bpmn:messageEventDefinition>"
             "</bpmn:intermediateThrowEvent>")
    return _doc(pid, start() + throw + end() + chain("start", "throw_breach", "end"))
