"""BPMN elements the engine refuses at deploy, each with the reason and what to do instead.

SpiffWorkflow parses some elements it does not run as BPMN means them (a link or
compensation event is read as a plain event; a conditional event is only re-checked when
someone polls it) and does not know others. Rather than deploy a diagram that then waits
forever or does something else, deploy refuses them by element id. README's "BPMN support"
table lists every element with its test.
"""
from __future__ import annotations

from .errors import Problem
from .i18n import _

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
EVENTS = ("startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent",
          "boundaryEvent")
DEFINITIONS = ("messageEventDefinition", "timerEventDefinition", "signalEventDefinition",
               "errorEventDefinition", "escalationEventDefinition",
               "conditionalEventDefinition", "compensateEventDefinition",
               "cancelEventDefinition", "linkEventDefinition", "terminateEventDefinition")

#: element tag -> why it is refused
REFUSED_ELEMENTS = {
    "complexGateway": "complex gateways are not supported: use an inclusive or an exclusive "
                      "gateway with conditions",
    "adHocSubProcess": "ad-hoc sub-processes are not supported: model the order, or use "
                       "parallel branches",
    "dataStoreReference": "data stores are not supported: keep data in the task data, or "
                          "read and write it with a service task",
}
#: event definition -> why events with it are refused
REFUSED_DEFINITIONS = {
    "conditionalEventDefinition": "conditional events are not supported: nothing re-checks "
                                  "the condition while the instance waits; use a gateway, a "
                                  "timer or a message",
    "compensateEventDefinition": "compensation is not supported: model the undoing steps "
                                 "with an error boundary event",
    "linkEventDefinition": "link events are not supported: draw the sequence flow instead",
}


def refused(root) -> list[Problem]:
    """The elements of the document the engine does not run, each with its reason."""
    problems = []
    for tag, why in REFUSED_ELEMENTS.items():
        problems.extend(Problem(el.get("id") or tag, why) for el in root.iter(BPMN + tag))
    thrown = _thrown_signals(root)
    for tag in EVENTS:
        for ev in root.iter(BPMN + tag):
            defs = [d for d in ev if d.tag.startswith(BPMN)
                    and d.tag[len(BPMN):] in DEFINITIONS]
            if len(defs) > 1:
                problems.append(Problem(ev.get("id"), _("events with several triggers "
                                                        "(multiple or parallel multiple) are "
                                                        "not supported: use one event per "
                                                        "trigger")))
                continue
            for d in defs:
                kind = d.tag[len(BPMN):]
                if kind in REFUSED_DEFINITIONS:
                    problems.append(Problem(ev.get("id"), REFUSED_DEFINITIONS[kind]))
                elif kind == "signalEventDefinition" and tag in (
                        "startEvent", "intermediateCatchEvent", "boundaryEvent"):
                    name = _signal_name(root, d)
                    if name not in thrown:
                        problems.append(Problem(ev.get("id"), (
                            _("nothing in this diagram throws the signal %(name)s: signals "
                              "are delivered within one instance only (between processes and "
                              "from outside, use a message)",
                              name=repr(name)))))
    return problems


def _signal_name(root, definition) -> str | None:
    ref = definition.get("signalRef")
    for sig in root.iter(BPMN + "signal"):
        if sig.get("id") == ref:
            return sig.get("name") or ref
    return ref


def _thrown_signals(root) -> set:
    out = set()
    for tag in ("intermediateThrowEvent", "endEvent"):
        for ev in root.iter(BPMN + tag):
            for d in ev.findall(BPMN + "signalEventDefinition"):
                out.add(_signal_name(root, d))
    return out
